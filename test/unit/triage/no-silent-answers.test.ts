/**
 * Answers that must not be silent or over-confident (issue 8, items 4–7 and 9): add-ons the
 * inventory could not see, guessed components, clients and libraries, unreadable clusters, and
 * "no fix will be released" kept apart from "no fix yet". Fixtures are our own advisories with
 * real version facts (test/fixtures/triage/advisories.ts).
 */
import { describe, expect, it } from 'vitest';
import { CORE_COMPONENTS, type Advisory } from '../../../src/advisory/types.ts';
import type { ClusterInventory } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { formatTriageText } from '../../../src/triage/format-text.ts';
import { triage } from '../../../src/triage/triage.ts';
import { advisory, CVE_2019_11251, CVE_2023_2431, CVE_2025_1097, CVE_2025_1767 } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

const calendar = loadBundledCalendar();
const run = (advisories: Advisory[], inventories: ClusterInventory[], now: Date = DAY.today) => triage({ advisories, inventories, calendar, now });

describe('add-ons the inventory could not see (item 4)', () => {
  const unseen = { reason: 'pods outside kube-system are not listable', needs: 'list pods in all namespaces' };

  it.each<[string, Partial<ClusterInventory>, string | null]>([
    ['not seen: unknown, naming the permission', { unseenAddons: unseen }, 'unknown'],
    ['seen and absent: no finding', {}, null],
  ])('%s', (_label, extra, verdict) => {
    const result = run([CVE_2025_1097], [{ ...inventory({ server: 'v1.35.2' }), ...extra }]);
    const f = result.findings.find((x) => x.component === 'ingress-nginx');
    if (verdict === null) {
      expect(f).toBeUndefined();
      return;
    }
    expect(f).toMatchObject({ verdict, version: null, fixedTarget: null });
    expect(f?.reason).toBe('whether ingress-nginx is installed is not known: pods outside kube-system are not listable (needs list pods in all namespaces)');
  });

  it('an installed add-on is judged even when others could not be seen', () => {
    const inv = { ...inventory({ server: 'v1.35.2', components: { 'ingress-nginx': 'v1.12.0' } }), unseenAddons: unseen };
    expect(run([CVE_2025_1097], [inv]).findings[0]).toMatchObject({ verdict: 'affected', fixedTarget: 'v1.12.1' });
  });
});

describe('guessed components (item 5)', () => {
  const guessed = advisory({
    id: 'CVE-TEST-GUESS', title: 'an advisory that names no component', components: [...CORE_COMPONENTS], componentSource: 'assumed',
    ranges: CORE_COMPONENTS.map((c) => [c, '1.35.0', '1.35.3', '1.35.4'] as [string, string, string, string]),
  });

  it.each(CORE_COMPONENTS.filter((c) => c !== 'kubectl'))('%s: unknown, showing the guess', (component) => {
    const f = run([guessed], [inventory({ server: 'v1.35.2', components: { kubectl: 'v1.35.2' } })]).findings.find((x) => x.component === component);
    expect(f).toMatchObject({ verdict: 'unknown', fixedTarget: null });
    expect(f?.reason).toMatch(/^the advisory names no component; assuming every core component: kube-apiserver, kubelet, kube-proxy, kube-controller-manager, kube-scheduler, kubectl/);
  });

  it('the same ranges, stated, give a verdict', () => {
    const stated = { ...guessed, id: 'CVE-TEST-STATED', componentSource: 'stated' as const };
    const f = run([stated], [inventory({ server: 'v1.35.2' })]).findings.find((x) => x.component === 'kube-apiserver');
    expect(f).toMatchObject({ verdict: 'affected', fixedTarget: 'v1.35.4' });
  });
});

describe('clients and libraries are not cluster components (item 6)', () => {
  const clientGo = advisory({
    id: 'CVE-TEST-CLIENTGO', title: 'client-go test advisory', components: ['client-go', 'kube-apiserver'],
    ranges: [['client-go', null, null, '0.30.4'], ['kube-apiserver', '1.35.0', '1.35.3', '1.35.4']],
  });
  const kubectlNoFix = advisory({
    id: 'CVE-TEST-KUBECTL', title: 'kubectl test advisory', components: ['kubectl'], unfixed: true, fixState: 'none',
    ranges: [['kubectl', null, null, null]],
  });

  it.each<[string, Advisory, { component: string; summary: string; fixed: string[]; fixState: string }[]]>([
    ['kubectl single versions (CVE-2019-11251 facts)', CVE_2019_11251, [{
      component: 'kubectl', fixState: 'available', fixed: ['v1.13.11', 'v1.14.7', 'v1.15.4'],
      summary: 'workstations running kubectl v1.15.3, v1.14.6, v1.13.10; fixed in v1.13.11, v1.14.7, v1.15.4',
    }]],
    ['client-go beside a server component', clientGo, [{
      component: 'client-go', fixState: 'available', fixed: ['v0.30.4'], summary: 'programs built with client-go < v0.30.4; fixed in v0.30.4',
    }]],
    ['kubectl, no fix will be released', kubectlNoFix, [{
      component: 'kubectl', fixState: 'none', fixed: [], summary: 'workstations running kubectl all versions; no fix will be released: mitigate',
    }]],
  ])('%s', (_label, a, clients) => {
    const result = run([a], [inventory({ server: 'v1.35.2', components: { kubectl: 'v1.35.2' } })]);
    expect(result.clients).toEqual(clients.map((c) => ({ advisory: a.id, ...c })));
    expect(result.findings.filter((f) => clients.some((c) => c.component === f.component))).toEqual([]);
  });

  it('a client-only advisory makes no cluster finding at all, not even "not affected"', () => {
    expect(run([CVE_2019_11251], [inventory({ server: 'v1.15.3' })], new Date('2019-09-01T00:00:00Z')).findings).toEqual([]);
  });

  it('the text output has its own section', () => {
    const text = formatTriageText(run([CVE_2019_11251, CVE_2023_2431], [inventory({ server: 'v1.27.1' })], DAY.jun2023));
    expect(text).toContain('Clients and libraries (not cluster components):');
    expect(text).toMatch(/CVE-2019-11251 {2}workstations running kubectl v1\.15\.3/);
    expect(text).not.toMatch(/CVE-2019-11251[^\n]*\n[^\n]*prod-eu/);
  });
});

describe('unreadable clusters (item 7)', () => {
  const unreachable = inventory({ cluster: 'gone', server: null, nodes: [], error: { code: 'CLUSTER_UNREACHABLE', message: 'connect ECONNREFUSED 10.0.0.1:6443', at: '2026-11-22T09:00:00Z' } });

  it('unknown everywhere, readable: false, add-ons included', () => {
    const result = run([CVE_2023_2431, CVE_2025_1097], [unreachable, inventory({ cluster: 'ok', server: 'v1.35.2' })]);
    const gone = result.findings.filter((f) => f.cluster === 'gone');
    expect(gone.map((f) => [f.advisory, f.component, f.verdict])).toEqual([
      ['CVE-2023-2431', 'kubelet', 'unknown'], ['CVE-2025-1097', 'ingress-nginx', 'unknown'],
    ]);
    for (const f of gone) expect(f.reason).toBe('inventory unavailable (CLUSTER_UNREACHABLE: connect ECONNREFUSED 10.0.0.1:6443)');
    expect(result.clusters.map((c) => [c.cluster, c.readable])).toEqual([['gone', false], ['ok', true]]);
  });

  it('a cached read is still readable (its versions are used, with a note)', () => {
    const cached = inventory({ cluster: 'cached', server: 'v1.35.2', source: 'cached', error: { code: 'CLUSTER_TIMEOUT', message: 'timed out', at: '2026-11-22T09:00:00Z' } });
    expect(run([CVE_2023_2431], [cached]).clusters[0]?.readable).toBe(true);
  });

  it('text output counts it apart from affected clusters', () => {
    const text = formatTriageText(run([CVE_2023_2431], [unreachable]));
    expect(text).toMatch(/0 of 1 finding affected; 1 cluster could not be read/);
    expect(text).toMatch(/Clusters that could not be read \(every verdict unknown\):\n {2}gone/);
  });
});

describe('"no fix will be released" vs "no fix yet" (item 9)', () => {
  const pending = { ...CVE_2025_1767, id: 'CVE-TEST-PENDING', fixState: 'pending' as const };

  it.each<[string, Advisory, RegExp, RegExp]>([
    ['won\'t be fixed (CVE-2025-1767 facts)', CVE_2025_1767, /; no fix will be released: mitigate$/, /no fix will be released: mitigate \(unfixed\)/],
    ['no fix yet', pending, /; no fix yet \(one may come/, /no fix yet \(unfixed\)/],
  ])('%s', (_label, a, reason, text) => {
    const result = run([a], [inventory({ server: 'v1.35.2' })]);
    const f = result.findings[0];
    expect(f).toMatchObject({ verdict: 'unfixed', fixedTarget: null });
    expect(f?.reason).toMatch(reason);
    expect(formatTriageText(result)).toMatch(text);
  });
});

describe('a fix still to come is not taken from a later patch (closed ranges, no fixed versions)', () => {
  // Affected up to the patch before the advisory; the bundled calendar has later patches of every minor.
  const closed = (fixState: Advisory['fixState']) => advisory({
    id: `CVE-TEST-CLOSED-${fixState}`, title: 'closed ranges', components: ['kube-apiserver'], fixState,
    ranges: [['kube-apiserver', '1.35.0', '1.35.1', null], ['kube-apiserver', '1.34.0', '1.34.2', null], ['kube-apiserver', null, '1.33.4', null]],
  });

  it.each<[Advisory['fixState'], string, Partial<Record<'verdict' | 'fixedTarget', string | null>>]>([
    // The advisory says fixes exist: the first released patch past the range is the fix.
    ['available', 'v1.35.1', { verdict: 'affected', fixedTarget: 'v1.35.2' }],
    ['available', 'v1.33.0', { verdict: 'affected', fixedTarget: 'v1.35.2' }], // 1.33 and 1.34 are end of life by then
    // A fix is announced, not out: no released patch is known to carry it.
    ['pending', 'v1.35.1', { verdict: 'unfixed', fixedTarget: null }],
    ['pending', 'v1.33.0', { verdict: 'unfixed', fixedTarget: null }],
    ['none', 'v1.34.1', { verdict: 'unfixed', fixedTarget: null }],
    // Outside the ranges stays not affected whatever the fix state.
    ['pending', 'v1.35.2', { verdict: 'not-affected', fixedTarget: null }],
  ])('%s, cluster %s', (fixState, server, want) => {
    const f = run([closed(fixState)], [inventory({ server })]).findings.find((x) => x.component === 'kube-apiserver');
    expect(f).toMatchObject(want);
  });
});
