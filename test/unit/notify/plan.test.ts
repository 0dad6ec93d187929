import { describe, expect, it } from 'vitest';
import { digestMessage, worstFirst, type DigestEntry } from '../../../src/notify/digest.ts';
import { renderHash, timeless } from '../../../src/notify/hash.ts';
import { type PlanMode, type PreviousPost, affectedClusters, planDeliveries } from '../../../src/notify/plan.ts';
import { PAGE_FINDINGS, createFindingRouter, createRouting, decodeFindings, pageJson } from '../../../src/notify/routing.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { advisory, finding, testConfig } from '../slack/fixtures.ts';

const config = testConfig();
const routing = createRouting(config);
const A = 'CVE-2099-10001';
const adv = advisory(A);

/** prod-eu (C0PROD) affected, prod-us (C0PROD) not, stage-1 (C0STAGE) as given. */
function triageOf(stage1: Finding['verdict'], extra: Finding[] = []) {
  return {
    advisories: [adv],
    findings: [
      finding(A, 'prod-eu', 'prod'),
      finding(A, 'prod-us', 'prod', { verdict: 'not-affected', fixedTarget: null, version: 'v1.29.4-eks-036c24b' }),
      finding(A, 'stage-1', 'staging', { verdict: stage1, version: 'v1.28.2', fixedTarget: stage1 === 'not-affected' ? null : 'v1.28.4' }),
      ...extra,
    ],
  };
}

const posted = (hash: string | null, rev = 0): PreviousPost => ({ state: 'posted', hash, rev });
const posts = (entries: [string, PreviousPost][]) => new Map([[A, new Map(entries)]]);

describe('routing', () => {
  it('maps each cluster through its configured environment, else the finding\'s, with the default channel as fallback', () => {
    expect(routing.channels).toEqual(['C0PROD', 'C0STAGE']);
    expect(routing.channelOf({ cluster: 'prod-eu', environment: 'ignored' })).toBe('C0PROD');
    expect(routing.channelOf({ cluster: 'not-in-config', environment: 'qa' })).toBe('C0SEC');
    expect(createRouting({ slack: { ...config.slack, channels: {} }, clusters: config.clusters }).channelOf({ cluster: 'prod-eu', environment: 'prod' })).toBeNull();
  });

  it('groups a run advisory → channel in one pass, keeping unrouted findings apart', () => {
    const router = createFindingRouter(createRouting({ slack: { ...config.slack, channels: { prod: 'C0PROD' } }, clusters: config.clusters }));
    router.add(triageOf('affected').findings);
    router.seal();
    expect([...(router.byAdvisory.get(A)?.keys() ?? [])]).toEqual(['C0PROD']);
    expect(decodeFindings(router.byAdvisory.get(A)?.get('C0PROD') ?? { pages: [] }).map((f) => f.cluster)).toEqual(['prod-eu', 'prod-us']);
    expect([...(router.byAdvisory.get(A)?.get('C0PROD')?.affected ?? [])]).toEqual(['prod-eu']);
    expect(decodeFindings(router.unrouted.get(A) ?? { pages: [] }).map((f) => f.cluster)).toEqual(['stage-1']);
  });

  it('keeps a large share encoded in pages of at most PAGE_FINDINGS, in the order added, whatever the slices', () => {
    const many = Array.from({ length: PAGE_FINDINGS * 2 + 7 }, (_, i) => finding(A, i % 2 === 0 ? 'prod-eu' : 'prod-us', 'prod', { version: `v1.27.${i}` }));
    const whole = createFindingRouter(routing);
    whole.add(many);
    whole.seal();
    const sliced = createFindingRouter(routing);
    for (let i = 0; i < many.length; i += 333) sliced.add(many.slice(i, i + 333));
    sliced.seal();
    const a = whole.byAdvisory.get(A)?.get('C0PROD');
    const b = sliced.byAdvisory.get(A)?.get('C0PROD');
    expect(a?.pages.map((p) => (JSON.parse(pageJson(p)) as unknown[]).length)).toEqual([PAGE_FINDINGS, PAGE_FINDINGS, 7]);
    expect(b?.pages.map(pageJson)).toEqual(a?.pages.map(pageJson));
    expect(decodeFindings(b ?? { pages: [] }).map((f) => f.version)).toEqual(many.map((f) => f.version));
    expect(b?.digest.digest()).toBe(a?.digest.digest());
  });
});

describe('planDeliveries', () => {
  const channelHash = (stage1: Finding['verdict'], channel: string) =>
    planDeliveries(new Map(), triageOf(stage1), routing).advisories[0]?.view.channels.get(channel)?.hash ?? '';

  it.each<{ name: string; stage1: Finding['verdict']; previous: [string, PreviousPost][]; mode?: PlanMode; expected: [string, string | null][] }>([
    { name: 'new advisory: every channel with an affected cluster, first posts', stage1: 'affected', previous: [], expected: [['C0PROD', null], ['C0STAGE', null]] },
    { name: 'unknown counts as relevant', stage1: 'unknown', previous: [], expected: [['C0PROD', null], ['C0STAGE', null]] },
    { name: 'a channel with only not-affected clusters gets nothing', stage1: 'not-affected', previous: [], expected: [['C0PROD', null]] },
    { name: 'a thread showing this state already gets nothing', stage1: 'affected', previous: [['C0PROD', posted('P')], ['C0STAGE', posted('S')]], expected: [] },
    { name: 'a thread whose clusters are no longer affected is updated', stage1: 'not-affected', previous: [['C0PROD', posted('P')], ['C0STAGE', posted('old', 2)]], expected: [['C0STAGE', 'old-r2']] },
    { name: 'a released claim is delivered again under a new job id', stage1: 'affected', previous: [['C0PROD', posted('P')], ['C0STAGE', { state: 'released', hash: null, rev: 0, releases: 1 }]], expected: [['C0STAGE', 'released-1']] },
    { name: 'first run: nothing per advisory (one digest per channel instead)', stage1: 'affected', previous: [], mode: { kind: 'backlog', known: 44 }, expected: [] },
  ])('$name', ({ stage1, previous, mode, expected }) => {
    const prev = previous.map(([c, p]) => [c, p.hash === 'P' ? posted(channelHash(stage1, 'C0PROD')) : p.hash === 'S' ? posted(channelHash(stage1, 'C0STAGE')) : p] as [string, PreviousPost]);
    const plan = planDeliveries(posts(prev), triageOf(stage1), routing, mode);
    const deliveries = plan.deliveries.filter((d) => d.kind === 'deliver').map((d) => [d.channel, d.from]);
    expect(deliveries).toEqual(expected);
  });

  it('first run: one digest per channel that receives clusters, M counting only that channel\'s affected advisories', () => {
    const other = advisory('CVE-2099-10002', { severity: { rating: 'critical', score: 9.8, vector: null } });
    const plan = planDeliveries(new Map(), {
      advisories: [adv, other],
      findings: [...triageOf('not-affected').findings, finding(other.id, 'prod-eu', 'prod'), finding(other.id, 'stage-1', 'staging', { verdict: 'not-affected' })],
    }, routing, { kind: 'backlog', known: 44 });
    const digests = plan.deliveries.filter((d) => d.kind === 'digest');
    expect(digests.map((d) => [d.channel, d.digest.known, d.digest.entries.map((e) => e.id)])).toEqual([
      ['C0PROD', 44, [A, other.id]],
      ['C0STAGE', 44, []],
    ]);
  });

  it('fleet re-triage: posts where a cluster is newly affected (also a backlog advisory), updates threads, nothing else', () => {
    const first = planDeliveries(new Map(), triageOf('affected'), routing, { kind: 'backlog', known: 1 }).advisories[0];
    const previous = new Map([[A, { hash: first?.view.hash ?? '', affected: new Set(['prod-eu', 'stage-1']) }]]);
    // Same fleet: the backlog advisory is not announced merely because the fleet was read again.
    const same = planDeliveries(new Map(), triageOf('affected'), routing, { kind: 'retriage', previous });
    expect(same.advisories[0]?.changed).toBe(false);
    expect(same.deliveries).toEqual([]);
    // prod-us becomes affected: C0PROD gets its first post of this advisory; C0STAGE (unchanged) nothing.
    const upgraded = triageOf('affected');
    upgraded.findings[1] = finding(A, 'prod-us', 'prod', { version: 'v1.27.2' });
    const next = planDeliveries(new Map(), upgraded, routing, { kind: 'retriage', previous });
    expect(next.advisories[0]?.changed).toBe(true);
    expect(next.advisories[0]?.view.newChannels).toEqual(['C0PROD']);
    expect(next.deliveries.map((d) => [d.kind, d.channel])).toEqual([['deliver', 'C0PROD']]);
    // A run that died after storing that view: its retry (same hash) still owes C0PROD the post.
    const stored = new Map([[A, { hash: next.advisories[0]?.view.hash ?? '', affected: affectedClusters(upgraded.findings), newChannels: ['C0PROD'] }]]);
    expect(planDeliveries(new Map(), upgraded, routing, { kind: 'retriage', previous: stored }).deliveries.map((d) => d.channel)).toEqual(['C0PROD']);
  });

  it('after Redis lost its data, an advisory known only from Slack keeps its threads up to date and is posted nowhere new', () => {
    const recovered: PlanMode = { kind: 'feed', recovered: new Set([A]) };
    // Listed in a digest only: no thread anywhere, so nothing is posted.
    expect(planDeliveries(new Map(), triageOf('affected'), routing, recovered).deliveries).toEqual([]);
    // A thread found in C0STAGE: that one is refreshed, C0PROD (affected, no thread) gets nothing.
    const plan = planDeliveries(posts([['C0STAGE', posted(null)]]), triageOf('affected'), routing, recovered);
    expect(plan.deliveries.map((d) => [d.kind, d.channel])).toEqual([['deliver', 'C0STAGE']]);
    // Another advisory of the same poll is news as ever.
    const other = advisory('CVE-2099-10003');
    const both = planDeliveries(new Map(), { advisories: [adv, other], findings: [...triageOf('affected').findings, finding(other.id, 'prod-eu', 'prod')] }, routing, recovered);
    expect(both.deliveries.map((d) => [d.kind === 'deliver' ? d.advisory : '', d.channel])).toEqual([[other.id, 'C0PROD']]);
  });

  it('an advisory unknown to the store is left to the feed poll', () => {
    expect(planDeliveries(new Map(), triageOf('affected'), routing, { kind: 'retriage', previous: new Map() }).deliveries).toEqual([]);
  });
});

describe('render hash', () => {
  const base = [finding(A, 'prod-eu', 'prod', { notes: ['versions from an earlier read (2026-11-30T10:00:00.000Z); the last read failed: CLUSTER_TIMEOUT'] })];

  it.each([
    { name: 'an instant in a note', other: 'versions from an earlier read (2026-11-30T11:05:00.000Z); the last read failed: CLUSTER_TIMEOUT', same: true },
    { name: 'the same read given as an age', other: 'versions from an earlier read (read 3 h ago); the last read failed: CLUSTER_TIMEOUT', same: false },
    { name: 'the failure in a note', other: 'versions from an earlier read (2026-11-30T10:00:00.000Z); the last read failed: CLUSTER_FORBIDDEN', same: false },
  ])('$name → same hash: $same', ({ other, same }) => {
    const a = renderHash(adv, base);
    const b = renderHash(adv, [{ ...(base[0] as Finding), notes: [other] }]);
    expect(a === b).toBe(same);
  });

  it('ignores the reason sentence and the run time, follows verdict, version, target and advisory text', () => {
    const h = renderHash(adv, base);
    expect(renderHash(adv, [{ ...(base[0] as Finding), reason: 'reworded' }])).toBe(h);
    expect(renderHash(adv, [{ ...(base[0] as Finding), fixedTarget: 'v1.27.4' }])).not.toBe(h);
    expect(renderHash(adv, [{ ...(base[0] as Finding), version: 'v1.27.2' }])).not.toBe(h);
    expect(renderHash({ ...adv, status: 'open' }, base)).not.toBe(h);
    expect(renderHash({ ...adv, published: '2030-01-01T00:00:00Z' }, base)).toBe(h);
  });

  it('an age moving on is not a change', () => {
    const at = (age: string) => renderHash(adv, [finding(A, 'prod-eu', 'prod', { notes: [`inventory read ${age}`] })]);
    expect(at('12 min ago')).toBe(at('3 h ago'));
    expect(at('just now')).toBe(at('2 d ago'));
  });

  it('keeps dates that are facts (end of life) and masks "just now"', () => {
    expect(timeless('1.27 is end-of-life since 2024-06-28')).toBe('1.27 is end-of-life since 2024-06-28');
    expect(timeless('read just now, 12 min ago, at 2026-11-30 10:00:00')).toBe('read <age>, <age>, at <time>');
  });

  it('two replicas triaging a minute apart plan the same deliveries (no timestamps in any hash)', () => {
    const at = (iso: string) => ({ advisories: [adv], findings: [finding(A, 'prod-eu', 'prod', { notes: [`versions from an earlier read (${iso})`] })] });
    const a = planDeliveries(new Map(), at('2026-11-30T10:00:00Z'), routing);
    const b = planDeliveries(new Map(), at('2026-11-30T10:01:00Z'), routing);
    expect(b.deliveries).toEqual(a.deliveries);
    expect(b.advisories[0]?.view.hash).toBe(a.advisories[0]?.view.hash);
  });
});

describe('first-run digest', () => {
  const entry = (id: string, rating: string | null, score: number | null, clusters: number): DigestEntry => ({
    id, title: `title of ${id}`, url: `https://github.com/kubernetes/kubernetes/issues/${id.slice(-4)}`, rating, score, status: 'fixed', clusters, unfixed: false,
  });

  it('lists worst first: rating, then score, then clusters affected', () => {
    const sorted = [entry('CVE-1', 'low', 3.1, 9), entry('CVE-2', null, null, 1), entry('CVE-3', 'high', 7.1, 1), entry('CVE-4', 'critical', 9.1, 1), entry('CVE-5', 'high', 8.8, 1), entry('CVE-6', 'high', 8.8, 5)].sort(worstFirst);
    expect(sorted.map((e) => e.id)).toEqual(['CVE-4', 'CVE-6', 'CVE-5', 'CVE-3', 'CVE-1', 'CVE-2']);
  });

  it('says how many advisories are known and how many affect this channel', () => {
    const m = digestMessage({ known: 44, entries: [entry('CVE-2023-2431', 'low', 3.4, 1), entry('CVE-2023-2727', 'medium', 6.5, 2)] });
    expect(m.text).toBe('Watching the official Kubernetes CVE feed: 44 advisories known, 2 affect clusters in this channel: CVE-2023-2727, CVE-2023-2431');
    const body = JSON.stringify(m.blocks);
    expect(body.indexOf('CVE-2023-2727')).toBeLessThan(body.indexOf('CVE-2023-2431'));
    expect(body).toContain('2 clusters');
    expect(digestMessage({ known: 1, entries: [] }).text).toBe('Watching the official Kubernetes CVE feed: 1 advisory known, 0 affect clusters in this channel.');
  });

  it('stays within Slack\'s limits however many advisories there are', () => {
    const m = digestMessage({ known: 3000, entries: Array.from({ length: 3000 }, (_, i) => entry(`CVE-2099-${10000 + i}`, 'high', 7, i)) });
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    for (const b of m.blocks) expect(JSON.stringify(b).length).toBeLessThan(3_300);
    expect(JSON.stringify(m.blocks.at(-2))).toContain('more: `/k8s advisories` lists them all');
  });
});
