import { describe, expect, it } from 'vitest';
import { packRemediations, renderDelivery, unpackRemediations } from '../../../src/queue/workers/render.ts';
import type { Finding, Remediation } from '../../../src/triage/types.ts';
import { advisory } from '../slack/fixtures.ts';

describe('renderDelivery', () => {
  const a = advisory('CVE-2023-2727');
  const finding: Finding = {
    advisory: 'CVE-2023-2727', cluster: 'prod-eu', environment: 'prod', component: 'kube-apiserver', version: 'v1.27.1',
    verdict: 'affected', fixedTarget: 'v1.27.3', upgradePath: [], reason: 'affected',
  };
  const remediation: Remediation = { target: 'v1.27.16', path: [], clears: ['CVE-2023-2727', 'CVE-2023-2728'], remains: [], summary: 'v1.27.1 → v1.27.16 clears 2 advisories' };

  it('shows the smallest fix and, from the stored remediation, the recommended version', () => {
    const out = renderDelivery({ advisory: a, pages: [JSON.stringify([finding])], releaseData: null, acknowledged: null, previousSummary: null, remediations: [['prod-eu', remediation]] });
    const text = JSON.stringify(out.message.blocks);
    expect(text).toContain('fixed in *v1.27.3* (smallest)');
    expect(text).toContain('recommended v1.27.16 (clears all 2 open advisories)');
  });

  it('shows the smallest fix alone without a remediation', () => {
    const out = renderDelivery({ advisory: a, pages: [JSON.stringify([finding])], releaseData: null, acknowledged: null, previousSummary: null });
    expect(JSON.stringify(out.message.blocks)).toContain('→ *v1.27.3*');
    expect(JSON.stringify(out.message.blocks)).not.toContain('recommended');
  });

  it('quietly refreshes a post whose stored summary predates recommendations, when nothing else changed', () => {
    const withRecommendation = renderDelivery({ advisory: a, pages: [JSON.stringify([finding])], releaseData: null, acknowledged: null, previousSummary: null, remediations: [['prod-eu', remediation]] });
    const { recommended: _dropped, ...legacy } = JSON.parse(withRecommendation.summary) as Record<string, unknown>;
    const out = renderDelivery({ advisory: a, pages: [JSON.stringify([finding])], releaseData: null, acknowledged: null, previousSummary: JSON.stringify(legacy), remediations: [['prod-eu', remediation]] });
    expect(out.quiet).toBe(true);
    expect(out.changes).toEqual([]);
  });
});

describe('remediations packed for the render thread', () => {
  it('round-trips, each distinct remediation encoded once', () => {
    const one: Remediation = { target: 'v1.27.16', path: [], clears: ['CVE-1'], remains: [], summary: 's' };
    const other: Remediation = { target: 'v1.28.15', path: [{ minor: '1.28', version: '1.28.15' }], clears: ['CVE-1', 'CVE-2'], remains: [{ advisory: 'CVE-3', reason: 'no fix yet' }], summary: 't' };
    const list: [string, Remediation][] = [['a', one], ['b', other], ['c', one], ['d', { ...one }], ['e', other]];
    const packed = packRemediations(list);
    expect(packed.distinct).toHaveLength(2);
    expect(unpackRemediations(packed)).toEqual(list);
    expect(unpackRemediations(packRemediations([]))).toEqual([]);
  });
});
