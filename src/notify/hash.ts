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
 */
import { createHash, type Hash } from 'node:crypto';
import type { Advisory } from '../advisory/types.ts';
import type { Finding } from '../triage/types.ts';

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
      h.update(findingLine(f));
      h.update('\n');
    },
    digest: () => (done ??= h.digest('hex')),
  };
}

/** The render hash from the advisory and the digest of its findings (as routed). */
export function renderHashOf(advisory: Advisory, findingsDigest: string): string {
  return createHash('sha256').update(JSON.stringify([
    advisory.contentHash, advisory.status, advisory.severity, advisory.ranges, advisory.title, advisory.mitigation, advisory.unfixed,
    findingsDigest,
  ])).digest('hex');
}

/** sha256 (hex) of the advisory's visible facts and the findings (in the order given). */
export function renderHash(advisory: Advisory, findings: readonly Finding[]): string {
  const d = createFindingsDigest();
  for (const f of findings) d.add(f);
  return renderHashOf(advisory, d.digest());
}
