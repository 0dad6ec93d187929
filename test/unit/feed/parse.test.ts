import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeedError } from '../../../src/errors.ts';
import { parseFeedJson, parseFeedRss } from '../../../src/feed/parse.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const fixture = (name: string) => readFileSync(resolve(REPO_ROOT, 'test/fixtures/feeds', name), 'utf8');
const SRC = 'https://feed.test/index.json';

function caught(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error('expected a FeedError');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<FeedError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error('expected a FeedError');
}

describe('parseFeedJson', () => {
  it('reads a well-formed feed: meta, items, no warnings', () => {
    const parsed = parseFeedJson(fixture('feed-v1.json'), SRC);
    expect(parsed.meta).toEqual({ source: SRC, updatedAt: '2031-03-02T10:00:00Z', items: 3 });
    expect(parsed.items.map((i) => i.id)).toEqual(['CVE-2031-1001', 'CVE-2030-2001, CVE-2030-2002', 'CVE-2031-3001']);
    expect(parsed.items[1]?.status).toBeUndefined();
    expect(parsed.items[1]?.content_text).toContain('\r\n');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.skipped).toEqual([]);
  });

  it('accepts a byte-order mark', () => {
    expect(parseFeedJson(`\uFEFF${fixture('feed-v1.json')}`, SRC).items).toHaveLength(3);
  });

  const v1 = fixture('feed-v1.json');
  it.each([
    { name: 'empty body', text: '', code: 'FEED_NOT_JSON', says: 'empty body' },
    { name: 'whitespace only', text: ' \n\t', code: 'FEED_NOT_JSON', says: 'empty body' },
    { name: 'HTML error page', text: '<!DOCTYPE html>\n<html><head><title>502</title></head></html>', code: 'FEED_NOT_JSON', says: 'got HTML (<!DOCTYPE html> <html><head><title>502' },
    { name: 'HTML without doctype', text: '<html><body>Sign in</body></html>', code: 'FEED_NOT_JSON', says: 'got HTML (<html>' },
    { name: 'RSS instead of JSON', text: fixture('feed.xml'), code: 'FEED_NOT_JSON', says: 'got XML (<?xml' },
    { name: 'truncated JSON', text: v1.slice(0, Math.floor(v1.length / 2)), code: 'FEED_NOT_JSON', says: 'truncated JSON' },
    { name: 'plain text', text: 'upstream connect error', code: 'FEED_NOT_JSON', says: 'got text (upstream connect error)' },
    { name: 'JSON array', text: '[1,2]', code: 'FEED_SHAPE', says: 'got an array' },
    { name: 'JSON string', text: '"hello"', code: 'FEED_SHAPE', says: 'got a string' },
    { name: 'JSON null', text: 'null', code: 'FEED_SHAPE', says: 'got null' },
    { name: 'API error object', text: '{"message":"Not Found","status":404}', code: 'FEED_SHAPE', says: 'no "items" array (keys seen: message, status)' },
    { name: 'items not an array', text: '{"version":"https://jsonfeed.org/version/1.1","items":{}}', code: 'FEED_SHAPE', says: '"items" is an object' },
    { name: 'another feed format', text: '{"version":"2.0","items":[]}', code: 'FEED_SHAPE', says: 'version is "2.0"' },
  ])('$name → $code', ({ text, code, says }) => {
    const err = caught(() => parseFeedJson(text, SRC));
    expect(err.code).toBe(code);
    expect(err.message).toContain(SRC);
    expect(err.message).toContain(says);
    expect(err.retryable).toBe(false);
  });

  it('skips bad items with a warning naming index, id and field, and keeps the good ones', () => {
    const parsed = parseFeedJson(fixture('feed-bad-items.json'), SRC);
    expect(parsed.items.map((i) => i.id)).toEqual(['CVE-2031-1001', 'CVE-2030-2001, CVE-2030-2002']);
    expect(parsed.meta.items).toBe(5);
    expect(parsed.skipped.map((s) => [s.index, s.id])).toEqual([[1, null], [2, 'CVE-2031-5005'], [3, null]]);
    expect(parsed.warnings).toHaveLength(3);
    expect(parsed.warnings[0]).toMatch(/^item 1 \(no id\) skipped: id: /);
    expect(parsed.warnings[1]).toMatch(/^item 2 \(CVE-2031-5005\) skipped: url: /);
    expect(parsed.warnings[2]).toMatch(/^item 3 \(no id\) skipped: item: /);
  });

  it.each([
    { name: 'id without a CVE id', item: { id: 'GHSA-1234', url: 'u' }, warning: 'item 0 (GHSA-1234): id holds no CVE id' },
    { name: 'unknown status', item: { id: 'CVE-2031-0001', url: 'u', status: 'wontfix' }, warning: 'item 0 (CVE-2031-0001): unexpected status "wontfix"' },
  ])('warns but keeps: $name', ({ item, warning }) => {
    const parsed = parseFeedJson(JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', items: [item] }), SRC);
    expect(parsed.items).toHaveLength(1);
    expect(parsed.warnings).toEqual([warning]);
  });

  it('warns on duplicate item ids and on a missing version', () => {
    const item = { id: 'CVE-2031-0001', url: 'u' };
    const parsed = parseFeedJson(JSON.stringify({ items: [item, item] }), SRC);
    expect(parsed.items).toHaveLength(2);
    expect(parsed.warnings).toEqual([`${SRC}: no "version"; reading it as a JSON Feed anyway`, 'item 1 (CVE-2031-0001): same id as item 0']);
  });

  it('reads an empty feed', () => {
    const parsed = parseFeedJson('{"version":"https://jsonfeed.org/version/1.1","items":[]}', SRC);
    expect(parsed).toEqual({ meta: { source: SRC, updatedAt: null, items: 0 }, items: [], warnings: [], skipped: [] });
  });
});

describe('parseFeedRss', () => {
  it('reads id, url, summary, status and date; skips an item without title', async () => {
    const parsed = await parseFeedRss(fixture('feed.xml'), 'feed.xml');
    expect(parsed.items).toEqual([
      { id: 'CVE-2031-4001', url: 'https://github.com/example/k8s/issues/140004', summary: 'Placeholder: issue in kube-proxy under investigation', status: 'open', published: '2029-11-20T10:00:00.000Z' },
      { id: 'CVE-2031-1001', url: 'https://github.com/example/k8s/issues/140001', summary: 'Kubelet may expose node credentials through a debug endpoint', status: 'fixed', published: '2031-03-02T09:00:00.000Z' },
      { id: 'CVE-2031-3001', url: 'https://github.com/example/k8s/issues/135003', summary: 'Path traversal in csi-driver-nfs volume deletion', status: 'fixed', published: '2031-01-15T08:30:00.000Z' },
    ]);
    expect(parsed.warnings).toEqual(['item 3 (no title) skipped: no title']);
  });

  const xml = fixture('feed.xml');
  it.each([
    { name: 'empty body', text: '', code: 'FEED_NOT_JSON', says: 'empty body' },
    { name: 'HTML error page', text: '<!DOCTYPE html><html><body>oops</body></html>', code: 'FEED_NOT_JSON', says: 'got HTML' },
    { name: 'JSON instead of RSS', text: fixture('feed-v1.json'), code: 'FEED_NOT_JSON', says: 'got JSON' },
    { name: 'truncated XML', text: xml.slice(0, Math.floor(xml.length / 2)), code: 'FEED_NOT_JSON', says: 'malformed or truncated XML' },
    { name: 'XML that is not a feed', text: '<?xml version="1.0"?><config><a>1</a></config>', code: 'FEED_SHAPE', says: 'not RSS or Atom' },
  ])('$name → $code', async ({ text, code, says }) => {
    const err = await caughtAsync(() => parseFeedRss(text, 'feed.xml'));
    expect(err.code).toBe(code);
    expect(err.message).toContain('feed.xml');
    expect(err.message).toContain(says);
  });
});
