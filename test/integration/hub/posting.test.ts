/** Posting: once per advisory × channel, updates in the thread, 429s, errors, and crash reconciliation. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { createSlackApi, createWebClient } from '../../../src/slack/web.ts';
import { createPostStore } from '../../../src/store/posts.ts';
import { silentLogger } from '../../../src/log.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { advisory, fakeTriage, finding, manyAdvisories } from '../../unit/slack/fixtures.ts';
import { renderHash as snapshotHash } from '../../../src/notify/hash.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import type { Advisory } from '../../../src/advisory/types.ts';
import { BOT_TOKEN, postStats, startHub, waitFor } from './harness.ts';

let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub | null;

beforeEach(async () => {
  redis = await testRedis('hub-post');
  fake = await startFakeSlack();
  hub = null;
});

afterEach(async () => {
  await hub?.stop();
  await fake.close();
  await redis.cleanup();
});

async function completedPolls(h: Hub): Promise<number> {
  return h.queues.feed.getCompletedCount();
}

describe('advisory posts', () => {
  it('posts each advisory once per relevant channel, however often the feed repeats it', async () => {
    const started = await startHub({ redis, fake, advisories: manyAdvisories(50), http: false });
    hub = started.hub;
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 100, '100 posts');
    // Poll twice more with the same feed: nothing new may appear.
    await hub.pollNow();
    await hub.pollNow();
    await waitFor(async () => (await completedPolls(started.hub)) >= 3, 'three polls');
    await waitFor(async () => (await started.hub.queues.slack.getJobCounts('waiting', 'active', 'delayed')).active === 0, 'slack queue idle');
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: 50, C0STAGE: 50 });
    expect(stats.duplicates).toEqual([]);
    // The staging message carries only staging clusters; prod carries prod's (prod-us counted as not affected).
    const stage = fake.messages.find((m) => m.channel === 'C0STAGE');
    expect(JSON.stringify(stage?.blocks)).toContain('*stage-1* (staging)');
    expect(JSON.stringify(stage?.blocks)).not.toContain('prod-eu');
    const prod = fake.messages.find((m) => m.channel === 'C0PROD');
    expect(JSON.stringify(prod?.blocks)).toContain('1 (1 not affected)');
  });

  it('does not post an advisory that affects no cluster', async () => {
    const started = await startHub({ redis, fake, advisories: [advisory('CVE-2099-20000', { status: 'unknown' })], http: false });
    hub = started.hub;
    await hub.pollNow();
    await waitFor(async () => (await completedPolls(started.hub)) >= 1, 'poll');
    expect(fake.callsOf('chat.postMessage')).toEqual([]);
  });

  it('on change: replies in the thread and updates the parent, never a second top-level post', async () => {
    const a = advisory('CVE-2099-30000', { status: 'open', ranges: [{ component: 'kube-apiserver', introduced: '1.27.0', lastAffected: '1.27.2', fixed: null }] });
    const started = await startHub({ redis, fake, advisories: [a], http: false });
    hub = started.hub;
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 2, 'first posts');
    const parent = fake.messages.find((m) => m.channel === 'C0PROD' && m.threadTs === null);

    started.src.set([{ ...a, status: 'fixed', contentHash: 'edited', ranges: [{ component: 'kube-apiserver', introduced: '1.27.0', lastAffected: null, fixed: '1.27.4' }] }]);
    await hub.pollNow();
    const reply = await waitFor(() => fake.messages.find((m) => m.channel === 'C0PROD' && m.threadTs === parent?.ts), 'thread reply');
    expect(JSON.stringify(reply.blocks)).toContain('status: open → fixed');
    expect(JSON.stringify(reply.blocks)).toContain('prod-eu/kube-apiserver: fixed target v1.27.3 → v1.27.4');
    await waitFor(() => fake.callsOf('chat.update').length === 2, 'both parents updated');
    expect(JSON.stringify(parent?.blocks)).toContain('v1.27.4');
    expect(postStats(fake).top).toBe(2);

    // The same state again: no more replies or updates.
    await hub.pollNow();
    await waitFor(async () => (await completedPolls(started.hub)) >= 3, 'third poll');
    expect(fake.messages.filter((m) => m.threadTs !== null).length).toBe(2);
    expect(fake.callsOf('chat.update').length).toBe(2);
  });

  it('puts the full cluster list in the thread when the parent summarises', async () => {
    const id = 'CVE-2099-40000';
    const started = await startHub({
      redis, fake, advisories: [advisory(id)], http: false,
      overrides: {
        workers: { maxClusterRows: 1, retry: { attempts: 3, backoffMs: 50 } },
        triage: async (advs) => ({ ...fakeTriage(advs), findings: [finding(id, 'prod-eu', 'prod'), finding(id, 'prod-us', 'prod', { version: 'v1.27.2' })] }),
      },
    });
    hub = started.hub;
    await hub.pollNow();
    const parent = await waitFor(() => fake.messages.find((m) => m.threadTs === null), 'parent');
    expect(JSON.stringify(parent.blocks)).toContain('…and 1 more cluster. Full list of 2 clusters in the thread.');
    const list = await waitFor(() => fake.messages.find((m) => m.threadTs === parent.ts), 'list reply');
    expect(JSON.stringify(list.blocks)).toContain('*prod-us* (prod)');
    expect(postStats(fake)).toMatchObject({ top: 1, perChannel: { C0PROD: 1 }, duplicates: [] });
  });
});

describe('Slack failures', () => {
  it('429: waits Retry-After and posts once', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
    const started = await startHub({ redis, fake, advisories: [advisory('CVE-2099-50000')], http: false });
    hub = started.hub;
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 2, 'posts after 429', 20_000);
    const calls = fake.callsOf('chat.postMessage');
    expect(calls.length).toBe(3); // one refused with 429, then one per channel
    const first = calls[0];
    const retried = calls.slice(1).find((c) => c.args.channel === first?.args.channel);
    expect((retried?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(postStats(fake).duplicates).toEqual([]);
    expect(await started.hub.queues.slack.getFailedCount()).toBe(0);
  });

  it('a permanent Slack error fails the job at once, visible with its reason; the claim is released', async () => {
    fake.fail('chat.postMessage', { error: 'channel_not_found' }, 1);
    const started = await startHub({ redis, fake, advisories: [advisory('CVE-2099-60000')], http: false, overrides: { workers: { slackConcurrency: 1, retry: { attempts: 3, backoffMs: 50 } } } });
    hub = started.hub;
    await hub.pollNow();
    const failed = await waitFor(async () => (await started.hub.queues.slack.getFailed())[0], 'failed job');
    expect(failed.failedReason).toContain('SLACK_API_channel_not_found');
    expect(failed.failedReason).toContain('check slack.channels');
    expect(failed.attemptsMade).toBe(1);
    const channel = String(failed.data.channel);
    const rec = await createPostStore({ redis: redis.redis, prefix: redis.prefix }).get({ advisory: 'CVE-2099-60000', channel });
    // Released, not held: the next delivery (or this retry) claims it afresh.
    expect(rec).toMatchObject({ state: 'released', releases: 1, ts: null });
    // An operator retries it from the failed set: it posts.
    await failed.retry();
    await waitFor(() => postStats(fake).top === 2, 'posted after retry');
  });

  it('a transient Slack error is retried with backoff, then left failed after the last attempt', async () => {
    fake.fail('chat.postMessage', { error: 'internal_error' }, 100);
    const started = await startHub({ redis, fake, advisories: [advisory('CVE-2099-70000')], http: false });
    hub = started.hub;
    await hub.pollNow();
    await waitFor(async () => (await started.hub.queues.slack.getFailedCount()) === 2, 'both jobs failed');
    const failed = await started.hub.queues.slack.getFailed();
    expect(failed.every((j) => j.attemptsMade === 3 && j.failedReason.includes('internal_error'))).toBe(true);
    expect(fake.callsOf('chat.postMessage').length).toBe(6);
  });
});

describe('crash between Slack accepting a post and recording its ts', () => {
  it('reconciles from the message marker instead of posting again', async () => {
    const id = 'CVE-2099-80000';
    // What a crashed worker leaves behind: the claim (owned by the job id) and the message in Slack.
    const posts = createPostStore({ redis: redis.redis, prefix: redis.prefix });
    const api = createSlackApi(createWebClient({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger: silentLogger() }));
    const started = await startHub({ redis, fake, http: false, overrides: { roles: { workers: false } } });
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const result = fakeTriage([advisory(id)]);
    const hash = snapshotHash(result.advisories[0] as Advisory, result.findings);
    await snapshots.put({ advisory: result.advisories[0] as Advisory, findings: result.findings, hash, updatedAt: new Date().toISOString() });
    await started.hub.producers.deliver(id, 'C0PROD', hash);
    await started.hub.producers.deliver(id, 'C0STAGE', hash);
    const jobs = await started.hub.queues.slack.getWaiting();
    const prodJob = jobs.find((j) => j.data.channel === 'C0PROD');
    expect(await posts.claim({ advisory: id, channel: 'C0PROD' }, prodJob?.id ?? '')).toEqual({ result: 'claimed' });
    const { ts } = await api.postMessage({ channel: 'C0PROD', text: 'x', blocks: [], marker: `${id}/C0PROD/parent` });
    await started.hub.stop();

    // A fresh hub picks the jobs up.
    const second = await startHub({ redis, fake, http: false });
    hub = second.hub;
    await waitFor(() => postStats(fake).top === 2, 'both channels posted');
    expect(postStats(fake).perChannel).toEqual({ C0PROD: 1, C0STAGE: 1 });
    expect(fake.callsOf('conversations.history').length).toBe(1);
    expect((await posts.get({ advisory: id, channel: 'C0PROD' }))?.ts).toBe(ts);
  });
});
