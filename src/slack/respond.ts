/**
 * Answers through a slash command's or button's response_url. The URL comes from a signed Slack
 * request, but we still only POST to Slack's hooks host (or the configured API host, for tests and
 * proxies): a response_url is never a free choice of target.
 */
import { SlackError } from '../errors.ts';
import type { SlackMessage } from './blocks/advisory.ts';

export interface ResponderOptions {
  /** The Web API base URL; its origin is also accepted for response URLs. */
  apiUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export type Responder = (responseUrl: string, message: SlackMessage, options?: { ephemeral?: boolean; replaceOriginal?: boolean }) => Promise<void>;

export function isAllowedResponseUrl(url: string, apiUrl?: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:' && (u.hostname === 'hooks.slack.com' || u.hostname.endsWith('.slack.com'))) return true;
  if (apiUrl === undefined) return false;
  try {
    return new URL(apiUrl).origin === u.origin;
  } catch {
    return false;
  }
}

export function createResponder(options: ResponderOptions = {}): Responder {
  const doFetch = options.fetch ?? fetch;
  return async (responseUrl, message, opts = {}) => {
    if (!isAllowedResponseUrl(responseUrl, options.apiUrl)) {
      throw new SlackError('SLACK_BAD_RESPONSE_URL', 'response_url is not a Slack URL', { retryable: false });
    }
    const res = await doFetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        response_type: opts.ephemeral === false ? 'in_channel' : 'ephemeral',
        replace_original: opts.replaceOriginal ?? false,
        text: message.text,
        blocks: message.blocks,
      }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after') ?? '1');
      throw new SlackError('SLACK_RATE_LIMITED', 'response_url: rate limited', { retryable: true, retryAfterMs: Math.max(1, after) * 1000 });
    }
    if (!res.ok) {
      // 404 = the response_url expired (30 min / 5 uses): nothing to retry.
      throw new SlackError(`SLACK_API_response_url_${res.status}`, `response_url: HTTP ${res.status}`, { retryable: res.status >= 500 });
    }
  };
}
