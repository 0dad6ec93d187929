import { describe, expect, it } from 'vitest';
import { advisoryMessage, clusterRows, statusText } from '../../../src/slack/blocks/advisory.ts';
import { homeView } from '../../../src/slack/blocks/home.ts';
import { clustersMessage } from '../../../src/slack/blocks/replies.ts';
import { LIMITS } from '../../../src/slack/blocks/text.ts';
import type { ClusterPosture, Remediation } from '../../../src/triage/types.ts';
import { advisory, finding, RELEASE_DATA } from './fixtures.ts';

type AnyBlock = { type: string; text?: { text: string }; elements?: { text?: string }[] };

const remediation = (over: Partial<Remediation> = {}): Remediation => ({
  target: 'v1.35.8', path: [], clears: ['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003', 'CVE-2026-0004'], remains: [],
  summary: 'v1.35.2 → v1.35.8 clears all 4 open advisories', ...over,
});
const posture = (cluster: string, r?: Remediation): ClusterPosture => ({
  cluster, environment: 'prod', provider: 'eks', server: 'v1.35.2-eks-1a2b3c', minor: '1.35', eol: null, supported: true,
  inventoryError: null, inventoryAge: '3 min ago', ...(r ? { remediation: r } : {}),
});

const a = advisory('CVE-2026-0001', { mitigation: 'Upgrade **now**. See [the advisory](https://github.com/kubernetes/kubernetes/issues/1). The fixed versions are listed below.' });
const f = finding(a.id, 'prod-eu', 'prod', {
  version: 'v1.35.2', fixedTarget: 'v1.35.3', notes: ['1.33 is end-of-life since 2026-06-28', 'EKS: move to an EKS platform version based on v1.35.3 or later'],
  exposure: { status: 'exposed', evidence: '3 pods in team-a use gitRepo' },
});

describe('advisory message: a cluster at a glance', () => {
  it('shows the smallest fix and the recommended version that clears every open advisory', () => {
    const [row] = clusterRows([f], new Map([['prod-eu', remediation()]]));
    expect(row?.line).toBe('• *prod-eu* (prod): kube-apiserver v1.35.2 → fixed in *v1.35.3* (smallest); recommended v1.35.8 (clears all 4 open advisories) · :rotating_light: affected and exposed: 3 pods in team-a use gitRepo');
  });

  it('one target when the recommendation is the smallest fix itself, or there is none', () => {
    expect(clusterRows([f], new Map([['prod-eu', remediation({ target: 'v1.35.3' })]]))[0]?.line).toMatch(/v1\.35\.2 → \*v1\.35\.3\* ·/);
    expect(clusterRows([f])[0]?.line).toMatch(/v1\.35\.2 → \*v1\.35\.3\* ·/);
  });

  it.each([
    [{ status: 'not-exposed', evidence: 'no pod uses gitRepo' } as const, 'affected, not exposed now: no pod uses gitRepo'],
    [{ status: 'unknown', evidence: 'pods not listable (needs list pods (all namespaces))' } as const, 'exposure unknown: pods not listable (needs list pods (all namespaces))'],
  ])('exposure %j', (exposure, text) => {
    expect(clusterRows([{ ...f, exposure }])[0]?.line.endsWith(text)).toBe(true);
  });

  it('puts the notes (EOL, provider, nodes) on a context line under the cluster, not run together', () => {
    const msg = advisoryMessage({ advisory: a, findings: [{ ...f, affectedNodes: ['n1', 'n2'] }], releaseData: RELEASE_DATA, clusters: [posture('prod-eu', remediation({ provider: { name: 'EKS', build: '1.35-eks-17', supported: true, supportEnds: '2027-03-27', note: 'EKS supports 1.35 until 2027-03-27' } }))] });
    const blocks = msg.blocks as AnyBlock[];
    const i = blocks.findIndex((b) => b.type === 'section' && b.text?.text.startsWith('• *prod-eu*'));
    expect(blocks[i]?.text?.text).not.toContain('end-of-life');
    expect(blocks[i + 1]?.type).toBe('context');
    expect(blocks[i + 1]?.elements?.[0]?.text).toBe('nodes: n1, n2 · 1.33 is end-of-life since 2026-06-28 · EKS: move to an EKS platform version based on v1.35.3 or later · EKS supports 1.35 until 2027-03-27');
  });

  it('turns the mitigation\'s GitHub Markdown into mrkdwn and drops the dangling "below"', () => {
    const msg = advisoryMessage({ advisory: a, findings: [f], releaseData: RELEASE_DATA });
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('*Mitigation*\\nUpgrade *now*. See <https://github.com/kubernetes/kubernetes/issues/1|the advisory>.');
    expect(text).not.toContain('below');
    expect(text).not.toContain('**');
  });

  it('says plainly that no fix will be released, apart from "no fix yet"', () => {
    const wont = advisory('CVE-2025-1767', { fixState: 'none', unfixed: true, status: 'fixed' });
    const unfixed = finding(wont.id, 'prod-eu', 'prod', { verdict: 'unfixed', fixedTarget: null });
    const msg = advisoryMessage({ advisory: wont, findings: [unfixed], releaseData: RELEASE_DATA });
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('*Status*\\nno fix will be released: mitigate');
    expect(text).not.toContain('Status*\\nfixed');
    expect(text).toContain('→ _no fix will be released: mitigate_');
    expect(statusText({ status: 'open', fixState: 'pending', unfixed: true })).toBe('open: no fix yet (one may come)');
    const pending = advisoryMessage({ advisory: advisory('CVE-2026-9', { fixState: 'pending', status: 'open' }), findings: [{ ...unfixed, advisory: 'CVE-2026-9' }], releaseData: null });
    expect(JSON.stringify(pending.blocks)).toContain('→ _no fix available yet_');
  });

  it('stays within 50 blocks with notes on every row, the rest in the thread', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...f, cluster: `c-${String(i).padStart(2, '0')}` }));
    const msg = advisoryMessage({ advisory: a, findings: many, releaseData: RELEASE_DATA, maxClusterRows: 40 });
    expect(msg.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(JSON.stringify(msg.blocks)).toMatch(/…and \d+ more clusters\. Full list of 40 clusters in the thread\./);
    const thread = msg.overflow.flatMap((m) => (m.blocks as AnyBlock[]).map((b) => b.text?.text ?? '')).join('\n');
    expect(thread).toContain('*c-39*');
    // In the thread a row's notes are on their own line too.
    expect(thread).toMatch(/use gitRepo\n {6}_1\.33 is end-of-life since 2026-06-28_/);
  });
});

describe('/k8s clusters and App Home show each cluster\'s remediation', () => {
  const clusters = [
    posture('prod-eu', remediation({ provider: { name: 'EKS', build: '1.35-eks-17', supported: true, supportEnds: '2027-03-27', note: 'EKS supports 1.35 until 2027-03-27' } })),
    posture('legacy', remediation({ target: null, clears: [], remains: [{ advisory: 'CVE-2025-1767', reason: 'no fix will be released: mitigate', mitigation: null }], summary: 'no version clears the open advisories: 1 advisory remains (mitigate)' })),
  ];

  it('clusters message', () => {
    const text = JSON.stringify(clustersMessage(clusters, RELEASE_DATA).blocks);
    expect(text).toContain('↳ next: v1.35.2 → *v1.35.8* clears all 4 open advisories _(EKS supports 1.35 until 2027-03-27)_');
    expect(text).toContain('↳ next: no version clears the open advisories: 1 advisory remains (mitigate) · remains: CVE-2025-1767 (no fix will be released: mitigate)');
  });

  it('home view', () => {
    const text = JSON.stringify(homeView({ clusters, advisories: [], releaseData: RELEASE_DATA, updatedAt: null }).blocks);
    expect(text).toContain('↳ next: v1.35.2 → *v1.35.8* clears all 4 open advisories');
  });
});
