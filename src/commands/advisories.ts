/**
 * Feed source → structured advisories: the first step of every command. Fetches (URL or file),
 * parses the feed, then each item; whole-feed failures throw FeedError, per-item problems are
 * warnings. With `fallbackToBundled` an unreachable or broken live feed falls back to the
 * bundled sample and says so.
 */
import { parseItem } from '../advisory/parse.ts';
import type { Advisory } from '../advisory/types.ts';
import { errorMessage } from '../errors.ts';
import { fetchFeed, type FetchLike } from '../feed/fetch.ts';
import type { FeedMeta } from '../feed/item.ts';
import type { FeedItem } from '../feed/item.ts';
import { parseFeedJson, parseFeedRss } from '../feed/parse.ts';
import type { Logger } from '../log.ts';
import { BUNDLED_FEED } from '../paths.ts';

export interface LoadedAdvisories {
  feed: FeedMeta;
  advisories: Advisory[];
  warnings: string[];
  /** Set when the requested feed failed and the bundled sample was used instead. */
  fallback: { from: string; reason: string } | null;
}

export interface LoadAdvisoriesOptions {
  source: string;
  timeoutMs?: number;
  maxBytes?: number;
  maxAttempts?: number;
  fallbackToBundled?: boolean;
  fetch?: FetchLike;
  logger?: Logger;
}

export async function loadAdvisories(options: LoadAdvisoriesOptions): Promise<LoadedAdvisories> {
  try {
    return await load(options.source, options);
  } catch (err) {
    if (!options.fallbackToBundled || options.source === BUNDLED_FEED) throw err;
    const reason = errorMessage(err);
    options.logger?.warn({ source: options.source, err: reason }, 'feed unavailable, using the bundled sample');
    const loaded = await load(BUNDLED_FEED, { ...options, maxAttempts: 1 });
    return { ...loaded, feed: { ...loaded.feed, source: 'bundled sample' }, fallback: { from: options.source, reason } };
  }
}

async function load(source: string, options: LoadAdvisoriesOptions): Promise<LoadedAdvisories> {
  const fetched = await fetchFeed(source, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  // No validators were sent, so a 304 cannot happen; the guard keeps the types honest.
  if (fetched.notModified) throw new Error(`${source}: unexpected 304 Not Modified`);
  if (looksLikeXml(fetched.text)) return loadRss(fetched.text, source);
  const parsed = parseFeedJson(fetched.text, source);
  const advisories = parsed.items.flatMap((item) => parseItem(item));
  return { feed: parsed.meta, advisories, warnings: parsed.warnings, fallback: null };
}

function looksLikeXml(text: string): boolean {
  return /^\s*(?:\uFEFF)?<(?:\?xml|rss|feed)\b/i.test(text);
}

/**
 * The RSS variant (feed.xml) carries ids, links, summaries and status but no version text: its
 * advisories come out with no ranges (confidence low), and a warning points at index.json.
 */
async function loadRss(text: string, source: string): Promise<LoadedAdvisories> {
  const rss = await parseFeedRss(text, source);
  const items: FeedItem[] = rss.items.map((i) => ({
    id: i.id, url: i.url, summary: i.summary, status: i.status, date_published: i.published, content_text: null,
  }));
  return {
    feed: { source, updatedAt: null, items: items.length },
    advisories: items.flatMap((item) => parseItem(item)).map((a) => ({
      ...a, parse: { source: 'none' as const, confidence: 'low' as const, warnings: ['from the RSS feed, which carries no version text'] },
    })),
    warnings: [...rss.warnings, `${source}: the RSS feed has no version text, so advisories have no ranges; use index.json to triage`],
    fallback: null,
  };
}
