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

export async function recoverPostsFromSlack(options: PostRecoveryOptions): Promise<PostRecovery> {
  const maxPages = options.maxPages ?? 100;
  let posts = 0;
  const advisories = new Set<string>();
  const failedChannels: string[] = [];
  for (const channel of [...new Set(options.channels)]) {
    const found = new Map<string, { advisory: string; ts: string }>();
    try {
      let cursor: string | undefined;
      for (let page = 0; page < maxPages; page++) {
        const res = await options.readHistory({ channel, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) });
        for (const [advisory, hit] of parentPostsIn(res, channel)) {
          const prev = found.get(advisory);
          if (prev === undefined || Number(hit.ts) < Number(prev.ts)) found.set(advisory, hit);
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
    } catch (err) {
      // A channel we cannot read keeps the others recoverable; its advisories may be posted again there.
      failedChannels.push(channel);
      options.logger.warn({ channel, err: errorMessage(err) }, 'could not read the channel history to recover posts');
    }
    for (const { advisory, ts } of found.values()) {
      if (await options.posts.restore({ advisory, channel }, ts)) posts++;
      advisories.add(advisory);
    }
  }
  return { posts, advisories: [...advisories].sort(), failedChannels };
}
