/**
 * Posting pace on real Redis: the Lua script decides as the pure rule does, and two hubs
 * (each with its own workers and connections) draining a backlog into the same channels stay
 * under a fake Slack that enforces a per-channel limit with 429 + Retry-After, as Slack does.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { SlackError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/log.ts';
import { bullPrefix } from '../../../src/queue/names.ts';
import { withSlackSemantics } from '../../../src/queue/workers/slack-semantics.ts';
import { postOnce } from '../../../src/queue/workers/slack-worker.ts';
import { createSlackPacer, pacedError, pacedWebClient } from '../../../src/slack/pace.ts';
import { createSlackApi, createWebClient } from '../../../src/slack/web.ts';
import { storeKey } from '../../../src/store/keys.ts';
import { createPostStore } from '../../../src/store/posts.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { advisory, manyAdvisories } from '../../unit/slack/fixtures.ts';
import { PACE_CASES, RULE } from '../../unit/slack/pace-cases.ts';
import { BOT_TOKEN, postStats, settled, startHub, waitFor } from '../hub/harness.ts';

let redis: TestRedis;
let fake: FakeSlack;
let hubs: Hub[];

beforeEach(async () => {
  redis = await testRedis('pace');
  fake = await startFakeSlack();
  hubs = [];
});

afterEach(async () => {
  for (const h of hubs) await h.stop();
  await fake.close();
  await redis.cleanup();
});

/** Most posts the fake accepted in one channel within any `windowMs`. */
function busiestWindow(channel: string, windowMs: number): number {
  const times = fake.messages.filter((m) => m.channel === channel).map((m) => m.postedAt).sort((a, b) => a - b);
  let most = 0;
  for (const [i, start] of times.entries()) most = Math.max(most, times.slice(i).filter((t) => t < start + windowMs).length);
  return most;
}

describe('the pace script', () => {
  it.each(PACE_CASES)('decides as the pure rule: $what', async ({ state, now, ok, waitMs, tat, held }) => {
    const pacer = createSlackPacer({ redis: redis.redis, prefix: redis.prefix, pace: { perChannel: 1000 / RULE.intervalMs, burst: RULE.burst, updatesPerMinute: 50 }, now: () => now });
    const bucket = storeKey(redis.prefix, 'pace', 'post-C0PROD');
    const reservation = storeKey(redis.prefix, 'pace', 'post-C0PROD', 'held', 'job-1');
    if (state.tat !== null) await redis.redis.set(bucket, String(state.tat));
    if (state.held !== null) await redis.redis.set(reservation, String(state.held));
    const d = await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'job-1');
    expect(d.ok).toBe(ok);
    if (!d.ok) expect(d.waitMs).toBe(waitMs);
    expect(await redis.redis.get(bucket)).toBe(tat === null ? null : String(tat));
    expect(await redis.redis.get(reservation)).toBe(held === null ? null : String(held));
  });

  it('reservations are per job: another job does not take a slot reserved for this one', async () => {
    const pacer = createSlackPacer({ redis: redis.redis, prefix: redis.prefix, pace: { perChannel: 1, burst: 1, updatesPerMinute: 50 }, now: () => 50_000 });
    expect(await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'a')).toEqual({ ok: true });
    expect(await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'b')).toEqual({ ok: false, waitMs: 1000 });
    expect(await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'c')).toEqual({ ok: false, waitMs: 2000 });
    // Another channel has its own schedule.
    expect(await pacer.take({ kind: 'post', channel: 'C0STAGE' }, 'b')).toEqual({ ok: true });
  });

  it('refuses a key part that is not an id', async () => {
    const pacer = createSlackPacer({ redis: redis.redis, prefix: redis.prefix, pace: { perChannel: 1, burst: 1, updatesPerMinute: 50 } });
    await expect(pacer.take({ kind: 'post', channel: 'C0:PROD' }, 'a')).rejects.toThrow(/unsafe pace key part/);
  });
});

describe('messages outside the deliver queue (pacedWebClient)', () => {
  it('share the channel and workspace buckets: each call waits its slot in-process, on Redis\'s schedule', async () => {
    let clock = 100_000;
    const pacer = createSlackPacer({ redis: redis.redis, prefix: redis.prefix, pace: { perChannel: 1, burst: 1, updatesPerMinute: 60 }, now: () => clock });
    const waits: number[] = [];
    // The wait passes on the pacer's clock, not the wall's.
    const web = pacedWebClient(createWebClient({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger: silentLogger() }), {
      pacer, sleep: async (ms) => { waits.push(ms); clock += ms; },
    });
    // An advisory delivery took C0PROD's slot just now (same bucket, another owner).
    expect(await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'deliver-job')).toEqual({ ok: true });
    for (let i = 0; i < 3; i++) await web.chat.postMessage({ channel: 'C0PROD', text: `reminder ${i}` });
    await web.chat.postMessage({ channel: 'C0STAGE', text: 'another channel' });
    expect(waits).toEqual([1000, 1000, 1000]);
    expect(fake.messages.map((m) => [m.channel, m.text])).toEqual([
      ['C0PROD', 'reminder 0'], ['C0PROD', 'reminder 1'], ['C0PROD', 'reminder 2'], ['C0STAGE', 'another channel'],
    ]);
    // chat.update counts against the workspace bucket (one a second at 60 a minute, burst 3).
    const ts = fake.messages[0]?.ts as string;
    for (let i = 0; i < 4; i++) await web.chat.update({ channel: 'C0PROD', ts, text: `edit ${i}` });
    expect(waits).toEqual([1000, 1000, 1000, 1000]);
    // Other methods are the client's own.
    expect((await web.auth.test()).ok).toBe(true);
  });

  it('a wait longer than allowed fails as SLACK_PACED (retryable), posting nothing', async () => {
    const pacer = createSlackPacer({ redis: redis.redis, prefix: redis.prefix, pace: { perChannel: 1, burst: 1, updatesPerMinute: 60 }, now: () => 200_000 });
    const web = pacedWebClient(createWebClient({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger: silentLogger() }), { pacer, maxWaitMs: 500, sleep: async () => undefined });
    await web.chat.postMessage({ channel: 'C0PROD', text: 'first' });
    const err = await web.chat.postMessage({ channel: 'C0PROD', text: 'second' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackError);
    expect(err).toMatchObject({ code: 'SLACK_PACED', retryable: true });
    expect(fake.messages.map((m) => m.text)).toEqual(['first']);
  });
});

describe('postOnce with a pace', () => {
  it('a post that must wait throws SLACK_PACED before claiming; one already posted needs no slot', async () => {
    const deps = {
      slack: createSlackApi(createWebClient({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger: silentLogger() })),
      posts: createPostStore({ redis: redis.redis, prefix: redis.prefix }),
      logger: silentLogger(),
      pace: createSlackPacer({ redis: redis.redis, prefix: redis.prefix, pace: { perChannel: 1, burst: 1, updatesPerMinute: 50 }, now: () => 1_000_000 }),
    };
    const message = { text: 'hello', blocks: [] };
    const first = { advisory: 'CVE-2099-1', channel: 'C0PROD' };
    const second = { advisory: 'CVE-2099-2', channel: 'C0PROD' };
    const ts = await postOnce(deps, first, 'job-1', message);
    const paced = await postOnce(deps, second, 'job-2', message).catch((err: unknown) => err);
    expect(paced).toBeInstanceOf(SlackError);
    expect(paced).toMatchObject({ code: 'SLACK_PACED', retryable: true, retryAfterMs: 1000 });
    // No claim left behind while it waits: another job could post it, nothing is blocked.
    expect(await deps.posts.get(second)).toBeNull();
    // Already posted: answers its ts without a slot (the bucket is full) and without a call.
    expect(await postOnce(deps, first, 'job-3', message)).toBe(ts);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
  });
});

describe('a paced job in BullMQ', () => {
  it('goes back to delayed until its slot and runs again, not counted as an attempt', async () => {
    const connection = { connection: redis.connect(), prefix: bullPrefix(redis.prefix) };
    const queue = new Queue('paced', connection);
    const events = new QueueEvents('paced', { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    await events.waitUntilReady();
    const runs: number[] = [];
    const worker = new Worker('paced', (job, token) => withSlackSemantics(job, token, silentLogger(), async () => {
      runs.push(job.attemptsMade);
      if (runs.length === 1) throw pacedError('chat.postMessage in C0PROD', 200);
      return 'posted';
    }), { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    try {
      // One attempt only: a pace delay that counted as a failed attempt would fail the job.
      const job = await queue.add('deliver', {}, { attempts: 1, jobId: 'paced-1' });
      expect(await job.waitUntilFinished(events, 10_000)).toBe('posted');
      expect(runs).toEqual([0, 0]);
      expect(await queue.getFailedCount()).toBe(0);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  });
});

/** Two hubs on one Redis prefix; counts the deliveries each one's slack worker completed. */
async function twoHubs(pace: { perChannel: number; burst: number; updatesPerMinute: number } | undefined, n: number): Promise<number[]> {
  const done = [0, 0];
  const advisories = manyAdvisories(n);
  for (const i of [0, 1]) {
    const onWorker = (w: Worker) => {
      if (w.name.includes('slack')) w.on('completed', () => { done[i] = (done[i] ?? 0) + 1; });
    };
    const { hub } = await startHub({
      redis, fake, advisories, http: false,
      overrides: { onWorker, ...(pace ? { pace } : {}), workers: { retry: { attempts: 5, backoffMs: 50 }, lockDurationMs: 5_000, stalledIntervalMs: 5_000, slackConcurrency: 4 } },
    });
    hubs.push(hub);
  }
  return done;
}

describe('two hubs posting a backlog into the same channels', () => {
  // Slack's limit scaled up for a quick test: at most 5 posts per channel in any second.
  const LIMIT = { perChannel: 5, windowMs: 1000 };
  const N = 14;

  it('paced (2 a second per channel): no 429, every advisory once per channel, both hubs posting', async () => {
    fake.rateLimit('chat.postMessage', LIMIT);
    const done = await twoHubs({ perChannel: 2, burst: 1, updatesPerMinute: 600 }, N);
    const t0 = Date.now();
    await hubs[0]?.pollNow();
    await waitFor(() => postStats(fake).top === 2 * N, `${2 * N} posts`, 30_000);
    await settled(hubs[0] as Hub, 'the backlog');
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: N, C0STAGE: N });
    expect(stats.duplicates).toEqual([]);
    expect(fake.rateLimited).toEqual([]);
    for (const channel of ['C0PROD', 'C0STAGE']) expect(busiestWindow(channel, LIMIT.windowMs)).toBeLessThanOrEqual(LIMIT.perChannel);
    console.info(`paced: ${2 * N} posts in ${Date.now() - t0} ms, busiest second ${busiestWindow('C0PROD', 1000)}/${busiestWindow('C0STAGE', 1000)} posts (limit ${LIMIT.perChannel}), 429s ${fake.rateLimited.length}, jobs per hub ${done.join('/')}`);
    // Both replicas took part: the pace is shared through Redis, not kept per process.
    expect(done.every((d) => d > 0)).toBe(true);
    expect(await hubs[0]?.queues.slack.getFailedCount()).toBe(0);
  });

  it('unpaced, the same backlog bursts into 429s; Retry-After still delivers each once (the backstop)', async () => {
    fake.rateLimit('chat.postMessage', LIMIT);
    await twoHubs(undefined, N);
    const t0 = Date.now();
    await hubs[0]?.pollNow();
    await waitFor(() => postStats(fake).top === 2 * N, `${2 * N} posts`, 30_000);
    await settled(hubs[0] as Hub, 'the backlog');
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: N, C0STAGE: N });
    expect(stats.duplicates).toEqual([]);
    expect(fake.rateLimited.length).toBeGreaterThan(0);
    console.info(`unpaced: ${2 * N} posts in ${Date.now() - t0} ms, ${fake.rateLimited.length} answered 429, ${fake.callsOf('chat.postMessage').length} chat.postMessage calls`);
  });
});

describe('updates paced across the workspace', () => {
  it('a change to every advisory: each thread gets its reply, every parent its update, no chat.update refused', async () => {
    // chat.update is Tier 3 for the whole workspace: the fake allows 8 in any second across channels.
    fake.rateLimit('chat.update', { perChannel: 8, windowMs: 1000, scope: 'workspace' });
    const ids = Array.from({ length: 6 }, (_, i) => `CVE-2099-${20000 + i}`);
    const open = ids.map((id) => advisory(id, { status: 'open', ranges: [{ component: 'kube-apiserver', introduced: '1.27.0', lastAffected: '1.27.2', fixed: null }] }));
    const { hub, src } = await startHub({
      redis, fake, advisories: open, http: false,
      overrides: { pace: { perChannel: 20, burst: 10, updatesPerMinute: 60 } },
    });
    hubs.push(hub);
    // A second replica reading the same feed: either may run a poll.
    const second = await startHub({ redis, fake, http: false, overrides: { source: src.source, pace: { perChannel: 20, burst: 10, updatesPerMinute: 60 } } });
    hubs.push(second.hub);
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 12, '12 parents', 30_000);
    src.set(open.map((a) => ({ ...a, status: 'fixed', contentHash: 'edited', ranges: [{ component: 'kube-apiserver', introduced: '1.27.0', lastAffected: null, fixed: '1.27.4' }] })));
    await hub.pollNow();
    await waitFor(() => fake.callsOf('chat.update').length >= 12, '12 updates', 30_000);
    await settled(hub, 'the updates');
    expect(fake.messages.filter((m) => m.threadTs !== null && /open → fixed/.test(JSON.stringify(m.blocks)))).toHaveLength(12);
    expect(fake.rateLimited).toEqual([]);
    expect(fake.callsOf('chat.update')).toHaveLength(12);
    expect(postStats(fake).duplicates).toEqual([]);
  }, 60_000);
});
