/**
 * fetchFeed against a loopback HTTP server: real sockets, real undici, every failure mode.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedError } from '../../../src/errors.ts';
import { fetchFeed, type FetchFeedOptions } from '../../../src/feed/fetch.ts';
import { parseFeedJson, parseFeedRss } from '../../../src/feed/parse.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const fixture = (name: string) => readFileSync(resolve(REPO_ROOT, 'test/fixtures/feeds', name), 'utf8');

let server: FeedServer;
const delays: number[] = [];
const options = (extra: FetchFeedOptions = {}): FetchFeedOptions => ({
  sleep: async (ms) => {
    delays.push(ms);
  },
  random: () => 0,
  baseDelayMs: 100,
  maxAttempts: 3,
  timeoutMs: 300,
  ...extra,
});

async function caught(p: Promise<unknown>): Promise<FeedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error('expected a FeedError');
}

beforeEach(async () => {
  delays.length = 0;
  server = await startFeedServer({ body: fixture('feed-v1.json'), oversizeBytes: 64 * 1024 });
});
afterEach(async () => {
  await server.close();
});

describe('fetchFeed over loopback http', () => {
  it('conditional GET: 200 with validators, then 304 by ETag, then 200 after a change', async () => {
    const first = await fetchFeed(server.url, options());
    expect(first.notModified).toBe(false);
    expect(first.validators).toEqual({ etag: server.etag, lastModified: server.lastModified });
    if (!first.notModified) expect(parseFeedJson(first.text, server.url).items).toHaveLength(3);

    const second = await fetchFeed(server.url, options({ validators: first.validators }));
    expect(second).toMatchObject({ notModified: true, status: 304, validators: first.validators });
    expect(server.requests[1]?.headers['if-none-match']).toBe(first.validators.etag);

    server.setBody(fixture('feed-v2.json'));
    const third = await fetchFeed(server.url, options({ validators: first.validators }));
    expect(third.notModified).toBe(false);
    expect(third.validators.etag).not.toBe(first.validators.etag);
  });

  it('conditional GET by Last-Modified alone', async () => {
    const res = await fetchFeed(server.url, options({ validators: { etag: null, lastModified: server.lastModified } }));
    expect(res.notModified).toBe(true);
  });

  it.each([
    { mode: 'error-500', code: 'FEED_HTTP' },
    { mode: 'error-503', code: 'FEED_HTTP' },
    { mode: 'hang', code: 'FEED_TIMEOUT' },
    { mode: 'slow-body', code: 'FEED_TIMEOUT' },
    { mode: 'reset', code: 'FEED_NETWORK' },
  ] as const)('retries $mode with backoff, then succeeds', async ({ mode }) => {
    server.fail(mode, 2);
    const res = await fetchFeed(server.url, options());
    expect(res).toMatchObject({ notModified: false, status: 200, attempts: 3 });
    expect(server.requests.map((r) => r.mode)).toEqual([mode, mode, 'ok']);
    expect(delays).toEqual([50, 100]);
  });

  it.each([
    { mode: 'error-500', code: 'FEED_HTTP' },
    { mode: 'hang', code: 'FEED_TIMEOUT' },
    { mode: 'reset', code: 'FEED_NETWORK' },
  ] as const)('gives up on $mode after maxAttempts with $code', async ({ mode, code }) => {
    server.fail(mode);
    const err = await caught(fetchFeed(server.url, options()));
    expect(err.code).toBe(code);
    expect(err.message).toContain(server.url);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 404', async () => {
    server.fail('error-404');
    const err = await caught(fetchFeed(server.url, options()));
    expect(err).toMatchObject({ code: 'FEED_HTTP', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    { mode: 'oversize', seen: 'Content-Length' },
    { mode: 'oversize-chunked', seen: 'more than' },
  ] as const)('refuses an $mode body over maxBytes, once', async ({ mode, seen }) => {
    server.fail(mode);
    const err = await caught(fetchFeed(server.url, options({ maxBytes: 8 * 1024 })));
    expect(err.code).toBe('FEED_TOO_LARGE');
    expect(err.message).toContain(seen);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    { mode: 'html', says: 'got HTML (<!DOCTYPE html>' },
    { mode: 'truncated', says: 'truncated JSON' },
    { mode: 'rss', says: 'got XML' },
  ] as const)('$mode with 200: fetch succeeds, parse fails with FEED_NOT_JSON', async ({ mode, says }) => {
    server.fail(mode);
    const res = await fetchFeed(server.url, options());
    if (res.notModified) throw new Error('unexpected 304');
    let err: unknown;
    try {
      parseFeedJson(res.text, server.url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FeedError);
    expect(err).toMatchObject({ code: 'FEED_NOT_JSON' });
    expect((err as FeedError).message).toContain(says);
    expect(server.requests).toHaveLength(1);
  });

  it('fetches RSS and parses it with parseFeedRss', async () => {
    server.setBody(fixture('feed.xml'), { contentType: 'application/rss+xml' });
    const res = await fetchFeed(server.url, options());
    if (res.notModified) throw new Error('unexpected 304');
    const rss = await parseFeedRss(res.text, server.url);
    expect(rss.items.map((i) => [i.id, i.status])).toEqual([['CVE-2031-4001', 'open'], ['CVE-2031-1001', 'fixed'], ['CVE-2031-3001', 'fixed']]);
  });

  it('a connection refused is a retryable network error', async () => {
    const url = server.url;
    await server.close();
    server = await startFeedServer();
    const err = await caught(fetchFeed(url, options({ maxAttempts: 2 })));
    expect(err).toMatchObject({ code: 'FEED_NETWORK', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });
});
