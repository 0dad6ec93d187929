/**
 * Feed text → validated items. Whole-feed problems (not JSON, not a JSON Feed) throw a
 * FeedError naming the source and what was seen; a problem in one item skips that item
 * with a warning and keeps the others: one bad issue must not hide every other advisory.
 */
import Parser from 'rss-parser';
import { z } from 'zod';
import { FeedError, errorMessage } from '../errors.ts';
import { splitIds } from './ids.ts';
import { feedItemSchema, type FeedItem, type FeedMeta } from './item.ts';

export const KNOWN_STATUSES = ['open', 'fixed', 'unfixed', 'unknown'] as const;

export interface SkippedItem {
  /** Position in the feed's `items` array. */
  index: number;
  /** The item's id when it had a readable one: the watcher must not treat it as removed. */
  id: string | null;
  problems: string[];
}

export interface ParsedFeed {
  meta: FeedMeta;
  items: FeedItem[];
  warnings: string[];
  skipped: SkippedItem[];
}

const envelopeSchema = z.object({
  version: z.string().optional().catch(undefined),
  title: z.string().nullish().catch(null),
  _kubernetes_io: z.object({ updated_at: z.string().nullish() }).nullish().catch(null),
  items: z.array(z.unknown()),
});

const JSON_FEED_VERSION = 'https://jsonfeed.org/version/';

export function parseFeedJson(text: string, source: string): ParsedFeed {
  const body = stripBom(text);
  if (body.trim() === '') {
    throw new FeedError('FEED_NOT_JSON', `${source}: expected the JSON feed, got an empty body`, { hint: 'check feed.url points at index.json' });
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (err) {
    throw new FeedError('FEED_NOT_JSON', `${source}: expected the JSON feed, ${describeNotJson(body, errorMessage(err))}`, {
      cause: err,
      hint: 'check feed.url points at index.json (an HTML page usually means a proxy, login or error page answered)',
    });
  }

  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new FeedError('FEED_SHAPE', `${source}: expected a JSON Feed object, got ${jsonType(data)}`, { hint: 'check feed.url points at index.json' });
  }
  const obj = data as Record<string, unknown>;
  if (!('items' in obj)) {
    const keys = Object.keys(obj).slice(0, 8).join(', ') || 'none';
    throw new FeedError('FEED_SHAPE', `${source}: not a JSON Feed: no "items" array (keys seen: ${keys})`, { hint: 'check feed.url points at index.json' });
  }
  if (!Array.isArray(obj.items)) {
    throw new FeedError('FEED_SHAPE', `${source}: not a JSON Feed: "items" is ${jsonType(obj.items)}, not an array`);
  }
  if (typeof obj.version === 'string' && !obj.version.startsWith(JSON_FEED_VERSION)) {
    throw new FeedError('FEED_SHAPE', `${source}: not a JSON Feed: version is "${truncate(obj.version, 60)}"`);
  }

  const envelope = envelopeSchema.parse(obj);
  const warnings: string[] = [];
  if (envelope.version === undefined) warnings.push(`${source}: no "version"; reading it as a JSON Feed anyway`);

  const items: FeedItem[] = [];
  const skipped: SkippedItem[] = [];
  const seen = new Map<string, number>();
  envelope.items.forEach((raw, index) => {
    const rawId = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? raw.id : null;
    const label = `item ${index} (${rawId ?? 'no id'})`;
    const parsed = feedItemSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'item'}: ${i.message}`);
      skipped.push({ index, id: rawId, problems });
      warnings.push(`${label} skipped: ${problems.join('; ')}`);
      return;
    }
    const item = parsed.data;
    if (splitIds(item.id).length === 0) warnings.push(`${label}: id holds no CVE id`);
    if (item.status != null && !(KNOWN_STATUSES as readonly string[]).includes(item.status)) {
      warnings.push(`${label}: unexpected status "${truncate(item.status, 30)}"`);
    }
    const first = seen.get(item.id);
    if (first !== undefined) warnings.push(`${label}: same id as item ${first}`);
    else seen.set(item.id, index);
    items.push(item);
  });

  return {
    meta: { source, updatedAt: envelope._kubernetes_io?.updated_at ?? null, items: envelope.items.length },
    items,
    warnings,
    skipped,
  };
}

/** One RSS item: enough to notice *that* something changed; the JSON says *what*. */
export interface RssFeedItem {
  /** The title, which is the CVE id. */
  id: string;
  /** The GitHub issue (link, else guid). */
  url: string;
  summary: string | null;
  /** The first <category>, lower-cased. */
  status: string | null;
  /** ISO time when the date parsed, else as written. */
  published: string | null;
}

export interface ParsedRss {
  items: RssFeedItem[];
  warnings: string[];
}

function categoryText(category: unknown): string | undefined {
  if (typeof category === 'string') return category;
  if (typeof category === 'object' && category !== null && '_' in category && typeof category._ === 'string') return category._;
  return undefined;
}

/** Parses RSS text with rss-parser's `parseString` (never `parseURL`: it has no cancellable timeout). */
export async function parseFeedRss(text: string, source = 'RSS feed'): Promise<ParsedRss> {
  const body = stripBom(text);
  if (body.trim() === '') throw new FeedError('FEED_NOT_JSON', `${source}: expected the RSS feed, got an empty body`);
  if (looksLikeHtml(body)) {
    throw new FeedError('FEED_NOT_JSON', `${source}: expected the RSS feed, got HTML (${snippet(body)})`, { hint: 'check the RSS URL (feed.xml)' });
  }
  const parser = new Parser();
  let feed: Awaited<ReturnType<typeof parser.parseString>>;
  try {
    feed = await parser.parseString(body);
  } catch (err) {
    const message = errorMessage(err);
    if (/not recognized as RSS/i.test(message)) {
      throw new FeedError('FEED_SHAPE', `${source}: XML but not RSS or Atom (${snippet(body)})`, { cause: err });
    }
    throw new FeedError('FEED_NOT_JSON', `${source}: expected the RSS feed, ${describeNotXml(body, message)}`, { cause: err });
  }

  const items: RssFeedItem[] = [];
  const warnings: string[] = [];
  feed.items.forEach((item, index) => {
    const title = item.title?.trim() ?? '';
    const url = (item.link ?? item.guid ?? '').trim();
    const missing = [title === '' ? 'title' : null, url === '' ? 'link' : null].filter((f) => f !== null);
    if (missing.length > 0) {
      warnings.push(`item ${index} (${title || 'no title'}) skipped: no ${missing.join(' or ')}`);
      return;
    }
    if (splitIds(title).length === 0) warnings.push(`item ${index} (${title}): title holds no CVE id`);
    // xml2js gives a bare string, or { _: text, $: attributes } when <category> has attributes.
    const category: unknown = (item.categories as unknown[] | undefined)?.[0];
    const status = categoryText(category);
    const summary = (item.contentSnippet ?? item.content ?? item.summary)?.trim();
    items.push({
      id: title,
      url,
      summary: summary ? summary : null,
      status: status?.trim() ? status.trim().toLowerCase() : null,
      published: item.isoDate ?? item.pubDate ?? null,
    });
  });
  return { items, warnings };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function looksLikeHtml(body: string): boolean {
  return /^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(body);
}

function describeNotJson(body: string, syntax: string): string {
  const start = body.trimStart();
  if (looksLikeHtml(start)) return `got HTML (${snippet(start)})`;
  if (start.startsWith('<')) return `got XML (${snippet(start)}); the RSS feed is read with parseFeedRss`;
  if (start.startsWith('{') || start.startsWith('[')) {
    const tail = body.trimEnd().slice(-24).replace(/\s+/g, ' ');
    return `got invalid or truncated JSON (${syntax}; ${body.length} chars ending "…${tail}")`;
  }
  return `got text (${snippet(start)})`;
}

function describeNotXml(body: string, message: string): string {
  const start = body.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) return `got JSON (${snippet(start)}); the JSON feed is read with parseFeedJson`;
  if (start.startsWith('<')) return `got malformed or truncated XML (${message.split('\n')[0] ?? message})`;
  return `got text (${snippet(start)})`;
}

function snippet(text: string, max = 40): string {
  return truncate(text.trimStart().replace(/\s+/g, ' '), max);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
