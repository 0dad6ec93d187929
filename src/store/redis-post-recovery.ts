/**
 * Rebuild the advisory post records from Slack after Redis lost its data. Every parent message
 * the hub posts carries a metadata marker `CVE/CHANNEL/parent` (src/slack/web.ts); the channel
 * history is read back (all pages, metadata included) and each parent found is recorded as
 * posted, so the next delivery updates that thread instead of posting a second parent.
 */
import type { Logger } from '../log.ts';
import { errorMessage } from '../errors.ts';
import { POST_MARKER_EVENT as MARKER_EVENT } from '../slack/web.ts';
import type { PostStore } from './posts.ts';

const PARENT_MARKER = /^(CVE-\d{4}-\d{4,7})\/([CGD][A-Z0-9]+)\/parent$/;

/** The part of Slack's `conversations.history` answer we read, validated loosely. */
export interface HistoryPage {
  messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[];
  response_metadata?: { next_cursor?: string };
}

/** conversations.history with `include_all_metadata: true` (a WebClient method fits). */
export type ReadHistory = (args: { channel: string; cursor?: string; limit: number; include_all_metadata: true }) => Promise<HistoryPage>;

export interface PostRecoveryOptions {
  readHistory: ReadHistory;
  posts: Pick<PostStore, 'restore'>;
  /** Channels the hub posts to (slack.channels values). */
  channels: readonly string[];
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Pages of 200 messages read per channel at most (default 100: 20,000 messages). */
  maxPages?: number;
  /** Waits for a rate-limited page (default: a real timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** Slack answers meaning "this channel's history cannot be read by this app": retrying will not help. */
const UNREADABLE = new Set(['not_in_channel', 'channel_not_found', 'missing_scope', 'is_archived', 'no_permission', 'access_denied']);

/** Thrown when a channel could not be read for a reason that may pass (network, 5xx, rate limits): recovery must be retried, not skipped. */
export class RecoveryIncompleteError extends Error {
  override readonly name = 'RecoveryIncompleteError';
}

function slackErrorCode(err: unknown): string | null {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}

function retryAfterMs(err: unknown): number | null {
  const after = (err as { retryAfter?: unknown } | null)?.retryAfter;
  return typeof after === 'number' && Number.isFinite(after) ? Math.min(60, Math.max(0, after)) * 1000 : null;
}

export interface PostRecovery {
  /** Parent posts recorded again. */
  posts: number;
  /** Advisories with at least one recovered post. */
  advisories: string[];
  /** Channels whose history could not be read (named in the log with the reason). */
  failedChannels: string[];
}

/** Pure: the parent posts (advisory, channel, ts) in one page of history; the oldest wins per key. */
export function parentPostsIn(page: HistoryPage, channel: string): Map<string, { advisory: string; ts: string }> {
  const out = new Map<string, { advisory: string; ts: string }>();
  for (const m of page.messages ?? []) {
    if (m.metadata?.event_type !== MARKER_EVENT || typeof m.ts !== 'string') continue;
    const marker = m.metadata.event_payload?.marker;
    if (typeof marker !== 'string') continue;
    const hit = PARENT_MARKER.exec(marker);
    // A marker naming another channel was not posted here (copied or forwarded): not ours to record.
    if (!hit || hit[2] !== channel) continue;
    const advisory = hit[1] as string;
    const prev = out.get(advisory);
    if (prev === undefined || Number(m.ts) < Number(prev.ts)) out.set(advisory, { advisory, ts: m.ts });
  }
  return out;
}

/**
 * Channels Slack says the app cannot read are skipped (named in the log and the result); any
 * other failure throws RecoveryIncompleteError before a record is written, so the caller retries
 * the whole recovery later instead of posting a second parent where history was not read.
 */
export async function recoverPostsFromSlack(options: PostRecoveryOptions): Promise<PostRecovery> {
  const maxPages = options.maxPages ?? 100;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const page = async (args: Parameters<ReadHistory>[0]): Promise<HistoryPage> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await options.readHistory(args);
      } catch (err) {
        const wait = retryAfterMs(err);
        if (wait === null || attempt >= 5) throw err;
        await sleep(wait);
      }
    }
  };
  let posts = 0;
  const advisories = new Set<string>();
  const failedChannels: string[] = [];
  const perChannel = new Map<string, Map<string, { advisory: string; ts: string }>>();
  for (const channel of [...new Set(options.channels)]) {
    const found = new Map<string, { advisory: string; ts: string }>();
    try {
      let cursor: string | undefined;
      for (let n = 0; n < maxPages; n++) {
        const res = await page({ channel, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) });
        for (const [advisory, hit] of parentPostsIn(res, channel)) {
          const prev = found.get(advisory);
          if (prev === undefined || Number(hit.ts) < Number(prev.ts)) found.set(advisory, hit);
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === null || !UNREADABLE.has(code)) {
        throw new RecoveryIncompleteError(`could not read the history of ${channel} to recover posts: ${errorMessage(err)}`, { cause: err });
      }
      // The app cannot read this channel: the others stay recoverable; its advisories may be posted again there.
      failedChannels.push(channel);
      options.logger.warn({ channel, err: code }, 'cannot read the channel history to recover posts; advisories may be posted there again');
      continue;
    }
    perChannel.set(channel, found);
  }
  for (const [channel, found] of perChannel) {
    for (const { advisory, ts } of found.values()) {
      if (await options.posts.restore({ advisory, channel }, ts)) posts++;
      advisories.add(advisory);
    }
  }
  return { posts, advisories: [...advisories].sort(), failedChannels };
}
