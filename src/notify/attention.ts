/**
 * Pure: which clusters an advisory needs attention on, as a small tally that is stored with each
 * channel's part of the advisory's view. `/k8s advisories` and the App Home tab read these tallies
 * from the heads instead of decoding every finding of every advisory (tens of megabytes at 10,000
 * clusters), so answering them costs two Redis reads whatever the fleet size.
 */
import type { Finding } from '../triage/types.ts';

/**
 * Names kept per tally: enough that every list shown (cut at 300 characters, at least "x, " per
 * name) is the same as from the whole list.
 */
export const TALLY_NAMES = 120;

/** A set of clusters: how many, and the first `TALLY_NAMES` of them in sorted order. */
export interface ClusterTally {
  count: number;
  names: string[];
}

export interface AttentionSummary {
  /** Affected or unfixed with no active risk acceptance: what needs doing. */
  attention: ClusterTally;
  /** Only `unknown` findings (unreadable, or the advisory does not say): counted apart, never as affected. */
  unknown: ClusterTally;
}

const EMPTY: AttentionSummary = Object.freeze({ attention: Object.freeze({ count: 0, names: [] }), unknown: Object.freeze({ count: 0, names: [] }) }) as AttentionSummary;

/** Clusters with a verdict other than not-affected (affected, unfixed or unknown), sorted. */
export function affectedClusterNames(findings: readonly Finding[]): string[] {
  const out = new Set<string>();
  for (const f of findings) if (f.verdict !== 'not-affected') out.add(f.cluster);
  return [...out].sort();
}

/** Clusters affected or unfixed with no active risk acceptance (`/k8s accept`), sorted. */
export function needsAttention(findings: readonly Finding[]): string[] {
  const hit = new Set<string>();
  for (const f of findings) if ((f.verdict === 'affected' || f.verdict === 'unfixed') && !f.accepted) hit.add(f.cluster);
  return [...hit].sort();
}

/** Clusters with only `unknown` findings (no affected or unfixed one, accepted or not), sorted. */
export function unknownClusters(findings: readonly Finding[]): string[] {
  const hit = new Set<string>();
  for (const f of findings) if (f.verdict === 'affected' || f.verdict === 'unfixed') hit.add(f.cluster);
  const unknown = new Set<string>();
  for (const f of findings) if (f.verdict === 'unknown' && !hit.has(f.cluster)) unknown.add(f.cluster);
  return [...unknown].sort();
}

/** A tally of a sorted, duplicate-free list. */
export function tally(sorted: readonly string[]): ClusterTally {
  return { count: sorted.length, names: sorted.slice(0, TALLY_NAMES) };
}

export function attentionOf(findings: readonly Finding[]): AttentionSummary {
  return { attention: tally(needsAttention(findings)), unknown: tally(unknownClusters(findings)) };
}

/**
 * Accumulates an attention summary finding by finding (the router feeds it as findings stream
 * through, so nothing is kept but cluster names).
 */
export interface AttentionCounter {
  add(f: Finding): void;
  summary(): AttentionSummary;
}

export function createAttentionCounter(): AttentionCounter {
  const open = new Set<string>();
  const hit = new Set<string>();
  const unknown = new Set<string>();
  return {
    add(f) {
      if (f.verdict === 'affected' || f.verdict === 'unfixed') {
        hit.add(f.cluster);
        if (!f.accepted) open.add(f.cluster);
      } else if (f.verdict === 'unknown') {
        unknown.add(f.cluster);
      }
    },
    summary() {
      if (open.size === 0 && unknown.size === 0) return EMPTY;
      const unknownOnly: string[] = [];
      for (const c of unknown) if (!hit.has(c)) unknownOnly.push(c);
      return { attention: tally([...open].sort()), unknown: tally(unknownOnly.sort()) };
    },
  };
}

function mergeTallies(parts: readonly ClusterTally[]): ClusterTally {
  let count = 0;
  const names = new Set<string>();
  for (const p of parts) {
    count += p.count;
    for (const n of p.names) names.add(n);
  }
  return { count, names: [...names].sort().slice(0, TALLY_NAMES) };
}

/**
 * One advisory's summary from its channels' summaries. A cluster belongs to one channel (or to
 * none: the unrouted part), so counts add up, and the first names of the whole list are among the
 * first names of the parts.
 */
export function mergeAttention(parts: readonly AttentionSummary[]): AttentionSummary {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0] as AttentionSummary;
  return { attention: mergeTallies(parts.map((p) => p.attention)), unknown: mergeTallies(parts.map((p) => p.unknown)) };
}

/** "a, b, c" of a tally, with "…" when names were left out (the caller truncates to its width). */
export function tallyNames(t: ClusterTally): string {
  return t.names.join(', ') + (t.count > t.names.length ? ', …' : '');
}
