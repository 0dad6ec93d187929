/**
 * Pure: which channels an advisory goes to, with which clusters, and what changed since a
 * channel's message was last rendered.
 */
import { createHash } from 'node:crypto';
import type { Advisory } from '../advisory/types.ts';
import type { Config } from '../config/schema.ts';
import type { Finding } from '../triage/types.ts';

/** The channel for an environment: `slack.channels[env]`, else `slack.channels.default`, else none. */
export function channelFor(config: { slack: Pick<Config['slack'], 'channels'> }, environment: string): string | null {
  return config.slack.channels[environment] ?? config.slack.channels.default ?? null;
}

/**
 * Channel → that channel's findings (every verdict, for the "not affected" count), for each channel
 * where at least one cluster is affected, unfixed or unknown.
 */
export function routeFindings(config: Pick<Config, 'slack' | 'clusters'>, findings: readonly Finding[]): Map<string, Finding[]> {
  const envOf = new Map(config.clusters.map((c) => [c.name, c.environment]));
  const byChannel = new Map<string, Finding[]>();
  const relevant = new Set<string>();
  for (const f of findings) {
    const channel = channelFor(config, envOf.get(f.cluster) ?? f.environment);
    if (channel === null) continue;
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), f]);
    if (f.verdict !== 'not-affected') relevant.add(channel);
  }
  return new Map([...byChannel].filter(([channel]) => relevant.has(channel)));
}

/** What a channel's message said, kept with the post to describe the next change. */
export interface MessageSummary {
  status: string;
  severity: string | null;
  ranges: string;
  text: string;
  affected: string[];
  targets: Record<string, string | null>;
}

export function summarize(advisory: Advisory, findings: readonly Finding[]): MessageSummary {
  const affected = [...new Set(findings.filter((f) => f.verdict !== 'not-affected').map((f) => f.cluster))].sort();
  const targets: Record<string, string | null> = {};
  for (const f of findings) {
    if (f.verdict === 'not-affected') continue;
    const key = `${f.cluster}/${f.component}`;
    targets[key] = f.verdict === 'unfixed' ? 'unfixed' : f.fixedTarget;
  }
  const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
  return {
    status: advisory.status,
    severity: advisory.severity.rating,
    ranges: digest(advisory.ranges),
    text: digest([advisory.title, advisory.mitigation, advisory.vulnerableIf]),
    affected,
    targets,
  };
}

/** Human sentences for a thread reply; plain text (the builder escapes it). */
export function describeChanges(prev: MessageSummary | null, next: MessageSummary): string[] {
  if (prev === null) return ['advisory details updated'];
  const out: string[] = [];
  if (prev.status !== next.status) out.push(`status: ${prev.status} → ${next.status}`);
  if (prev.severity !== next.severity) out.push(`severity: ${prev.severity ?? 'unrated'} → ${next.severity ?? 'unrated'}`);
  if (prev.ranges !== next.ranges) out.push('affected / fixed version ranges changed');
  const added = next.affected.filter((c) => !prev.affected.includes(c));
  const removed = prev.affected.filter((c) => !next.affected.includes(c));
  if (added.length > 0) out.push(`newly affected: ${added.join(', ')}`);
  if (removed.length > 0) out.push(`no longer affected: ${removed.join(', ')}`);
  for (const [key, target] of Object.entries(next.targets)) {
    const before = prev.targets[key];
    if (before !== undefined && before !== target) out.push(`${key}: fixed target ${before ?? 'none'} → ${target ?? 'none'}`);
  }
  if (prev.text !== next.text) out.push('advisory text edited upstream');
  return out.length > 0 ? out : ['advisory details updated'];
}
