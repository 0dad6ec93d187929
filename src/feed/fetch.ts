/**
 * Fetches the feed from an http(s) URL or a local file. Conditional GET (a 304 costs one
 * round trip and no parsing), a timeout that covers headers *and* body, a byte cap enforced
 * while streaming (Content-Length may be absent or lie, and fetch decompresses), and
 * retries with exponential backoff + jitter for 5xx, timeouts and network errors only.
 */
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FeedError, errorMessage, type FeedErrorCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import { NO_VALIDATORS, type FeedValidators } from './item.ts';

export const FETCH_DEFAULTS = {
  timeoutMs: 20_000,
  maxBytes: 20 * 1024 * 1024,
  maxAttempts: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
} as const;

export type FetchLike = typeof globalThis.fetch;

export interface FetchFeedOptions {
  /** Validators of the last successful fetch; a match answers `{ notModified: true }`. */
  validators?: FeedValidators | null;
  /** Per attempt, covering connection, headers and body. */
  timeoutMs?: number;
  /** Refuse bodies (after decompression) larger than this. */
  maxBytes?: number;
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected for tests; default: a timer that honours `signal`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests; default Math.random. */
  random?: () => number;
  /** Injected for tests; default the global fetch. */
  fetch?: FetchLike;
  /** Caller's cancellation (shutdown). Not retried. */
  signal?: AbortSignal;
  logger?: Logger;
  userAgent?: string;
}

interface FetchOutcome {
  source: string;
  /** HTTP status (200 or 304 for files). */
  status: number;
  /** Validators to store for the next fetch. */
  validators: FeedValidators;
  attempts: number;
}

export interface FeedModified extends FetchOutcome {
  notModified: false;
  text: string;
  bytes: number;
}

export interface FeedNotModified extends FetchOutcome {
  notModified: true;
}

export type FetchFeedResult = FeedModified | FeedNotModified;

/** The shape the watcher needs; `fetchFeed` itself fits. */
export type FeedFetcher = (source: string, options: { validators?: FeedValidators | null }) => Promise<FetchFeedResult>;

/**
 * Delay before retry number `attempt` (1 = the first retry): half of min(max, base·2^(attempt-1))
 * plus up to the other half at random, so replicas that failed together do not retry together.
 */
export function backoffDelay(attempt: number, options: { baseDelayMs: number; maxDelayMs: number; random: () => number }): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + options.random() * (cap / 2));
}

export function isHttpSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export async function fetchFeed(source: string, options: FetchFeedOptions = {}): Promise<FetchFeedResult> {
  if (!isHttpSource(source)) return readFeedFile(source, options);

  const maxAttempts = Math.max(1, options.maxAttempts ?? FETCH_DEFAULTS.maxAttempts);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const baseDelayMs = options.baseDelayMs ?? FETCH_DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? FETCH_DEFAULTS.maxDelayMs;

  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(source, options, attempt);
    } catch (err) {
      if (!(err instanceof FeedError) || !err.retryable) throw err;
      if (attempt >= maxAttempts) {
        if (attempt === 1) throw err;
        throw new FeedError(err.code as FeedErrorCode, `${err.message} (gave up after ${attempt} attempts)`, {
          retryable: true, cause: err, ...(err.hint === undefined ? {} : { hint: err.hint }),
        });
      }
      const delayMs = backoffDelay(attempt, { baseDelayMs, maxDelayMs, random });
      options.logger?.warn({ source, attempt, maxAttempts, delayMs, code: err.code, err: err.message }, 'feed fetch failed, retrying');
      await sleep(delayMs, options.signal);
    }
  }
}

async function fetchOnce(source: string, options: FetchFeedOptions, attempt: number): Promise<FetchFeedResult> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? FETCH_DEFAULTS.timeoutMs;
  const maxBytes = options.maxBytes ?? FETCH_DEFAULTS.maxBytes;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const fail = (err: unknown, phase: string): never => {
    throw classifyFailure(err, { source, phase, timeoutMs, timeout, ...(options.signal ? { caller: options.signal } : {}) });
  };

  const headers: Record<string, string> = {
    accept: 'application/feed+json, application/json;q=0.9, */*;q=0.1',
    'user-agent': options.userAgent ?? 'k8s-advisor',
  };
  const given = options.validators ?? NO_VALIDATORS;
  if (given.etag) headers['if-none-match'] = given.etag;
  if (given.lastModified) headers['if-modified-since'] = given.lastModified;

  let res: Response;
  try {
    res = await fetchImpl(source, { headers, signal, redirect: 'follow' });
  } catch (err) {
    return fail(err, 'request');
  }

  const fresh: FeedValidators = {
    etag: res.headers.get('etag') ?? given.etag,
    lastModified: res.headers.get('last-modified') ?? given.lastModified,
  };

  if (res.status === 304) {
    await discard(res);
    return { notModified: true, source, status: 304, validators: fresh, attempts: attempt };
  }
  if (!res.ok) {
    await discard(res);
    const retryable = res.status >= 500;
    throw new FeedError('FEED_HTTP', `${source}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, {
      retryable,
      hint: retryable ? 'the feed server failed; it is retried with backoff' : 'check feed.url in the configuration',
    });
  }

  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(res);
    throw tooLarge(source, maxBytes, `Content-Length ${declared}`);
  }

  let body: Uint8Array;
  try {
    body = await readCapped(res, maxBytes, source);
  } catch (err) {
    if (err instanceof FeedError) throw err;
    return fail(err, 'body');
  }
  return {
    notModified: false,
    source,
    status: res.status,
    text: new TextDecoder('utf-8').decode(body),
    bytes: body.byteLength,
    validators: fresh,
    attempts: attempt,
  };
}

async function readCapped(res: Response, maxBytes: number, source: string): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Cancelling aborts the underlying connection: we stop downloading now, not at the end.
      await reader.cancel().catch(() => undefined);
      throw tooLarge(source, maxBytes, `more than ${maxBytes} bytes received`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function tooLarge(source: string, maxBytes: number, seen: string): FeedError {
  return new FeedError('FEED_TOO_LARGE', `${source}: feed larger than the ${maxBytes}-byte limit (${seen})`, {
    hint: 'raise feed.maxBytes if the feed really grew, or check feed.url points at the feed',
  });
}

function classifyFailure(
  err: unknown,
  ctx: { source: string; phase: string; timeoutMs: number; timeout: AbortSignal; caller?: AbortSignal },
): unknown {
  if (ctx.caller?.aborted) return ctx.caller.reason ?? err;
  if (ctx.timeout.aborted) {
    return new FeedError('FEED_TIMEOUT', `${ctx.source}: no complete answer within ${ctx.timeoutMs} ms (during ${ctx.phase})`, {
      retryable: true, cause: err, hint: 'raise feed.timeout or check connectivity to the feed host',
    });
  }
  return new FeedError('FEED_NETWORK', `${ctx.source}: ${ctx.phase} failed: ${networkReason(err)}`, {
    retryable: true, cause: err, hint: 'check DNS, proxy and TLS settings for the feed host',
  });
}

/** undici wraps the useful part ("ECONNREFUSED", "other side closed") in `cause`. */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const detail = cause instanceof Error ? cause.message : undefined;
  return [errorMessage(err), code, detail && detail !== code ? detail : undefined].filter(Boolean).join(': ');
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : {});
}

/** A local file (path or file: URL). Validators are size + mtime, so an unchanged file answers 304 too. */
async function readFeedFile(source: string, options: FetchFeedOptions): Promise<FetchFeedResult> {
  let path: string;
  try {
    path = source.startsWith('file:') ? fileURLToPath(source) : source;
  } catch (err) {
    throw new FeedError('FEED_READ', `${source}: not a usable file URL (${errorMessage(err)})`, { cause: err });
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(path)) {
    throw new FeedError('FEED_READ', `${source}: unsupported scheme; give an http(s) URL or a file path`, { hint: 'check feed.url or --feed' });
  }
  const maxBytes = options.maxBytes ?? FETCH_DEFAULTS.maxBytes;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new FeedError('FEED_READ', `${source}: not a file`, { hint: 'give the path of the feed JSON file' });
    if (info.size > maxBytes) throw tooLarge(source, maxBytes, `file is ${info.size} bytes`);
    const validators: FeedValidators = { etag: `"${info.size}-${Math.trunc(info.mtimeMs)}"`, lastModified: info.mtime.toUTCString() };
    if (options.validators?.etag && options.validators.etag === validators.etag) {
      return { notModified: true, source, status: 304, validators, attempts: 1 };
    }
    const buf = await readFile(path, options.signal ? { signal: options.signal } : {});
    if (buf.byteLength > maxBytes) throw tooLarge(source, maxBytes, `file is ${buf.byteLength} bytes`);
    return {
      notModified: false, source, status: 200, text: new TextDecoder('utf-8').decode(buf), bytes: buf.byteLength, validators, attempts: 1,
    };
  } catch (err) {
    if (err instanceof FeedError) throw err;
    throw new FeedError('FEED_READ', `${source}: cannot read feed file: ${errorMessage(err)}`, {
      cause: err, hint: 'check the path given to --feed (or feed.url)',
    });
  }
}
