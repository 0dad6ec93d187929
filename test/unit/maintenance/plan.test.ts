import { describe, expect, it } from 'vitest';
import { buildPlan, changeKind, diffPlans, formatPlanLines, managedProviderNote, type PlanInput } from '../../../src/maintenance/plan.ts';
import type { ClusterPosture, Finding, Remediation } from '../../../src/triage/types.ts';

const NOW = new Date('2026-12-01T10:00:00Z');

const posture = (cluster: string, environment: string, provider: string, server: string, remediation?: Remediation): ClusterPosture => ({
  cluster, environment, provider, server, minor: server.slice(1, 5), eol: null, supported: true, inventoryError: null, inventoryAge: 'just now',
  ...(remediation ? { remediation } : {}),
});

const finding = (over: Partial<Finding> & Pick<Finding, 'advisory' | 'cluster' | 'component'>): Finding => ({
  version: 'v1.35.4', verdict: 'affected', fixedTarget: 'v1.35.8', upgradePath: [], reason: 'in range', environment: 'prod', ...over,
});

const CLUSTERS = [
  { name: 'staging-eu', environment: 'staging' },
  { name: 'prod-eu', environment: 'prod', provider: 'eks' },
  { name: 'legacy', environment: 'prod' },
];

const patchRemediation: Remediation = { target: 'v1.35.8', path: [], clears: ['CVE-2025-0001', 'CVE-2025-0002'], remains: [], summary: 'v1.35.4 → v1.35.8 clears 2 advisories' };
const minorRemediation: Remediation = {
  target: 'v1.30.14', path: [{ minor: '1.28', version: 'v1.28.15' }, { minor: '1.29', version: 'v1.29.15' }, { minor: '1.30', version: 'v1.30.14' }],
  clears: ['CVE-2025-0001'], remains: [{ advisory: 'CVE-2024-10220', reason: 'no fix for gitRepo volumes', mitigation: 'disable gitRepo' }],
  summary: '3 minor hops',
};

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  window: { id: 'prod-2026-12-10', environment: 'prod' },
  after: 'staging-2026-12-08',
  clusters: CLUSTERS,
  triage: {
    clusters: [posture('prod-eu', 'prod', 'eks', 'v1.35.4-eks-3a1b2c4', patchRemediation), posture('legacy', 'prod', 'kubeadm', 'v1.27.9', minorRemediation)],
    findings: [],
  },
  now: NOW,
  ...over,
});

describe('changeKind', () => {
  it.each([
    ['v1.35.4', 'v1.35.8', [], 'patch'],
    ['v1.35.4-eks-3a1b2c4', 'v1.35.8', [], 'patch'],
    ['v1.35.8', 'v1.35.8', [], 'none'],
    ['v1.34.3', 'v1.35.8', [], 'minor'],
    ['v1.27.9', 'v1.28.15', [{ minor: '1.28', version: 'v1.28.15' }], 'minor'],
    [null, 'v1.35.8', [], 'minor'],
    ['v1.35.4', null, [], 'none'],
  ] as const)('%s → %s is %s', (current, target, path, kind) => {
    expect(changeKind(current, target, path)).toBe(kind);
  });
});

describe('buildPlan', () => {
  it('lists the environment\'s clusters with current → target, what it clears, and the order: control plane first, one minor at a time', () => {
    const plan = buildPlan(input());
    expect(plan).toMatchObject({ window: 'prod-2026-12-10', environment: 'prod', change: 'minor', after: 'staging-2026-12-08', advisory: null, builtAt: NOW.toISOString() });
    expect(plan.clusters.map((c) => [c.cluster, c.current, c.target, c.change, c.clears])).toEqual([
      ['prod-eu', 'v1.35.4-eks-3a1b2c4', 'v1.35.8', 'patch', ['CVE-2025-0001', 'CVE-2025-0002']],
      ['legacy', 'v1.27.9', 'v1.30.14', 'minor', ['CVE-2025-0001']],
    ]);
    expect(plan.clusters[1]?.remains).toEqual([{ advisory: 'CVE-2024-10220', reason: 'no fix for gitRepo volumes' }]);
    expect(plan.steps.map((s) => s.text)).toEqual([
      'prod-eu: control plane v1.35.4-eks-3a1b2c4 → v1.35.8',
      'prod-eu: node pools → v1.35.8 (after the control plane; kubelets never newer than the API server)',
      'legacy: control plane v1.27.9 → v1.28.15',
      'legacy: control plane v1.28.15 → v1.29.15',
      'legacy: control plane v1.29.15 → v1.30.14',
      'legacy: node pools → v1.30.14 (after the control plane; kubelets never newer than the API server)',
    ]);
  });

  it('has the pre-checks (backup confirmed, disruption-readiness, deprecated APIs for minor moves, skew) and the verify suite after', () => {
    const plan = buildPlan(input());
    expect(plan.preChecks.map((c) => [c.id, c.clusters])).toEqual([
      ['backup-confirmed', ['legacy']],
      ['disruption-readiness', ['prod-eu', 'legacy']],
      ['deprecated-apis', ['legacy']],
      ['version-skew', ['prod-eu', 'legacy']],
    ]);
    expect(plan.postChecks).toEqual([expect.objectContaining({ id: 'verify-suite', clusters: ['prod-eu', 'legacy'], text: expect.stringContaining('regressions first') })]);
  });

  it('asks no deprecated-API check when only patches move', () => {
    const plan = buildPlan(input({ triage: { clusters: [posture('prod-eu', 'prod', 'eks', 'v1.35.4', patchRemediation)], findings: [] } }));
    expect(plan.change).toBe('patch');
    expect(plan.preChecks.map((c) => c.id)).not.toContain('deprecated-apis');
  });

  it.each([
    ['eks', /EKS has no maintenance windows/],
    ['gke', /may apply critical security patches outside them/],
    ['aks', /weekly when no planned maintenance is set/],
  ])('says that %s schedules its own upgrades', (provider, note) => {
    expect(managedProviderNote(provider)).toMatch(note);
    const plan = buildPlan(input({ clusters: [{ name: 'prod-eu', environment: 'prod', provider }] }));
    expect(plan.clusters[0]?.notes).toContainEqual(expect.stringMatching(note));
  });

  it('names no provider schedule for self-managed clusters', () => {
    expect(managedProviderNote('kubeadm')).toBeNull();
    expect(buildPlan(input()).clusters[1]?.notes).toEqual(['3 minor hops']);
  });

  it('says "no remediation computed" and lists the findings when triage has no remediation yet', () => {
    const findings = [
      finding({ advisory: 'CVE-2025-1974', cluster: 'legacy', component: 'ingress-nginx', version: 'v1.11.4', fixedTarget: 'v1.11.5' }),
      finding({ advisory: 'CVE-2024-10220', cluster: 'legacy', component: 'kubelet', version: 'v1.27.9', verdict: 'unfixed', fixedTarget: null }),
      finding({ advisory: 'CVE-2023-0001', cluster: 'legacy', component: 'kubelet', version: 'v1.27.9', verdict: 'not-affected', fixedTarget: null }),
    ];
    const plan = buildPlan(input({ triage: { clusters: [posture('legacy', 'prod', 'kubeadm', 'v1.27.9')], findings } }));
    const legacy = plan.clusters.find((c) => c.cluster === 'legacy');
    expect(legacy).toMatchObject({ target: null, change: 'none', notes: ['no remediation computed'] });
    expect(legacy?.findings).toEqual([
      'CVE-2025-1974: ingress-nginx v1.11.4 (affected, fixed in v1.11.5)',
      'CVE-2024-10220: kubelet v1.27.9 (unfixed, no fix)',
    ]);
    expect(plan.steps).toEqual([]);
    expect(plan.notes).toContain('no remediation computed: the findings are listed per cluster');
  });

  it('limits an emergency plan to what one advisory needs: its clusters, its smallest fix', () => {
    const findings = [
      finding({ advisory: 'CVE-2025-1974', cluster: 'legacy', component: 'ingress-nginx', version: 'v1.11.4', fixedTarget: 'v1.11.5' }),
      finding({ advisory: 'CVE-2025-0001', cluster: 'prod-eu', component: 'kubelet', version: 'v1.35.4', fixedTarget: 'v1.35.6' }),
      finding({ advisory: 'CVE-2025-0001', cluster: 'legacy', component: 'kube-apiserver', version: 'v1.27.9', fixedTarget: 'v1.29.3', upgradePath: ['1.28', '1.29'] }),
    ];
    const plan = buildPlan(input({ advisory: 'CVE-2025-0001', triage: { clusters: [posture('prod-eu', 'prod', 'eks', 'v1.35.4', patchRemediation), posture('legacy', 'prod', 'kubeadm', 'v1.27.9', minorRemediation)], findings } }));
    expect(plan.advisory).toBe('CVE-2025-0001');
    expect(plan.clusters.map((c) => [c.cluster, c.target, c.change, c.clears])).toEqual([
      ['prod-eu', 'v1.35.6', 'patch', ['CVE-2025-0001']],
      ['legacy', 'v1.29.3', 'minor', ['CVE-2025-0001']],
    ]);
    expect(plan.steps.filter((s) => s.cluster === 'legacy').map((s) => s.to)).toEqual(['v1.28 (latest patch)', 'v1.29.3', 'v1.29.3']);

    const addon = buildPlan(input({ advisory: 'CVE-2025-1974', triage: { clusters: [], findings } }));
    expect(addon.clusters.map((c) => [c.cluster, c.change, c.addons])).toEqual([['legacy', 'patch', [{ component: 'ingress-nginx', from: 'v1.11.4', to: 'v1.11.5' }]]]);
    expect(addon.steps.map((s) => s.text)).toEqual(['legacy: ingress-nginx v1.11.4 → v1.11.5']);
  });

  it('renders as text lines with the order and checks', () => {
    const text = formatPlanLines(buildPlan(input())).join('\n');
    expect(text).toContain('Plan (minor upgrade):');
    expect(text).toContain('- prod-eu (eks): v1.35.4-eks-3a1b2c4 → v1.35.8, clears CVE-2025-0001, CVE-2025-0002');
    expect(text).toContain('  · still open: CVE-2024-10220 (no fix for gitRepo volumes)');
    expect(text).toContain('1. prod-eu: control plane v1.35.4-eks-3a1b2c4 → v1.35.8');
    expect(text).toMatch(/Before:\n- backup-confirmed: /);
    expect(text).toMatch(/After:\n- verify-suite: /);
  });
});

describe('diffPlans', () => {
  it('says what changed when triage changes', () => {
    const before = buildPlan(input());
    const after = buildPlan(input({
      triage: {
        clusters: [
          posture('prod-eu', 'prod', 'eks', 'v1.35.8', { ...patchRemediation, target: 'v1.35.9', clears: ['CVE-2025-0002', 'CVE-2025-0003'] }),
        ],
        findings: [],
      },
    }));
    expect(diffPlans(before, after)).toEqual([
      'change: minor → patch',
      'prod-eu: now on v1.35.8 (was v1.35.4-eks-3a1b2c4)',
      'prod-eu: target v1.35.8 → v1.35.9',
      'prod-eu: now also clears CVE-2025-0003',
      'prod-eu: no longer clears CVE-2025-0001',
      'legacy: now on unknown (was v1.27.9)',
      'legacy: target v1.30.14 → none',
      'legacy: no longer clears CVE-2025-0001',
    ]);
  });

  it('names clusters added to and removed from the plan', () => {
    const before = buildPlan(input({ clusters: [{ name: 'prod-eu', environment: 'prod', provider: 'eks' }] }));
    const after = buildPlan(input({ clusters: [{ name: 'legacy', environment: 'prod' }] }));
    expect(diffPlans(before, after)).toEqual(['change: patch → minor', 'legacy: added (v1.27.9 → v1.30.14)', 'prod-eu: removed from the plan']);
  });

  it('is empty when nothing changed', () => {
    expect(diffPlans(buildPlan(input()), buildPlan(input({ now: new Date('2026-12-02T00:00:00Z') })))).toEqual([]);
  });
});
