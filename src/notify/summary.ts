/**
 * Pure: what a channel's message said (kept with its post) and, between two of those, the
 * sentences a thread reply tells people.
 */
import { createHash } from 'node:crypto';
import type { Advisory } from '../advisory/types.ts';
import type { Finding, Remediation, Verdict } from '../triage/types.ts';
import { affectedClusterNames } from './attention.ts';
import { shownRemediation } from './hash.ts';

/** One cluster × component as a message showed it. */
export interface ComponentState {
  version: string | null;
  verdict: Verdict;
  upgradePath: string[];
}

/** What a channel's message said, kept with the post to describe the next change. */
export interface MessageSummary {
  status: string;
  severity: string | null;
  ranges: string;
  text: string;
  affected: string[];
  targets: Record<string, string | null>;
  /** "cluster/component" → what was judged (every verdict). Absent in summaries stored before it existed. */
  components?: Record<string, ComponentState>;
  /**
   * Cluster → the recommendation the post shows for it ("recommended v1.27.16 (clears all 2 open
   * advisories)"), affected clusters only. Absent in summaries stored before it existed.
   */
  recommended?: Record<string, string>;
}

export function summarize(advisory: Advisory, findings: readonly Finding[], remediations?: ReadonlyMap<string, Remediation>): MessageSummary {
  const affected = affectedClusterNames(findings);
  const targets: Record<string, string | null> = {};
  const components: Record<string, ComponentState> = {};
  for (const f of findings) {
    const key = `${f.cluster}/${f.component}`;
    components[key] = { version: f.version, verdict: f.verdict, upgradePath: f.upgradePath };
    if (f.verdict === 'not-affected') continue;
    targets[key] = f.verdict === 'unfixed' ? 'unfixed' : f.fixedTarget;
  }
  const recommended: Record<string, string> = {};
  for (const cluster of affected) {
    const shown = shownRemediation(advisory.id, remediations?.get(cluster))?.[0];
    if (shown) recommended[cluster] = shown;
  }
  const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
  return {
    status: advisory.status,
    severity: advisory.severity.rating,
    ranges: digest(advisory.ranges),
    text: digest([advisory.title, advisory.mitigation, advisory.vulnerableIf]),
    affected,
    targets,
    components,
    recommended,
  };
}

/** Affected and unfixed read the same to people ("affected"); the fixed-target line tells them apart. */
function verdictClass(v: Verdict): string {
  return v === 'not-affected' ? 'not affected' : v === 'unknown' ? 'unknown' : 'affected';
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}

/**
 * Lines about the fleet side of a change (a cluster upgraded, a node pool lagging, a cluster added
 * or gone), and the clusters they explain, so the generic affected lists do not repeat them.
 */
function fleetChanges(prev: Record<string, ComponentState>, next: Record<string, ComponentState>): { lines: string[]; paths: string[]; explained: Set<string> } {
  const lines: string[] = [];
  const paths: string[] = [];
  const explained = new Set<string>();
  const prevClusters = new Set(Object.keys(prev).map((k) => splitKey(k)[0]));
  const nextClusters = new Set(Object.keys(next).map((k) => splitKey(k)[0]));
  const added = new Map<string, string[]>();
  for (const key of Object.keys(next).sort()) {
    const [cluster, component] = splitKey(key);
    const a = next[key] as ComponentState;
    const b = prev[key];
    if (b === undefined) {
      if (prevClusters.has(cluster)) {
        if (a.verdict !== 'not-affected') {
          lines.push(`${cluster}: ${component} ${a.version ?? 'version unknown'}, now ${verdictClass(a.verdict)}`);
          explained.add(cluster);
        }
        continue;
      }
      added.set(cluster, [...(added.get(cluster) ?? []), a.verdict === 'not-affected' ? '' : `${component} ${a.version ?? 'version unknown'}`]);
      continue;
    }
    const versionChanged = b.version !== a.version;
    const classChanged = verdictClass(b.verdict) !== verdictClass(a.verdict);
    if (!versionChanged && !classChanged) continue;
    const version = versionChanged ? `${b.version ?? 'unknown'} → ${a.version ?? 'unknown'}` : (a.version ?? 'version unknown');
    lines.push(`${cluster}: ${component} ${version}, ${classChanged ? 'now' : 'still'} ${verdictClass(a.verdict)}`);
    explained.add(cluster);
  }
  for (const [cluster, parts] of added) {
    const affectedParts = parts.filter((p) => p !== '');
    lines.push(affectedParts.length > 0 ? `new affected cluster: ${cluster} (${affectedParts.join(', ')})` : `new cluster: ${cluster}, not affected`);
    explained.add(cluster);
  }
  for (const cluster of [...prevClusters].sort()) {
    if (nextClusters.has(cluster)) continue;
    lines.push(`${cluster}: no longer in this channel's fleet`);
    explained.add(cluster);
  }
  for (const key of Object.keys(next).sort()) {
    const before = prev[key]?.upgradePath;
    const after = (next[key] as ComponentState).upgradePath;
    if (before === undefined || next[key]?.verdict === 'not-affected' || before.join() === after.join()) continue;
    const path = (p: string[]) => (p.length > 0 ? p.join(' → ') : 'a patch in its own minor');
    paths.push(`${key}: upgrade path now ${path(after)} (was ${path(before)})`);
  }
  return { lines, paths, explained };
}

/** Human sentences for a thread reply; plain text (the builder escapes it). */
export function describeChanges(prev: MessageSummary | null, next: MessageSummary): string[] {
  if (prev === null) return ['advisory details updated'];
  const out: string[] = [];
  if (prev.status !== next.status) out.push(`status: ${prev.status} → ${next.status}`);
  if (prev.severity !== next.severity) out.push(`severity: ${prev.severity ?? 'unrated'} → ${next.severity ?? 'unrated'}`);
  if (prev.ranges !== next.ranges) out.push('affected / fixed version ranges changed');
  const fleet = prev.components && next.components ? fleetChanges(prev.components, next.components) : { lines: [], paths: [], explained: new Set<string>() };
  out.push(...fleet.lines);
  const added = next.affected.filter((c) => !prev.affected.includes(c) && !fleet.explained.has(c));
  const removed = prev.affected.filter((c) => !next.affected.includes(c) && !fleet.explained.has(c));
  if (added.length > 0) out.push(`newly affected: ${added.join(', ')}`);
  if (removed.length > 0) out.push(`no longer affected: ${removed.join(', ')}`);
  for (const [key, target] of Object.entries(next.targets)) {
    const before = prev.targets[key];
    if (before !== undefined && before !== target) out.push(`${key}: fixed target ${before ?? 'none'} → ${target ?? 'none'}`);
  }
  out.push(...fleet.paths);
  if (prev.recommended !== undefined && next.recommended !== undefined) {
    // Clusters new or gone from the post are told above; here those it shows before and after.
    for (const cluster of next.affected) {
      if (!prev.affected.includes(cluster) || fleet.explained.has(cluster)) continue;
      const before = prev.recommended[cluster];
      const after = next.recommended[cluster];
      if (before !== after) out.push(`${cluster}: ${after ?? 'no recommendation beyond the fix'} (was ${before ?? 'none'})`);
    }
  }
  if (prev.text !== next.text) out.push('advisory text edited upstream');
  return out.length > 0 ? out : ['advisory details updated'];
}
