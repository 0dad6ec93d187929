/**
 * Exactly-once edges: reconciling in a channel the bot was never invited to (it posts there
 * through chat:write.public, but reading history answers not_in_channel), history that spans
 * pages, and a backlog advisory reaching a channel once a cluster there becomes affected.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import { silentLogger } from '../../../src/log.ts';
import { renderHash } from '../../../src/notify/hash.ts';
import { createSlackApi, createWebClient } from '../../../src/slack/web.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import { createPostStore } from '../../../src/store/posts.ts';
import type { TriageResult } from '../../../src/triage/types.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { POSTURE, RELEASE_DATA, advisory, fakeTriage, finding } from '../../unit/slack/fixtures.ts';
import { BOT_TOKEN, postStats, settled, startHub, waitFor } from './harness.ts';

let redis: TestRedis;
let fake: FakeSlack;
let hubs: Hub[];

beforeEach(async () => {
  redis = await testRedis('hub-edges');
  fake = await startFakeSlack();
  hubs = [];
});

afterEach(async () => {
  for (const h of hubs) await h.stop();
  await fake.close();
  await redis.cleanup();
});

const api = () => createSlackApi(createWebClient({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger: silentLogger() }));

/**
 * What a worker that crashed after Slack accepted its post leaves behind: the advisory's
 * snapshot, the claim owned by the deliver job, and the message in Slack. Returns the hub
 * (workers off) that queued the jobs, its ts in Slack, and the post store.
 */
async function crashedPost(id: string, channel: string) {
  const posts = createPostStore({ redis: redis.redis, prefix: redis.prefix });
  const started = await startHub({ redis, fake, http: false, overrides: { roles: { workers: false } } });
  const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
  const result = fakeTriage([advisory(id)]);
  const a = result.advisories[0] as Advisory;
  await snapshots.put({ advisory: a, findings: result.findings, hash: renderHash(a, result.findings), updatedAt: new Date().toISOString() });
  await started.hub.producers.deliver(id, channel, renderHash(a, result.findings));
  const job = (await started.hub.queues.slack.getWaiting()).find((j) => j.data.channel === channel);
  expect(await posts.claim({ advisory: id, channel }, job?.id ?? '')).toEqual({ result: 'claimed' });
  const { ts } = await api().postMessage({ channel, text: 'x', blocks: [], marker: `${id}/${channel}/parent` });
  await started.hub.stop();
  return { posts, ts };
}

describe('reconciling in a channel the bot has not joined', () => {
  it('joins the channel (channels:join), finds the earlier post and does not post again', async () => {
    const id = 'CVE-2099-81000';
    const { posts, ts } = await crashedPost(id, 'C0PROD');
    fake.notMember('C0PROD');
    const { hub } = await startHub({ redis, fake, http: false });
    hubs.push(hub);
    await waitFor(async () => (await posts.get({ advisory: id, channel: 'C0PROD' }))?.state === 'posted', 'reconciled');
    expect(fake.joined).toEqual(['C0PROD']);
    expect((await posts.get({ advisory: id, channel: 'C0PROD' }))?.ts).toBe(ts);
    expect(postStats(fake)).toMatchObject({ perChannel: { C0PROD: 1 }, duplicates: [] });
  });

  it('when it cannot join: fails that delivery saying what to do, releases the claim, and delivers once invited', async () => {
    const id = 'CVE-2099-82000';
    const { posts, ts } = await crashedPost(id, 'C0PROD');
    fake.notMember('C0PROD', { joinable: false });
    const { hub } = await startHub({ redis, fake, http: false });
    hubs.push(hub);
    const failed = await waitFor(async () => (await hub.queues.slack.getFailed())[0], 'failed delivery');
    expect(failed.failedReason).toContain('cannot check channel C0PROD for an earlier post');
    expect(failed.failedReason).toContain('missing_scope');
    expect(failed.failedReason).toContain('/invite @k8s-advisor');
    expect(failed.failedReason).toContain('channels:join');
    expect(failed.attemptsMade).toBe(1);
    // Released (the hub's first scheduled re-triage may already be checking again: it fails the same way).
    const released = await waitFor(async () => {
      const r = await posts.get({ advisory: id, channel: 'C0PROD' });
      return r?.state === 'released' ? r : null;
    }, 'claim released');
    expect(released).toMatchObject({ ts: null });
    expect(released.releases).toBeGreaterThanOrEqual(1);
    // The earlier attempt's message is the only one: nothing was posted blind.
    expect(fake.messages.filter((m) => m.channel === 'C0PROD')).toHaveLength(1);

    // The operator invites the app; the next fleet re-triage checks the channel again.
    fake.invite('C0PROD');
    await hub.retriageNow();
    await settled(hub, 'retriage after the invite');
    expect(await posts.get({ advisory: id, channel: 'C0PROD' })).toMatchObject({ state: 'posted', ts });
    expect(fake.messages.filter((m) => m.channel === 'C0PROD' && m.threadTs === null)).toHaveLength(1);
    expect(postStats(fake).duplicates).toEqual([]);
  });
});

describe('the fake Slack reads history as Slack does', () => {
  it('pages conversations.history (limit, has_more, next_cursor), so a marker deep in the channel is found', async () => {
    const slack = api();
    const first = await slack.postMessage({ channel: 'C0DEEP', text: 'old', blocks: [], marker: 'CVE-2099-83000/C0DEEP/parent' });
    for (let i = 0; i < 250; i++) await slack.postMessage({ channel: 'C0DEEP', text: `m${i}`, blocks: [], marker: `noise-${i}` });
    expect(await slack.findByMarker({ channel: 'C0DEEP', since: Date.now() - 60_000, marker: 'CVE-2099-83000/C0DEEP/parent' })).toBe(first.ts);
    const calls = fake.callsOf('conversations.history');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args.cursor).toBeUndefined();
    expect(typeof calls[1]?.args.cursor).toBe('string');

    const page = await fetch(`${fake.apiUrl}conversations.history`, {
      method: 'POST', headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'channel=C0DEEP&limit=100',
    }).then((r) => r.json() as Promise<{ messages: unknown[]; has_more: boolean; response_metadata: { next_cursor: string } }>);
    expect(page.messages).toHaveLength(100);
    expect(page.has_more).toBe(true);
    expect(page.response_metadata.next_cursor).not.toBe('');
  });

  it('answers not_in_channel for a channel the bot is not in, and joining fixes it', async () => {
    fake.notMember('C0OUT');
    const slack = api();
    await expect(slack.findByMarker({ channel: 'C0OUT', since: 0, marker: 'x' })).rejects.toMatchObject({ code: 'SLACK_API_not_in_channel' });
    // Posting works (chat:write.public).
    await slack.postMessage({ channel: 'C0OUT', text: 'hi', blocks: [], marker: 'm' });
    await slack.join('C0OUT');
    expect(await slack.findByMarker({ channel: 'C0OUT', since: 0, marker: 'm' })).not.toBeNull();
    fake.notMember('C0PRIV', { joinable: false, error: 'method_not_supported_for_channel_type' });
    await expect(slack.join('C0PRIV')).rejects.toMatchObject({ code: 'SLACK_API_method_not_supported_for_channel_type', retryable: false });
  });
});

describe('a backlog advisory and a newly affected cluster', () => {
  it('first run: a digest per channel; later a cluster becomes affected: the advisory is posted in its channel only', async () => {
    const id = 'CVE-2099-84000';
    const fleet = { prodUs: 'v1.29.4-eks-036c24b' };
    const triage = async (advisories: Advisory[]): Promise<TriageResult> => ({
      advisories,
      findings: advisories.flatMap((a) => [
        finding(a.id, 'prod-eu', 'prod', { verdict: 'not-affected', fixedTarget: null, version: 'v1.27.3' }),
        finding(a.id, 'prod-us', 'prod', fleet.prodUs.startsWith('v1.27.1')
          ? { version: fleet.prodUs } : { version: fleet.prodUs, verdict: 'not-affected', fixedTarget: null }),
        finding(a.id, 'stage-1', 'staging', { version: 'v1.28.2', fixedTarget: 'v1.28.4' }),
      ]),
      clusters: POSTURE, releaseData: RELEASE_DATA, warnings: [],
    });
    // Like the feed watcher: everything is new on the first run, nothing once committed.
    let firstRun = true;
    const { hub } = await startHub({
      redis, fake, http: false,
      overrides: {
        triage,
        source: {
          poll: async () => ({ advisories: firstRun ? [advisory(id)] : [], firstRun, known: 1 }),
          commit: async () => { firstRun = false; },
        },
      },
    });
    hubs.push(hub);
    await hub.pollNow();
    await settled(hub, 'first poll');
    const top = () => fake.messages.filter((m) => m.threadTs === null).map((m) => [m.channel, String(m.metadata?.event_payload.marker)]);
    expect(top().sort()).toEqual([['C0PROD', 'first-run-digest/C0PROD/digest'], ['C0STAGE', 'first-run-digest/C0STAGE/digest']]);
    expect(fake.messages.find((m) => m.channel === 'C0STAGE')?.text).toContain('1 advisory known, 1 affects clusters in this channel');
    expect(fake.messages.find((m) => m.channel === 'C0PROD')?.text).toContain('1 advisory known, 0 affect clusters in this channel');

    // Re-read, nothing changed: still no advisory thread (a backlog is not news).
    await hub.retriageNow();
    await settled(hub, 'unchanged retriage');
    expect(top()).toHaveLength(2);

    // prod-us is rolled back onto an affected version: C0PROD never had this advisory, now it does.
    fleet.prodUs = 'v1.27.1-eks-1';
    await hub.retriageNow();
    await settled(hub, 'retriage with a newly affected cluster');
    expect(top().sort()).toEqual([
      ['C0PROD', `${id}/C0PROD/parent`], ['C0PROD', 'first-run-digest/C0PROD/digest'], ['C0STAGE', 'first-run-digest/C0STAGE/digest'],
    ]);
    expect(postStats(fake).duplicates).toEqual([]);

    // A second poll after the first run does not post the digest again.
    await hub.pollNow();
    await settled(hub, 'second poll');
    expect(top()).toHaveLength(3);
  });
});
