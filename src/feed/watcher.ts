/**
 * Polls the feed and reports what is new, changed or gone since the last successful poll,
 * per CVE id (a combined pre-2024 item yields one entry per id). Changes are found by id set
 * and content hash, never by `date_published`: that is the creation time, it never
 * moves when a body is edited or a status goes open → fixed, and backfilled issues carry
 * old dates.
 *
 * `poll` only reads: it returns the diff with the state it would save (`pending`), and the
 * caller saves it with `commit(diff)` once it has planned the delivery of what the diff says
 * (deliver jobs queued with deterministic ids). A poll whose caller dies before committing is
 * reported again by the next poll (at least once; idempotent consumers make it exactly once),
 * and a broken feed never erases what we know. After a commit, the same feed reports nothing.
 */
import { FeedError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type FeedStateChanges, type FeedStateStore, type KnownEntry, isSeedEntry } from '../store/feed-state.ts';
import type { FeedFetcher } from './fetch.ts';
import { splitIds } from './ids.ts';
import { bodyHash, contentHash } from './hash.ts';
import type { FeedItem, FeedMeta } from './item.ts';
import { parseFeedJson, type ParsedFeed } from './parse.ts';

/** What moved between two sightings of one CVE id. */
export type ChangeKind = 'status' | 'body' | 'url' | 'hash';

export interface FeedEntry {
  /** One CVE id. */
  id: string;
  /** The feed item it came from (shared by the ids of a combined item). */
  item: FeedItem;
  current: KnownEntry;
}

export interface ChangedFeedEntry extends FeedEntry {
  previous: KnownEntry;
  /**
   * `status`: e.g. open → fixed; `body`: summary or body text edited; `url`: issue moved;
   * `hash`: only the injected hash differs (a new parser version), nothing a reader would see.
   */
  changes: ChangeKind[];
}

export interface PollResult {
  source: string;
  /** The server (or file) said nothing changed; nothing was parsed. */
  notModified: boolean;
  /** Nothing was known before this poll: every id is new. Callers may choose not to announce a backlog. */
  firstRun: boolean;
  meta: FeedMeta | null;
  newItems: FeedEntry[];
  changedItems: ChangedFeedEntry[];
  /**
   * Known only from Slack after Redis lost its data (a seed entry): neither new nor changed. Their
   * threads are kept up to date; nothing is posted where they have none (a digest listed them).
   */
  recoveredItems: FeedEntry[];
  removedIds: string[];
  warnings: string[];
  /** How many CVE ids the feed holds now (known before plus new, minus removed). */
  knownIds: number;
  /** What `commit(diff)` saves: entries, removals and the fetch's validators. Null: nothing to save. */
  pending: FeedStateChanges | null;
}

/** The watch stage's output. */
export type FeedDiff = PollResult;

export interface FeedWatcherOptions {
  store: FeedStateStore;
  fetchFeed: FeedFetcher;
  source: string;
  /** Content hash of an item; default `contentHash` (src/feed/hash.ts). */
  hash?: (item: FeedItem) => string;
  logger?: Logger;
  /** Default `parseFeedJson`. */
  parse?: (text: string, source: string) => ParsedFeed;
}

export interface FeedWatcher {
  readonly source: string;
  /** Fetch, parse and diff against the saved state; saves nothing. Concurrent calls share one poll. */
  poll(): Promise<FeedDiff>;
  /** Save what `diff` saw (after its deliveries are planned). Saving the same diff twice is harmless. */
  commit(diff: FeedDiff): Promise<void>;
}

export function createFeedWatcher(options: FeedWatcherOptions): FeedWatcher {
  const { store, source } = options;
  const hash = options.hash ?? contentHash;
  const parse = options.parse ?? parseFeedJson;
  const log = options.logger?.child({ subsystem: 'feed', source });
  let inflight: Promise<PollResult> | null = null;

  async function pollOnce(): Promise<PollResult> {
    const known = await store.getKnown();
    const firstRun = known.size === 0;
    // With nothing known, a 304 would leave us blind: ask for the whole feed.
    const validators = firstRun ? null : await store.getValidators(source);
    const fetched = await options.fetchFeed(source, { validators });
    if (fetched.notModified) {
      log?.debug('feed not modified');
      return { source, notModified: true, firstRun, meta: null, newItems: [], changedItems: [], recoveredItems: [], removedIds: [], warnings: [], knownIds: known.size, pending: null };
    }

    const parsed = parse(fetched.text, source);
    const warnings = [...parsed.warnings];
    const current = indexById(parsed.items, hash, warnings);
    if (current.size === 0 && known.size > 0) {
      throw new FeedError('FEED_SHAPE', `${source}: feed has no readable items; refusing to forget ${known.size} known advisories`, {
        retryable: true, hint: 'probably a transient upstream problem; the next poll retries',
      });
    }
    // Items present but unreadable this time are neither removed nor updated.
    const unreadable = new Set(parsed.skipped.flatMap((s) => (s.id === null ? [] : idsOf(s.id))));

    const newItems: FeedEntry[] = [];
    const changedItems: ChangedFeedEntry[] = [];
    const recoveredItems: FeedEntry[] = [];
    for (const [id, { item, entry }] of current) {
      const previous = known.get(id);
      if (previous === undefined) {
        newItems.push({ id, item, current: entry });
        continue;
      }
      if (isSeedEntry(previous)) {
        recoveredItems.push({ id, item, current: entry });
        continue;
      }
      const changes = diff(previous, entry);
      if (changes.length > 0) changedItems.push({ id, item, previous, current: entry, changes });
    }
    const removedIds = [...known.keys()].filter((id) => !current.has(id) && !unreadable.has(id)).sort();
    if (known.size > 0 && removedIds.length > known.size / 2) {
      warnings.push(`${removedIds.length} of ${known.size} known advisories are no longer in the feed`);
    }

    const pending: FeedStateChanges = {
      upsert: [...newItems, ...changedItems, ...recoveredItems].map((e) => [e.id, e.current] as const),
      remove: removedIds,
      validators: { source, validators: fetched.validators },
    };
    const knownIds = known.size + newItems.length - removedIds.length;
    const result: FeedDiff = { source, notModified: false, firstRun, meta: parsed.meta, newItems, changedItems, recoveredItems, removedIds, warnings, knownIds, pending };

    log?.info({
      items: parsed.meta.items, ids: current.size, new: newItems.length, changed: changedItems.length,
      removed: removedIds.length, warnings: warnings.length, firstRun,
    }, 'feed polled');
    for (const w of warnings.slice(0, 20)) log?.warn({ warning: w }, 'feed warning');
    return result;
  }

  return {
    source,
    poll() {
      inflight ??= pollOnce().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    async commit(diff) {
      if (diff.source !== source) throw new Error(`feed diff of ${diff.source} committed to the watcher of ${source}`);
      if (diff.pending === null) return;
      await store.saveKnown(diff.pending);
    },
  };
}

/** sha256 over normalized summary + body + status: line endings and trailing blanks do not count. */
function indexById(items: FeedItem[], hash: (item: FeedItem) => string, warnings: string[]): Map<string, { item: FeedItem; entry: KnownEntry }> {
  const out = new Map<string, { item: FeedItem; entry: KnownEntry }>();
  for (const item of items) {
    const entry: KnownEntry = { hash: hash(item), bodyHash: bodyHash(item), status: item.status ?? null, url: item.url };
    for (const id of idsOf(item.id)) {
      if (out.has(id)) {
        warnings.push(`${id} appears in more than one item; keeping the first`);
        continue;
      }
      out.set(id, { item, entry });
    }
  }
  return out;
}

/** CVE ids of an item id; an id without any stays itself, so such an item is still tracked. */
function idsOf(id: string): string[] {
  const ids = splitIds(id);
  return ids.length > 0 ? ids : [id.trim()];
}

function diff(previous: KnownEntry, current: KnownEntry): ChangeKind[] {
  const changes: ChangeKind[] = [];
  if (previous.status !== current.status) changes.push('status');
  // An entry saved without bodyHash (older state) cannot tell; the injected hash decides below.
  if (previous.bodyHash !== '' && previous.bodyHash !== current.bodyHash) changes.push('body');
  if (previous.url !== current.url) changes.push('url');
  if (changes.length === 0 && previous.hash !== current.hash) changes.push(previous.bodyHash === '' ? 'body' : 'hash');
  return changes;
}
