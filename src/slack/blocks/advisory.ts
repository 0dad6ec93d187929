/**
 * The advisory message (one per advisory × channel) and its thread replies. Pure: data in, the
 * Block Kit object out. The parent stays within 50 blocks and 3000 characters per section; with a
 * large fleet it shows the first clusters and a count, and `overflow` carries the full list for
 * a thread reply.
 */
import type { Advisory } from '../../advisory/types.ts';
import type { Finding, ReleaseDataInfo } from '../../triage/types.ts';
import { type Block, LIMITS, context, divider, esc, link, packLines, section, truncate } from './text.ts';

/** Stable action ids: the manifest test, the listeners and existing Slack messages depend on them. */
export const ADVISORY_ACTIONS = {
  verify: 'advisory_verify',
  scheduleEmergency: 'advisory_schedule_emergency',
  acknowledge: 'advisory_acknowledge',
} as const;

export type AdvisoryActionId = (typeof ADVISORY_ACTIONS)[keyof typeof ADVISORY_ACTIONS];

export interface Acknowledgement {
  user: string;
  at: string;
}

export interface AdvisoryMessageInput {
  advisory: Advisory;
  /** Findings for the clusters this message is about (one channel's clusters). */
  findings: readonly Finding[];
  releaseData: ReleaseDataInfo | null;
  acknowledged?: Acknowledgement | null;
  /** Show the Verify / Schedule / Acknowledge buttons (default true). */
  actions?: boolean;
  /** Cluster rows shown in the parent before summarising (default 15). */
  maxClusterRows?: number;
}

export interface SlackMessage {
  /** Notification / fallback text. */
  text: string;
  blocks: Block[];
}

export interface AdvisoryMessage extends SlackMessage {
  /** Thread replies carrying the full cluster list, when the parent had to summarise. Empty otherwise. */
  overflow: SlackMessage[];
}

const SEVERITY_ICON: Record<string, string> = {
  critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:', none: ':white_circle:',
};

const VERDICT_ORDER: Record<Finding['verdict'], number> = { affected: 0, unfixed: 1, unknown: 2, 'not-affected': 3 };

export function severityText(advisory: Advisory): string {
  const { rating, score } = advisory.severity;
  if (rating === null && score === null) return 'unrated';
  const icon = SEVERITY_ICON[rating ?? 'none'] ?? '';
  return `${icon} ${rating ?? ''}${score === null ? '' : ` (${score})`}`.trim();
}

/** One line per cluster; components with the same version and target share a line. */
export function clusterLines(findings: readonly Finding[]): string[] {
  const relevant = findings.filter((f) => f.verdict !== 'not-affected');
  const byCluster = new Map<string, Finding[]>();
  for (const f of relevant) byCluster.set(f.cluster, [...(byCluster.get(f.cluster) ?? []), f]);
  const rows = [...byCluster.entries()].map(([cluster, list]) => {
    const worst = Math.min(...list.map((f) => VERDICT_ORDER[f.verdict]));
    return { cluster, list, worst };
  });
  rows.sort((a, b) => a.worst - b.worst || a.cluster.localeCompare(b.cluster));
  return rows.map(({ cluster, list }) => clusterLine(cluster, list));
}

function clusterLine(cluster: string, list: readonly Finding[]): string {
  const groups = new Map<string, { components: string[]; f: Finding }>();
  for (const f of list) {
    const key = `${f.verdict}|${f.version ?? ''}|${f.fixedTarget ?? ''}|${f.upgradePath.join(',')}`;
    const g = groups.get(key);
    if (g) g.components.push(f.component);
    else groups.set(key, { components: [f.component], f });
  }
  const env = list[0]?.environment ?? '';
  const parts = [...groups.values()].map(({ components, f }) => {
    const what = `${esc(components.join(', '))} ${esc(f.version ?? 'version unknown')}`;
    if (f.verdict === 'unfixed') return `${what} → _no fix available yet_`;
    if (f.verdict === 'unknown') return `${what} → _unknown: ${esc(truncate(f.reason, 120))}_`;
    const via = f.upgradePath.length > 0 ? ` (upgrade via ${f.upgradePath.map(esc).join(' → ')})` : '';
    return `${what} → *${esc(f.fixedTarget ?? 'no fixed target')}*${via}`;
  });
  const notes = [...new Set(list.flatMap((f) => f.notes ?? []))].map((n) => `_${esc(truncate(n, 200))}_`);
  const nodes = [...new Set(list.flatMap((f) => f.affectedNodes ?? []))];
  const nodeText = nodes.length > 0 ? ` · nodes: ${esc(nodes.slice(0, 5).join(', '))}${nodes.length > 5 ? ` +${nodes.length - 5}` : ''}` : '';
  return `• *${esc(cluster)}* (${esc(env)}): ${parts.join('; ')}${nodeText}${notes.length > 0 ? ` ${notes.join(' ')}` : ''}`;
}

export function affectedClusterNames(findings: readonly Finding[]): string[] {
  return [...new Set(findings.filter((f) => f.verdict !== 'not-affected').map((f) => f.cluster))].sort();
}

function actionsBlock(advisoryId: string): Block {
  const button = (text: string, actionId: string, style?: 'primary' | 'danger') => ({
    type: 'button' as const,
    text: { type: 'plain_text' as const, text: truncate(text, LIMITS.buttonText) },
    action_id: actionId,
    value: advisoryId,
    ...(style ? { style } : {}),
  });
  return {
    type: 'actions',
    block_id: 'advisory_actions',
    elements: [
      button('Verify', ADVISORY_ACTIONS.verify, 'primary'),
      button('Schedule emergency window', ADVISORY_ACTIONS.scheduleEmergency, 'danger'),
      button('Acknowledge', ADVISORY_ACTIONS.acknowledge),
    ],
  };
}

export function releaseDataText(releaseData: ReleaseDataInfo | null): string {
  if (releaseData === null) return 'Release data: unavailable';
  return `Release data as of ${esc(releaseData.asOf)} (${releaseData.source}${releaseData.stale ? ', *stale*' : ''})`;
}

export function advisoryMessage(input: AdvisoryMessageInput): AdvisoryMessage {
  const { advisory, findings, releaseData } = input;
  const maxRows = Math.max(1, input.maxClusterRows ?? 15);
  const lines = clusterLines(findings);
  const affected = affectedClusterNames(findings);
  const notAffected = new Set(findings.filter((f) => f.verdict === 'not-affected').map((f) => f.cluster));
  for (const c of affected) notAffected.delete(c);

  const blocks: Block[] = [];
  blocks.push(section(`*${link(advisory.url, advisory.id)}*: ${esc(truncate(advisory.title, 500))}`));
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Severity*\n${severityText(advisory)}` },
      { type: 'mrkdwn', text: `*Status*\n${esc(advisory.status)}${advisory.unfixed ? ' (no fix for some versions)' : ''}` },
      { type: 'mrkdwn', text: `*Components*\n${esc(truncate(advisory.components.join(', ') || 'not stated', 1900))}` },
      { type: 'mrkdwn', text: `*Affected clusters*\n${affected.length}${notAffected.size > 0 ? ` (${notAffected.size} not affected)` : ''}` },
    ],
  });
  blocks.push(divider);

  const shown = lines.slice(0, maxRows);
  const hidden = lines.length - shown.length;
  if (lines.length === 0) blocks.push(section('_No cluster in this channel is affected._'));
  // At most 3 sections of cluster rows keep the parent far below 50 blocks whatever the fleet size.
  const packed = packLines(shown);
  const kept = packed.slice(0, 3);
  blocks.push(...kept.map((t) => section(t)));
  const droppedByPacking = packed.length > kept.length;
  const overflow: SlackMessage[] = [];
  if (hidden > 0 || droppedByPacking) {
    const more = hidden > 0 ? `…and ${hidden} more cluster${hidden === 1 ? '' : 's'}. ` : '';
    blocks.push(context(`${more}Full list of ${lines.length} clusters in the thread.`));
    const chunks = packLines(lines);
    // A thread reply is itself a message: 45 sections per reply.
    for (let i = 0; i < chunks.length; i += 45) {
      const part = chunks.slice(i, i + 45);
      overflow.push({ text: `${advisory.id}: affected clusters (${lines.length})`, blocks: part.map((t) => section(t)) });
    }
  }

  if (advisory.mitigation) {
    blocks.push(section(`*Mitigation*\n${esc(truncate(advisory.mitigation, 1200))}`));
  }
  const notes = [releaseDataText(releaseData)];
  if (advisory.parse.confidence !== 'high') notes.push(`Parsed from ${advisory.parse.source}, confidence ${advisory.parse.confidence}`);
  blocks.push(context(...notes));
  if (input.acknowledged) {
    blocks.push(context(`:white_check_mark: Acknowledged by <@${esc(input.acknowledged.user)}> at ${esc(input.acknowledged.at)}`));
  }
  if (input.actions !== false) blocks.push(actionsBlock(advisory.id));

  const text = truncate(
    `${advisory.id} (${advisory.severity.rating ?? 'unrated'}): ${advisory.title} — ${affected.length} affected cluster${affected.length === 1 ? '' : 's'}`,
    LIMITS.sectionText,
  );
  return { text, blocks: blocks.slice(0, LIMITS.blocksPerMessage), overflow };
}

/** A thread reply saying what changed since the last post. */
export function advisoryChangeReply(advisory: Advisory, changes: readonly string[]): SlackMessage {
  const lines = changes.length > 0 ? changes.map((c) => `• ${esc(c)}`) : ['• details updated'];
  const body = packLines([`*${esc(advisory.id)} was updated*`, ...lines]).slice(0, 40);
  return { text: `${advisory.id} was updated: ${truncate(changes.join('; '), 200)}`, blocks: body.map((t) => section(t)) };
}
