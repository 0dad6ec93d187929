/** Command answers: help, errors, advisory list, cluster posture, "not yet available". Pure. */
import type { Advisory } from '../../advisory/types.ts';
import type { ClusterPosture, ReleaseDataInfo, Remediation } from '../../triage/types.ts';
import { usage } from '../command.ts';
import { type AttentionSummary, tallyNames } from '../../notify/attention.ts';
import { releaseDataText, severityText } from './advisory.ts';
import type { SlackMessage } from './advisory.ts';
import { type Block, LIMITS, context, esc, link, packLines, section, truncate } from './text.ts';

export function helpMessage(): SlackMessage {
  return {
    text: 'k8s-advisor commands',
    blocks: [section('*k8s-advisor* — Kubernetes CVE triage for this fleet'), section(usage())],
  };
}

/**
 * Unknown subcommand or bad arguments: say what was wrong, then every valid form. `error` comes from
 * parseCommand, which already strips mrkdwn control characters from anything it echoes.
 */
export function usageError(error: string): SlackMessage {
  return { text: error, blocks: [section(`:warning: ${error}`), section(`*Valid forms*\n${usage()}`)] };
}

export function notice(text: string): SlackMessage {
  return { text, blocks: [section(text)] };
}

/** An advisory and who it needs attention on: stored with its view (notify/attention.ts), or `attentionOf(findings)`. */
export interface AdvisorySummary {
  advisory: Pick<Advisory, 'id' | 'title' | 'url' | 'status' | 'severity'>;
  summary: AttentionSummary;
}

const RATING_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, none: 4 };

export function advisoryListMessage(items: readonly AdvisorySummary[], releaseData: ReleaseDataInfo | null, max = 40): SlackMessage {
  if (items.length === 0) {
    return notice('No advisories known yet: the feed has not been polled, or it had nothing new.');
  }
  const sorted = [...items].sort((a, b) => {
    // Affected first, then unknown only (unreadable clusters are not "affected"), then the rest.
    const rank = (s: AttentionSummary) => (s.attention.count > 0 ? 0 : s.unknown.count > 0 ? 1 : 2);
    const aa = rank(a.summary);
    const bb = rank(b.summary);
    return aa - bb
      || (RATING_ORDER[a.advisory.severity.rating ?? 'none'] ?? 5) - (RATING_ORDER[b.advisory.severity.rating ?? 'none'] ?? 5)
      || b.advisory.id.localeCompare(a.advisory.id);
  });
  const lines = sorted.slice(0, max).map(({ advisory, summary: { attention, unknown } }) => {
    const who = [
      attention.count === 0 ? 'no cluster affected' : `${attention.count} affected: ${esc(truncate(tallyNames(attention), 200))}`,
      ...(unknown.count > 0 ? [`${unknown.count} unknown: ${esc(truncate(tallyNames(unknown), 120))}`] : []),
    ].join(' · ');
    return `• *${link(advisory.url, advisory.id)}* ${severityText({ severity: advisory.severity } as Advisory)} · ${esc(advisory.status)} · ${who}\n   ${esc(truncate(advisory.title, 150))}`;
  });
  const blocks: Block[] = [section(`*Advisories* (${items.length})`), ...packLines(lines).slice(0, 45).map((t) => section(t))];
  const rest = items.length - Math.min(items.length, max);
  blocks.push(context(`${rest > 0 ? `${rest} more not shown. ` : ''}Use \`/k8s triage CVE-ID\` for one advisory. ${releaseDataText(releaseData)}`));
  return { text: `${items.length} advisories`, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}

export function postureLines(clusters: readonly ClusterPosture[]): string[] {
  return [...clusters]
    .sort((a, b) => a.environment.localeCompare(b.environment) || a.cluster.localeCompare(b.cluster))
    .map((c) => {
      const support = c.supported === false ? `:warning: unsupported${c.eol ? ` (EOL ${esc(c.eol)})` : ''}` : c.supported === true ? 'supported' : 'support unknown';
      const err = c.inventoryError ? ` · :x: ${esc(truncate(c.inventoryError, 150))}` : '';
      const age = c.inventoryAge ? ` · read ${esc(c.inventoryAge)}` : '';
      const line = `• *${esc(c.cluster)}* (${esc(c.environment)}, ${esc(c.provider)}) ${esc(c.server ?? 'version unknown')} · ${support}${age}${err}`;
      const next = remediationLine(c.remediation);
      return next === null ? line : `${line}\n${next}`;
    });
}

/** The cluster's one next step, under its posture line: "   ↳ next: v1.35.2 → *v1.35.8* clears all 4 open advisories". */
export function remediationLine(r: Remediation | undefined): string | null {
  if (r === undefined) return null;
  let summary = esc(truncate(r.summary, 500));
  if (r.target !== null) summary = summary.replace(`→ ${r.target}`, `→ *${r.target}*`);
  const provider = r.provider?.note ? ` _(${esc(truncate(r.provider.note, 300))})_` : '';
  const remains = r.remains.length > 0 ? ` · remains: ${esc(truncate(r.remains.map((x) => `${x.advisory} (${x.reason})`).join('; '), 400))}` : '';
  return `   ↳ next: ${summary}${provider}${remains}`;
}

export function clustersMessage(clusters: readonly ClusterPosture[], releaseData: ReleaseDataInfo | null): SlackMessage {
  if (clusters.length === 0) return notice('No cluster posture yet: it is computed on the first feed poll.');
  const blocks: Block[] = [section(`*Fleet* (${clusters.length} clusters)`), ...packLines(postureLines(clusters)).slice(0, 45).map((t) => section(t))];
  blocks.push(context(releaseDataText(releaseData)));
  return { text: `${clusters.length} clusters`, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}
