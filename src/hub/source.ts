/**
 * Advisory sources for the hub. `createWatcherSource` adapts the feed watcher (src/feed/watcher.ts):
 * `poll` returns the watcher's diff as advisories (saving nothing), and `commit` saves it once
 * the feed worker has queued the deliveries: a poll killed half-way is reported again (at least
 * once), and deterministic job ids + post claims make that exactly once in Slack.
 */
import type { Advisory } from '../advisory/types.ts';
import type { FeedItem } from '../feed/item.ts';
import type { FeedDiff, FeedWatcher } from '../feed/watcher.ts';
import type { AdvisorySource, SourceBatch } from '../queue/workers/feed-worker.ts';
import { yieldToEventLoop } from './pipeline.ts';

/** The part of the watcher's diff the hub reads. */
export interface WatcherPollResult {
  firstRun: boolean;
  newItems: { id: string; item: FeedItem }[];
  changedItems: { id: string; item: FeedItem }[];
  /** Known from Slack alone after Redis lost its data (see FeedDiff.recoveredItems). */
  recoveredItems?: { id: string; item: FeedItem }[];
}

export interface WatcherSourceOptions {
  watcher: Pick<FeedWatcher, 'poll' | 'commit'>;
  /** `parseItem` from src/advisory/parse.ts. */
  parseItem: (item: FeedItem) => Advisory[];
}

/**
 * New and changed entries → one advisory per CVE id (a combined item yields only the ids
 * reported). Yields to the event loop between items: a backlog is dozens of long bodies.
 */
export async function advisoriesOf(result: WatcherPollResult, parseItem: (item: FeedItem) => Advisory[]): Promise<Advisory[]> {
  const out = new Map<string, Advisory>();
  const parsed = new Map<FeedItem, Advisory[]>();
  for (const entry of [...result.newItems, ...result.changedItems, ...(result.recoveredItems ?? [])]) {
    // A combined item is reported once per id: parse it once.
    let list = parsed.get(entry.item);
    if (list === undefined) {
      parsed.set(entry.item, (list = parseItem(entry.item)));
      await yieldToEventLoop();
    }
    for (const a of list) if (a.id === entry.id) out.set(a.id, a);
  }
  return [...out.values()];
}

export function createWatcherSource(options: WatcherSourceOptions): AdvisorySource {
  const diffs = new WeakMap<SourceBatch, FeedDiff>();
  return {
    async poll() {
      const diff = await options.watcher.poll();
      const batch: SourceBatch = {
        advisories: await advisoriesOf(diff, options.parseItem), firstRun: diff.firstRun, known: diff.knownIds,
        ...(diff.recoveredItems.length > 0 ? { recovered: diff.recoveredItems.map((e) => e.id) } : {}),
      };
      diffs.set(batch, diff);
      return batch;
    },
    async commit(batch) {
      const diff = diffs.get(batch);
      if (diff === undefined) throw new Error('commit of a batch this source did not poll');
      await options.watcher.commit(diff);
    },
  };
}

/** A fixed list, returned on every poll (tests, demo, a feed file read once); nothing to commit. */
export function staticSource(advisories: Advisory[] | (() => Advisory[])): AdvisorySource {
  return {
    async poll() {
      return { advisories: typeof advisories === 'function' ? advisories() : advisories };
    },
    async commit() {},
  };
}
