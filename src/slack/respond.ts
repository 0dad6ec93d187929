/**
 * Answers through a slash command's or button's response_url. The URL comes from a signed Slack
 * request, but we still only POST to Slack's hooks host (or the configured API host, for tests and
 * proxies): a response_url is never a free choice of target.
 *
 * Sent with node:http(s) over keep-alive agents rather than fetch: every queued command answer
 * goes through here, on the same event loop that acks Slack's requests, and undici's fetch costs
 * several times the CPU of a plain request (measured with bench/slack-ack.ts BENCH_PROFILE).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SlackError } from '../errors.ts';
import type { SlackMessage } from './blocks/advisory.ts';

export interface ResponderOptions {
  /** The Web API base URL; its origin is also accepted for response URLs. */
  apiUrl?: string;
  /** Tests and proxies: replaces the HTTP transport (same contract as fetch). */
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

interface Answer { status: number; retryAfter: string | null }

type Post = (url: URL, body: string, timeoutMs: number) => Promise<Answer>;

function fetchPost(doFetch: typeof fetch): Post {
  return async (url, body, timeoutMs) => {
    const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };
}

function nodePost(): Post {
  // A response_url may be used up to five times within 30 minutes: connections are worth keeping.
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 32 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 32 }) };
  return (url, body, timeoutMs) => new Promise<Answer>((resolve, reject) => {
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST', agent: https ? agents.https : agents.http,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res: IncomingMessage) => {
      res.resume();
      res.once('end', () => {
        const after = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: typeof after === 'string' ? after : null });
      });
      res.once('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new SlackError('SLACK_TIMEOUT', `response_url: no answer in ${timeoutMs} ms`, { retryable: true })));
    req.once('error', reject);
    req.end(body);
  });
}

export function createResponder(options: ResponderOptions = {}): Responder {
  const post = options.fetch ? fetchPost(options.fetch) : nodePost();
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (responseUrl, message, opts = {}) => {
    if (!isAllowedResponseUrl(responseUrl, options.apiUrl)) {
      throw new SlackError('SLACK_BAD_RESPONSE_URL', 'response_url is not a Slack URL', { retryable: false });
    }
    const body = JSON.stringify({
      response_type: opts.ephemeral === false ? 'in_channel' : 'ephemeral',
      replace_original: opts.replaceOriginal ?? false,
      text: message.text,
      blocks: message.blocks,
    });
    let res: Answer;
    try {
      res = await post(new URL(responseUrl), body, timeoutMs);
    } catch (err) {
      if (err instanceof SlackError) throw err;
      throw new SlackError('SLACK_NETWORK', `response_url: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });
    }
    if (res.status === 429) {
      const after = Number(res.retryAfter ?? '1');
      throw new SlackError('SLACK_RATE_LIMITED', 'response_url: rate limited', { retryable: true, retryAfterMs: Math.max(1, Number.isFinite(after) ? after : 1) * 1000 });
    }
    if (res.status < 200 || res.status >= 300) {
      // 404 = the response_url expired (30 min / 5 uses): nothing to retry.
      throw new SlackError(`SLACK_API_response_url_${res.status}`, `response_url: HTTP ${res.status}`, { retryable: res.status >= 500 });
    }
  };
}
