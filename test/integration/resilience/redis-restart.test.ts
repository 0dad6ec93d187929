/**
 * A Redis restart loses nothing and needs no operator action (DESIGN.md: "Redis is the only state
 * store … a restarted hub resumes where it stopped"). Each test runs on a Redis of its own (an
 * AOF-persisted `redis-server` child, as in production) that it stops and starts again while the
 * hub, the agent or the feed watcher keep their connections.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { createClusterDispatcher, type ClusterDispatcher } from '../../../src/agent/dispatcher.ts';
import { readAgentStatus } from '../../../src/agent/heartbeat.ts';
import { createAgentWorker, type AgentWorker } from '../../../src/agent/worker.ts';
import { fetchFeed } from '../../../src/feed/fetch.ts';
import { createFeedWatcher } from '../../../src/feed/watcher.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import { createKubeClient } from '../../../src/kube/client.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { createRedisFeedStateStore } from '../../../src/store/feed-state.ts';
import { createFakeApiServer, scenarios, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { SKIP_REASON, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../../helpers/private-redis.ts';
import { withProbeObjects } from '../../helpers/probe-fixtures.ts';
import type { TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { commandBody, postSigned } from '../../helpers/slack-sign.ts';
import { manyAdvisories } from '../../unit/slack/fixtures.ts';
import { SIGNING_SECRET, memoryLogger, postStats, startHub, waitFor } from '../hub/harness.ts';

const available = redisServerAvailable();
if (!available) console.warn(`skipping Redis restart tests: ${SKIP_REASON}`);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Long enough for every connection to notice and retry; inside the job locks (5 s in the harness). */
const OUTAGE_MS = 500;

let server: PrivateRedis;
let redis: TestRedis;
/** Cleanups of the test, run in reverse order, with Redis up (closing over a dead Redis would wait for it). */
let cleanups: (() => Promise<void>)[];
/**
 * An 'error' event nobody listens to does not always crash: ioredis prints "[ioredis] Unhandled
 * error event" and BullMQ prints the error, both on console.error. Either means a client or
 * queue object without an 'error' listener, so each test asserts there was none.
 */
let consoleError: MockInstance<typeof console.error>;

const unheardErrors = () => consoleError.mock.calls.map((args) => args.map(String).join(' '));

beforeEach(async () => {
  if (!available) return;
  consoleError = vi.spyOn(console, 'error');
  server = await startPrivateRedis();
  redis = await server.testRedis('restart');
  cleanups = [];
});

afterEach(async () => {
  if (!available) return;
  if (!server.running) await server.restart();
  for (const c of cleanups.reverse()) await c();
  await redis.cleanup();
  await server.close();
  consoleError.mockRestore();
});

describe.skipIf(!available)('hub across a Redis restart', () => {
  let fake: FakeSlack;
  let hub: Hub;

  beforeEach(async () => {
    fake = await startFakeSlack();
    cleanups.push(() => fake.close());
  });

  it('posts every advisory exactly once per channel when Redis restarts mid-batch', async () => {
    // Slack answers slowly: the batch is still being posted when Redis goes away.
    fake.delay('chat.postMessage', 60);
    const logs = memoryLogger('warn');
    ({ hub } = await startHub({ redis, fake, advisories: manyAdvisories(20), http: false, logger: logs.logger }));
    cleanups.push(() => hub.stop());
    await hub.pollNow();
    await waitFor(() => postStats(fake).top >= 6, 'first posts');

    await server.stop();
    const atStop = postStats(fake).top;
    expect(atStop).toBeLessThan(40);
    await pause(OUTAGE_MS);
    await server.restart();

    await waitFor(() => postStats(fake).top === 40, 'all 40 posts', 30_000);
    await waitFor(async () => {
      const c = await hub.queues.slack.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      return c.waiting === 0 && c.active === 0 && c.delayed === 0 && c.completed === 40 ? c : null;
    }, 'slack queue drained', 30_000);
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: 20, C0STAGE: 20 });
    expect(stats.duplicates).toEqual([]);
    expect(await hub.queues.slack.getFailedCount()).toBe(0);
    // Another poll after the restart finds everything already posted.
    await hub.pollNow();
    await waitFor(async () => (await hub.queues.feed.getCompletedCount()) >= 2, 'second poll');
    expect(postStats(fake).top).toBe(40);
    expect(unheardErrors()).toEqual([]);
  });

  it('answers a slash command while Redis is down with "Redis is unavailable" (ephemeral, at once), audits it once Redis is back, and answers normally again', async () => {
    let url: string;
    ({ hub, url } = await startHub({ redis, fake, advisories: manyAdvisories(2) }));
    cleanups.push(() => hub.stop());
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 4, 'advisories posted');

    await server.stop();
    const responseUrl = fake.responseUrl();
    const res = await postSigned(url, commandBody({ text: 'advisories', response_url: responseUrl }), { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    expect(String((await res.json() as { text?: string }).text)).toContain('Looking that up');
    // Producers fail fast: the answer comes while Redis is still down, not when it is back.
    const id = responseUrl.split('/').pop();
    const refusal = await waitFor(() => fake.responses.find((r) => r.id === id), 'the unavailable answer');
    expect(refusal.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Redis is unavailable, try again in a minute') });
    expect(server.running).toBe(false);
    await server.restart();

    const audit = createAuditLog({ redis: redis.redis, prefix: redis.prefix });
    const entries = await waitFor(async () => {
      const recent = (await audit.recent(10)).filter((e) => e.what === 'advisories');
      return recent.length > 0 ? recent : null;
    }, 'audit record');
    expect(entries.map((e) => ({ user: e.user, result: e.result }))).toEqual([{ user: 'U01AAA', result: 'error' }]);
    expect(fake.responses.filter((r) => r.id === id)).toHaveLength(1);

    // Redis back: the same command is answered from the stores again.
    const again = fake.responseUrl();
    const res2 = await postSigned(url, commandBody({ text: 'advisories', response_url: again }), { secret: SIGNING_SECRET });
    expect(res2.status).toBe(200);
    const answer = await waitFor(() => fake.responses.find((r) => r.id === again.split('/').pop()), 'advisories answer');
    expect(JSON.stringify(answer.body.blocks)).toContain('CVE-2099-10001');
    expect(unheardErrors()).toEqual([]);
  });
});

describe.skipIf(!available)('agent and dispatcher across a Redis restart', () => {
  let api: FakeApiServer;

  beforeAll(async () => {
    if (!available) return;
    api = await createFakeApiServer({ scenario: withProbeObjects(scenarios.eks()) });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('serves a verification after the restart and the heartbeat comes back', async () => {
    const config = loadConfig(`
environments:
  prod: {}
verify: { probeTimeout: 5s, concurrency: 2 }
clusters:
  - { name: prod-us, environment: prod, agent: true }
`);
    const cluster = config.clusters[0];
    if (!cluster) throw new Error('no cluster in the config');
    const heartbeatIntervalMs = 100;
    const logs = memoryLogger('warn');
    const agent: AgentWorker = await createAgentWorker({
      cluster: { name: 'prod-us', environment: 'prod' },
      connection: redis.connect(),
      prefix: redis.prefix,
      kube: createKubeClient({ cluster, kubeConfig: api.kubeConfig(), timeoutMs: 5000 }),
      agentName: 'agent-pod-1',
      heartbeatIntervalMs,
      heartbeatTtlMs: 3 * heartbeatIntervalMs,
      logger: logs.logger,
    });
    cleanups.push(() => agent.close());
    const dispatcher: ClusterDispatcher = createClusterDispatcher({ connection: redis.connect(), prefix: redis.prefix, config, logger: logs.logger });
    cleanups.push(() => dispatcher.close());

    const before = await dispatcher.verify('prod-us');
    expect(before.error).toBeUndefined();

    await server.stop();
    await pause(OUTAGE_MS);
    await server.restart();
    const restartedAt = new Date().toISOString();

    // A fresh beat written after the restart: the heartbeat loop survived the outage.
    const status = await waitFor(async () => {
      const s = await readAgentStatus(redis.redis, redis.prefix, 'prod-us');
      return s.alive && (s.lastSeen?.at ?? '') > restartedAt ? s : null;
    }, 'a heartbeat after the restart');
    expect(status.lastSeen?.agent).toBe('agent-pod-1');
    // From then on it stays alive: sample it over several heartbeat intervals.
    for (let i = 0; i < 10; i++) {
      expect((await dispatcher.agentStatus('prod-us')).alive).toBe(true);
      await pause(heartbeatIntervalMs / 2);
    }

    const after = await dispatcher.verify('prod-us');
    expect(after.error).toBeUndefined();
    expect(after.probes).toHaveLength(13);
    expect(after.comparison?.previousStartedAt).toBe(before.startedAt);
    expect(unheardErrors()).toEqual([]);
  });
});

describe.skipIf(!available)('feed watcher state across a Redis restart', () => {
  let feed: FeedServer;

  beforeEach(async () => {
    feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'test/fixtures/feeds/feed-v1.json'), 'utf8') });
    cleanups.push(() => feed.close());
  });

  it('still knows every advisory after the restart: the next poll reports nothing new', async () => {
    const store = createRedisFeedStateStore({ redis: redis.redis, prefix: redis.prefix });
    const watcher = createFeedWatcher({
      store,
      source: feed.url,
      fetchFeed: (source, o) => fetchFeed(source, { ...o, sleep: async () => undefined, timeoutMs: 2_000, maxAttempts: 2 }),
    });
    const first = await watcher.poll();
    await watcher.commit(first);
    expect(first.newItems.map((e) => e.id)).toHaveLength(4);
    const known = await store.getKnown();

    await server.restart();
    // Answer 200 with the whole feed: only the stored state can tell that nothing is new.
    feed.disableConditional();
    const second = await watcher.poll();
    expect({ notModified: second.notModified, new: second.newItems, changed: second.changedItems, removed: second.removedIds })
      .toEqual({ notModified: false, new: [], changed: [], removed: [] });
    expect(await store.getKnown()).toEqual(known);
    // A restarted hub (new connection) sees the same.
    expect(await createRedisFeedStateStore({ redis: redis.connect(), prefix: redis.prefix }).getKnown()).toEqual(known);
    expect(unheardErrors()).toEqual([]);
  });
});
