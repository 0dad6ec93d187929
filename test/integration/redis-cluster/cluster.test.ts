/**
 * Every store and BullMQ on a real 3-master Redis Cluster (started by test/global-setup.ts):
 * with the hash-tagged prefix no MULTI, Lua script or multi-key command crosses a slot.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createClusterDispatcher } from '../../../src/agent/dispatcher.ts';
import { readAgentStatus } from '../../../src/agent/heartbeat.ts';
import { createVerifyResultsStore } from '../../../src/agent/results-store.ts';
import { createAgentWorker } from '../../../src/agent/worker.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createKubeClient } from '../../../src/kube/client.ts';
import { runHub } from '../../../src/main.ts';
import { bullPrefix } from '../../../src/queue/names.ts';
import { renderHash as snapshotHash } from '../../../src/notify/hash.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { createRedisFeedStateStore } from '../../../src/store/feed-state.ts';
import { createLock, createPostStore } from '../../../src/store/posts.ts';
import { createRedisClient, hashTagOf, redisTargetFrom } from '../../../src/store/redis-connection.ts';
import { createDataLossGuard, markerKey } from '../../../src/store/redis-data-loss.ts';
import { createLastGoodStore } from '../../../src/store/redis-last-good.ts';
import type { VerifyReport } from '../../../src/verify/types.ts';
import { createFakeApiServer, scenarios } from '../../helpers/fake-apiserver.ts';
import { startFakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer } from '../../helpers/feed-server.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { clusterTestRedis, type ClusterTestRedis } from '../../helpers/redis-cluster.ts';
import type { TestRedis } from '../../helpers/redis.ts';
import { advisory, manyAdvisories } from '../../unit/slack/fixtures.ts';
import { postStats, startHub, waitFor } from '../hub/harness.ts';

const nodes = inject('redisCluster');
if (nodes === null) console.warn(`skipping Redis Cluster tests: ${inject('redisClusterSkip')}`);

let t: ClusterTestRedis;
let cleanups: (() => Promise<void>)[];

beforeEach(async () => {
  if (nodes === null) return;
  t = await clusterTestRedis(nodes);
  cleanups = [];
});

afterEach(async () => {
  if (nodes === null) return;
  for (const c of cleanups.reverse()) await c();
  await t.cleanup();
});

/** Every key the test wrote, on every master: all must carry the deployment's tag. */
async function keysOf(redis: Cluster, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of redis.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `*${prefix.slice(1, -1)}*`, 'COUNT', 500);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out.sort();
}

describe.skipIf(nodes === null)('on a 3-master Redis Cluster', () => {
  it('is a real cluster: three masters sharing the slots', async () => {
    expect(t.redis.nodes('master')).toHaveLength(3);
    const info = await t.redis.cluster('INFO');
    expect(String(info)).toMatch(/cluster_state:ok/);
    expect(String(info)).toMatch(/cluster_size:3/);
  });

  it('opens through the config section as main.ts does (redis.cluster.nodes)', async () => {
    const client = createRedisClient(redisTargetFrom({ cluster: { nodes: nodes ?? [] } }, {}), {}, { lazyConnect: true });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(client).toBeInstanceOf(Cluster);
    } finally {
      await client.quit();
    }
  });

  it('feed state: validators and entries in one MULTI; an untagged prefix is refused with CROSSSLOT (why the prefix is tagged)', async () => {
    const store = createRedisFeedStateStore({ redis: t.redis, prefix: t.prefix });
    await store.saveKnown({
      upsert: [['CVE-2023-2727', { hash: 'h1', bodyHash: 'b1', status: 'fixed', url: 'https://github.com/kubernetes/kubernetes/issues/118640' }]],
      validators: { source: 'https://example/feed.json', validators: { etag: '"abc"', lastModified: null } },
    });
    expect(await store.getKnown()).toEqual(new Map([['CVE-2023-2727', { hash: 'h1', bodyHash: 'b1', status: 'fixed', url: 'https://github.com/kubernetes/kubernetes/issues/118640' }]]));
    expect(await store.getValidators('https://example/feed.json')).toEqual({ etag: '"abc"', lastModified: null });

    const untagged = `untagged-${t.prefix.slice(1, -1)}`;
    const slots = await Promise.all([`${untagged}:feed-state:known`, `${untagged}:feed-state:validators`].map((k) => t.redis.cluster('KEYSLOT', k)));
    expect(slots[0]).not.toBe(slots[1]);
    await expect(createRedisFeedStateStore({ redis: t.redis, prefix: untagged }).saveKnown({
      upsert: [['CVE-2023-2727', { hash: 'h', bodyHash: '', status: null, url: 'u' }]],
      validators: { source: 's', validators: { etag: null, lastModified: null } },
    })).rejects.toThrow(/CROSSSLOT|should belong to the same slot/);
  });

  it('posts: claim, mark posted, restore after data loss, lock — Lua scripts on one slot', async () => {
    const posts = createPostStore({ redis: t.redis, prefix: t.prefix });
    const key = { advisory: 'CVE-2023-2727', channel: 'C0PROD' };
    expect(await posts.claim(key, 'job-1')).toEqual({ result: 'claimed' });
    expect(await posts.claim(key, 'job-2')).toEqual({ result: 'busy' });
    await posts.markPosted(key, 'job-1', '1700000000.000100', { hash: 'abc', summary: '{}' });
    expect(await posts.claim(key, 'job-3')).toEqual({ result: 'posted', ts: '1700000000.000100' });
    expect(await posts.channels('CVE-2023-2727')).toEqual(['C0PROD']);
    // Restore never overwrites a posted record; it fills in a missing one.
    expect(await posts.restore(key, '1.1')).toBe(false);
    expect(await posts.restore({ advisory: 'CVE-2024-9042', channel: 'C0PROD' }, '1700000001.000200')).toBe(true);
    expect(await posts.get({ advisory: 'CVE-2024-9042', channel: 'C0PROD' })).toMatchObject({ state: 'posted', ts: '1700000001.000200', recovered: true });
    const lock = createLock({ redis: t.redis, prefix: t.prefix });
    expect(await lock.acquire('CVE-2023-2727-C0PROD', 'a', 5_000)).toBe(true);
    expect(await lock.acquire('CVE-2023-2727-C0PROD', 'b', 5_000)).toBe(false);
    await lock.release('CVE-2023-2727-C0PROD', 'a');
    expect(await lock.acquire('CVE-2023-2727-C0PROD', 'b', 5_000)).toBe(true);
  });

  it('snapshots (MULTI, compare-and-set Lua, MGET), audit stream, last good inventories and calendar', async () => {
    const snapshots = createSnapshotStore({ redis: t.redis, prefix: t.prefix });
    const a = advisory('CVE-2023-2727');
    const b = advisory('CVE-2024-9042');
    const ha = snapshotHash(a, []);
    await snapshots.put({ advisory: a, findings: [], hash: ha, updatedAt: '2026-12-01T00:00:00Z' });
    await snapshots.put({ advisory: b, findings: [], hash: snapshotHash(b, []), updatedAt: '2026-12-01T00:00:00Z' });
    expect((await snapshots.list()).map((s) => s.advisory.id).sort()).toEqual(['CVE-2023-2727', 'CVE-2024-9042']);
    const changed = { ...a, status: 'open' as const };
    expect(await snapshots.replace({ advisory: changed, findings: [], hash: snapshotHash(changed, []), updatedAt: 'x' }, ha)).toBe(true);
    expect((await snapshots.get('CVE-2023-2727'))?.advisory.status).toBe('open');

    const audit = createAuditLog({ redis: t.redis, prefix: t.prefix });
    await audit.record({ user: 'U01AAA', kind: 'command', what: 'verify prod', result: 'queued', channel: 'C0PROD' });
    expect(await audit.recent(5)).toEqual([expect.objectContaining({ user: 'U01AAA', what: 'verify prod', result: 'queued' })]);

    const lastGood = createLastGoodStore({ redis: t.redis, prefix: t.prefix });
    await lastGood.saveInventories([{
      cluster: 'prod-eu', environment: 'prod', provider: 'eks', source: 'live', collectedAt: '2026-12-01T10:00:00Z',
      server: 'v1.29.4-eks-036c24b', nodes: [{ name: 'n1', kubelet: 'v1.29.4-eks-036c24b', kubeProxy: null }], components: {}, error: null,
    }]);
    expect((await lastGood.inventories()).get('prod-eu')).toMatchObject({ server: 'v1.29.4-eks-036c24b' });

    // Every key of the deployment carries its tag: one slot, whatever the key.
    const keys = await keysOf(t.redis, t.prefix);
    expect(keys.length).toBeGreaterThan(3);
    expect(new Set(keys.map(hashTagOf))).toEqual(new Set([t.prefix.slice(1, -1)]));
  });

  it('verify results: saved and compared per cluster', async () => {
    const results = createVerifyResultsStore({ redis: t.redis, prefix: t.prefix });
    const report = (startedAt: string): VerifyReport => ({
      cluster: 'prod-eu', startedAt, durationMs: 5,
      probes: [{ id: 'apiserver-health', status: 'pass', summary: 'ok', evidence: [], durationMs: 1 }],
    });
    await results.save(report('2026-12-01T10:00:00Z'));
    await results.save(report('2026-12-01T11:00:00Z'));
    expect((await results.history('prod-eu')).map((r) => r.startedAt)).toEqual(['2026-12-01T11:00:00Z', '2026-12-01T10:00:00Z']);
    expect((await results.latest('prod-eu'))?.startedAt).toBe('2026-12-01T11:00:00Z');
  });

  it('BullMQ: a queue and a worker under the hash-tagged prefix complete a job', async () => {
    const prefix = bullPrefix(t.prefix);
    const queue = new Queue('roundtrip', { connection: t.connect(), prefix });
    // From the stream's start: a job finished before the first blocking read is still seen.
    const events = new QueueEvents('roundtrip', { connection: t.connect(), prefix, lastEventId: '0-0' });
    const worker = new Worker('roundtrip', async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), { connection: t.connect(), prefix });
    cleanups.push(async () => {
      await worker.close();
      await events.close();
      await queue.close();
    });
    await events.waitUntilReady();
    const job = await queue.add('double', { n: 21 }, { jobId: 'double-21' });
    expect(await job.waitUntilFinished(events, 15_000)).toEqual({ doubled: 42 });
    // A job scheduler (what the hub uses for polling) works there too.
    await queue.upsertJobScheduler('tick', { every: 60_000 }, { name: 'tick', data: { n: 1 } });
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['tick']);
  });

  it('the data-loss guard: marker written, loss found and recovered', async () => {
    const logs: string[] = [];
    let schedules = 0;
    const guard = createDataLossGuard({
      redis: t.redis, prefix: t.prefix,
      logger: { warn: (_o: unknown, m: string) => { logs.push(m); }, info: () => undefined, error: () => undefined } as never,
      feedState: createRedisFeedStateStore({ redis: t.redis, prefix: t.prefix }),
      recoverPosts: async () => ({ posts: 2, advisories: ['CVE-2023-2727'] }),
      recreateSchedulers: async () => { schedules++; },
    });
    cleanups.push(async () => guard.stop());
    expect(await guard.start()).toEqual({ firstInstall: false, recovered: 2 });
    await t.redis.del(markerKey(t.prefix));
    expect(await guard.check()).toBe('recovered');
    expect(logs.filter((l) => l.includes('Redis lost its data; recovered 2 posts, 0 replies, 0 digests from Slack'))).toHaveLength(2);
    expect(schedules).toBe(2);
  });

  it('a hub on the cluster posts every advisory exactly once per channel', async () => {
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const { hub } = await startHub({ redis: t as unknown as TestRedis, fake, advisories: manyAdvisories(5), http: false });
    cleanups.push(() => hub.stop());
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 10, 'ten parent posts');
    await hub.pollNow();
    await waitFor(async () => (await hub.queues.feed.getCompletedCount()) >= 2, 'second poll');
    const stats = postStats(fake);
    expect(stats.top).toBe(10);
    expect(stats.duplicates).toEqual([]);
    expect(await hub.queues.slack.getFailedCount()).toBe(0);
  });

  it('an agent and the hub dispatcher verify a cluster through its queue', async () => {
    const api = await createFakeApiServer({ scenario: scenarios.eks() });
    cleanups.push(() => api.close());
    const config = loadConfig(`
environments: { prod: {} }
clusters:
  - { name: prod-us, environment: prod, agent: true }
`);
    const cluster = config.clusters[0];
    if (!cluster) throw new Error('no cluster');
    const agent = await createAgentWorker({
      cluster: { name: 'prod-us', environment: 'prod' },
      connection: t.redis,
      prefix: t.prefix,
      kube: createKubeClient({ cluster: { name: 'prod-us', kubeconfig: await api.writeKubeconfig() }, timeoutMs: 5_000 }),
    });
    cleanups.push(() => agent.close());
    const dispatcher = createClusterDispatcher({ connection: t.redis, prefix: t.prefix, config });
    cleanups.push(() => dispatcher.close());
    await waitFor(async () => (await readAgentStatus(t.redis, t.prefix, 'prod-us')).alive, 'the agent heartbeat');
    const report = await dispatcher.verify('prod-us');
    expect(report.probes.find((p) => p.id === 'apiserver-health')?.status).toBe('pass');
    expect((await createVerifyResultsStore({ redis: t.redis, prefix: t.prefix }).latest('prod-us'))?.startedAt).toBe(report.startedAt);
  });

  it('runHub with `redis.cluster.nodes` in the config: polls, posts once per channel, stops cleanly', async () => {
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
    cleanups.push(() => feed.close());
    const dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-cluster-hub-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD, staging: C0STAGE }, announceBacklog: true }
environments: { staging: {}, prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
  - { name: fresh, environment: staging, versions: { kubernetes: v1.35.2 } }
redis: { cluster: { nodes: ${JSON.stringify(nodes)} } }
`);
    let stop!: () => void;
    const stopSignal = new Promise<void>((res) => { stop = res; });
    const lines: string[] = [];
    const done = runHub({
      configFile: file,
      env: {
        SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', HEALTH_PORT: '0', SLACK_API_URL: fake.apiUrl,
        // Not reachable: the config's cluster section wins over REDIS_URL.
        REDIS_URL: 'redis://127.0.0.1:1', K8S_ADVISOR_PREFIX: t.prefix.slice(1, -1), LOG_LEVEL: 'info',
      },
      stopSignal,
      logDestination: { write: (line: string) => { lines.push(line); } },
    });
    try {
      await waitFor(() => fake.messages.filter((m) => m.threadTs === null && m.text.includes('CVE-2025-1767')).length === 2, 'the gitRepo advisory in both channels', 20_000);
      const keys = await keysOf(t.redis, t.prefix);
      expect(keys.some((k) => k.startsWith(`${t.prefix}:post:CVE-2025-1767:`))).toBe(true);
      expect(keys.some((k) => k === `${t.prefix}:marker`)).toBe(true);
      expect(new Set(keys.map(hashTagOf))).toEqual(new Set([t.prefix.slice(1, -1)]));
    } finally {
      stop();
      await expect(done).resolves.toBe(0);
    }
    const parents = fake.messages.filter((m) => m.threadTs === null).map((m) => `${m.channel} ${m.text.split(' ')[0]}`);
    expect(new Set(parents).size).toBe(parents.length);
    expect(lines.filter((l) => /"level":50/.test(l))).toEqual([]);
  });
});
