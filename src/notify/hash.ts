/**
 * The one render hash: what a message about an advisory shows for a set of findings. Equal
 * hashes mean the message would read the same, so nothing is posted or updated.
 *
 *   renderHash = sha256(advisory facts, findingsDigest)
 *   findingsDigest = sha256 over one line per finding, in triage order
 *
 * Triage order is canonical (advisory → cluster by name → component, the same for a whole-fleet
 * triage and for one in chunks), so the digest is fed finding by finding while a large run is
 * routed in slices (`createFindingsDigest`), never in one long synchronous pass.
 *
 * It never includes a time: replicas triaging the same fleet a minute apart must agree, and a
 * note such as "versions from an earlier read (2026-11-30T10:00:00Z)" or "read 3 h ago" must not
 * make every message look changed on each run. Instants and ages inside notes are masked; dates
 * (an end-of-life day) are facts and stay. The `reason` sentence is left out (it restates the
 * verdict); so are exposure evidence sentences (counts of pods move constantly), only their status counts.
 *
 * The post also shows each affected cluster's one remediation across every open advisory
 * ("fixed in v1.27.3 (smallest); recommended v1.27.16 (clears all 2 open advisories)"), which a
 * second advisory changes without changing this advisory's findings. So a channel's hash covers
 * what the post shows of it (`shownRemediation`), cluster by cluster in name order:
 *
 *   renderHash = sha256(advisory facts, findingsDigest[, remediationDigest])
 *
 * The remediation digest is left out when no affected cluster shows one, so such a post keeps the
 * hash it had before remediations were hashed.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Advisory } from '../advisory/types.ts';
import { recommendedText } from '../triage/remediation.ts';
import { affectedClusterNames } from './attention.ts';
import type { Finding, Remediation } from '../triage/types.ts';

const INSTANT = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const AGE = /\b(?:\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?)\s+ago|just now)\b/gi;

/** A note with its instants and ages masked. */
export function timeless(text: string): string {
  return text.replace(INSTANT, '<time>').replace(AGE, '<age>');
}

const NO_NOTES: string[] = [];
/** Notes are shared arrays across findings (triage interns them): mask each list once. */
const masked = new WeakMap<readonly string[], string[]>();
function timelessNotes(notes: readonly string[] | undefined): string[] {
  if (notes === undefined || notes.length === 0) return NO_NOTES;
  let m = masked.get(notes);
  if (m === undefined) masked.set(notes, (m = notes.map(timeless)));
  return m;
}

function findingLine(f: Finding): string {
  return JSON.stringify([
    f.cluster, f.component, f.version, f.verdict, f.fixedTarget, f.upgradePath,
    timelessNotes(f.notes),
    f.groups?.map((g) => [g.version, g.verdict, g.fixedTarget, g.upgradePath, g.nodes.length]) ?? null,
    f.exposure?.status ?? null,
  ]);
}

export interface FindingsDigest {
  add(finding: Finding): void;
  /** Hex digest of what was added; no `add` after the first call. */
  digest(): string;
}

export function createFindingsDigest(): FindingsDigest {
  const h: Hash = createHash('sha256');
  let done: string | null = null;
  return {
    add: (f) => {
      if (done !== null) throw new Error('findings digest already taken');
      // One update per finding (the same bytes as the line and its newline fed apart).
      h.update(`${findingLine(f)}\n`);
    },
    digest: () => (done ??= h.digest('hex')),
  };
}

/**
 * What an advisory's post shows of a cluster's remediation (slack/blocks/advisory.ts clusterRow):
 * the recommendation (target, how many open advisories it clears, whether any remain) when it
 * clears this advisory, and the provider's note. Null when it shows nothing. No time in it.
 */
export function shownRemediation(advisoryId: string, r: Remediation | undefined): [string | null, string | null] | null {
  if (r === undefined) return null;
  const recommended = r.target !== null && r.clears.includes(advisoryId) ? recommendedText(r) : null;
  const note = r.provider?.note ? timeless(r.provider.note) : null;
  return recommended === null && note === null ? null : [recommended, note];
}

/**
 * Digest of the remediations the post shows for these clusters (affected, unfixed or unknown ones,
 * sorted by name), or null when none shows one.
 */
export function remediationDigest(advisoryId: string, clusters: readonly string[], remediations: ReadonlyMap<string, Remediation>): string | null {
  if (remediations.size === 0) return null;
  const h = createHash('sha256');
  let shown = 0;
  // Look-alike clusters share one remediation object: its shown text is built once per advisory.
  const memo = new Map<Remediation, string | null>();
  for (const cluster of clusters) {
    const r = remediations.get(cluster);
    if (r === undefined) continue;
    let line = memo.get(r);
    if (line === undefined) {
      const s = shownRemediation(advisoryId, r);
      memo.set(r, (line = s === null ? null : JSON.stringify(s)));
    }
    if (line === null) continue;
    shown++;
    h.update(cluster);
    h.update('\t');
    h.update(line);
    h.update('\n');
  }
  return shown === 0 ? null : h.digest('hex');
}

/** The render hash from the advisory, the digest of its findings (as routed) and of the remediations shown. */
export function renderHashOf(advisory: Advisory, findingsDigest: string, remediationsDigest: string | null = null): string {
  return createHash('sha256').update(JSON.stringify([
    advisory.contentHash, advisory.status, advisory.severity, advisory.ranges, advisory.title, advisory.mitigation, advisory.unfixed,
    findingsDigest,
    ...(remediationsDigest === null ? [] : [remediationsDigest]),
  ])).digest('hex');
}

/**
 * sha256 (hex) of the advisory's visible facts and the findings (in the order given), and of the
 * remediations shown for the affected clusters when they are given.
 */
export function renderHash(advisory: Advisory, findings: readonly Finding[], remediations?: ReadonlyMap<string, Remediation>): string {
  const d = createFindingsDigest();
  for (const f of findings) d.add(f);
  const r = remediations === undefined ? null : remediationDigest(advisory.id, affectedClusterNames(findings), remediations);
  return renderHashOf(advisory, d.digest(), r);
}
