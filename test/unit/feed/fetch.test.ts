import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedError } from '../../../src/errors.ts';
import { backoffDelay, fetchFeed, type FetchLike } from '../../../src/feed/fetch.ts';

const URL_ = 'https://feed.test/index.json';

/** A fetch that answers from a script, one entry per call; records each call's headers. */
function scriptedFetch(script: ((init: RequestInit | undefined) => Response | Promise<Response>)[]) {
  const calls: Headers[] = [];
  const impl: FetchLike = async (_input, init) => {
    calls.push(new Headers(init?.headers));
    const step = script[Math.min(calls.length - 1, script.length - 1)];
    if (step === undefined) throw new Error('empty script');
    return step(init);
  };
  return { impl, calls };
}

const ok = (body = '{"items":[]}', headers: Record<string, string> = {}) => () => new Response(body, { status: 200, headers });
const status = (code: number) => () => new Response(code === 304 ? null : 'x', { status: code });
const networkError = () => () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
/** Never answers until the request's signal aborts, then rejects like fetch does. */
const hang = () => (init: RequestInit | undefined) => new Promise<Response>((_resolve, reject) => {
  const signal = init?.signal;
  signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
});

function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => { delays.push(ms); } };
}

async function caught(p: Promise<unknown>): Promise<FeedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error('expected a FeedError');
}

describe('backoffDelay', () => {
  it.each([
    { attempt: 1, random: 0, want: 500 },
    { attempt: 1, random: 1, want: 1000 },
    { attempt: 2, random: 0.5, want: 1500 },
    { attempt: 3, random: 0, want: 2000 },
    { attempt: 10, random: 1, want: 30_000 },
  ])('attempt $attempt, random $random → $want ms', ({ attempt, random, want }) => {
    expect(backoffDelay(attempt, { baseDelayMs: 1000, maxDelayMs: 30_000, random: () => random })).toBe(want);
  });
});

describe('fetchFeed over http (injected fetch)', () => {
  it('returns body, status and validators', async () => {
    const { impl } = scriptedFetch([ok('{"items":[]}', { etag: '"abc"', 'last-modified': 'Sun, 02 Mar 2031 10:00:00 GMT' })]);
    const res = await fetchFeed(URL_, { fetch: impl });
    expect(res).toMatchObject({
      notModified: false, status: 200, text: '{"items":[]}', bytes: 12, attempts: 1,
      validators: { etag: '"abc"', lastModified: 'Sun, 02 Mar 2031 10:00:00 GMT' },
    });
  });

  it('sends validators and answers 304 as notModified, keeping them', async () => {
    const { impl, calls } = scriptedFetch([status(304)]);
    const validators = { etag: '"abc"', lastModified: 'Sun, 02 Mar 2031 10:00:00 GMT' };
    const res = await fetchFeed(URL_, { fetch: impl, validators });
    expect(res).toEqual({ notModified: true, source: URL_, status: 304, validators, attempts: 1 });
    expect(calls[0]?.get('if-none-match')).toBe('"abc"');
    expect(calls[0]?.get('if-modified-since')).toBe('Sun, 02 Mar 2031 10:00:00 GMT');
  });

  it('sends no conditional headers without validators', async () => {
    const { impl, calls } = scriptedFetch([ok()]);
    await fetchFeed(URL_, { fetch: impl, validators: null });
    expect(calls[0]?.has('if-none-match')).toBe(false);
    expect(calls[0]?.has('if-modified-since')).toBe(false);
  });

  it.each([
    { name: '500 then ok', script: [status(500), ok()], attempts: 2 },
    { name: '502, 503 then ok', script: [status(502), status(503), ok()], attempts: 3 },
    { name: 'network error then ok', script: [networkError(), ok()], attempts: 2 },
    { name: 'timeout then ok', script: [hang(), ok()], attempts: 2 },
  ])('retries transient failures: $name', async ({ script, attempts }) => {
    const { impl, calls } = scriptedFetch(script);
    const { delays, sleep } = recordingSleep();
    const res = await fetchFeed(URL_, { fetch: impl, sleep, random: () => 0, maxAttempts: 3, baseDelayMs: 100, timeoutMs: 20 });
    expect(res.attempts).toBe(attempts);
    expect(calls).toHaveLength(attempts);
    expect(delays).toEqual([50, 100].slice(0, attempts - 1));
  });

  it.each([
    { name: '500', step: status(500), code: 'FEED_HTTP' },
    { name: 'network error', step: networkError(), code: 'FEED_NETWORK' },
    { name: 'timeout', step: hang(), code: 'FEED_TIMEOUT' },
  ])('gives up after maxAttempts: $name → $code', async ({ step, code }) => {
    const { impl, calls } = scriptedFetch([step]);
    const { delays, sleep } = recordingSleep();
    const err = await caught(fetchFeed(URL_, { fetch: impl, sleep, random: () => 1, maxAttempts: 4, baseDelayMs: 10, timeoutMs: 20 }));
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('gave up after 4 attempts');
    expect(calls).toHaveLength(4);
    expect(delays).toEqual([10, 20, 40]);
  });

  it.each([400, 401, 403, 404, 410, 429])('does not retry HTTP %i', async (code) => {
    const { impl, calls } = scriptedFetch([status(code), ok()]);
    const { delays, sleep } = recordingSleep();
    const err = await caught(fetchFeed(URL_, { fetch: impl, sleep, maxAttempts: 5 }));
    expect(err.code).toBe('FEED_HTTP');
    expect(err.message).toContain(`HTTP ${code}`);
    expect(err.retryable).toBe(false);
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('maxAttempts 1 disables retries', async () => {
    const { impl, calls } = scriptedFetch([status(503), ok()]);
    const err = await caught(fetchFeed(URL_, { fetch: impl, maxAttempts: 1 }));
    expect(err.message).not.toContain('gave up');
    expect(calls).toHaveLength(1);
  });

  it('refuses a declared Content-Length over the cap without retrying', async () => {
    const { impl, calls } = scriptedFetch([() => new Response('x'.repeat(100), { headers: { 'content-length': '100' } })]);
    const err = await caught(fetchFeed(URL_, { fetch: impl, maxBytes: 99, maxAttempts: 3 }));
    expect(err.code).toBe('FEED_TOO_LARGE');
    expect(err.message).toContain('Content-Length 100');
    expect(calls).toHaveLength(1);
  });

  it('stops reading a streamed body once past the cap and cancels the stream', async () => {
    let pulled = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(64));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { impl } = scriptedFetch([() => new Response(stream)]);
    const err = await caught(fetchFeed(URL_, { fetch: impl, maxBytes: 200 }));
    expect(err.code).toBe('FEED_TOO_LARGE');
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });

  it('accepts a body exactly at the cap', async () => {
    const { impl } = scriptedFetch([ok('x'.repeat(64))]);
    await expect(fetchFeed(URL_, { fetch: impl, maxBytes: 64 })).resolves.toMatchObject({ bytes: 64 });
  });

  it('does not retry when the caller aborts, and rethrows the caller reason', async () => {
    const controller = new AbortController();
    const { impl, calls } = scriptedFetch([hang()]);
    const p = fetchFeed(URL_, { fetch: impl, signal: controller.signal, timeoutMs: 60_000, maxAttempts: 3 });
    controller.abort(new Error('shutting down'));
    await expect(p).rejects.toThrow('shutting down');
    expect(calls).toHaveLength(1);
  });
});

describe('fetchFeed from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'feed-fetch-'));
  const file = join(dir, 'index.json');
  writeFileSync(file, '{"items":[]}');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a path and a file: URL, with size+mtime validators', async () => {
    const first = await fetchFeed(file);
    expect(first).toMatchObject({ notModified: false, status: 200, text: '{"items":[]}' });
    expect(first.validators.etag).toMatch(/^"12-\d+"$/);
    const again = await fetchFeed(pathToFileURL(file).href, { validators: first.validators });
    expect(again.notModified).toBe(true);
  });

  it.each([
    { name: 'missing file', source: () => join(dir, 'nope.json'), options: {}, code: 'FEED_READ' },
    { name: 'a directory', source: () => dir, options: {}, code: 'FEED_READ' },
    { name: 'over the cap', source: () => file, options: { maxBytes: 5 }, code: 'FEED_TOO_LARGE' },
    { name: 'unsupported scheme', source: () => 'ftp://feed.test/index.json', options: {}, code: 'FEED_READ' },
  ])('$name → $code', async ({ source, options, code }) => {
    const err = await caught(fetchFeed(source(), options));
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(false);
  });
});
