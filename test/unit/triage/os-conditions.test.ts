/**
 * Advisories limited to one operating system (issue 8, item 1): judged only where such nodes run.
 * Fixtures: CVE-2024-9042's real version facts with a Windows-only condition, live-looking
 * inventories (nodes with `os`) and static ones built from config (`nodes[].os`, `os:`).
 */
import { describe, expect, it } from 'vitest';
import type { AdvisoryCondition } from '../../../src/advisory/types.ts';
import type { ClusterConfig } from '../../../src/config/schema.ts';
import { staticInventory } from '../../../src/inventory/static.ts';
import type { ClusterInventory } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { advisory, CVE_2024_9042 } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

const calendar = loadBundledCalendar();

function kubeletFinding(inv: ClusterInventory, a = CVE_2024_9042): Finding {
  const f = triage({ advisories: [a], inventories: [inv], calendar, now: DAY.jan2025 }).findings.find((x) => x.component === 'kubelet');
  if (!f) throw new Error('no kubelet finding');
  return f;
}

function withOs(nodes: [name: string, kubelet: string, os: string | undefined][], extra: Partial<ClusterInventory> = {}): ClusterInventory {
  const inv = inventory({ server: 'v1.31.4', nodes: nodes.map(([name, kubelet]) => ({ name, kubelet })) });
  inv.nodes = inv.nodes.map((n, i) => {
    const os = nodes[i]?.[2];
    return os === undefined ? n : { ...n, os };
  });
  return { ...inv, ...extra };
}

function staticCluster(extra: Partial<ClusterConfig>): ClusterInventory {
  return staticInventory({ name: 'legacy', environment: 'prod', versions: { kubernetes: 'v1.31.4' }, ...extra }, DAY.jan2025);
}

describe('a Windows-only advisory (CVE-2024-9042 facts) on 1.31.4 kubelets', () => {
  it.each<[string, () => ClusterInventory, Finding['verdict'], RegExp, string[] | null]>([
    ['every node linux', () => withOs([['a', 'v1.31.4', 'linux'], ['b', 'v1.31.4', 'linux']]), 'not-affected',
      /^not affected: the advisory affects only Windows nodes, and no node runs Windows \(2 nodes: linux\)$/, null],
    ['OS of the nodes unknown', () => withOs([['a', 'v1.31.4', undefined]]), 'affected',
      /; only if the cluster has Windows nodes/, ['a']],
    ['one node of two unknown, none windows', () => withOs([['a', 'v1.31.4', 'linux'], ['b', 'v1.31.4', undefined]]), 'affected',
      /only if the cluster has Windows nodes/, ['a', 'b']],
    ['a windows node among linux nodes', () => withOs([['l1', 'v1.31.4', 'linux'], ['w1', 'v1.31.4', 'windows']]), 'affected',
      /^1 of 1 node runs an affected kubelet; .*judged on the 1 Windows node only/, ['w1']],
    ['static os: [linux]', () => staticCluster({ os: ['linux'] }), 'not-affected',
      /no node runs Windows/, null],
    ['static os: [linux, windows], nodes not told apart', () => staticCluster({ os: ['linux', 'windows'] }), 'affected',
      /which nodes run Windows is not known, so every node was judged/, ['(all nodes)']],
    ['static nodes[].os', () => staticCluster({ nodes: [{ name: 'l1', os: 'linux' }, { name: 'w1', os: 'windows', kubelet: 'v1.31.5' }] }), 'not-affected',
      /outside the affected versions/, null],
    ['static nodes[].os, the windows node affected', () => staticCluster({ nodes: [{ name: 'l1', os: 'linux', kubelet: 'v1.31.5' }, { name: 'w1', os: 'windows' }] }), 'affected',
      /judged on the 1 Windows node only/, ['w1']],
  ])('%s → %s', (_label, make, verdict, reason, nodes) => {
    const f = kubeletFinding(make());
    expect(f.verdict).toBe(verdict);
    expect(f.reason).toMatch(reason);
    if (nodes) expect(f.affectedNodes).toEqual(nodes);
    if (verdict === 'not-affected') expect(f.fixedTarget).toBeNull();
  });

  it('a Windows node on another version than the linux nodes is judged on its own version', () => {
    const f = kubeletFinding(withOs([['l1', 'v1.30.8', 'linux'], ['w1', 'v1.31.4', 'windows']]));
    expect(f).toMatchObject({ verdict: 'affected', version: 'v1.31.4', fixedTarget: 'v1.31.5', affectedNodes: ['w1'] });
    // The linux node on the (otherwise affected) v1.30.8 is no part of it.
    expect(f.reason).toMatch(/^1 of 1 node runs/);
  });

  it('a linux-only advisory is not affected on a Windows-only cluster', () => {
    const linuxOnly = advisory({
      id: 'CVE-TEST-LINUX', title: 'linux-only test advisory', components: ['kubelet'],
      conditions: [{ kind: 'os', value: 'linux', text: 'Only Linux nodes are affected.' }],
      ranges: [['kubelet', null, '1.31.4', '1.31.5']],
    });
    const f = kubeletFinding(staticCluster({ os: ['windows'] }), linuxOnly);
    expect(f).toMatchObject({ verdict: 'not-affected', fixedTarget: null });
    expect(f.reason).toMatch(/affects only Linux nodes/);
  });

  it.each<[string, () => ClusterInventory, Finding['verdict'], RegExp]>([
    ['Windows nodes present', () => withOs([['l1', 'v1.31.4', 'linux'], ['w1', 'v1.31.4', 'windows']]), 'affected', /; the cluster has Windows nodes \(the advisory affects only Windows nodes\)$/],
    ['no Windows node', () => withOs([['l1', 'v1.31.4', 'linux']]), 'not-affected', /^not affected: the advisory affects only Windows nodes/],
    ['OS unknown', () => withOs([['a', 'v1.31.4', undefined]]), 'affected', /; only if the cluster has Windows nodes/],
  ])('a cluster-wide component of a Windows-only advisory: %s → %s', (_label, make, verdict, reason) => {
    const apiserver = advisory({
      id: 'CVE-TEST-WIN-API', title: 'Windows-only test advisory on the API server', components: ['kube-apiserver'], conditions: [CVE_2024_9042.conditions[0] as AdvisoryCondition],
      ranges: [['kube-apiserver', '1.31.0', '1.31.4', '1.31.5']],
    });
    const f = triage({ advisories: [apiserver], inventories: [make()], calendar, now: DAY.jan2025 }).findings[0];
    expect(f?.verdict).toBe(verdict);
    expect(f?.reason).toMatch(reason);
  });

  it('an advisory without conditions is judged on every node whatever their OS', () => {
    const plain = { ...CVE_2024_9042, id: 'CVE-TEST-PLAIN', conditions: [] };
    const f = kubeletFinding(withOs([['a', 'v1.31.4', 'linux']]), plain);
    expect(f).toMatchObject({ verdict: 'affected', fixedTarget: 'v1.31.5' });
    expect(f.reason).not.toMatch(/Windows/);
  });
});
