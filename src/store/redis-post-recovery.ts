/**
 * Rebuild the post records from Slack after Redis lost its data. Every message the hub posts
 * carries a metadata marker (src/slack/web.ts): `CVE/CHANNEL/parent` on an advisory's parent,
 * `CVE/CHANNEL/<reply key>` on each reply in its thread ("details updated", overflow lists,
 * acknowledgements), `first-run-digest/CHANNEL/digest` on a channel's first-run digest.
 *
 * The channel history is read back (all pages, metadata included): parents and digests are
 * recorded as posted; then each recovered parent whose thread has replies (`reply_count` in
 * history) has its thread read (conversations.replies, paginated) and each reply marker of
 * ours is recorded too. The next delivery then updates the thread, and no parent, reply or
 * digest is posted a second time. An acknowledgement reply also gives back who acknowledged
 * (its metadata `user`, or its text for replies posted before that), so the refreshed parent
 * still shows it.
 */
import type { Logger } from '../log.ts';
import { errorMessage } from '../errors.ts';
import { POST_MARKER_EVENT as MARKER_EVENT } from '../slack/web.ts';
import { isCveId } from '../feed/ids.ts';
import { DIGEST_POST_KEY, type PostKey, type PostStore } from './posts.ts';

const PARENT_MARKER = /^(CVE-\d{4}-\d{4,7})\/([CGD][A-Z0-9]+)\/parent$/;
const REPLY_MARKER = /^(CVE-\d{4}-\d{4,7})\/([CGD][A-Z0-9]+)\/([A-Za-z0-9._-]+)$/;
const DIGEST_MARKER = new RegExp(`^${DIGEST_POST_KEY.advisory}/([CGD][A-Z0-9]+)/${DIGEST_POST_KEY.reply}$`);

interface SlackMessageShape {
  ts?: string;
  text?: string;
  /** Replies in the thread this message starts (history only). */
  reply_count?: number;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** The part of Slack's `conversations.history` / `conversations.replies` answer we read, validated loosely. */
export interface HistoryPage {
  messages?: SlackMessageShape[];
  response_metadata?: { next_cursor?: string };
}

/** conversations.history with `include_all_metadata: true` (a WebClient method fits). */
export type ReadHistory = (args: { channel: string; cursor?: string; limit: number; include_all_metadata: true }) => Promise<HistoryPage>;

/** conversations.replies of one thread with `include_all_metadata: true` (a WebClient method fits). */
export type ReadReplies = (args: { channel: string; ts: string; cursor?: string; limit: number; include_all_metadata: true }) => Promise<HistoryPage>;

export interface PostRecoveryOptions {
  readHistory: ReadHistory;
  /** Without it thread replies are not recovered (only parents and digests). */
  readReplies?: ReadReplies;
  /** `acknowledge` restores who acknowledged a parent (optional: without it only the ack reply is recorded). */
  posts: Pick<PostStore, 'restore'> & Partial<Pick<PostStore, 'acknowledge'>>;
  /** Channels the hub posts to (slack.channels values). */
  channels: readonly string[];
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Pages of 200 messages read per channel at most (default 100: 20,000 messages). */
  maxPages?: number;
  /** Pages of 200 replies read per thread at most (default 10). */
  maxReplyPages?: number;
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
  /** Thread replies recorded again. */
  replies: number;
  /** First-run digests recorded again. */
  digests: number;
  /** Parents whose acknowledgement (who, when) was recorded again. */
  acknowledgements: number;
  /** Advisories with at least one recovered post. */
  advisories: string[];
  /** Channels whose history could not be read (named in the log with the reason). */
  failedChannels: string[];
}

function markerOf(m: SlackMessageShape): string | null {
  if (m.metadata?.event_type !== MARKER_EVENT || typeof m.ts !== 'string') return null;
  const marker = m.metadata.event_payload?.marker;
  return typeof marker === 'string' ? marker : null;
}

const older = (a: string, b: string | undefined) => b === undefined || Number(a) < Number(b);

/** Pure: the parent posts (advisory, channel, ts) in one page of history; the oldest wins per key. */
export function parentPostsIn(page: HistoryPage, channel: string): Map<string, { advisory: string; ts: string; replies: number }> {
  const out = new Map<string, { advisory: string; ts: string; replies: number }>();
  for (const m of page.messages ?? []) {
    const marker = markerOf(m);
    const hit = marker === null ? null : PARENT_MARKER.exec(marker);
    // A marker naming another channel was not posted here (copied or forwarded): not ours to record.
    if (!hit || hit[2] !== channel || typeof m.ts !== 'string') continue;
    const advisory = hit[1] as string;
    if (older(m.ts, out.get(advisory)?.ts)) out.set(advisory, { advisory, ts: m.ts, replies: typeof m.reply_count === 'number' ? m.reply_count : 0 });
  }
  return out;
}

/** The first-run digest messages of this channel in one page of history. */
function digestsIn(page: HistoryPage, channel: string): SlackMessageShape[] {
  return (page.messages ?? []).filter((m) => DIGEST_MARKER.exec(markerOf(m) ?? '')?.[1] === channel);
}

/** Pure: the ts of this channel's first-run digest in one page of history (the oldest), or null. */
export function digestPostIn(page: HistoryPage, channel: string): string | null {
  let found: string | null = null;
  for (const m of digestsIn(page, channel)) if (typeof m.ts === 'string' && older(m.ts, found ?? undefined)) found = m.ts;
  return found;
}

/** The CVE ids a first-run digest message listed (its metadata `advisories`, space-separated). */
export function digestAdvisoriesIn(page: HistoryPage, channel: string): string[] {
  return digestsIn(page, channel).flatMap((m) => {
    const listed = m.metadata?.event_payload?.advisories;
    return typeof listed === 'string' ? listed.split(' ').filter(isCveId) : [];
  });
}

/**
 * Pure: the replies of ours (reply key → ts, the oldest per key) in one page of the thread of
 * `advisory`'s parent in `channel`. The parent itself (Slack repeats it on every page) and
 * markers of another advisory or channel are not replies of this thread.
 */
export function threadRepliesIn(page: HistoryPage, advisory: string, channel: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of page.messages ?? []) {
    const hit = REPLY_MARKER.exec(markerOf(m) ?? '');
    if (!hit || hit[1] !== advisory || hit[2] !== channel || hit[3] === 'parent' || typeof m.ts !== 'string') continue;
    const reply = hit[3] as string;
    if (older(m.ts, out.get(reply))) out.set(reply, m.ts);
  }
  return out;
}

const ACK_TEXT = /^Acknowledged by <@([UW][A-Z0-9]+)>/;
const USER_ID = /^[UW][A-Z0-9]+$/;

/**
 * Pure: who acknowledged `advisory` in `channel` and when (the ack reply's ts), from one page
 * of its thread, or null. The reply's metadata names the user; older replies only say it in text.
 */
export function acknowledgementIn(page: HistoryPage, advisory: string, channel: string): { user: string; at: string } | null {
  for (const m of page.messages ?? []) {
    if (markerOf(m) !== `${advisory}/${channel}/ack` || typeof m.ts !== 'string') continue;
    const meta = m.metadata?.event_payload?.user;
    const user = typeof meta === 'string' && USER_ID.test(meta) ? meta : ACK_TEXT.exec(m.text ?? '')?.[1];
    const seconds = Number(m.ts);
    if (user !== undefined && Number.isFinite(seconds)) return { user, at: new Date(Math.floor(seconds * 1000)).toISOString() };
  }
  return null;
}

/** One channel's findings before anything is written. */
interface ChannelFinds {
  parents: Map<string, { advisory: string; ts: string; replies: number }>;
  digest: string | null;
  /** Advisories the digest listed: known, though posted in no thread. */
  listed: string[];
  replies: { key: PostKey; ts: string }[];
  acks: { key: PostKey; user: string; at: string }[];
}

/**
 * Channels Slack says the app cannot read are skipped (named in the log and the result); any
 * other failure throws RecoveryIncompleteError before a record is written, so the caller retries
 * the whole recovery later instead of posting a second parent where history was not read. A
 * thread Slack says is gone (deleted meanwhile) or cannot be read is skipped with a warning;
 * its parent is still recorded.
 */
export async function recoverPostsFromSlack(options: PostRecoveryOptions): Promise<PostRecovery> {
  const maxPages = options.maxPages ?? 100;
  const maxReplyPages = options.maxReplyPages ?? 10;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /** One call, waiting out up to five rate limits by their Retry-After. */
  const patient = async <A>(read: (args: A) => Promise<HistoryPage>, args: A): Promise<HistoryPage> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read(args);
      } catch (err) {
        const wait = retryAfterMs(err);
        if (wait === null || attempt >= 5) throw err;
        await sleep(wait);
      }
    }
  };
  const failedChannels: string[] = [];
  const perChannel = new Map<string, ChannelFinds>();
  for (const channel of [...new Set(options.channels)]) {
    const finds: ChannelFinds = { parents: new Map(), digest: null, listed: [], replies: [], acks: [] };
    try {
      let cursor: string | undefined;
      for (let n = 0; n < maxPages; n++) {
        const res = await patient(options.readHistory, { channel, limit: 200, include_all_metadata: true as const, ...(cursor ? { cursor } : {}) });
        for (const [advisory, hit] of parentPostsIn(res, channel)) {
          if (older(hit.ts, finds.parents.get(advisory)?.ts)) finds.parents.set(advisory, hit);
        }
        const digest = digestPostIn(res, channel);
        if (digest !== null && older(digest, finds.digest ?? undefined)) finds.digest = digest;
        finds.listed.push(...digestAdvisoriesIn(res, channel));
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === null || !UNREADABLE.has(code)) {
        throw new RecoveryIncompleteError(`could not read the history of ${channel} to recover posts: ${errorMessage(err)}`, { cause: err });
      }
      // The app cannot read this channel: the others stay recoverable; its advisories may be posted there again.
      failedChannels.push(channel);
      options.logger.warn({ channel, err: code }, 'cannot read the channel history to recover posts; advisories may be posted there again');
      continue;
    }
    if (options.readReplies !== undefined) {
      for (const parent of finds.parents.values()) {
        if (parent.replies <= 0) continue;
        const found = await threadReplies(options.readReplies, patient, channel, parent, maxReplyPages, options.logger);
        for (const [reply, ts] of found.replies) finds.replies.push({ key: { advisory: parent.advisory, channel, reply }, ts });
        if (found.ack !== null) finds.acks.push({ key: { advisory: parent.advisory, channel }, ...found.ack });
      }
    }
    perChannel.set(channel, finds);
  }
  let posts = 0;
  let replies = 0;
  let digests = 0;
  let acknowledgements = 0;
  const advisories = new Set<string>();
  for (const [channel, finds] of perChannel) {
    for (const { advisory, ts } of finds.parents.values()) {
      if (await options.posts.restore({ advisory, channel }, ts)) posts++;
      advisories.add(advisory);
    }
    for (const { key, ts } of finds.replies) if (await options.posts.restore(key, ts)) replies++;
    // Only the first acknowledgement counts (HSETNX): one given meanwhile stays.
    for (const { key, user, at } of finds.acks) if (await options.posts.acknowledge?.(key, user, at)) acknowledgements++;
    if (finds.digest !== null && await options.posts.restore({ ...DIGEST_POST_KEY, channel }, finds.digest)) digests++;
    for (const id of finds.listed) advisories.add(id);
  }
  return { posts, replies, digests, acknowledgements, advisories: [...advisories].sort(), failedChannels };
}

/** Reply key → ts of our replies in one parent's thread, and its acknowledgement; an unreadable or vanished thread gives none. */
async function threadReplies(
  readReplies: ReadReplies,
  patient: (read: ReadReplies, args: Parameters<ReadReplies>[0]) => Promise<HistoryPage>,
  channel: string, parent: { advisory: string; ts: string }, maxPages: number, logger: Pick<Logger, 'warn'>,
): Promise<{ replies: Map<string, string>; ack: { user: string; at: string } | null }> {
  const found = new Map<string, string>();
  let ack: { user: string; at: string } | null = null;
  try {
    let cursor: string | undefined;
    for (let n = 0; n < maxPages; n++) {
      const res = await patient(readReplies, { channel, ts: parent.ts, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) });
      for (const [reply, ts] of threadRepliesIn(res, parent.advisory, channel)) if (older(ts, found.get(reply))) found.set(reply, ts);
      ack ??= acknowledgementIn(res, parent.advisory, channel);
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === null || (code !== 'thread_not_found' && !UNREADABLE.has(code))) {
      throw new RecoveryIncompleteError(`could not read the thread ${parent.ts} in ${channel} to recover its replies: ${errorMessage(err)}`, { cause: err });
    }
    logger.warn({ channel, advisory: parent.advisory, ts: parent.ts, err: code }, 'cannot read the thread to recover its replies; they may be posted there again');
    return { replies: new Map(), ack: null };
  }
  return { replies: found, ack };
}
