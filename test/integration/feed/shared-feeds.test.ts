/**
 * The real feeds in ../shared/data/feeds (read in place, never copied): parse without warnings,
 * split to the documented id counts, and watch idempotently.
 */
import { expect, it } from 'vitest';
import { fetchFeed } from '../../../src/feed/fetch.ts';
import { splitIds } from '../../../src/feed/ids.ts';
import { parseFeedJson } from '../../../src/feed/parse.ts';
import { createFeedWatcher } from '../../../src/feed/watcher.ts';
import { createMemoryFeedStateStore } from '../../../src/store/feed-state.ts';
import { describeShared, FEED_2023, FEED_RECENT, readShared } from '../../helpers/shared-data.ts';

describeShared('real CVE feeds', () => {
  it.each([
    { name: '2023-07-01 feed', file: 'feeds/official-cve-feed.2023-07-01.json', path: FEED_2023, items: 43, ids: 44, updatedAt: '2023-07-01T22:37:44Z' },
    { name: 'recent sample', file: 'feeds/recent-sample.2023-2025.json', path: FEED_RECENT, items: 8, ids: 8, updatedAt: undefined },
  ])('$name: $items items, $ids ids, no warnings', ({ file, path, items, ids, updatedAt }) => {
    const parsed = parseFeedJson(readShared(file), path);
    expect(parsed.items).toHaveLength(items);
    expect(parsed.meta.items).toBe(items);
    if (updatedAt !== undefined) expect(parsed.meta.updatedAt).toBe(updatedAt);
    expect(parsed.warnings).toEqual([]);
    const all = parsed.items.flatMap((i) => splitIds(i.id));
    expect(all).toHaveLength(ids);
    expect(new Set(all).size).toBe(ids);
  });

  it('2023 feed: the combined item splits in two', () => {
    const parsed = parseFeedJson(readShared('feeds/official-cve-feed.2023-07-01.json'), FEED_2023);
    const combined = parsed.items.filter((i) => splitIds(i.id).length > 1).map((i) => splitIds(i.id));
    expect(combined).toEqual([['CVE-2023-2727', 'CVE-2023-2728']]);
  });

  it('watching the 2023 feed file: 44 new ids, then nothing (304 by file validators, and by hash)', async () => {
    const store = createMemoryFeedStateStore();
    const watcher = createFeedWatcher({ store, fetchFeed, source: FEED_2023 });
    const first = await watcher.poll();
    await watcher.commit(first);
    expect(first.newItems).toHaveLength(44);
    expect(first.warnings).toEqual([]);
    const second = await watcher.poll();
    expect(second.notModified).toBe(true);

    // Validators lost (e.g. a new source path): a full read, still no changes.
    const again = createFeedWatcher({ store, fetchFeed: (s) => fetchFeed(s, { validators: null }), source: FEED_2023 });
    const third = await again.poll();
    expect([third.notModified, third.newItems.length, third.changedItems.length, third.removedIds.length]).toEqual([false, 0, 0, 0]);
  });
});
