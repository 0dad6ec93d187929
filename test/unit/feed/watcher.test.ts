import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeedError } from '../../../src/errors.ts';
import type { FeedFetcher, FetchFeedResult } from '../../../src/feed/fetch.ts';
import type { FeedItem, FeedValidators } from '../../../src/feed/item.ts';
import { contentHash as defaultContentHash } from '../../../src/feed/hash.ts';
import { createFeedWatcher, type FeedWatcher, type PollResult } from '../../../src/feed/watcher.ts';
import { SEED_ENTRY, createMemoryFeedStateStore, isSeedEntry, type FeedStateStore, type KnownEntry } from '../../../src/store/feed-state.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const SRC = 'https://feed.test/index.json';
const fixture = (name: string) => readFileSync(resolve(REPO_ROOT, 'test/fixtures/feeds', name), 'utf8');
const feedOf = (items: unknown[]) => JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', items });
const item = (id: string, extra: Record<string, unknown> = {}) => ({
  id, url: `https://github.com/example/k8s/issues/${id.slice(-4)}`, summary: `summary of ${id}`, content_text: `body of ${id}`, status: 'fixed', ...extra,
});

/** A fetcher serving whatever `body` currently holds; ETag = the body, so an unchanged body answers 304. */
function fakeFetcher(initial: string) {
  const state = { body: initial, seen: [] as (FeedValidators | null | undefined)[] };
  const fetcher: FeedFetcher = async (source, { validators }) => {
    state.seen.push(validators);
    const etag = `"${state.body.length}:${hashText(state.body)}"`;
    const result: FetchFeedResult = validators?.etag === etag
      ? { notModified: true, source, status: 304, validators: { etag, lastModified: null }, attempts: 1 }
      : { notModified: false, source, status: 200, text: state.body, bytes: state.body.length, validators: { etag, lastModified: null }, attempts: 1 };
    return result;
  };
  return { state, fetcher };
}

function hashText(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

const summary = (r: PollResult) => ({
  notModified: r.notModified,
  new: r.newItems.map((e) => e.id),
  changed: r.changedItems.map((e) => [e.id, e.changes.join('+')]),
  removed: r.removedIds,
});

/** Poll, then commit what was seen, as the hub does once deliveries are planned. */
function committing(w: FeedWatcher): { poll(): Promise<PollResult> } {
  return { poll: async () => { const d = await w.poll(); await w.commit(d); return d; } };
}

function setup(initial: string, store: FeedStateStore = createMemoryFeedStateStore()) {
  const { state, fetcher } = fakeFetcher(initial);
  const watcher = committing(createFeedWatcher({ store, fetchFeed: fetcher, source: SRC }));
  return { state, store, watcher };
}

describe('createFeedWatcher', () => {
  it('first poll: every CVE id is new, combined items split; second poll: nothing', async () => {
    const { watcher, state } = setup(fixture('feed-v1.json'));
    const first = await watcher.poll();
    expect(first.firstRun).toBe(true);
    expect(summary(first)).toEqual({
      notModified: false, new: ['CVE-2031-1001', 'CVE-2030-2001', 'CVE-2030-2002', 'CVE-2031-3001'], changed: [], removed: [],
    });
    expect(first.meta).toEqual({ source: SRC, updatedAt: '2031-03-02T10:00:00Z', items: 3 });
    const [a, b] = first.newItems.filter((e) => e.id.startsWith('CVE-2030'));
    expect(a?.item).toBe(b?.item);
    expect(a?.current).toEqual(b?.current);
    expect(state.seen[0]).toBeNull();

    const second = await watcher.poll();
    expect(second.firstRun).toBe(false);
    expect(summary(second)).toEqual({ notModified: true, new: [], changed: [], removed: [] });
    expect(state.seen[1]?.etag).toMatch(/^"/);
  });

  it('same feed fetched in full again (no 304) reports no changes', async () => {
    const { watcher, state } = setup(fixture('feed-v1.json'));
    await watcher.poll();
    state.body = `${fixture('feed-v1.json')}\n`; // different bytes, same content
    expect(summary(await watcher.poll())).toEqual({ notModified: false, new: [], changed: [], removed: [] });
  });

  it('next feed: new item, open → fixed with body, body edit; dates ignored', async () => {
    const { watcher, state } = setup(fixture('feed-v1.json'));
    await watcher.poll();
    state.body = fixture('feed-v2.json');
    const r = await watcher.poll();
    expect(summary(r)).toEqual({
      notModified: false,
      new: ['CVE-2031-4001'],
      changed: [['CVE-2031-1001', 'status+body'], ['CVE-2031-3001', 'body']],
      removed: [],
    });
    const moved = r.changedItems[0];
    expect(moved?.previous.status).toBe('open');
    expect(moved?.current.status).toBe('fixed');
    expect(moved?.previous.hash).not.toBe(moved?.current.hash);
    expect(summary(await watcher.poll())).toEqual({ notModified: true, new: [], changed: [], removed: [] });
  });

  it.each([
    { name: 'status only', next: item('CVE-2031-0001', { status: 'open' }), changes: ['status'] },
    { name: 'status null → fixed', start: item('CVE-2031-0001', { status: null }), next: item('CVE-2031-0001'), changes: ['status'] },
    { name: 'body edited', next: item('CVE-2031-0001', { content_text: 'new body' }), changes: ['body'] },
    { name: 'summary edited', next: item('CVE-2031-0001', { summary: 'new title' }), changes: ['body'] },
    { name: 'url moved', next: item('CVE-2031-0001', { url: 'https://github.com/example/k8s/issues/9' }), changes: ['url'] },
    { name: 'CRLF → LF and trailing blanks only', start: item('CVE-2031-0001', { content_text: 'a\r\nb  \r\n', summary: 'x ' }), next: item('CVE-2031-0001', { content_text: 'a\nb', summary: 'x' }), changes: [] },
    { name: 'date_published moved only', start: item('CVE-2031-0001', { date_published: '2031-01-01T00:00:00Z' }), next: item('CVE-2031-0001', { date_published: '2020-01-01T00:00:00Z' }), changes: [] },
  ])('classifies a change: $name', async ({ start, next, changes }) => {
    const { watcher, state } = setup(feedOf([start ?? item('CVE-2031-0001')]));
    await watcher.poll();
    state.body = feedOf([next]);
    const r = await watcher.poll();
    expect(r.changedItems.map((e) => e.changes)).toEqual(changes.length === 0 ? [] : [changes]);
  });

  it('reports a change of the injected hash alone as "hash"', async () => {
    const store = createMemoryFeedStateStore();
    const { state, fetcher } = fakeFetcher(feedOf([item('CVE-2031-0001')]));
    await committing(createFeedWatcher({ store, fetchFeed: fetcher, source: SRC, hash: () => 'parser-v1' })).poll();
    state.body = feedOf([item('CVE-2031-0001')]) + ' ';
    const r = await committing(createFeedWatcher({ store, fetchFeed: fetcher, source: SRC, hash: () => 'parser-v2' })).poll();
    expect(r.changedItems.map((e) => [e.id, e.changes, e.previous.hash, e.current.hash])).toEqual([['CVE-2031-0001', ['hash'], 'parser-v1', 'parser-v2']]);
  });

  it('an entry known only from Slack (seeded after Redis lost its data) is recovered, not new nor changed, and then known', async () => {
    const store = createMemoryFeedStateStore();
    await store.saveKnown({ upsert: [['CVE-2031-0001', SEED_ENTRY]] });
    const { state, fetcher } = fakeFetcher(feedOf([item('CVE-2031-0001'), item('CVE-2031-0002')]));
    const watcher = committing(createFeedWatcher({ store, fetchFeed: fetcher, source: SRC }));
    const r = await watcher.poll();
    expect([r.firstRun, r.newItems.map((e) => e.id), r.changedItems.map((e) => e.id), r.recoveredItems.map((e) => e.id)])
      .toEqual([false, ['CVE-2031-0002'], [], ['CVE-2031-0001']]);
    expect(isSeedEntry((await store.getKnown()).get('CVE-2031-0001') as KnownEntry)).toBe(false);
    state.body = `${state.body} `;
    const again = await watcher.poll();
    expect([again.newItems.length, again.changedItems.length, again.recoveredItems.length]).toEqual([0, 0, 0]);
  });

  it('reports removed ids once, and a later reappearance as new', async () => {
    const { watcher, state } = setup(feedOf([item('CVE-2031-0001'), item('CVE-2031-0002'), item('CVE-2031-0003')]));
    await watcher.poll();
    state.body = feedOf([item('CVE-2031-0001'), item('CVE-2031-0003')]);
    expect(summary(await watcher.poll())).toMatchObject({ removed: ['CVE-2031-0002'] });
    state.body = `${state.body} `;
    expect(summary(await watcher.poll())).toMatchObject({ removed: [], new: [] });
    state.body = feedOf([item('CVE-2031-0001'), item('CVE-2031-0002'), item('CVE-2031-0003')]);
    expect(summary(await watcher.poll())).toMatchObject({ new: ['CVE-2031-0002'] });
  });

  it('an item unreadable this time is neither removed nor updated', async () => {
    const { watcher, state, store } = setup(feedOf([item('CVE-2031-0001'), item('CVE-2031-0002')]));
    await watcher.poll();
    const before = (await store.getKnown()).get('CVE-2031-0002');
    state.body = feedOf([item('CVE-2031-0001'), item('CVE-2031-0002', { url: 42 })]);
    const r = await watcher.poll();
    expect(summary(r)).toEqual({ notModified: false, new: [], changed: [], removed: [] });
    expect(r.warnings).toEqual([expect.stringContaining('item 1 (CVE-2031-0002) skipped: url:')]);
    expect((await store.getKnown()).get('CVE-2031-0002')).toEqual(before);
  });

  it.each([
    { name: 'HTML page', body: '<!DOCTYPE html><html></html>', code: 'FEED_NOT_JSON' },
    { name: 'not a JSON Feed', body: '{"error":"rate limited"}', code: 'FEED_SHAPE' },
    { name: 'no items at all', body: feedOf([]), code: 'FEED_SHAPE' },
  ])('a malformed feed ($name) throws and leaves the state untouched', async ({ body, code }) => {
    const { watcher, state, store } = setup(fixture('feed-v1.json'));
    await watcher.poll();
    const known = await store.getKnown();
    const validators = await store.getValidators(SRC);
    state.body = body;
    await expect(watcher.poll()).rejects.toMatchObject({ code });
    expect(await store.getKnown()).toEqual(known);
    expect(await store.getValidators(SRC)).toEqual(validators);
    state.body = fixture('feed-v1.json');
    expect(summary(await watcher.poll())).toEqual({ notModified: true, new: [], changed: [], removed: [] });
  });

  it('an empty feed on a first run is fine', async () => {
    const { watcher } = setup(feedOf([]));
    expect(summary(await watcher.poll())).toEqual({ notModified: false, new: [], changed: [], removed: [] });
  });

  it('poll saves nothing: a diff not committed (its caller died before planning delivery) is reported again', async () => {
    const store = createMemoryFeedStateStore();
    const { fetcher } = fakeFetcher(fixture('feed-v1.json'));
    const watcher = createFeedWatcher({ store, fetchFeed: fetcher, source: SRC });
    const lost = await watcher.poll();
    expect(lost.newItems).toHaveLength(4);
    expect(lost.knownIds).toBe(4);
    expect((await store.getKnown()).size).toBe(0);
    expect(await store.getValidators(SRC)).toBeNull();
    const again = await watcher.poll();
    expect(again.newItems.map((e) => e.id)).toEqual(lost.newItems.map((e) => e.id));
    await watcher.commit(again);
    // Committing the same diff twice (a retried job) leaves the same state.
    await watcher.commit(again);
    expect([...(await store.getKnown()).keys()].sort()).toEqual(lost.newItems.map((e) => e.id).sort());
    const after = await watcher.poll();
    expect(summary(after)).toEqual({ notModified: true, new: [], changed: [], removed: [] });
    expect(after.pending).toBeNull();
  });

  it('refuses a diff from another source', async () => {
    const { fetcher } = fakeFetcher(fixture('feed-v1.json'));
    const a = createFeedWatcher({ store: createMemoryFeedStateStore(), fetchFeed: fetcher, source: SRC });
    const b = createFeedWatcher({ store: createMemoryFeedStateStore(), fetchFeed: fetcher, source: 'https://other.test/feed.json' });
    await expect(b.commit(await a.poll())).rejects.toThrow(/committed to the watcher of https:\/\/other.test/);
  });

  it('fetch errors propagate and save nothing', async () => {
    const store = createMemoryFeedStateStore();
    const watcher = committing(createFeedWatcher({
      store, source: SRC,
      fetchFeed: async () => {
        throw new FeedError('FEED_TIMEOUT', 'slow', { retryable: true });
      },
    }));
    await expect(watcher.poll()).rejects.toMatchObject({ code: 'FEED_TIMEOUT' });
    expect(await store.getValidators(SRC)).toBeNull();
  });

  it('concurrent polls on one watcher share one fetch', async () => {
    const { fetcher, state } = fakeFetcher(fixture('feed-v1.json'));
    const watcher = createFeedWatcher({ store: createMemoryFeedStateStore(), fetchFeed: fetcher, source: SRC });
    const [a, b] = await Promise.all([watcher.poll(), watcher.poll()]);
    expect(a).toBe(b);
    expect(state.seen).toHaveLength(1);
  });

  it('keys an id-less item on its raw id and keeps the first of duplicate CVE ids', async () => {
    const { watcher } = setup(feedOf([item('GHSA-aaaa'), item('CVE-2031-0001'), item('CVE-2031-0001, CVE-2031-0002')]));
    const r = await watcher.poll();
    expect(r.newItems.map((e) => [e.id, e.item.id])).toEqual([
      ['GHSA-aaaa', 'GHSA-aaaa'], ['CVE-2031-0001', 'CVE-2031-0001'], ['CVE-2031-0002', 'CVE-2031-0001, CVE-2031-0002'],
    ]);
    expect(r.warnings).toContain('CVE-2031-0001 appears in more than one item; keeping the first');
  });
});

describe('defaultContentHash', () => {
  const base: FeedItem = { id: 'CVE-2031-0001', url: 'u', summary: 's', content_text: 'b', status: 'open' };
  it.each([
    { name: 'status', other: { ...base, status: 'fixed' }, same: false },
    { name: 'body', other: { ...base, content_text: 'c' }, same: false },
    { name: 'summary trailing space', other: { ...base, summary: 's  ' }, same: true },
    { name: 'url', other: { ...base, url: 'v' }, same: true },
    { name: 'date', other: { ...base, date_published: '2020-01-01' }, same: true },
  ])('$name → same hash: $same', ({ other, same }) => {
    expect(defaultContentHash(other) === defaultContentHash(base)).toBe(same);
  });
});
