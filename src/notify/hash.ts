/**
 * The one render hash: what a message about an advisory shows for a set of findings. Equal
 * hashes mean the message would read the same, so nothing is posted or updated.
 *
 * It never includes a time: replicas triaging the same fleet a minute apart must agree, and a
 * note such as "versions from an earlier read (2026-11-30T10:00:00Z)" or "read 3 h ago" must not
 * make every message look changed on each run. Instants and ages inside notes are masked; dates
 * (an end-of-life day) are facts and stay.
 */
import { createHash } from 'node:crypto';
import type { Advisory } from '../advisory/types.ts';
import type { Finding } from '../triage/types.ts';

const INSTANT = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const AGE = /\b(?:\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?)\s+ago|just now)\b/gi;

/** A note with its instants and ages masked. */
export function timeless(text: string): string {
  return text.replace(INSTANT, '<time>').replace(AGE, '<age>');
}

function findingLine(f: Finding): string {
  return JSON.stringify([
    f.cluster, f.component, f.version, f.verdict, f.fixedTarget, f.upgradePath,
    (f.notes ?? []).map(timeless),
    f.groups?.map((g) => [g.version, g.verdict, g.fixedTarget, g.upgradePath, g.nodes.length]) ?? null,
    f.exposure?.status ?? null,
  ]);
}

/** sha256 (hex) of the advisory's visible facts and the findings, in a canonical order. */
export function renderHash(advisory: Advisory, findings: readonly Finding[]): string {
  const lines = new Array<string>(findings.length);
  for (let i = 0; i < findings.length; i++) lines[i] = findingLine(findings[i] as Finding);
  // Code-unit order: cheap and locale-independent, so every replica sorts alike.
  lines.sort();
  const h = createHash('sha256');
  h.update(JSON.stringify([
    advisory.contentHash, advisory.status, advisory.severity, advisory.ranges, advisory.title, advisory.mitigation, advisory.unfixed,
  ]));
  for (const line of lines) h.update(`\n${line}`);
  return h.digest('hex');
}
