/**
 * Advisory sources for the hub. `createWatcherSource` adapts the feed watcher (src/feed/watcher.ts):
 * the hub's triage-and-enqueue runs inside the watcher's `beforeCommit`, so the watcher saves
 * "seen" only once the deliver jobs exist: a poll killed half-way is reported again (at least once),
 * and deterministic job ids + post claims make that exactly once in Slack.
 */
import type { Advisory } from '../advisory/types.ts';
import type { FeedItem } from '../feed/item.ts';
import type { AdvisorySource, SourceBatch } from '../queue/workers/feed-worker.ts';

/** The part of the watcher's poll result the hub reads. */
export interface WatcherPollResult {
  firstRun: boolean;
  newItems: { id: string; item: FeedItem }[];
  changedItems: { id: string; item: FeedItem }[];
}

export interface WatcherSourceOptions {
  /** Build the watcher with this `beforeCommit` (e.g. `(beforeCommit) => createFeedWatcher({ ..., beforeCommit })`). */
  createWatcher: (beforeCommit: (result: WatcherPollResult) => Promise<void>) => { poll(): Promise<unknown> };
  /** `parseItem` from src/advisory/parse.ts. */
  parseItem: (item: FeedItem) => Advisory[];
}

/** New and changed entries → one advisory per CVE id (a combined item yields only the ids reported). */
export function advisoriesOf(result: WatcherPollResult, parseItem: (item: FeedItem) => Advisory[]): Advisory[] {
  const out = new Map<string, Advisory>();
  for (const entry of [...result.newItems, ...result.changedItems]) {
    for (const a of parseItem(entry.item)) if (a.id === entry.id) out.set(a.id, a);
  }
  return [...out.values()];
}

export function createWatcherSource(options: WatcherSourceOptions): AdvisorySource {
  let handle: ((batch: SourceBatch) => Promise<void>) | null = null;
  const watcher = options.createWatcher(async (result) => {
    if (handle === null) return;
    await handle({ advisories: advisoriesOf(result, options.parseItem), firstRun: result.firstRun });
  });
  return {
    async poll(h) {
      handle = h;
      try {
        await watcher.poll();
      } finally {
        handle = null;
      }
    },
  };
}

/** A fixed list, returned on every poll (tests, demo, a feed file read once). */
export function staticSource(advisories: Advisory[] | (() => Advisory[])): AdvisorySource {
  return {
    async poll(h) {
      await h({ advisories: typeof advisories === 'function' ? advisories() : advisories });
    },
  };
}
