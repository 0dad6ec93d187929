/**
 * The first-run digest: when the hub starts on a feed it has never seen, each channel gets one
 * message listing the advisories that affect its clusters, worst first, instead of either
 * silence or one thread per backlog advisory. Pure: data in, the Slack message out.
 */
import type { Advisory } from '../advisory/types.ts';
import { type Block, LIMITS, context, esc, link, packLines, section, truncate } from '../slack/blocks/text.ts';
import type { SlackMessage } from '../slack/blocks/advisory.ts';

/** One advisory as the digest lists it. */
export interface DigestEntry {
  id: string;
  title: string;
  url: string;
  rating: string | null;
  score: number | null;
  status: string;
  /** Clusters of this channel with a verdict other than not-affected. */
  clusters: number;
  /** Some of them have no fix yet. */
  unfixed: boolean;
}

export interface DigestInput {
  /** CVE ids the feed holds. */
  known: number;
  /** The advisories affecting clusters in this channel (any order; the builder sorts). */
  entries: DigestEntry[];
}

const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, none: 4 };

/** Worst first: severity rating, then score, then clusters affected, then id. */
export function worstFirst(a: DigestEntry, b: DigestEntry): number {
  return (RANK[a.rating ?? 'none'] ?? 4) - (RANK[b.rating ?? 'none'] ?? 4)
    || (b.score ?? -1) - (a.score ?? -1)
    || b.clusters - a.clusters
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function digestEntry(advisory: Advisory, clusters: number, unfixed: boolean): DigestEntry {
  return {
    id: advisory.id, title: advisory.title, url: advisory.url, rating: advisory.severity.rating, score: advisory.severity.score,
    status: advisory.status, clusters, unfixed,
  };
}

/** Most ids a digest records in its metadata (space-separated, about 15 bytes each). */
export const DIGEST_LISTED_MAX = 500;

/** The CVE ids a digest lists, space-separated, for its message metadata (worst first, at most DIGEST_LISTED_MAX). */
export function digestListedIds(input: DigestInput): string {
  return [...input.entries].sort(worstFirst).slice(0, DIGEST_LISTED_MAX).map((e) => e.id).join(' ');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Sections of advisory lines in the digest; the rest is counted in a context line. */
const MAX_LINE_SECTIONS = 40;

export function digestMessage(input: DigestInput): SlackMessage {
  const entries = [...input.entries].sort(worstFirst);
  const m = entries.length;
  const headline = `Watching the official Kubernetes CVE feed: ${plural(input.known, 'advisory', 'advisories')} known, ${m} affect${m === 1 ? 's' : ''} clusters in this channel${m > 0 ? ':' : '.'}`;
  const lines = entries.map((e) => {
    const sev = e.rating === null ? 'unrated' : `${e.rating}${e.score === null ? '' : ` ${e.score}`}`;
    const fix = e.unfixed ? ', no fix for some' : '';
    return `• *${link(e.url, e.id)}* (${esc(sev)}, ${esc(e.status)}): ${esc(truncate(e.title, 150))} — ${plural(e.clusters, 'cluster')}${fix}`;
  });
  const packed = packLines(lines);
  const shown = packed.slice(0, MAX_LINE_SECTIONS);
  const shownLines = shown.reduce((n, t) => n + t.split('\n').length, 0);
  const blocks: Block[] = [section(`*${esc(headline)}*`), ...shown.map((t) => section(t))];
  if (shownLines < lines.length) blocks.push(context(`…and ${lines.length - shownLines} more: \`/k8s advisories\` lists them all.`));
  blocks.push(context('These were already in the feed when the bot started. Each gets its own thread here when it changes upstream or a new cluster of this channel is affected; `/k8s triage CVE-ID` shows one now.'));
  const names = entries.slice(0, 5).map((e) => e.id).join(', ');
  const text = truncate(`${headline}${m > 0 ? ` ${names}${m > 5 ? ', …' : ''}` : ''}`, LIMITS.sectionText);
  return { text, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}
