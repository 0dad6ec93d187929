/**
 * Fleet re-triage: when the fleet changes (an upgrade, a new cluster) and the feed does not,
 * `fleet-retriage` updates the threads whose clusters changed, posts where the advisory is newly
 * relevant, and leaves every other channel alone — once, however many hubs run it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import { renderHash as snapshotHash } from '../../../src/notify/hash.ts';
import { planDeliveries } from '../../../src/notify/plan.ts';
import { createRouting } from '../../../src/notify/routing.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import type { Finding, TriageResult } from '../../../src/triage/types.ts';
import { type FakeSlack, type FakeMessage, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { POSTURE, RELEASE_DATA, advisory, finding, testConfig } from '../../unit/slack/fixtures.ts';
import { postStats, settled, startHub } from './harness.ts';

/** The fleet the injected triage sees; tests change it between runs. */
interface Fleet {
  prodEu: string;
  stage1: string;
  /** A cluster in an environment with no channel of its own (→ slack.channels.default, C0SEC). */
  dev1: string | null;
}

/** Affected when the version is in 1.27.0 – 1.27.2 or 1.28.0 – 1.28.3 (fixed in v1.27.3, v1.28.4). */
function judge(a: Advisory, cluster: string, environment: string, version: string): Finding {
  const [, minor, patch] = /^v1\.(\d+)\.(\d+)/.exec(version)?.map(Number) ?? [];
  const fixed = minor === 27 ? 3 : minor === 28 ? 4 : 0;
  const affected = patch !== undefined && patch < fixed;
  return finding(a.id, cluster, environment, {
    version,
    verdict: affected ? 'affected' : 'not-affected',
    fixedTarget: affected ? `v1.${minor}.${fixed}` : null,
    reason: affected ? `${version} is affected` : `${version} is not affected`,
  });
}

function fleetTriage(fleet: Fleet, runs: { count: number }) {
  return async (advisories: Advisory[]): Promise<TriageResult> => {
    runs.count++;
    const findings = advisories.flatMap((a) => [
      judge(a, 'prod-eu', 'prod', fleet.prodEu),
      judge(a, 'prod-us', 'prod', 'v1.29.4-eks-036c24b'),
      judge(a, 'stage-1', 'staging', fleet.stage1),
      ...(fleet.dev1 === null ? [] : [judge(a, 'dev-1', 'dev', fleet.dev1)]),
    ]);
    const clusters = fleet.dev1 === null ? POSTURE : [...POSTURE, { ...POSTURE[0], cluster: 'dev-1', environment: 'dev', server: fleet.dev1, minor: '1.27' } as (typeof POSTURE)[number]];
    return { advisories, findings, clusters, releaseData: RELEASE_DATA, warnings: [] };
  };
}

let redis: TestRedis;
let fake: FakeSlack;
let hubs: Hub[];

beforeEach(async () => {
  redis = await testRedis('hub-retriage');
  fake = await startFakeSlack();
  hubs = [];
});

afterEach(async () => {
  for (const h of hubs) await h.stop();
  await fake.close();
  await redis.cleanup();
});

const IDS = ['CVE-2099-91000', 'CVE-2099-91001'];
const parents = (channel: string) => fake.messages.filter((m) => m.channel === channel && m.threadTs === null);
const replies = (parent: FakeMessage) => fake.messages.filter((m) => m.threadTs === parent.ts);
const updatesOf = (parent: FakeMessage) => fake.callsOf('chat.update').filter((c) => c.args.channel === parent.channel && c.args.ts === parent.ts);
const text = (m: FakeMessage) => JSON.stringify(m.blocks);

async function start(fleet: Fleet, runs: { count: number }): Promise<Hub> {
  const { hub } = await startHub({ redis, fake, advisories: IDS.map((id) => advisory(id)), http: false, overrides: { triage: fleetTriage(fleet, runs) } });
  hubs.push(hub);
  return hub;
}

describe('fleet re-triage', () => {
  it('updates changed threads, posts where newly relevant, leaves the rest alone, once', async () => {
    const fleet: Fleet = { prodEu: 'v1.27.1', stage1: 'v1.28.2', dev1: null };
    const runs = { count: 0 };
    const hub = await start(fleet, runs);
    await hub.pollNow();
    await settled(hub, 'first poll');
    expect(postStats(fake)).toMatchObject({ top: 4, perChannel: { C0PROD: 2, C0STAGE: 2 }, duplicates: [] });
    const callsBefore = fake.callsOf('chat.postMessage').length;

    // prod-eu is upgraded out of the affected range; dev-1 (default channel) joins, affected.
    fleet.prodEu = 'v1.27.5';
    fleet.dev1 = 'v1.27.2';
    await hub.retriageNow();
    await settled(hub, 'retriage');

    for (const parent of parents('C0PROD')) {
      expect(updatesOf(parent)).toHaveLength(1);
      const thread = replies(parent);
      expect(thread).toHaveLength(1);
      expect(text(thread[0] as FakeMessage)).toContain('prod-eu: kube-apiserver v1.27.1 → v1.27.5, now not affected');
      expect(text(parent)).toContain('No cluster in this channel is affected.');
    }
    const sec = parents('C0SEC');
    expect(sec).toHaveLength(2);
    for (const m of sec) {
      expect(text(m)).toContain('dev-1');
      expect(text(m)).not.toContain('prod-eu');
    }
    for (const parent of parents('C0STAGE')) {
      expect(updatesOf(parent)).toHaveLength(0);
      expect(replies(parent)).toHaveLength(0);
    }
    // Exactly two replies (prod threads) and two first posts (C0SEC).
    expect(fake.callsOf('chat.postMessage').length).toBe(callsBefore + 4);
    expect(postStats(fake)).toMatchObject({ top: 6, perChannel: { C0PROD: 2, C0STAGE: 2, C0SEC: 2 }, duplicates: [] });

    // The snapshots (what /k8s triage and the next poll compare with) and the fleet posture are fresh.
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const snap = await snapshots.get(IDS[0] as string);
    expect(snap?.findings.find((f) => f.cluster === 'prod-eu')).toMatchObject({ version: 'v1.27.5', verdict: 'not-affected' });
    expect((await snapshots.getFleet())?.clusters.map((c) => c.cluster)).toContain('dev-1');

    // No fleet change: a second re-triage posts and updates nothing.
    const posted = fake.callsOf('chat.postMessage').length;
    const updated = fake.callsOf('chat.update').length;
    const triaged = runs.count;
    await hub.retriageNow();
    await settled(hub, 'second retriage');
    expect(runs.count).toBe(triaged + 1);
    expect(fake.callsOf('chat.postMessage').length).toBe(posted);
    expect(fake.callsOf('chat.update').length).toBe(updated);
  });

  it('upgrade, rollback and upgrade again: each told once in the thread', async () => {
    const fleet: Fleet = { prodEu: 'v1.27.1', stage1: 'v1.28.2', dev1: null };
    const runs = { count: 0 };
    const hub = await start(fleet, runs);
    await hub.pollNow();
    await settled(hub, 'first poll');
    const stage = parents('C0STAGE')[0] as FakeMessage;

    fleet.stage1 = 'v1.28.4';
    await hub.retriageNow();
    await settled(hub, 'upgrade');
    fleet.stage1 = 'v1.28.2';
    await hub.retriageNow();
    await settled(hub, 'rollback');
    fleet.stage1 = 'v1.28.4';
    await hub.retriageNow();
    await settled(hub, 'upgrade again');

    const thread = replies(stage).map(text);
    expect(thread).toHaveLength(3);
    expect(thread[0]).toContain('stage-1: kube-apiserver v1.28.2 → v1.28.4, now not affected');
    expect(thread[1]).toContain('stage-1: kube-apiserver v1.28.4 → v1.28.2, now affected');
    expect(thread[2]).toContain('stage-1: kube-apiserver v1.28.2 → v1.28.4, now not affected');
    expect(updatesOf(stage)).toHaveLength(3);
    // prod's clusters did not change: its threads stay quiet.
    for (const parent of parents('C0PROD')) expect(replies(parent)).toHaveLength(0);
    expect(postStats(fake).duplicates).toEqual([]);
  });

  it('two hubs re-triaging at once deliver each change once', async () => {
    const fleet: Fleet = { prodEu: 'v1.27.1', stage1: 'v1.28.2', dev1: null };
    const runs = { count: 0 };
    const a = await start(fleet, runs);
    const b = await start(fleet, runs);
    await a.pollNow();
    await settled(a, 'first poll');
    expect(postStats(fake)).toMatchObject({ top: 4, duplicates: [] });

    fleet.stage1 = 'v1.28.4';
    fleet.dev1 = 'v1.27.0';
    await Promise.all([a.retriageNow(), b.retriageNow(), a.retriageNow(), b.retriageNow()]);
    await settled(a, 'four concurrent retriages');

    expect(postStats(fake)).toMatchObject({ top: 6, perChannel: { C0PROD: 2, C0STAGE: 2, C0SEC: 2 }, duplicates: [] });
    for (const parent of parents('C0STAGE')) {
      expect(updatesOf(parent)).toHaveLength(1);
      expect(replies(parent).map(text)).toEqual([expect.stringContaining('stage-1: kube-apiserver v1.28.2 → v1.28.4, now not affected')]);
    }
    for (const parent of parents('C0PROD')) {
      expect(updatesOf(parent)).toHaveLength(0);
      expect(replies(parent)).toHaveLength(0);
    }
  });

  it('a run that died after storing the snapshot still makes its first posts on the next run', async () => {
    const fleet: Fleet = { prodEu: 'v1.27.1', stage1: 'v1.28.2', dev1: null };
    const runs = { count: 0 };
    const hub = await start(fleet, runs);
    await hub.pollNow();
    await settled(hub, 'first poll');

    // What a re-triage that crashed right after its compare-and-set leaves behind.
    fleet.dev1 = 'v1.27.2';
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const result = await fleetTriage(fleet, runs)(IDS.map((id) => advisory(id)));
    const heads = await snapshots.listHeads();
    const previous = new Map(heads.map((h) => [h.advisory.id, { hash: h.hash, affected: new Set(h.affected) }]));
    const plan = planDeliveries(new Map(), result, createRouting(testConfig()), { kind: 'retriage', previous });
    for (const p of plan.advisories) {
      expect(p.view.newChannels).toEqual(['C0SEC']);
      expect(await snapshots.putView(p.view, 'x', previous.get(p.view.advisory.id)?.hash ?? '')).toBe(true);
    }
    expect(parents('C0SEC')).toHaveLength(0);

    await hub.retriageNow();
    await settled(hub, 'retriage after the crash');
    expect(parents('C0SEC')).toHaveLength(2);
    expect(postStats(fake)).toMatchObject({ top: 6, duplicates: [] });
    expect(fake.callsOf('chat.update')).toHaveLength(0);
  });

  it('never overwrites a snapshot a feed poll replaced meanwhile', async () => {
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const a = advisory('CVE-2099-92000');
    const findings = [finding(a.id, 'prod-eu', 'prod')];
    const base = { advisory: a, findings, hash: snapshotHash(a, findings), updatedAt: 'x' };
    // Nothing stored: a re-triage only updates known advisories.
    expect(await snapshots.replace(base, 'f'.repeat(64))).toBe(false);
    await snapshots.put(base);
    const next = { ...base, findings: [], hash: snapshotHash(a, []) };
    expect(await snapshots.replace(next, 'f'.repeat(64))).toBe(false);
    expect((await snapshots.get(a.id))?.hash).toBe(base.hash);
    expect(await snapshots.replace(next, base.hash)).toBe(true);
    // Another replica already stored the same result: nothing to do, not a conflict.
    expect(await snapshots.replace(next, base.hash)).toBe(true);
    expect((await snapshots.get(a.id))?.findings).toEqual([]);
  });
});
