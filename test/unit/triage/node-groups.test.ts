/**
 * Node components on static clusters and mixed node pools (issue 8, items 2 and 3): kube-proxy is
 * judged per node like the kubelet, each node-version group gets its own target, and no target,
 * the cluster's included, is ever below a node's current version.
 */
import { describe, expect, it } from 'vitest';
import semver from 'semver';
import type { ClusterConfig } from '../../../src/config/schema.ts';
import { staticInventory } from '../../../src/inventory/static.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { advisory, CVE_2020_8558, CVE_2023_2431 } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

const calendar = loadBundledCalendar();
const JUL_2020 = new Date('2020-07-10T00:00:00Z');

function staticFindings(c: Partial<ClusterConfig>, now: Date, advisories = [CVE_2020_8558]): Finding[] {
  const inv = staticInventory({ name: 'legacy', environment: 'prod', ...c }, now);
  return triage({ advisories, inventories: [inv], calendar, now }).findings;
}

const bare = (v: string) => semver.coerce(v)?.version ?? v;

describe('kube-proxy on static clusters is judged per node (CVE-2020-8558 facts, 2020-07-10)', () => {
  it.each<[string, Partial<ClusterConfig>, string, Finding['verdict'], string | null]>([
    // The example: the nodes run 1.17.6 although the control plane is 1.18.4.
    ['versions.kubelet counts as the nodes\' kubelet', { versions: { kubernetes: 'v1.18.4', kubelet: 'v1.17.6' } }, 'v1.17.6', 'affected', 'v1.17.7'],
    ['versions.kube-proxy wins over the kubelet', { versions: { kubernetes: 'v1.18.4', kubelet: 'v1.17.6', 'kube-proxy': 'v1.17.7' } }, 'v1.17.7', 'not-affected', null],
    ['nodes[].kubeProxy wins', { versions: { kubernetes: 'v1.18.4' }, nodes: [{ name: 'a', kubelet: 'v1.18.4', kubeProxy: 'v1.18.3' }] }, 'v1.18.3', 'affected', 'v1.18.4'],
    ['else the node\'s kubelet', { versions: { kubernetes: 'v1.18.4' }, nodes: [{ name: 'a', kubelet: 'v1.16.9' }] }, 'v1.16.9', 'affected', 'v1.16.11'],
    ['a node without kubelet takes versions.kubelet', { versions: { kubernetes: 'v1.18.4', kubelet: 'v1.18.2' }, nodes: [{ name: 'a' }] }, 'v1.18.2', 'affected', 'v1.18.4'],
    ['everything on one fixed version', { versions: { kubernetes: 'v1.18.4' } }, 'v1.18.4', 'not-affected', null],
  ])('%s', (_label, c, version, verdict, target) => {
    const proxy = staticFindings(c, JUL_2020).find((f) => f.component === 'kube-proxy');
    expect(proxy).toMatchObject({ version, verdict, fixedTarget: target });
    expect(proxy?.notes ?? []).not.toContain('kube-proxy version not reported; taken to be the kubelet version');
  });
});

describe('mixed node pools: one target per node-version group, none a downgrade', () => {
  // Our own advisory on two current minors: 1.35.0–1.35.3 fixed in 1.35.4; 1.36.0–1.36.1 fixed in 1.36.2.
  const twoMinors = advisory({
    id: 'CVE-TEST-POOLS', title: 'kubelet test advisory on two minors', components: ['kubelet'],
    ranges: [['kubelet', '1.36.0', '1.36.1', '1.36.2'], ['kubelet', '1.35.0', '1.35.3', '1.35.4']],
  });

  it.each<[string, string[], string, string, [string, string | null][]]>([
    ['the issue\'s example: 1.35.1 and 1.36.0', ['v1.35.1', 'v1.36.0'], 'v1.35.1', 'v1.36.2', [['v1.35.1', 'v1.35.4'], ['v1.36.0', 'v1.36.2']]],
    ['newer node not affected', ['v1.35.1', 'v1.36.3'], 'v1.35.1', 'v1.36.3', [['v1.35.1', 'v1.35.4'], ['v1.36.3', null]]],
    ['older node not affected', ['v1.34.9', 'v1.35.2'], 'v1.35.2', 'v1.35.4', [['v1.34.9', null], ['v1.35.2', 'v1.35.4']]],
    ['same minor, two patches', ['v1.35.0', 'v1.35.3'], 'v1.35.0', 'v1.35.4', [['v1.35.0', 'v1.35.4'], ['v1.35.3', 'v1.35.4']]],
  ])('%s', (_label, kubelets, version, target, groups) => {
    const inv = inventory({ server: 'v1.36.3', nodes: kubelets });
    const f = triage({ advisories: [twoMinors], inventories: [inv], calendar, now: DAY.today }).findings.find((x) => x.component === 'kubelet');
    expect(f).toMatchObject({ verdict: 'affected', version, fixedTarget: target });
    expect(f?.groups?.map((g) => [g.version, g.fixedTarget])).toEqual(groups);
    for (const node of kubelets) expect(semver.gte(bare(target), bare(node)), `${target} ≥ ${node}`).toBe(true);
    for (const g of f?.groups ?? []) {
      if (g.fixedTarget !== null) expect(semver.gt(bare(g.fixedTarget), bare(g.version)), `${g.fixedTarget} > ${g.version}`).toBe(true);
    }
  });

  it('a cluster on one version has no groups', () => {
    const f = triage({ advisories: [twoMinors], inventories: [inventory({ server: 'v1.36.0', nodes: ['v1.36.0', 'v1.36.0'] })], calendar, now: DAY.today }).findings[0];
    expect(f).toMatchObject({ fixedTarget: 'v1.36.2' });
    expect(f?.groups).toBeUndefined();
  });

  it('groups name their nodes; the cluster target explains why it is not the oldest node\'s', () => {
    const inv = inventory({ server: 'v1.27.1', nodes: [{ name: 'old', kubelet: 'v1.26.4' }, { name: 'new', kubelet: 'v1.27.1' }] });
    const f = triage({ advisories: [CVE_2023_2431], inventories: [inv], calendar, now: DAY.jun2023 }).findings[0];
    expect(f?.groups).toEqual([
      { version: 'v1.26.4', nodes: ['old'], verdict: 'affected', fixedTarget: 'v1.26.5', upgradePath: [] },
      { version: 'v1.27.1', nodes: ['new'], verdict: 'affected', fixedTarget: 'v1.27.2', upgradePath: [] },
    ]);
    expect(f?.notes).toContain('target v1.27.2: the highest any affected node needs (1 node on v1.26.4 alone would need v1.26.5)');
  });
});
