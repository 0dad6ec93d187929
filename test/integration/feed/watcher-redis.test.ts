/**
 * The watcher over real Redis state and a loopback feed server: what a hub replica sees across
 * polls, restarts and broken feeds.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchFeed } from '../../../src/feed/fetch.ts';
import { createFeedWatcher, type PollResult } from '../../../src/feed/watcher.ts';
import { createRedisFeedStateStore, type FeedStateStore } from '../../../src/store/feed-state.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const fixture = (name: string) => readFileSync(resolve(REPO_ROOT, 'test/fixtures/feeds', name), 'utf8');

let t: TestRedis;
let server: FeedServer;

beforeEach(async () => {
  t = await testRedis('feed');
  server = await startFeedServer({ body: fixture('feed-v1.json') });
});
afterEach(async () => {
  await server.close();
  await t.cleanup();
});

const noSleep = async () => undefined;
/** Polls and commits at once, as the hub does once deliveries are planned. */
function watcherOver(store: FeedStateStore) {
  const w = createFeedWatcher({
    store,
    source: server.url,
    fetchFeed: (source, o) => fetchFeed(source, { ...o, sleep: noSleep, timeoutMs: 2_000, maxAttempts: 2 }),
  });
  return { poll: async () => { const d = await w.poll(); await w.commit(d); return d; } };
}
const newStore = () => createRedisFeedStateStore({ redis: t.redis, prefix: t.prefix });
const summary = (r: PollResult) => ({
  notModified: r.notModified,
  new: r.newItems.map((e) => e.id),
  changed: r.changedItems.map((e) => [e.id, e.changes.join('+')]),
  removed: r.removedIds,
});

describe('createRedisFeedStateStore', () => {
  it('round-trips validators and known entries under the prefix', async () => {
    const store = newStore();
    expect(await store.getValidators('a')).toBeNull();
    expect((await store.getKnown()).size).toBe(0);
    await store.setValidators('a', { etag: '"x"', lastModified: null });
    await store.saveKnown({
      upsert: [['CVE-2031-0001', { hash: 'h1', bodyHash: 'b1', status: 'open', url: 'u1' }], ['CVE-2031-0002', { hash: 'h2', bodyHash: 'b2', status: null, url: 'u2' }]],
      validators: { source: 'b', validators: { etag: null, lastModified: 'Sun, 02 Mar 2031 10:00:00 GMT' } },
    });
    await store.saveKnown({ remove: ['CVE-2031-0002'] });
    expect(await store.getValidators('a')).toEqual({ etag: '"x"', lastModified: null });
    expect(await store.getValidators('b')).toEqual({ etag: null, lastModified: 'Sun, 02 Mar 2031 10:00:00 GMT' });
    expect([...(await store.getKnown())]).toEqual([['CVE-2031-0001', { hash: 'h1', bodyHash: 'b1', status: 'open', url: 'u1' }]]);
    const keys = (await t.redis.keys(`${t.prefix}:*`)).sort();
    expect(keys).toEqual([`${t.prefix}:feed-state:known`, `${t.prefix}:feed-state:validators`]);
  });

  it('drops unreadable entries instead of failing', async () => {
    const store = newStore();
    await t.redis.hset(`${t.prefix}:feed-state:known`, 'CVE-2031-0001', '{not json', 'CVE-2031-0002', '{"hash":1}', 'CVE-2031-0003', '{"hash":"h","status":null,"url":"u"}');
    expect([...(await store.getKnown())]).toEqual([['CVE-2031-0003', { hash: 'h', bodyHash: '', status: null, url: 'u' }]]);
  });

  it('applies nothing when an entry is invalid', async () => {
    const store = newStore();
    const bad = { hash: 'h', bodyHash: 'b', status: 'open', url: 7 } as unknown as { hash: string; bodyHash: string; status: string; url: string };
    await expect(store.saveKnown({
      upsert: [['CVE-2031-0001', { hash: 'h', bodyHash: 'b', status: 'open', url: 'u' }], ['CVE-2031-0002', bad]],
      validators: { source: 's', validators: { etag: '"e"', lastModified: null } },
    })).rejects.toThrow();
    expect((await store.getKnown()).size).toBe(0);
    expect(await store.getValidators('s')).toBeNull();
  });

  it('two pollers saving the same changes in any order leave the same state', async () => {
    const a = newStore();
    const b = createRedisFeedStateStore({ redis: t.connect(), prefix: t.prefix });
    const changes = {
      upsert: [['CVE-2031-0001', { hash: 'h', bodyHash: 'b', status: 'fixed', url: 'u' }]] as const,
      remove: ['CVE-2031-0009'],
      validators: { source: 's', validators: { etag: '"e"', lastModified: null } },
    };
    await Promise.all([a.saveKnown(changes), b.saveKnown(changes), a.saveKnown(changes)]);
    expect([...(await b.getKnown())]).toEqual([['CVE-2031-0001', { hash: 'h', bodyHash: 'b', status: 'fixed', url: 'u' }]]);
  });
});

describe('feed watcher on Redis', () => {
  it('new → next feed changes → nothing; a restarted watcher over the same state sees no changes', async () => {
    const first = await watcherOver(newStore()).poll();
    expect(summary(first)).toEqual({
      notModified: false, new: ['CVE-2031-1001', 'CVE-2030-2001', 'CVE-2030-2002', 'CVE-2031-3001'], changed: [], removed: [],
    });

    server.setBody(fixture('feed-v2.json'));
    const watcher = watcherOver(newStore());
    const second = await watcher.poll();
    expect(summary(second)).toEqual({
      notModified: false, new: ['CVE-2031-4001'], changed: [['CVE-2031-1001', 'status+body'], ['CVE-2031-3001', 'body']], removed: [],
    });
    expect(second.changedItems[0]).toMatchObject({ previous: { status: 'open' }, current: { status: 'fixed' } });
    expect(summary(await watcher.poll())).toEqual({ notModified: true, new: [], changed: [], removed: [] });

    // A restarted hub: new connection, new store, new watcher. The server answers 304…
    const restarted = watcherOver(createRedisFeedStateStore({ redis: t.connect(), prefix: t.prefix }));
    expect(summary(await restarted.poll())).toEqual({ notModified: true, new: [], changed: [], removed: [] });
    expect(server.requests.at(-1)?.headers['if-none-match']).toBe(server.etag);
    // …and even when it ignores validators, the content hashes say nothing changed.
    server.disableConditional();
    expect(summary(await restarted.poll())).toEqual({ notModified: false, new: [], changed: [], removed: [] });
  });

  it.each([
    { mode: 'html', code: 'FEED_NOT_JSON' },
    { mode: 'truncated', code: 'FEED_NOT_JSON' },
    { mode: 'error-500', code: 'FEED_HTTP' },
  ] as const)('a broken feed ($mode) never erases known state', async ({ mode, code }) => {
    const store = newStore();
    const watcher = watcherOver(store);
    await watcher.poll();
    const known = await store.getKnown();
    const validators = await store.getValidators(server.url);
    server.setBody(fixture('feed-v2.json'));
    server.fail(mode);
    await expect(watcher.poll()).rejects.toMatchObject({ code });
    expect(await store.getKnown()).toEqual(known);
    expect(await store.getValidators(server.url)).toEqual(validators);
  });

  it('two replicas polling at once: the changes are reported at least once and the state ends the same', async () => {
    await watcherOver(newStore()).poll();
    server.setBody(fixture('feed-v2.json'));
    const results = await Promise.all([
      watcherOver(newStore()).poll(),
      watcherOver(createRedisFeedStateStore({ redis: t.connect(), prefix: t.prefix })).poll(),
    ]);
    // Which replica reports depends on timing (the queue dedupes later); the union never loses anything.
    expect(new Set(results.flatMap((r) => r.newItems.map((e) => e.id)))).toEqual(new Set(['CVE-2031-4001']));
    expect(new Set(results.flatMap((r) => r.changedItems.map((e) => e.id)))).toEqual(new Set(['CVE-2031-1001', 'CVE-2031-3001']));
    expect(summary(await watcherOver(newStore()).poll())).toEqual({ notModified: true, new: [], changed: [], removed: [] });
    server.disableConditional();
    expect(summary(await watcherOver(newStore()).poll())).toEqual({ notModified: false, new: [], changed: [], removed: [] });
  });
});
