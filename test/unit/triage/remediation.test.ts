import { describe, expect, it } from 'vitest';
import type { Advisory, AffectedRange, FixState } from '../../../src/advisory/types.ts';
import type { ClusterInventory, ClusterProvider } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { createReleaseCalendar } from '../../../src/releases/calendar.ts';
import { recommendedText, remediate, remediationLines } from '../../../src/triage/remediation.ts';
import { triage } from '../../../src/triage/triage.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

// Our own advisories on today's minors (bundled calendar: 1.34.11, 1.35.8, 1.36.4 are the latest patches).
function adv(id: string, ranges: [string, string | null, string | null, string | null][], extra: Partial<Advisory> = {}): Advisory {
  const r: AffectedRange[] = ranges.map(([component, introduced, lastAffected, fixed]) => ({ component, introduced, lastAffected, fixed }));
  const fixState: FixState = r.some((x) => x.fixed !== null) ? 'available' : 'pending';
  return {
    id, aliases: [], title: id, url: `https://example.invalid/${id}`, externalUrl: null, published: null, status: 'fixed',
    severity: { rating: 'high', score: 8, vector: null }, components: [...new Set(r.map((x) => x.component))], ranges: r,
    unfixed: fixState !== 'available', fixState, conditions: [], componentSource: 'stated', placeholder: false,
    vulnerableIf: null, mitigation: null, contentHash: id, parse: { source: 'prose', confidence: 'high', warnings: [] }, ...extra,
  };
}

const API = adv('CVE-2026-0001', [['kube-apiserver', '1.36.0', '1.36.0', '1.36.1'], ['kube-apiserver', '1.35.0', '1.35.2', '1.35.3'], ['kube-apiserver', null, '1.34.9', '1.34.10']]);
const KUBELET = adv('CVE-2026-0002', [['kubelet', '1.36.0', '1.36.1', '1.36.2'], ['kubelet', '1.35.0', '1.35.4', '1.35.5'], ['kubelet', null, '1.34.9', '1.34.10']]);
const PROXY = adv('CVE-2026-0003', [['kube-proxy', '1.35.0', '1.35.6', '1.35.7'], ['kube-proxy', null, '1.34.9', '1.34.10']]);
/** Fixed only from 1.36 on: the whole 1.35 line stays affected. */
const ONLY_136 = adv('CVE-2026-0004', [['kube-apiserver', null, '1.35.x', null], ['kube-apiserver', '1.36.0', '1.36.2', '1.36.3']]);
const WONT_FIX = adv('CVE-2026-0005', [['kubelet', null, null, null]], { fixState: 'none', mitigation: 'Reject gitRepo volumes with a ValidatingAdmissionPolicy.' });
const PENDING = adv('CVE-2026-0006', [['kubelet', null, null, null]], { fixState: 'pending', mitigation: 'Restrict node access.' });
const ADDON = adv('CVE-2026-0007', [['ingress-nginx', null, '1.11.4', '1.11.5']]);
const LOW = adv('CVE-2026-0008', [], { components: ['kube-apiserver'], parse: { source: 'prose', confidence: 'low', warnings: ['no affected versions found'] } });

const calendar = loadBundledCalendar();
const now = DAY.today;

function cluster(name: string, server: string, provider: ClusterProvider = 'kubeadm', extra: Partial<ClusterInventory> = {}): ClusterInventory {
  return { ...inventory({ cluster: name, server, provider, source: 'static' }), ...extra };
}

function run(advisories: Advisory[], inventories: ClusterInventory[]) {
  const result = triage({ advisories, inventories, calendar, now });
  const map = remediate({ findings: result.findings, inventories, advisories: result.advisories, calendar, now, clusters: result.clusters });
  return { result, map };
}

describe('remediate: one version per cluster across every open advisory', () => {
  it.each([
    // name, server, advisories, target, path, clears
    ['own minor: the latest patch clears all three', 'v1.35.2', [API, KUBELET, PROXY], 'v1.35.8', [], ['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003']],
    ['one behind, end of life: each hop with its latest patch', 'v1.33.5', [API, KUBELET, PROXY], 'v1.35.8', [{ minor: '1.34', version: '1.34.11' }, { minor: '1.35', version: '1.35.8' }], ['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003']],
    ['a fix only in a later minor moves the whole target there', 'v1.35.2', [API, ONLY_136], 'v1.36.4', [{ minor: '1.36', version: '1.36.4' }], ['CVE-2026-0001', 'CVE-2026-0004']],
    ['upstream-EOL 1.34 on kubeadm goes to 1.35', 'v1.34.9', [API], 'v1.35.8', [{ minor: '1.35', version: '1.35.8' }], ['CVE-2026-0001']],
  ] as const)('%s', (_name, server, advisories, target, path, clears) => {
    const { map } = run([...advisories], [cluster('c', server)]);
    const r = map.get('c');
    expect(r?.target).toBe(target);
    expect(r?.path).toEqual(path);
    expect(r?.clears).toEqual(clears);
    expect(r?.remains).toEqual([]);
  });

  it('says "all N open advisories" and the hops in the summary', () => {
    const { map } = run([API, KUBELET, PROXY], [cluster('a', 'v1.35.2'), cluster('b', 'v1.33.5')]);
    expect(map.get('a')?.summary).toBe('v1.35.2 → v1.35.8 clears all 3 open advisories');
    expect(map.get('b')?.summary).toBe('v1.33.5 → v1.35.8 in 2 minor hops (1.33 → 1.34 → 1.35) clears all 3 open advisories');
    expect(recommendedText(map.get('a')!)).toBe('recommended v1.35.8 (clears all 3 open advisories)');
  });

  it('an end-of-life cluster many minors behind: how many hops, and that replacing it may be the realistic path', () => {
    const { map } = run([API], [cluster('old', 'v1.29.4')]);
    const r = map.get('old');
    expect(r?.target).toBe('v1.35.8');
    expect(r?.path.map((s) => s.minor)).toEqual(['1.30', '1.31', '1.32', '1.33', '1.34', '1.35']);
    expect(r?.summary).toMatch(/in 6 minor hops/);
    expect(r?.summary).toMatch(/1\.29 is end of life since 2025-02-28: 6 upgrades one minor at a time, so replacing the cluster with a new 1\.35 cluster may be the realistic path/);
  });

  it.each([
    ['no fix will be released', WONT_FIX, 'no fix will be released: mitigate', 'Reject gitRepo volumes with a ValidatingAdmissionPolicy.'],
    ['no fix yet', PENDING, 'no fix released yet (one may come): mitigate meanwhile', 'Restrict node access.'],
    ['an add-on on its own version line', ADDON, 'ingress-nginx v1.11.2 → v1.11.5: upgrade the add-on itself', null],
  ] as const)('what remains: %s', (_name, extra, reason, mitigation) => {
    const { map } = run([API, extra], [cluster('c', 'v1.35.2', 'kubeadm', { components: { 'ingress-nginx': 'v1.11.2' } })]);
    const r = map.get('c');
    expect(r?.target).toBe('v1.35.8');
    expect(r?.clears).toEqual(['CVE-2026-0001']);
    expect(r?.remains).toEqual([{ advisory: extra.id, reason, mitigation }]);
    expect(r?.summary).toBe(`v1.35.2 → v1.35.8 clears 1 advisory; 1 advisory remains (${extra.id})`);
  });

  it('an advisory that cannot be judged remains as unknown with the reason', () => {
    const { map } = run([LOW], [cluster('c', 'v1.35.2')]);
    const r = map.get('c');
    expect(r?.target).toBeNull();
    expect(r?.remains[0]?.reason).toMatch(/^unknown: the advisory's versions could not be read with confidence/);
    expect(r?.summary).toBe('no Kubernetes upgrade is known to clear what is open: 1 advisory remains (CVE-2026-0008)');
  });

  it('only add-ons and advisories without a fix open: says an upgrade is not what clears them', () => {
    const { map } = run([ADDON, WONT_FIX], [cluster('c', 'v1.35.2', 'kubeadm', { components: { 'ingress-nginx': 'v1.11.2' } })]);
    const r = map.get('c');
    expect(r?.target).toBeNull();
    expect(r?.summary).toBe('no Kubernetes upgrade is known to clear what is open: 2 advisories remain (CVE-2026-0005, CVE-2026-0007)');
    expect(r?.remains.map((x) => x.reason)).toEqual(['no fix will be released: mitigate', 'ingress-nginx v1.11.2 → v1.11.5: upgrade the add-on itself']);
  });

  it('a clean cluster has nothing to do', () => {
    const { map } = run([API], [cluster('c', 'v1.36.4')]);
    expect(map.get('c')).toEqual({ target: null, path: [], clears: [], remains: [], summary: 'nothing to do: no open advisory affects this cluster' });
  });

  it('nodes behind a patched API server: the target is the server version itself', () => {
    const inv = cluster('c', 'v1.35.8', 'kubeadm', { nodes: [{ name: 'n1', kubelet: 'v1.35.4', kubeProxy: null }] });
    const { map } = run([KUBELET], [inv]);
    expect(map.get('c')?.target).toBe('v1.35.8');
    expect(map.get('c')?.summary).toBe("upgrade the nodes to the API server's v1.35.8: clears 1 advisory");
  });

  it('clusters of the same shape share one answer (read-only)', () => {
    const { map } = run([API, KUBELET], [cluster('a', 'v1.35.2'), cluster('b', 'v1.35.2'), cluster('c', 'v1.33.5')]);
    expect(map.get('a')).toBe(map.get('b'));
    expect(map.get('a')).not.toBe(map.get('c'));
  });

  it('the same answers whatever order the inventories come in', () => {
    const inventories = [cluster('a', 'v1.35.2'), cluster('b', 'v1.33.5'), cluster('c', 'v1.29.4'), cluster('d', 'v1.36.4')];
    const result = triage({ advisories: [API, KUBELET, PROXY], inventories, calendar, now });
    const inOrder = remediate({ findings: result.findings, inventories, advisories: result.advisories, calendar, now });
    const reversed = remediate({ findings: result.findings, inventories: [...inventories].reverse(), advisories: result.advisories, calendar, now });
    for (const c of ['a', 'b', 'c', 'd']) expect(reversed.get(c)).toEqual(inOrder.get(c));
    expect(inOrder.get('c')?.target).toBe('v1.35.8');
  });

  it('an unreadable cluster gets no version, only what remains unknown', () => {
    const inv = { ...inventory({ cluster: 'gone', server: null, nodes: [] }), error: { code: 'CLUSTER_UNREACHABLE', message: 'refused', at: '2026-11-22T09:00:00Z' } };
    const { map } = run([API, KUBELET], [inv]);
    expect(map.get('gone')).toEqual({
      target: null, path: [], clears: [], remains: [],
      summary: "the cluster's versions could not be read (CLUSTER_UNREACHABLE): no remediation until it can be read",
    });
  });

  it('a cluster with add-ons but no known Kubernetes version says so', () => {
    const inv = { ...cluster('addons', 'v1.35.2', 'kubeadm', { components: { 'ingress-nginx': 'v1.11.2' } }), server: null, nodes: [] };
    const { map } = run([ADDON], [inv]);
    expect(map.get('addons')?.summary).toBe('cluster version unknown: 1 advisory remains (CVE-2026-0007)');
    expect(map.get('addons')?.remains[0]?.reason).toBe('ingress-nginx v1.11.2 → v1.11.5: upgrade the add-on itself');
  });
});

describe('remediate: managed clusters follow their provider calendar', () => {
  it('EKS keeps 1.34 in standard support until 2026-12-02 while upstream 1.34 is end of life: the target stays in 1.34', () => {
    expect(calendar.isSupported('1.34', now)).toBe(false);
    const { map } = run([API, KUBELET], [cluster('eks', 'v1.34.9-eks-abc1234', 'eks'), cluster('kubeadm', 'v1.34.9')]);
    const eks = map.get('eks');
    expect(eks?.target).toBe('v1.34.11');
    expect(eks?.path).toEqual([]);
    expect(eks?.provider).toMatchObject({ name: 'EKS', build: '1.34-eks-27', supported: true, supportEnds: '2026-12-02' });
    expect(eks?.provider?.note).toBe('EKS supports 1.34 until 2026-12-02 (upstream 1.34 is end of life since 2026-10-27); look for EKS 1.34 build 1.34-eks-27 or later, based on v1.34.11 or later');
    // The same versions self-managed follow upstream support: on to 1.35.
    expect(map.get('kubeadm')?.target).toBe('v1.35.8');
    expect(map.get('kubeadm')?.provider).toBeUndefined();
  });

  it('after 2026-12-02 EKS 1.34 is in extended support and the target moves to 1.35', () => {
    const later = new Date('2026-12-10T10:00:00Z');
    const inventories = [cluster('eks', 'v1.34.9-eks-abc1234', 'eks')];
    const result = triage({ advisories: [API], inventories, calendar, now: later });
    const r = remediate({ findings: result.findings, inventories, advisories: [API], calendar, now: later, clusters: result.clusters }).get('eks');
    expect(r?.target).toBe('v1.35.8');
    expect(r?.provider).toMatchObject({ supported: true, supportEnds: '2027-12-02', build: '1.35-eks-17' });
    expect(r?.provider?.note).toMatch(/^EKS 1\.34 is in extended support until 2027-12-02 \(standard support ended 2026-12-02\)/);
  });

  it('GKE: names the build to look for, and says when the newest known build is older than the target', () => {
    const { map } = run([API, PROXY], [cluster('gke', 'v1.35.2-gke.100', 'gke')]);
    const r = map.get('gke');
    expect(r?.target).toBe('v1.35.8');
    expect(r?.provider?.build).toBe('1.35.7-gke.1222000');
    expect(r?.provider?.note).toMatch(/look for a GKE 1\.35 build based on v1\.35\.8 or later \(newest known: 1\.35\.7-gke\.1222000, older: check the release notes\)/);
  });

  it('OpenShift: the provider cycle is named with its Kubernetes minor', () => {
    const { map } = run([API], [cluster('ocp', 'v1.35.1', 'openshift')]);
    expect(map.get('ocp')?.provider?.note).toMatch(/OpenShift supports 4\.22 \(Kubernetes 1\.35\) until 2027-12-31; look for OpenShift 4\.22 \(Kubernetes 1\.35\) build 4\.22\.9 or later/);
  });

  it('release data without provider calendars (an older snapshot): upstream support decides, and the note says why', () => {
    const { providers: _dropped, ...data } = calendar.data();
    const upstreamOnly = createReleaseCalendar(data);
    const inventories = [cluster('eks', 'v1.34.9-eks-abc1234', 'eks')];
    const result = triage({ advisories: [API], inventories, calendar: upstreamOnly, now });
    const r = remediate({ findings: result.findings, inventories, advisories: [API], calendar: upstreamOnly, now, clusters: result.clusters }).get('eks');
    expect(r?.target).toBe('v1.35.8');
    expect(r?.provider).toMatchObject({ name: 'EKS', build: null, supported: null });
    expect(r?.provider?.note).toMatch(/^no EKS calendar in the release data; look for an EKS 1\.35 version based on v1\.35\.8 or later$/);
  });

  it('renders as text lines', () => {
    const { map } = run([API, WONT_FIX], [cluster('eks', 'v1.34.9-eks-abc1234', 'eks')]);
    const lines = remediationLines('eks', map.get('eks')!);
    expect(lines[0]).toBe('eks: v1.34.9 → v1.34.11 clears 1 advisory; 1 advisory remains (CVE-2026-0005)');
    expect(lines).toContain('  remains CVE-2026-0005: no fix will be released: mitigate — mitigation: Reject gitRepo volumes with a ValidatingAdmissionPolicy.');
  });
});

describe('triage() sets clusters[].remediation', () => {
  it('on every cluster posture', () => {
    const inventories = [cluster('a', 'v1.35.2'), cluster('b', 'v1.36.4')];
    const result = triage({ advisories: [API, KUBELET], inventories, calendar, now });
    expect(result.clusters.find((c) => c.cluster === 'a')?.remediation?.target).toBe('v1.35.8');
    expect(result.clusters.find((c) => c.cluster === 'b')?.remediation?.summary).toBe('nothing to do: no open advisory affects this cluster');
  });
});
