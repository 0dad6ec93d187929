import { describe, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import type { ClusterInventory } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import type { Finding } from '../../../src/triage/types.ts';
import {
  ALL_FIXTURE_ADVISORIES, CVE_2019_11251, CVE_2020_8554, CVE_2020_8555, CVE_2020_8558, CVE_2022_3294, CVE_2023_2431,
  CVE_2023_2727, CVE_2023_2878, CVE_2023_5528, CVE_2024_10220, CVE_2024_9042, CVE_2025_1097, CVE_2025_1767,
} from '../../fixtures/triage/advisories.ts';
import { DAY, inventory, type InventorySpec } from '../../fixtures/triage/inventory.ts';

const calendar = loadBundledCalendar();

function run(advisories: Advisory[], inventories: ClusterInventory[], now: Date, cve?: string) {
  return triage({ advisories, inventories, calendar, now, ...(cve === undefined ? {} : { cve }) });
}

function finding(advisory: Advisory, spec: InventorySpec, now: Date, component = advisory.components[0] ?? ''): Finding {
  const result = run([advisory], [inventory(spec)], now);
  const f = result.findings.find((x) => x.component === component);
  if (!f) throw new Error(`no ${component} finding`);
  return f;
}

/** version, verdict, fixedTarget, upgradePath */
type Row = [string, Finding['verdict'], string | null, string[]];

describe('CVE-2023-2431 (kubelet) on 2023-06-15: every branch supported', () => {
  it.each<Row>([
    ['v1.27.0', 'affected', 'v1.27.2', []], // first affected
    ['v1.27.0-rc.1', 'affected', 'v1.27.2', []], // prerelease of a first affected
    ['v1.27.1', 'affected', 'v1.27.2', []], // last affected
    ['v1.27.2', 'not-affected', null, []], // first fixed
    ['v1.26.0', 'affected', 'v1.26.5', []],
    ['v1.26.4', 'affected', 'v1.26.5', []],
    ['v1.26.5', 'not-affected', null, []],
    ['v1.25.9', 'affected', 'v1.25.10', []],
    ['v1.25.10', 'not-affected', null, []],
    ['v1.24.0', 'affected', 'v1.24.14', []],
    ['v1.24.13', 'affected', 'v1.24.14', []],
    ['V1.24.14', 'not-affected', null, []],
    ['v1.23.17', 'affected', 'v1.24.14', ['1.24']], // older minor: past EOL, fix in nearest supported minor
    ['v1.22.3', 'affected', 'v1.24.14', ['1.23', '1.24']],
    ['v1.28.0', 'not-affected', null, []], // newer minor
    ['v1.27.1-eks-036c24b', 'affected', 'v1.27.2', []],
    ['v1.26.4+k3s1', 'affected', 'v1.26.5', []],
  ])('kubelet %s → %s %s %j', (version, verdict, target, path) => {
    const f = finding(CVE_2023_2431, { server: version, nodes: [version] }, DAY.jun2023);
    expect(f).toMatchObject({ advisory: 'CVE-2023-2431', cluster: 'prod-eu', component: 'kubelet', version, verdict, fixedTarget: target, upgradePath: path });
  });
});

describe('fixed targets against the release calendar', () => {
  it.each<[string, Advisory, string, Date, Finding['verdict'], string | null, string[], RegExp | null]>([
    // Same minor has the fix but is past EOL: say so, target the nearest supported minor (smallest fix there).
    ['1.27 today', CVE_2023_2431, 'v1.27.1', DAY.today, 'affected', 'v1.35.0', ['1.28', '1.29', '1.30', '1.31', '1.32', '1.33', '1.34', '1.35'],
      /v1\.27\.2 fixes this but 1\.27 is end-of-life since 2024-06-28/],
    ['1.28 after its EOL', CVE_2024_10220, 'v1.28.11', DAY.nov2024, 'affected', 'v1.29.7', ['1.29'],
      /v1\.28\.12 fixes this but 1\.28 is end-of-life since 2024-10-28/],
    // 1.25.16 came after 1.25's EOL (for this CVE): still end-of-life, so 1.26's fix is the target.
    ['post-EOL patch', CVE_2023_5528, 'v1.25.15', DAY.nov2023, 'affected', 'v1.26.11', ['1.26'],
      /v1\.25\.16 fixes this but 1\.25 is end-of-life since 2023-10-27/],
    ['EOL minor without a fix', CVE_2023_5528, 'v1.24.17', DAY.nov2023, 'affected', 'v1.26.11', ['1.25', '1.26'],
      /1\.24 is end-of-life since 2023-07-28 and has no fixed patch/],
    ['supported minor', CVE_2023_5528, 'v1.27.7', DAY.nov2023, 'affected', 'v1.27.8', [], null],
    ['before the first affected', CVE_2023_5528, 'v1.7.16', DAY.nov2023, 'not-affected', null, [], null],
    ['regression in x.y.0 only', CVE_2024_9042, 'v1.32.0', DAY.jan2025, 'affected', 'v1.32.1', [], null],
    ['unfixed everywhere', CVE_2025_1767, 'v1.35.2', DAY.today, 'unfixed', null, [], null],
  ])('%s: %s kubelet %s', (_name, advisory, version, now, verdict, target, path, note) => {
    const f = finding(advisory, { server: version, nodes: [version] }, now);
    expect(f).toMatchObject({ verdict, fixedTarget: target, upgradePath: path });
    if (note) expect(f.notes?.join('\n')).toMatch(note);
  });

  it('targets the smallest fixed patch of the later minor, not its latest', () => {
    const f = finding(CVE_2024_10220, { server: 'v1.29.11', nodes: ['v1.28.11'] }, DAY.nov2024);
    expect(f.fixedTarget).toBe('v1.29.7');
    expect(calendar.patches('1.29').filter((p) => p.date <= '2024-11-20').at(-1)?.version).toBe('1.29.11');
  });

  it('never proposes a patch released after `now`', () => {
    // On 2023-06-15, 1.27.2 (2023-05-17) exists but 1.27.3 (2023-06-14) is the newest; 1.28 does not exist yet.
    const f = finding(CVE_2023_2727, { server: 'v1.27.2' }, DAY.jun2023, 'kube-apiserver');
    expect(f.fixedTarget).toBe('v1.27.3');
  });
});

describe('managed clusters: upstream target, provider build in a note', () => {
  it.each([
    ['v1.29.4-eks-036c24b', 'eks', CVE_2024_10220, DAY.nov2024, 'kubelet', 'v1.29.7', 'EKS: roll nodes to an EKS-optimized AMI (or managed node group release) with kubelet v1.29.7 or later'],
    ['v1.30.5-gke.1014001', 'gke', CVE_2024_9042, DAY.jan2025, 'kubelet', 'v1.30.9', 'GKE: upgrade node pools to a GKE version based on v1.30.9 or later (v1.30.9-gke.N)'],
    ['v1.28.3+k3s1', 'k3s', CVE_2023_5528, DAY.nov2023, 'kubelet', 'v1.28.4', 'k3s: move to a k3s release v1.28.4+k3s1 or later'],
    ['v1.27.2-eks-036c24b', 'eks', CVE_2023_2727, DAY.jun2023, 'kube-apiserver', 'v1.27.3', 'EKS: move to an EKS platform version based on v1.27.3 or later'],
    ['v1.26.5-aks.1', 'aks', CVE_2023_2727, DAY.jun2023, 'kube-apiserver', 'v1.26.6', 'AKS: upgrade to an AKS patch version v1.26.6 or later'],
  ] as const)('%s (%s)', (version, provider, advisory, now, component, target, note) => {
    // Provider unknown to the inventory: guessed from the version strings.
    const f = finding(advisory, { server: version, nodes: [version], provider: 'unknown' }, now, component);
    expect(f.version).toBe(version);
    expect(f.fixedTarget).toBe(target);
    expect(f.notes).toContain(note);
  });

  it('a managed cluster past upstream EOL hears about the provider calendar', () => {
    const result = run([CVE_2023_2431], [inventory({ server: 'v1.27.1-eks-036c24b', provider: 'eks' })], DAY.today);
    const f = result.findings.find((x) => x.component === 'kubelet');
    expect(f?.fixedTarget).toBe('v1.35.0');
    // The provider's own calendar lists 1.27: the remediation states it, and no finding note guesses otherwise.
    expect(f?.notes?.some((n) => /may still support/.test(n))).toBe(false);
    expect(result.clusters[0]?.remediation?.provider?.note).toMatch(/^EKS .*1\.27/);
  });

  it('a managed cluster on a minor its provider\'s calendar does not list is told the provider may still support it', () => {
    const f = finding(CVE_2023_2431, { server: 'v1.19.11', provider: 'aks' }, DAY.today);
    expect(f.notes).toContain('AKS may still support 1.19 on its own (extended) support calendar; the target follows upstream support');
  });

  it('a self-managed cluster gets no provider note', () => {
    const f = finding(CVE_2023_2727, { server: 'v1.27.2' }, DAY.jun2023, 'kube-apiserver');
    expect(f.notes ?? []).toEqual([]);
  });
});

describe('node components are judged on every node', () => {
  const nodes = ['v1.27.1', 'v1.26.4', 'v1.26.5', 'v1.25.9', 'v1.25.9'];

  it('affected when any node is; version from the oldest affected node, target the highest any node needs', () => {
    const f = finding(CVE_2023_2431, { server: 'v1.27.1', nodes }, DAY.jun2023);
    expect(f).toMatchObject({ verdict: 'affected', version: 'v1.25.9', fixedTarget: 'v1.27.2', upgradePath: ['1.26', '1.27'] });
    expect(f.affectedNodes).toEqual(['n4', 'n5', 'n2', 'n1']);
    expect(f.reason).toMatch(/^4 of 5 nodes run an affected kubelet; oldest: v1\.25\.9 is affected/);
    expect(f.notes).toEqual([
      '1 node on v1.26.4 needs v1.26.5', '1 node on v1.27.1 needs v1.27.2',
      'target v1.27.2: the highest any affected node needs (2 nodes on v1.25.9 alone would need v1.25.10)',
    ]);
    expect(f.groups).toEqual([
      { version: 'v1.25.9', nodes: ['n4', 'n5'], verdict: 'affected', fixedTarget: 'v1.25.10', upgradePath: [] },
      { version: 'v1.26.4', nodes: ['n2'], verdict: 'affected', fixedTarget: 'v1.26.5', upgradePath: [] },
      { version: 'v1.26.5', nodes: ['n3'], verdict: 'not-affected', fixedTarget: null, upgradePath: [] },
      { version: 'v1.27.1', nodes: ['n1'], verdict: 'affected', fixedTarget: 'v1.27.2', upgradePath: [] },
    ]);
  });

  it('not affected when every node is fixed, even if the API server is not', () => {
    const f = finding(CVE_2023_2431, { server: 'v1.27.1', nodes: ['v1.27.2', 'v1.26.5', 'v1.24.14'] }, DAY.jun2023);
    expect(f).toMatchObject({ verdict: 'not-affected', version: 'v1.24.14', fixedTarget: null });
    expect(f.affectedNodes).toBeUndefined();
  });

  it('a kubelet three minors behind the API server is still judged on its own version', () => {
    const f = finding(CVE_2024_10220, { server: 'v1.31.2', nodes: ['v1.31.2', 'v1.28.11'] }, DAY.nov2024);
    expect(f).toMatchObject({ verdict: 'affected', version: 'v1.28.11', affectedNodes: ['n2'] });
    expect(f.groups?.map((g) => [g.version, g.verdict, g.fixedTarget, g.upgradePath])).toEqual([
      ['v1.28.11', 'affected', 'v1.29.7', ['1.29']],
      ['v1.31.2', 'not-affected', null, []],
    ]);
    // v1.29.7 would take the 1.31 node down: the cluster target is that node's own (fixed) version.
    expect(f).toMatchObject({ fixedTarget: 'v1.31.2', upgradePath: ['1.29', '1.30', '1.31'] });
    expect(f.notes).toContain("target v1.31.2: the newest node's version (not affected); a lower target would be a downgrade for 1 node on v1.31.2");
  });

  it('a node with an unreadable version makes an otherwise clean result unknown', () => {
    const f = finding(CVE_2023_2431, { server: 'v1.27.2', nodes: ['v1.27.2', 'garbage'] }, DAY.jun2023);
    expect(f.verdict).toBe('unknown');
    expect(f.reason).toMatch(/1 node reports an unreadable kubelet version \("garbage"\)/);
  });

  it('kube-proxy uses its own version when reported, else the kubelet one (noted)', () => {
    const reported = finding(CVE_2020_8558, {
      server: 'v1.18.4', nodes: [{ name: 'a', kubelet: 'v1.18.4', kubeProxy: 'v1.18.3' }],
    }, new Date('2020-07-10T00:00:00Z'), 'kube-proxy');
    expect(reported).toMatchObject({ verdict: 'affected', version: 'v1.18.3', fixedTarget: 'v1.18.4', affectedNodes: ['a'] });
    const assumed = finding(CVE_2020_8558, { server: 'v1.18.3', nodes: ['v1.18.3'] }, new Date('2020-07-10T00:00:00Z'), 'kube-proxy');
    expect(assumed.notes).toContain('kube-proxy version not reported; taken to be the kubelet version');
    const fromDaemonSet = finding(CVE_2020_8558, { server: 'v1.18.3', nodes: ['v1.18.3'], components: { 'kube-proxy': 'v1.18.4' } }, new Date('2020-07-10T00:00:00Z'), 'kube-proxy');
    expect(fromDaemonSet.verdict).toBe('not-affected');
  });

  it('both node components get a finding', () => {
    const result = run([CVE_2020_8558], [inventory({ server: 'v1.17.6' })], new Date('2020-07-10T00:00:00Z'));
    expect(result.findings.map((f) => [f.component, f.fixedTarget])).toEqual([['kubelet', 'v1.17.7'], ['kube-proxy', 'v1.17.7']]);
  });
});

describe('version skew', () => {
  it('a kubelet fix above the API server minor says to upgrade the control plane first', () => {
    const f = finding(CVE_2023_2431, { server: 'v1.27.1', nodes: ['v1.27.1'] }, DAY.today);
    expect(f.notes).toContain('kubelet must not be newer than kube-apiserver: upgrade the control plane first (1.27 → 1.28 → 1.29 → 1.30 → 1.31 → 1.32 → 1.33 → 1.34 → 1.35)');
  });

  it('an API server path warns about kubelets that would fall out of skew (2 minors below 1.25, 3 from 1.25)', () => {
    const f = finding(CVE_2023_2727, { server: 'v1.24.10', nodes: ['v1.24.10', 'v1.22.17', 'v1.22.17'] }, DAY.today, 'kube-apiserver');
    expect(f.upgradePath).toEqual(['1.25', '1.26', '1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33', '1.34', '1.35']);
    expect(f.notes).toEqual(expect.arrayContaining([
      expect.stringMatching(/^upgrade node components along the way: 2 nodes run kubelet 1\.22, outside the skew policy once kube-apiserver reaches 1\.25 \(kubelet\/kube-proxy at most 2 minors older\)/),
      expect.stringMatching(/^upgrade node components along the way: 1 node runs kubelet 1\.24, outside the skew policy once kube-apiserver reaches 1\.27/),
      'upgrade kube-controller-manager and kube-scheduler after each kube-apiserver minor (at most one minor older)',
    ]));
  });

  it('no skew note when the API server stays in its minor', () => {
    const f = finding(CVE_2023_2727, { server: 'v1.26.5', nodes: ['v1.24.3'] }, DAY.jun2023, 'kube-apiserver');
    expect(f.fixedTarget).toBe('v1.26.6');
    expect(f.notes ?? []).toEqual([]);
  });
});

describe('add-ons: their own version lines, no Kubernetes calendar', () => {
  it.each<[string, Finding['verdict'], string | null]>([
    ['v1.10.1', 'affected', 'v1.11.5'],
    ['v1.11.0', 'affected', 'v1.11.5'],
    ['v1.11.4', 'affected', 'v1.11.5'],
    ['v1.11.5', 'not-affected', null],
    ['v1.12.0', 'affected', 'v1.12.1'],
    ['v1.12.1', 'not-affected', null],
  ])('ingress-nginx %s → %s %s', (version, verdict, target) => {
    const f = finding(CVE_2025_1097, { components: { 'ingress-nginx': version } }, DAY.today);
    expect(f).toMatchObject({ component: 'ingress-nginx', version, verdict, fixedTarget: target, upgradePath: [] });
  });

  it.each([
    ['1.3.2', 'affected', 'v1.3.3'],
    ['v1.3.3', 'not-affected', null],
    ['v0.0.21', 'affected', 'v1.3.3'],
  ])('secrets-store-csi-driver %s → %s', (version, verdict, target) => {
    const f = finding(CVE_2023_2878, { components: { 'secrets-store-csi-driver': version } }, DAY.today);
    expect(f).toMatchObject({ verdict, fixedTarget: target });
  });

  it('clusters without the add-on get no finding', () => {
    const result = run([CVE_2025_1097], [inventory({ components: {} })], DAY.today);
    expect(result.findings).toEqual([]);
  });

  it('an add-on range without a fix is unfixed', () => {
    const noFix: Advisory = { ...CVE_2025_1097, id: 'CVE-TEST-ADDON', ranges: [{ component: 'ingress-nginx', introduced: null, lastAffected: null, fixed: null }] };
    expect(finding(noFix, { components: { 'ingress-nginx': 'v1.12.1' } }, DAY.today).verdict).toBe('unfixed');
  });
});

describe('unknown, with the reason', () => {
  it('low parse confidence', () => {
    const f = finding(CVE_2020_8554, { server: 'v1.35.2' }, DAY.today, 'kube-apiserver');
    expect(f).toMatchObject({ verdict: 'unknown', version: 'v1.35.2', fixedTarget: null });
    expect(f.reason).toBe("the advisory's versions could not be read with confidence: no affected versions found in the text");
  });

  it('no ranges for the component', () => {
    const a: Advisory = { ...CVE_2023_2431, id: 'CVE-TEST-NORANGE', components: ['kubelet', 'kube-apiserver'] };
    const f = finding(a, { server: 'v1.27.1' }, DAY.jun2023, 'kube-apiserver');
    expect(f.verdict).toBe('unknown');
    expect(f.reason).toBe('the advisory gives no affected versions for kube-apiserver');
  });

  it('an advisory naming no component', () => {
    const a: Advisory = { ...CVE_2023_2431, id: 'CVE-TEST-NOCOMP', components: [], ranges: [], componentSource: 'inferred' };
    const f = finding(a, { server: 'v1.27.1' }, DAY.jun2023, 'kubernetes');
    expect(f).toMatchObject({ verdict: 'unknown', reason: 'the advisory names no affected component' });
  });

  it.each<[string, Partial<Advisory>, string]>([
    ['the text says no Kubernetes component is affected', {}, 'not-affected'],
    ['… but its versions could not be read with confidence', { parse: { source: 'none', confidence: 'low', warnings: [] } }, 'unknown'],
    ['… in a placeholder', { placeholder: true }, 'unknown'],
  ])('no component, stated: %s', (_label, extra, verdict) => {
    const a: Advisory = { ...CVE_2023_2431, id: 'CVE-TEST-NOIMPACT', components: [], ranges: [], componentSource: 'stated', ...extra };
    const f = finding(a, { server: 'v1.27.1' }, DAY.jun2023, 'kubernetes');
    expect(f.verdict).toBe(verdict);
    if (verdict === 'not-affected') expect(f.reason).toMatch(/says no Kubernetes component is affected/);
  });

  it('a range that is not made of versions', () => {
    const a: Advisory = { ...CVE_2023_2431, id: 'CVE-TEST-BAD', ranges: [{ component: 'kubelet', introduced: 'master', lastAffected: null, fixed: null }] };
    expect(finding(a, { server: 'v1.27.1' }, DAY.jun2023).reason).toMatch(/is not made of versions/);
  });

  it('an unreadable server version', () => {
    const f = finding(CVE_2023_2727, { server: 'latest', nodes: [] }, DAY.jun2023, 'kube-apiserver');
    expect(f).toMatchObject({ verdict: 'unknown', version: 'latest', reason: '"latest" is not a version' });
  });

  it('kubectl runs on client machines: a client entry, never a cluster finding', () => {
    const result = run([CVE_2019_11251], [inventory({ server: 'v1.15.3', components: { kubectl: 'v1.15.3' } })], DAY.today);
    expect(result.findings.filter((f) => f.component === 'kubectl')).toEqual([]);
    expect(result.clients?.map((c) => c.component)).toEqual(['kubectl']);
  });

  it('controller-manager version not reported: judged at the API server version, noted', () => {
    const f = finding(CVE_2020_8555, { server: 'v1.17.4' }, new Date('2020-06-01T00:00:00Z'), 'kube-controller-manager');
    expect(f).toMatchObject({ verdict: 'affected', version: 'v1.17.4', fixedTarget: 'v1.17.5' });
    expect(f.notes).toContain('kube-controller-manager version not reported; assumed to match kube-apiserver');
  });

  it('a failed inventory without versions makes every component unknown, add-ons included', () => {
    const inv = inventory({ server: null, nodes: [], error: { code: 'CLUSTER_UNREACHABLE', message: 'connect ECONNREFUSED', at: '2026-11-22T09:00:00Z' } });
    const result = run([CVE_2023_2431, CVE_2025_1097], [inv], DAY.today);
    expect(result.findings.map((f) => [f.component, f.verdict, f.reason])).toEqual([
      ['kubelet', 'unknown', 'inventory unavailable (CLUSTER_UNREACHABLE: connect ECONNREFUSED)'],
      ['ingress-nginx', 'unknown', 'inventory unavailable (CLUSTER_UNREACHABLE: connect ECONNREFUSED)'],
    ]);
    expect(result.clusters[0]).toMatchObject({ inventoryError: 'CLUSTER_UNREACHABLE: connect ECONNREFUSED', server: null, minor: null, supported: null });
  });

  it('a failed inventory with cached versions is judged, with a note', () => {
    const inv = inventory({ server: 'v1.27.1', source: 'cached', error: { code: 'CLUSTER_TIMEOUT', message: 'timed out', at: '2026-11-22T09:00:00Z' } });
    const f = run([CVE_2023_2431], [inv], DAY.jun2023).findings[0];
    expect(f?.verdict).toBe('affected');
    expect(f?.notes?.at(-1)).toMatch(/versions from an earlier read .*the last read failed: CLUSTER_TIMEOUT/);
  });
});

describe('cluster posture', () => {
  it('flags a cluster on an EOL minor even when no advisory affects it', () => {
    const result = run([], [inventory({ cluster: 'legacy', server: 'v1.24.10' })], DAY.today);
    expect(result.findings).toEqual([]);
    expect(result.clusters).toEqual([expect.objectContaining({
      cluster: 'legacy', server: 'v1.24.10', minor: '1.24', eol: '2023-07-28', supported: false, inventoryError: null,
      inventoryAge: '1 h ago', source: 'live',
    })]);
  });

  it.each([
    ['v1.35.2', true, null, []],
    ['v1.34.11', false, '2026-10-27', ['1.34 is end-of-life since 2026-10-27']],
    ['v1.37.1', null, null, ['release data (as of 2026-08-20) does not know 1.37 yet']],
    // EKS's own calendar lists 1.29: the cluster's remediation says what it says (no "may still support").
    ['v1.29.4-eks-036c24b', false, '2025-02-28', ['1.29 is end-of-life since 2025-02-28']],
    // AKS's calendar in the release data starts at 1.21: only the generic note can be given.
    ['v1.19.11', false, '2021-10-28', ['1.19 is end-of-life since 2021-10-28', 'AKS may still support 1.19 on its own (extended) support calendar; the target follows upstream support']],
  ] as const)('%s on 2026-11-22 → supported %s, eol %s', (server, supported, eol, notes) => {
    const provider = server.includes('-eks-') ? 'eks' : server === 'v1.19.11' ? 'aks' : 'unknown';
    const c = run([], [inventory({ server, provider })], DAY.today).clusters[0];
    expect(c).toMatchObject({ supported, eol, notes });
  });

  it('notes kubelets out of skew and on EOL minors, and inventory warnings', () => {
    const c = run([], [inventory({ server: 'v1.35.2', nodes: ['v1.35.2', 'v1.31.4', 'v1.34.1'], warnings: ['pods forbidden in kube-system'] })], DAY.today).clusters[0];
    expect(c?.notes).toEqual([
      '1 node runs kubelet 1.31, outside the skew policy with kube-apiserver 1.35',
      '1 node runs kubelet 1.31, end-of-life since 2025-11-11',
      '1 node runs kubelet 1.34, end-of-life since 2026-10-27',
      'inventory: pods forbidden in kube-system',
    ]);
  });

  it('a minor newer than the release data knows is assumed supported, with a note', () => {
    const f = finding({ ...CVE_2023_2431, id: 'CVE-TEST-FUTURE', ranges: [{ component: 'kubelet', introduced: '1.37.0', lastAffected: '1.37.1', fixed: '1.37.2' }] },
      { server: 'v1.37.1' }, DAY.today);
    expect(f).toMatchObject({ verdict: 'affected', fixedTarget: 'v1.37.2', upgradePath: [] });
    expect(f.notes).toContain('release data (as of 2026-08-20) does not know 1.37 yet; assumed supported');
  });
});

describe('the run', () => {
  const fleet = [
    inventory({ cluster: 'staging', environment: 'staging', server: 'v1.27.0' }),
    inventory({ cluster: 'prod-us', server: 'v1.26.4', components: { 'ingress-nginx': 'v1.11.2' } }),
    inventory({ cluster: 'legacy', server: 'v1.24.10' }),
  ];

  it('orders findings by advisory, then cluster name, then component', () => {
    const result = run([CVE_2023_2431, CVE_2025_1097, CVE_2020_8558], fleet, DAY.jun2023);
    expect(result.findings.map((f) => `${f.advisory} ${f.cluster} ${f.component}`)).toEqual([
      'CVE-2023-2431 legacy kubelet', 'CVE-2023-2431 prod-us kubelet', 'CVE-2023-2431 staging kubelet',
      'CVE-2025-1097 prod-us ingress-nginx',
      'CVE-2020-8558 legacy kubelet', 'CVE-2020-8558 legacy kube-proxy',
      'CVE-2020-8558 prod-us kubelet', 'CVE-2020-8558 prod-us kube-proxy',
      'CVE-2020-8558 staging kubelet', 'CVE-2020-8558 staging kube-proxy',
    ]);
    expect(result.clusters.map((c) => c.cluster)).toEqual(['legacy', 'prod-us', 'staging']);
  });

  it('is deterministic whatever the inventory order', () => {
    const a = run(ALL_FIXTURE_ADVISORIES, fleet, DAY.today);
    const b = run(ALL_FIXTURE_ADVISORIES, [...fleet].reverse(), DAY.today);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('filters by CVE id or alias, case-insensitively', () => {
    const result = run(ALL_FIXTURE_ADVISORIES, fleet, DAY.today, 'cve-2023-2728');
    expect(result.advisories.map((a) => a.id)).toEqual(['CVE-2023-2727']);
    expect(new Set(result.findings.map((f) => f.advisory))).toEqual(new Set(['CVE-2023-2727']));
  });

  it('warns when the CVE is not in the feed, and when release data is stale', () => {
    const result = run(ALL_FIXTURE_ADVISORIES, fleet, DAY.today, 'CVE-1999-0001');
    expect(result.findings).toEqual([]);
    expect(result.warnings).toEqual([
      'release data as of 2026-08-20 is 94 days old (over 30): newer minors, patches and changed support dates may be missing',
      'no advisory CVE-1999-0001 in the feed',
    ]);
    expect(result.releaseData).toEqual({ asOf: '2026-08-20', source: 'bundled', stale: true });
  });

  it('no stale warning while the data is fresh', () => {
    expect(run([], fleet, new Date('2026-08-25T00:00:00Z')).warnings).toEqual([]);
  });

  it('warns about duplicate cluster names', () => {
    expect(run([], [fleet[0] as ClusterInventory, fleet[0] as ClusterInventory], DAY.today).warnings).toContain('cluster staging appears more than once in the inventory');
  });

  it('an advisory that affects nobody still yields not-affected findings per cluster', () => {
    const result = run([CVE_2022_3294], fleet, DAY.today);
    expect(result.findings.map((f) => f.verdict)).toEqual(['not-affected', 'not-affected', 'not-affected']);
    expect(result.findings[0]?.reason).toBe('v1.24.10 is outside the affected versions (1.25.0–1.25.3, 1.24.0–1.24.7, 1.23.0–1.23.13, ≤ 1.22.15)');
  });

  it('findings serialise to the DESIGN contract fields', () => {
    const f = run([CVE_2023_2431], [fleet[0] as ClusterInventory], DAY.jun2023).findings[0];
    expect(Object.keys(f ?? {})).toEqual(expect.arrayContaining(['advisory', 'cluster', 'component', 'version', 'verdict', 'fixedTarget', 'upgradePath', 'reason']));
  });
});

describe('omitNotAffected', () => {
  it('leaves not-affected findings out and keeps the rest', () => {
    const fleet = [inventory({ cluster: 'a', server: 'v1.27.1' }), inventory({ cluster: 'b', server: 'v1.27.2' })];
    const result = triage({ advisories: [CVE_2023_2431], inventories: fleet, calendar, now: DAY.jun2023, omitNotAffected: true });
    expect(result.findings.map((f) => [f.cluster, f.verdict])).toEqual([['a', 'affected']]);
    expect(result.clusters).toHaveLength(2);
  });
});
