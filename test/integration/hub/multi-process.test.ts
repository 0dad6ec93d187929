/**
 * Exactly once across replicas: three hub processes on one Redis post 50 advisories once per
 * channel; a hub killed with SIGKILL mid-run and restarted neither loses nor duplicates a post.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { bullPrefix } from '../../../src/queue/names.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { REDIS_URL, type TestRedis, testRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { postStats, waitFor } from './harness.ts';
import { createPostStore } from '../../../src/store/posts.ts';
import { manyAdvisories } from '../../unit/slack/fixtures.ts';

const SCRIPT = resolve(REPO_ROOT, 'test/integration/hub/hub-process.ts');

let redis: TestRedis;
let fake: FakeSlack;
let children: ChildProcess[];

function spawnHub(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, REDIS_URL, HUB_PREFIX: redis.prefix, SLACK_API_URL: fake.apiUrl, HUB_ADVISORIES: '50', HUB_POLL_MS: '300', HUB_LOCK_MS: '2000', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); if (process.env.DEBUG_HUB) process.stderr.write(d); });
  return new Promise((resolveReady, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolveReady(child);
    });
    child.once('exit', (code) => reject(new Error(`hub process exited (${code}) before ready: ${stderr.slice(-2000)}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

beforeEach(async () => {
  redis = await testRedis('hub-multi');
  fake = await startFakeSlack();
  children = [];
});

afterEach(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
  await Promise.all(children.map(exited));
  await fake.close();
  await redis.cleanup();
});

async function pollsCompleted(): Promise<number> {
  const q = new Queue('feed', { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  try {
    return await q.getCompletedCount();
  } finally {
    await q.close();
  }
}

describe('several hub processes on one Redis', () => {
  it('post 50 advisories exactly once per channel', { timeout: 60_000 }, async () => {
    await Promise.all([spawnHub(), spawnHub(), spawnHub()]);
    await waitFor(() => postStats(fake).top >= 100, '100 posts', 40_000);
    // Let several more scheduler ticks run (each repeats all 50 advisories), then count again.
    const after = await pollsCompleted();
    await waitFor(async () => (await pollsCompleted()) >= after + 3, 'three more polls', 20_000);
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: 50, C0STAGE: 50 });
    expect(stats.duplicates).toEqual([]);
    // One schedule for the deployment, whatever the number of replicas.
    const q = new Queue('feed', { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    expect((await q.getJobSchedulers()).map((s) => s.key)).toEqual(['feed-poll']);
    await q.close();
    // Each tick ran once: never more completed polls than ticks a single schedule produces.
    const polled = fake.callsOf('chat.postMessage').length;
    expect(polled).toBe(100);
  });

  it('a hub killed with SIGKILL mid-run and restarted neither loses nor duplicates a post', { timeout: 90_000 }, async () => {
    // Slack records each post, then answers slowly: a kill lands between "accepted" and "ts recorded".
    fake.delay('chat.postMessage', 150);
    const first = await spawnHub();
    await waitFor(() => postStats(fake).top >= 15, 'some posts', 40_000);
    first.kill('SIGKILL');
    await exited(first);
    const before = postStats(fake).top;
    expect(before).toBeLessThan(100);

    fake.delay('chat.postMessage', 0);
    await spawnHub();
    await waitFor(() => postStats(fake).top >= 100, 'all posts after restart', 60_000);
    // Every post recorded as posted (the in-flight ones through reconciliation), with the ts Slack gave.
    const posts = createPostStore({ redis: redis.redis, prefix: redis.prefix });
    const keys = manyAdvisories(50).flatMap((a) => ['C0PROD', 'C0STAGE'].map((channel) => ({ advisory: a.id, channel })));
    await waitFor(async () => {
      const recs = await Promise.all(keys.map((k) => posts.get(k)));
      return recs.every((r) => r?.state === 'posted');
    }, 'every post recorded', 30_000);
    const byMarker = new Map(fake.messages.map((m) => [String(m.metadata?.event_payload.marker), m.ts]));
    for (const k of keys) expect((await posts.get(k))?.ts).toBe(byMarker.get(`${k.advisory}/${k.channel}/parent`));
    const after = await pollsCompleted();
    await waitFor(async () => (await pollsCompleted()) >= after + 3, 'three more polls', 20_000);
    const stats = postStats(fake);
    expect(stats.perChannel).toEqual({ C0PROD: 50, C0STAGE: 50 });
    expect(stats.duplicates).toEqual([]);
    // The post in flight at the kill was found by its marker, not posted again.
    expect(fake.callsOf('conversations.history').length).toBeGreaterThan(0);
  });
});
