/**
 * The posting pace on a real 3-master Redis Cluster (started by test/global-setup.ts): the
 * bucket and the per-job reservation share the deployment's hash tag, so the one Lua script
 * never crosses a slot, and two hubs on the cluster stay under the fake Slack's limit.
 */
import type { Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { createSlackPacer } from '../../../src/slack/pace.ts';
import { hashTagOf } from '../../../src/store/redis-connection.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { clusterTestRedis, type ClusterTestRedis } from '../../helpers/redis-cluster.ts';
import type { TestRedis } from '../../helpers/redis.ts';
import { manyAdvisories } from '../../unit/slack/fixtures.ts';
import { postStats, settled, startHub, waitFor } from '../hub/harness.ts';

const nodes = inject('redisCluster');
if (nodes === null) console.warn(`skipping Redis Cluster pace tests: ${inject('redisClusterSkip')}`);

let t: ClusterTestRedis;
let fake: FakeSlack;
let hubs: Hub[];

beforeEach(async () => {
  if (nodes === null) return;
  t = await clusterTestRedis(nodes, 'pace');
  fake = await startFakeSlack();
  hubs = [];
});

afterEach(async () => {
  if (nodes === null) return;
  for (const h of hubs) await h.stop();
  await fake.close();
  await t.cleanup();
});

describe.skipIf(nodes === null)('posting pace on a 3-master Redis Cluster', () => {
  it('takes and reserves slots with the hash-tagged prefix; every key it wrote carries the tag', async () => {
    const pacer = createSlackPacer({ redis: t.redis, prefix: t.prefix, pace: { perChannel: 1, burst: 1, updatesPerMinute: 60 } });
    expect(await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'job-a')).toEqual({ ok: true });
    const second = await pacer.take({ kind: 'post', channel: 'C0PROD' }, 'job-b');
    expect(second.ok).toBe(false);
    expect(second.ok ? 0 : second.waitMs).toBeGreaterThan(0);
    expect(second.ok ? 0 : second.waitMs).toBeLessThanOrEqual(1000);
    expect(await pacer.take({ kind: 'update' }, 'job-a')).toEqual({ ok: true });
    const keys: string[] = [];
    for (const node of t.redis.nodes('master')) keys.push(...(await node.keys(`*${t.prefix.slice(1, -1)}*pace*`)));
    expect(keys.length).toBe(3);
    expect(keys.every((k) => hashTagOf(k) === hashTagOf(t.prefix))).toBe(true);
  });

  it('two hubs on the cluster post a backlog paced: no 429, each advisory once per channel', async () => {
    fake.rateLimit('chat.postMessage', { perChannel: 5, windowMs: 1000 });
    const n = 8;
    const done = [0, 0];
    for (const i of [0, 1]) {
      const onWorker = (w: Worker) => {
        if (w.name.includes('slack')) w.on('completed', () => { done[i] = (done[i] ?? 0) + 1; });
      };
      const { hub } = await startHub({
        redis: t as unknown as TestRedis, fake, advisories: manyAdvisories(n), http: false,
        overrides: { onWorker, pace: { perChannel: 2, burst: 1, updatesPerMinute: 600 } },
      });
      hubs.push(hub);
    }
    await hubs[0]?.pollNow();
    await waitFor(() => postStats(fake).top === 2 * n, `${2 * n} posts`, 30_000);
    await settled(hubs[0] as Hub, 'the backlog');
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: n, C0STAGE: n });
    expect(stats.duplicates).toEqual([]);
    expect(fake.rateLimited).toEqual([]);
    expect(done.every((d) => d > 0)).toBe(true);
  });
});
