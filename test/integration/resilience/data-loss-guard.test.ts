/** The data-loss guard's decisions on real Redis (unique prefix per test): first install, loss, replicas. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisFeedStateStore } from '../../../src/store/feed-state.ts';
import { createDataLossGuard, markerKey, RECOVERY_SEED_ID, type RecoveredPosts } from '../../../src/store/redis-data-loss.ts';
import { testRedis, type TestRedis } from '../../helpers/redis.ts';
import { waitFor } from '../hub/harness.ts';

let r: TestRedis;
beforeEach(async () => { r = await testRedis('guard'); });
afterEach(async () => { await r.cleanup(); });

function guard(recovered: RecoveredPosts | (() => Promise<RecoveredPosts>), opts: { up?: () => boolean; lockMs?: number } = {}) {
  const warnings: string[] = [];
  const calls = { recover: 0, schedule: 0 };
  const feedState = createRedisFeedStateStore({ redis: r.redis, prefix: r.prefix });
  const g = createDataLossGuard({
    redis: r.redis, prefix: r.prefix, feedState, checkEveryMs: 60_000,
    logger: { warn: (_o: unknown, m: string) => { warnings.push(m); }, info: () => undefined, error: () => undefined } as never,
    recoverPosts: async () => { calls.recover++; return typeof recovered === 'function' ? recovered() : recovered; },
    retryMs: 10, startAttempts: 3,
    recreateSchedulers: async () => { calls.schedule++; },
    ...(opts.up ? { isUp: opts.up } : {}),
    ...(opts.lockMs ? { lockMs: opts.lockMs } : {}),
  });
  return { g, warnings, calls, feedState };
}

describe('data-loss guard', () => {
  it('first install (no marker, nothing in Slack): writes the marker, no loss line, the feed state stays empty (backlog rules apply)', async () => {
    const { g, warnings, calls, feedState } = guard({ posts: 0, advisories: [] });
    expect(await g.start()).toEqual({ firstInstall: true, recovered: 0 });
    g.stop();
    expect(await r.redis.exists(markerKey(r.prefix))).toBe(1);
    expect(warnings).toEqual([]);
    expect(calls).toEqual({ recover: 1, schedule: 1 });
    expect((await feedState.getKnown()).size).toBe(0);
  });

  it('a hub starting over lost data: recovers, says so once, seeds the feed state with the recovered advisories', async () => {
    const { g, warnings, feedState } = guard({ posts: 3, advisories: ['CVE-2023-2727', 'CVE-2024-9042'] });
    expect(await g.start()).toEqual({ firstInstall: false, recovered: 3 });
    g.stop();
    expect(warnings).toEqual(['Redis lost its data; recovered 3 posts, 0 replies, 0 digests from Slack']);
    expect([...(await feedState.getKnown()).keys()].sort()).toEqual(['CVE-2023-2727', 'CVE-2024-9042']);
  });

  it('a hub starting over lost data where only a first-run digest was posted: a loss, not a first install', async () => {
    const { g, warnings, feedState } = guard({ posts: 0, replies: 0, digests: 2, advisories: [] });
    expect(await g.start()).toEqual({ firstInstall: false, recovered: 0 });
    g.stop();
    expect(warnings).toEqual(['Redis lost its data; recovered 0 posts, 0 replies, 2 digests from Slack']);
    // The next poll is a later poll (the digest is not posted again; what is new is posted).
    expect([...(await feedState.getKnown()).keys()]).toEqual([RECOVERY_SEED_ID]);
  });

  it('the marker vanishing under a running hub is a loss even with nothing to recover: the next poll is not a first run', async () => {
    const { g, warnings, calls, feedState } = guard({ posts: 0, advisories: [] });
    await g.start();
    g.stop();
    expect(await g.check()).toBe('ok');
    await r.redis.del(markerKey(r.prefix));
    expect(await g.check()).toBe('recovered');
    expect(warnings).toEqual(['Redis lost its data; recovered 0 posts, 0 replies, 0 digests from Slack']);
    expect([...(await feedState.getKnown()).keys()]).toEqual([RECOVERY_SEED_ID]);
    expect(calls.schedule).toBe(2);
    expect(await g.check()).toBe('ok');
  });

  it('never overwrites a feed state that survived', async () => {
    const { g, feedState } = guard({ posts: 1, advisories: ['CVE-2023-2727'] });
    await feedState.saveKnown({ upsert: [['CVE-2024-9042', { hash: 'h', bodyHash: 'b', status: 'fixed', url: 'u' }]] });
    await g.start();
    g.stop();
    expect([...(await feedState.getKnown()).keys()]).toEqual(['CVE-2024-9042']);
  });

  it('replicas: one recovers, the other adopts its marker and recreates its schedulers', async () => {
    const a = guard({ posts: 2, advisories: ['CVE-2023-2727'] });
    const b = guard({ posts: 2, advisories: ['CVE-2023-2727'] });
    await Promise.all([a.g.start(), b.g.start()]);
    a.g.stop();
    b.g.stop();
    expect(a.calls.recover + b.calls.recover).toBe(1);
    await r.redis.del(markerKey(r.prefix));
    const results = await Promise.all([a.g.check(), b.g.check()]);
    expect(results.filter((x) => x === 'recovered')).toHaveLength(1);
    expect([...a.warnings, ...b.warnings].filter((w) => w.startsWith('Redis lost its data'))).toHaveLength(2);
    // The one that was busy sees the new marker on its next check.
    const later = await Promise.all([a.g.check(), b.g.check()]);
    expect(later.sort()).toEqual(expect.arrayContaining(['ok']));
    expect(later.every((x) => x === 'ok' || x === 'adopted')).toBe(true);
  });

  it('a recovery that outlasts the lock keeps it: no second replica recovers meanwhile', async () => {
    let finish!: () => void;
    const slow = new Promise<void>((res) => { finish = res; });
    const a = guard(async () => { await slow; return { posts: 1, advisories: ['CVE-2023-2727'] }; }, { lockMs: 500 });
    const b = guard({ posts: 1, advisories: ['CVE-2023-2727'] }, { lockMs: 500 });
    const running = a.g.check();
    await waitFor(async () => (await r.redis.exists(`${r.prefix}:lock:data-loss-recovery`)) === 1, 'the recovery lock');
    // Three lock lengths later the lock is still held by the slow recovery.
    await new Promise((res) => setTimeout(res, 1500));
    expect(await b.g.check()).toBe('busy');
    finish();
    expect(await running).toBe('recovered');
    expect(b.calls.recover).toBe(0);
    expect(await r.redis.exists(`${r.prefix}:lock:data-loss-recovery`)).toBe(0);
  });

  it('skips checks while Redis is known to be down (no failed-check line per tick of an outage)', async () => {
    let up = true;
    const { g, warnings } = guard({ posts: 0, advisories: [] }, { up: () => up });
    await g.start();
    g.stop();
    up = false;
    await r.redis.del(markerKey(r.prefix));
    expect(await g.check()).toBe('error');
    expect(warnings).toEqual([]);
    up = true;
    expect(await g.check()).toBe('recovered');
  });

  it('a recovery that cannot read Slack is retried, never skipped: no marker until it succeeds', async () => {
    let fail = false;
    const { g, warnings } = guard(async () => {
      if (fail) throw new Error('could not read the history of C0PROD to recover posts: connect ETIMEDOUT');
      return { posts: 1, advisories: ['CVE-2023-2727'] };
    });
    await g.start();
    g.stop();
    fail = true;
    warnings.length = 0;
    await r.redis.del(markerKey(r.prefix));
    expect(await g.check()).toBe('error');
    expect(await r.redis.exists(markerKey(r.prefix))).toBe(0);
    expect(warnings).toEqual(['data-loss check failed; will retry']);
    fail = false;
    expect(await g.check()).toBe('recovered');
    expect(await r.redis.exists(markerKey(r.prefix))).toBe(1);
  });

  it('at start, retries a failing recovery and then gives up with its error', async () => {
    const { g, warnings } = guard(async () => { throw new Error('slack unreachable'); });
    await expect(g.start()).rejects.toThrow('slack unreachable');
    expect(warnings).toEqual(['could not check Slack for posts to recover; retrying', 'could not check Slack for posts to recover; retrying']);
    expect(await r.redis.exists(markerKey(r.prefix))).toBe(0);
  });
});
