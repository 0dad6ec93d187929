/**
 * triage() shares work across clusters: verdicts per plan × version id, finding templates per
 * plan × version × cluster facts, interned note lists, reasons per version × node counts, and it
 * walks the fleet cluster by cluster. None of that may change an answer: a fleet triaged at once
 * must equal each cluster triaged on its own (where nothing can be shared), finding for finding.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterInventory } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import type { Finding, TriageResult } from '../../../src/triage/types.ts';
import { ALL_FIXTURE_ADVISORIES } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory, type InventorySpec } from '../../fixtures/triage/inventory.ts';

const calendar = loadBundledCalendar();

const failed = { code: 'ETIMEDOUT', message: 'no answer in 10 s', at: '2026-11-22T09:00:00.000Z' };

/** Signatures several clusters share (same versions and node counts, other names). */
const SHARED: InventorySpec[] = [
  { server: 'v1.27.1', nodes: ['v1.27.1', 'v1.27.1', 'v1.26.4', 'v1.25.9'] },
  { server: 'v1.27.1-eks-036c24b', provider: 'eks', nodes: ['v1.27.1-eks-036c24b', 'v1.24.13-eks-036c24b'], components: { 'ingress-nginx': 'v1.11.4' } },
  { server: 'v1.30.5-gke.1014001', provider: 'gke', nodes: ['v1.30.5-gke.1014001', 'v1.28.11-gke.1000', 'v1.28.11-gke.1000'] },
  { server: 'v1.28.3+k3s1', provider: 'unknown', nodes: ['v1.28.3+k3s1'], components: { 'kube-controller-manager': 'v1.28.3', kubectl: 'v1.30.0' } },
  { server: 'v1.26.4', nodes: ['v1.26.4', 'v1.26.4'], error: failed, source: 'cached', collectedAt: '2026-11-20T09:00:00.000Z' },
  // Mixed OS: Windows-only advisories are judged on a subset of the nodes.
  { server: 'v1.30.8', nodes: [{ name: 'l', kubelet: 'v1.30.8', os: 'linux' }, { name: 'w1', kubelet: 'v1.29.12', os: 'windows' }, { name: 'w2', kubelet: 'v1.30.8', os: 'windows' }] },
];

/** Every version of a few minors: one cluster with very many node versions. */
const MANY = ['1.24', '1.25', '1.26', '1.27'].flatMap((m) => calendar.patches(m).map((p) => `v${p.version}`));

const UNIQUE: InventorySpec[] = [
  { server: 'v1.27.2', nodes: ['v1.27.2', 'garbage'] },
  { server: 'v1.29.4', nodes: [{ name: 'a', kubelet: 'v1.29.4', kubeProxy: 'v1.28.2' }, { name: 'b', kubelet: 'v1.29.4', kubeProxy: null }] },
  { server: 'v1.29.4', nodes: ['v1.29.4'], components: { 'kube-proxy': 'v1.27.0' } },
  { server: null, nodes: ['v1.25.3'] },
  { server: null, nodes: [], components: {}, error: failed },
  { server: null, nodes: [], components: {} },
  { server: 'v1.32.0', nodes: [] },
  { server: 'v1.35.2', nodes: ['v1.35.2', 'v1.32.0', 'v1.31.0-rc.1'], provider: 'aks' },
  { server: 'v1.37.1', nodes: ['v1.37.1'] },
  { server: 'v1.22.3', nodes: ['v1.22.3', 'v1.20.15'], provider: 'openshift' },
  { server: 'v1.28.11', nodes: MANY.slice(0, 12) },
  { server: 'v1.28.11', nodes: MANY },
  { server: 'not-a-version', nodes: ['v1.27.1'], components: { 'secrets-store-csi-driver': 'v1.3.3', 'csi-driver-nfs': 'v4.1.0' } },
  { server: 'v1.27.1', nodes: ['v1.27.1'], components: { 'ingress-nginx': 'bad', 'kube-apiserver': 'v1.27.0' } },
  { server: 'v1.27.1', nodes: ['v1.27.1', 'v1.27.1', 'v1.26.4', 'v1.25.9', 'v1.25.9'], error: failed, source: 'cached' },
  { server: 'v1.30.8', nodes: ['v1.30.8', 'v1.29.12'], os: ['linux'], unseenAddons: { reason: 'pods outside kube-system are not listable', needs: 'list pods' } },
  { server: 'v1.30.8', nodes: [{ name: 'w', kubelet: 'v1.30.8', os: 'windows' }, { name: 'x', kubelet: 'v1.28.1' }], os: ['linux', 'windows'] },
];

/** 53 clusters: 36 on the six shared signatures, 17 unique; names not in sorted order. */
function fleet(): ClusterInventory[] {
  const out: ClusterInventory[] = [];
  for (let i = 0; i < 36; i++) {
    const spec = SHARED[i % SHARED.length] as InventorySpec;
    const nodes = (spec.nodes ?? []).map((n, j) => (typeof n === 'string' ? { name: `s${i}-n${j}`, kubelet: n } : n));
    out.push(inventory({ ...spec, nodes, cluster: `shared-${String((i * 11) % 36).padStart(2, '0')}`, environment: i % 2 === 0 ? 'prod' : 'staging' }));
  }
  UNIQUE.forEach((spec, i) => out.push(inventory({ ...spec, cluster: `unique-${String(16 - i).padStart(2, '0')}`, environment: 'dev' })));
  return out;
}

/** The straightforward evaluation: each cluster alone, reassembled in triage's order. */
function perCluster(inventories: ClusterInventory[], now: Date, omitNotAffected: boolean): Pick<TriageResult, 'findings' | 'clusters'> {
  const sorted = [...inventories].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  // A Date of its own per call, and no session: this reference shares nothing.
  const alone = sorted.map((inv) => triage({ advisories: ALL_FIXTURE_ADVISORIES, inventories: [inv], calendar, now: new Date(now.getTime()), omitNotAffected }));
  const findings: Finding[] = [];
  for (const advisory of ALL_FIXTURE_ADVISORIES) {
    for (const r of alone) findings.push(...r.findings.filter((f) => f.advisory === advisory.id));
  }
  return { findings, clusters: alone.flatMap((r) => r.clusters) };
}

describe('fleet triage equals per-cluster triage', () => {
  const inventories = fleet();

  it('has the mix it claims', () => {
    expect(inventories).toHaveLength(53);
    expect(new Set(inventories.map((i) => i.cluster)).size).toBe(53);
  });

  it.each([
    ['2023-06-15', DAY.jun2023, false],
    ['2024-11-20', DAY.nov2024, false],
    ['today', DAY.today, false],
    ['today, omitNotAffected', DAY.today, true],
  ] as const)('%s', (_name, now, omitNotAffected) => {
    const whole = triage({ advisories: ALL_FIXTURE_ADVISORIES, inventories, calendar, now, omitNotAffected });
    const expected = perCluster(inventories, now, omitNotAffected);
    expect(whole.findings.length).toBeGreaterThan(omitNotAffected ? 300 : 500);
    expect(new Set(whole.findings.map((f) => f.verdict))).toEqual(new Set(omitNotAffected ? ['affected', 'unfixed', 'unknown'] : ['affected', 'not-affected', 'unfixed', 'unknown']));
    expect(whole.findings).toStrictEqual(expected.findings);
    expect(whole.clusters).toStrictEqual(expected.clusters);
    // Same key order too: JSON output is byte for byte the same.
    expect(JSON.stringify(whole.findings)).toBe(JSON.stringify(expected.findings));
  });

  it('clusters with the same facts share strings and arrays, and those are frozen', () => {
    const whole = triage({ advisories: ALL_FIXTURE_ADVISORIES, inventories, calendar, now: DAY.today });
    const single = whole.findings.filter((f) => f.cluster.startsWith('shared-') && f.component !== 'kubelet' && f.component !== 'kube-proxy' && f.notes !== undefined);
    const noteArrays = new Set(single.map((f) => f.notes));
    expect(single.length).toBeGreaterThan(2 * noteArrays.size);
    for (const notes of noteArrays) expect(Object.isFrozen(notes)).toBe(true);
    const reasons = whole.findings.filter((f) => f.cluster.startsWith('shared-') && f.component === 'kubelet' && f.verdict === 'affected');
    expect(reasons.length).toBeGreaterThan(new Set(reasons.map((f) => f.reason)).size);
  });
});
