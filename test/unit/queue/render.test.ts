import { describe, expect, it } from 'vitest';
import { renderDelivery } from '../../../src/queue/workers/render.ts';
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
});
