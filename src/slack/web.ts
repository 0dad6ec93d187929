/**
 * The Slack Web API as the queue workers use it: a narrow interface (`SlackApi`) over WebClient, and
 * one place that turns Slack failures into our `SlackError` (code, retryable, Retry-After).
 * WebClient is built with `rejectRateLimitedCalls` and no retries of its own: a 429 surfaces at once
 * and the job is re-delayed by Retry-After in BullMQ instead of blocking a worker slot.
 */
import { webApi } from '@slack/bolt';
import type { types } from '@slack/bolt';
import { SlackError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { boltLogger } from './logger.ts';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** Metadata marker on every message we post: lets a restarted job find a post it cannot remember. */
export const POST_MARKER_EVENT = 'k8s_advisor_post';

export interface PostArgs {
  channel: string;
  text: string;
  blocks: types.KnownBlock[];
  threadTs?: string;
  /** Unique per logical post; stored in message metadata. */
  marker: string;
  /** More facts for the metadata (e.g. who acknowledged), so they can be read back after Redis lost its data. */
  payload?: Record<string, string>;
}

export interface SlackApi {
  postMessage(args: PostArgs): Promise<{ ts: string }>;
  update(args: { channel: string; ts: string; text: string; blocks: types.KnownBlock[] }): Promise<void>;
  /** The ts of a message carrying `marker`, posted at or after `since` (ms), in the channel or the thread. */
  findByMarker(args: { channel: string; threadTs?: string; since: number; marker: string }): Promise<string | null>;
  /** Join a public channel (scope channels:join), so its history can be read. */
  join(channel: string): Promise<void>;
  /**
   * Every message of ours (with a metadata marker) in the channel, or in one thread, newest
   * first for a channel and oldest first for a thread, as Slack returns them; at most `maxPages`
   * pages of 200 (default 50).
   */
  listMarkers(args: { channel: string; threadTs?: string; maxPages?: number }): Promise<{ ts: string; marker: string }[]>;
}

export interface WebClientFactoryOptions {
  token: string;
  apiUrl?: string;
  logger: Logger;
  timeoutMs?: number;
}

export function createWebClient(options: WebClientFactoryOptions): webApi.WebClient {
  return new webApi.WebClient(options.token, {
    slackApiUrl: options.apiUrl ?? DEFAULT_SLACK_API_URL,
    logger: boltLogger(options.logger, 'slack-web'),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 15_000,
  });
}

/** Slack error codes no retry can fix: bad token, missing scope, unknown channel, invalid payload. */
const PERMANENT = new Set([
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'no_permission',
  'channel_not_found', 'not_in_channel', 'is_archived', 'msg_too_long', 'invalid_blocks', 'invalid_blocks_format',
  'too_many_attachments', 'invalid_arguments', 'message_not_found', 'cant_update_message', 'edit_window_closed',
  'method_not_supported_for_channel_type',
]);

const HINTS: Record<string, string> = {
  not_in_channel: 'invite the app to the channel, or add the chat:write.public scope',
  method_not_supported_for_channel_type: 'a private channel cannot be joined: invite the app to it',
  channel_not_found: 'check slack.channels in the config: the id must be a channel the app can see',
  missing_scope: 'reinstall the app from manifest.yml so it has every scope it needs',
  invalid_auth: 'SLACK_BOT_TOKEN is wrong or revoked',
};

/** Did Slack definitely *not* act on the call? (An error answer, not a lost connection.) */
export function slackRejected(err: unknown): boolean {
  return err instanceof SlackError && (err.code === 'SLACK_RATE_LIMITED' || err.code.startsWith('SLACK_API_'));
}

export function toSlackError(err: unknown, method: string): SlackError {
  if (err instanceof SlackError) return err;
  if (err instanceof webApi.WebAPIRateLimitedError) {
    return new SlackError('SLACK_RATE_LIMITED', `${method}: rate limited, retry after ${err.retryAfter}s`, {
      retryable: true, retryAfterMs: Math.max(1, err.retryAfter) * 1000, cause: err,
    });
  }
  if (err instanceof webApi.WebAPIPlatformError) {
    const code = err.data.error;
    const hint = HINTS[code];
    return new SlackError(`SLACK_API_${code}`, `${method}: ${code}`, { retryable: !PERMANENT.has(code), cause: err, ...(hint ? { hint } : {}) });
  }
  if (err instanceof webApi.WebAPIHTTPError) {
    return new SlackError('SLACK_HTTP', `${method}: HTTP ${err.statusCode}`, { retryable: true, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SlackError('SLACK_NETWORK', `${method}: ${message}`, { retryable: true, cause: err });
}

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** One Web API call with its failure mapped to a SlackError (rate limits, platform errors, HTTP, network). */
export async function callSlack<T>(method: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSlackError(err, method);
  }
}

export function createSlackApi(client: webApi.WebClient): SlackApi {
  const call = callSlack;
  return {
    async postMessage(args) {
      const res = await call('chat.postMessage', () => client.chat.postMessage({
        channel: args.channel,
        text: args.text,
        blocks: args.blocks,
        ...(args.threadTs ? { thread_ts: args.threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: POST_MARKER_EVENT, event_payload: { ...args.payload, marker: args.marker } },
      }));
      if (typeof res.ts !== 'string') throw new SlackError('SLACK_BAD_RESPONSE', 'chat.postMessage: no ts in the answer', { retryable: true });
      return { ts: res.ts };
    },
    async update(args) {
      await call('chat.update', () => client.chat.update({ channel: args.channel, ts: args.ts, text: args.text, blocks: args.blocks }));
    },
    async join(channel) {
      await call('conversations.join', () => client.conversations.join({ channel }));
    },
    async listMarkers(args) {
      const out: { ts: string; marker: string }[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < (args.maxPages ?? 50); page++) {
        const res = args.threadTs
          ? await call('conversations.replies', () => client.conversations.replies({
            channel: args.channel, ts: args.threadTs as string, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}),
          }))
          : await call('conversations.history', () => client.conversations.history({
            channel: args.channel, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}),
          }));
        for (const m of (res.messages ?? []) as HistoryMessage[]) {
          const marker = m.metadata?.event_type === POST_MARKER_EVENT ? m.metadata.event_payload?.marker : undefined;
          if (typeof marker === 'string' && typeof m.ts === 'string') out.push({ ts: m.ts, marker });
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return out;
    },
    async findByMarker(args) {
      const oldest = (Math.floor(args.since / 1000) - 60).toString();
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = args.threadTs
          ? await call('conversations.replies', () => client.conversations.replies({
            channel: args.channel, ts: args.threadTs as string, oldest, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}),
          }))
          : await call('conversations.history', () => client.conversations.history({
            channel: args.channel, oldest, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}),
          }));
        const messages = (res.messages ?? []) as HistoryMessage[];
        const hit = messages.find((m) => m.metadata?.event_type === POST_MARKER_EVENT && m.metadata.event_payload?.marker === args.marker);
        if (hit?.ts) return hit.ts;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) return null;
      }
      return null;
    },
  };
}
