/**
 * The advisory message (one per advisory × channel) and its thread replies. Pure: data in, the
 * Block Kit object out. The parent stays within 50 blocks and 3000 characters per section; with a
 * large fleet it shows the first clusters and a count, and `overflow` carries the full list for
 * a thread reply.
 *
 * A cluster reads at a glance: one line with name, current → *target* (the smallest fix, and the
 * cluster's recommended version when it clears more open advisories) and exposure; its notes (end
 * of life, skew, provider build) on a context line under it, not run together.
 */
import type { Advisory } from '../../advisory/types.ts';
import { acceptanceText } from '../../signoff/accept.ts';
import { emergencyWindowButton } from '../../maintenance/emergency.ts';
import { affectedClusterNames, needsAttention, unknownClusters } from '../../notify/attention.ts';
import { recommendedText } from '../../triage/remediation.ts';
import type { ClusterPosture, Exposure, Finding, ReleaseDataInfo, Remediation } from '../../triage/types.ts';
import { markdownToMrkdwn } from './markdown.ts';
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
  /** Cluster postures (triage `clusters[]`): their remediation gives the recommended version. */
  clusters?: readonly ClusterPosture[];
  /** The same as `clusters`, only each cluster's remediation (the hub reads just the message's clusters). */
  remediations?: ReadonlyMap<string, Remediation>;
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

export interface ClusterRow {
  cluster: string;
  /** name, current → *target*, exposure. */
  line: string;
  /** End of life, skew, provider build, affected nodes: for a context line. Empty when none. */
  notes: string[];
}

/** "affected and exposed: 3 pods in team-a use gitRepo" / "affected, not exposed now: no pod uses gitRepo". */
export function exposurePhrase(e: Exposure): string {
  switch (e.status) {
    case 'exposed':
      return `:rotating_light: affected and exposed: ${esc(truncate(e.evidence, 200))}`;
    case 'not-exposed':
      return `affected, not exposed now: ${esc(truncate(e.evidence, 200))}`;
    case 'unknown':
      return `exposure unknown: ${esc(truncate(e.evidence, 200))}`;
  }
}

/** One row per cluster; components with the same version and target share it. */
export function clusterRows(findings: readonly Finding[], remediations?: ReadonlyMap<string, Remediation>, fixState: Advisory['fixState'] = 'available'): ClusterRow[] {
  const relevant = findings.filter((f) => f.verdict !== 'not-affected');
  const byCluster = new Map<string, Finding[]>();
  for (const f of relevant) {
    const list = byCluster.get(f.cluster);
    if (list) list.push(f);
    else byCluster.set(f.cluster, [f]);
  }
  const rows = [...byCluster.entries()].map(([cluster, list]) => {
    const worst = Math.min(...list.map((f) => VERDICT_ORDER[f.verdict]));
    return { cluster, list, worst };
  });
  rows.sort((a, b) => a.worst - b.worst || a.cluster.localeCompare(b.cluster));
  return rows.map(({ cluster, list }) => clusterRow(cluster, list, remediations?.get(cluster), fixState));
}

/** The cluster lines as text (tests, summaries): the row line, and its notes on the next line. */
export function clusterLines(findings: readonly Finding[], remediations?: ReadonlyMap<string, Remediation>, fixState: Advisory['fixState'] = 'available'): string[] {
  return clusterRows(findings, remediations, fixState).map((r) => (r.notes.length > 0 ? `${r.line}\n      ${r.notes.map((n) => `_${n}_`).join(' · ')}` : r.line));
}

function clusterRow(cluster: string, list: readonly Finding[], remediation: Remediation | undefined, fixState: Advisory['fixState']): ClusterRow {
  const groups = new Map<string, { components: string[]; f: Finding }>();
  for (const f of list) {
    const key = `${f.verdict}|${f.version ?? ''}|${f.fixedTarget ?? ''}|${f.upgradePath.join(',')}`;
    const g = groups.get(key);
    if (g) g.components.push(f.component);
    else groups.set(key, { components: [f.component], f });
  }
  const env = list[0]?.environment ?? '';
  const recommended = remediation === undefined ? null : recommendedText(remediation);
  const parts = [...groups.values()].map(({ components, f }) => {
    const what = `${esc(components.join(', '))} ${esc(f.version ?? 'version unknown')}`;
    // "No fix yet" (one may come) and "won't be fixed" are different answers.
    if (f.verdict === 'unfixed') return `${what} → ${fixState === 'none' ? '_no fix will be released: mitigate_' : '_no fix available yet_'}`;
    if (f.verdict === 'unknown') return `${what} → _unknown: ${esc(truncate(f.reason, 120))}_`;
    const via = f.upgradePath.length > 0 ? ` (upgrade via ${f.upgradePath.map(esc).join(' → ')})` : '';
    const target = f.fixedTarget ?? 'no fixed target';
    // Both, when the cluster's one remediation goes further than this advisory's smallest fix.
    if (recommended !== null && remediation?.target && remediation.target !== f.fixedTarget && remediation.clears.includes(f.advisory)) {
      return `${what} → fixed in *${esc(target)}* (smallest)${via}; ${esc(recommended)}`;
    }
    return `${what} → *${esc(target)}*${via}`;
  });
  const exposures = [...new Map(list.flatMap((f) => (f.exposure ? [[`${f.exposure.status}|${f.exposure.evidence}`, f.exposure] as const] : []))).values()];
  const accepted = list.find((f) => f.accepted)?.accepted;
  const exposure = (exposures.length > 0 ? ` · ${exposures.map(exposurePhrase).join('; ')}` : '')
    + (accepted ? ` · :ok_hand: _${esc(truncate(acceptanceText(accepted), 300)).replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, '<@$1>')}_` : '');
  const notes = [...new Set(list.flatMap((f) => f.notes ?? []))].map((n) => esc(truncate(n, 200)));
  const nodes = [...new Set(list.flatMap((f) => f.affectedNodes ?? []))];
  if (nodes.length > 0) notes.unshift(`nodes: ${esc(nodes.slice(0, 5).join(', '))}${nodes.length > 5 ? ` +${nodes.length - 5}` : ''}`);
  if (remediation?.provider?.note) notes.push(esc(truncate(remediation.provider.note, 300)));
  return { cluster, line: `• *${esc(cluster)}* (${esc(env)}): ${parts.join('; ')}${exposure}`, notes };
}

// Who needs attention and who is unknown: one definition, shared with the stored summaries.
export { affectedClusterNames, needsAttention, unknownClusters };

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
      // Proposes the earliest sensible slots and schedules them on confirmation (listeners/actions/window-emergency.ts).
      emergencyWindowButton(advisoryId),
      button('Acknowledge', ADVISORY_ACTIONS.acknowledge),
    ],
  };
}

export function releaseDataText(releaseData: ReleaseDataInfo | null): string {
  if (releaseData === null) return 'Release data: unavailable';
  return `Release data as of ${esc(releaseData.asOf)} (${releaseData.source}${releaseData.stale ? ', *stale*' : ''})`;
}

/** Blocks for cluster rows: a section per row and its notes as a context under it. */
function rowBlocks(row: ClusterRow): Block[] {
  const blocks: Block[] = [section(row.line)];
  if (row.notes.length > 0) blocks.push(context(truncate(row.notes.join(' · '), LIMITS.sectionText)));
  return blocks;
}

/** Everything but the cluster rows takes at most this many blocks of the parent. */
const PARENT_FIXED_BLOCKS = 10;

export function advisoryMessage(input: AdvisoryMessageInput): AdvisoryMessage {
  const { advisory, findings, releaseData } = input;
  const maxRows = Math.max(1, input.maxClusterRows ?? 15);
  const remediations = new Map<string, Remediation>(input.remediations ?? []);
  for (const c of input.clusters ?? []) if (c.remediation) remediations.set(c.cluster, c.remediation);
  const rows = clusterRows(findings, remediations, advisory.fixState);
  const affected = affectedClusterNames(findings);
  const unknown = unknownClusters(findings);
  const hitCount = affected.length - unknown.length;
  const acceptedCount = hitCount - needsAttention(findings).length;
  const notAffected = new Set(findings.filter((f) => f.verdict === 'not-affected').map((f) => f.cluster));
  for (const c of affected) notAffected.delete(c);

  const blocks: Block[] = [];
  blocks.push(section(`*${link(advisory.url, advisory.id)}*: ${esc(truncate(advisory.title, 500))}`));
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Severity*\n${severityText(advisory)}` },
      { type: 'mrkdwn', text: `*Status*\n${statusText(advisory)}` },
      { type: 'mrkdwn', text: `*Components*\n${esc(truncate(advisory.components.join(', ') || 'not stated', 1900))}` },
      { type: 'mrkdwn', text: `*Affected clusters*\n${hitCount}${acceptedCount > 0 ? ` (${acceptedCount} accepted risk)` : ''}${unknown.length > 0 ? ` · ${unknown.length} unknown` : ''}${notAffected.size > 0 ? ` (${notAffected.size} not affected)` : ''}` },
    ],
  });
  blocks.push(divider);

  if (rows.length === 0) blocks.push(section('_No cluster in this channel is affected._'));
  // Each shown row is a section and (with notes) a context: as many rows as fit the block budget.
  let shown = 0;
  for (const row of rows.slice(0, maxRows)) {
    const more = rowBlocks(row);
    if (blocks.length + more.length > LIMITS.blocksPerMessage - PARENT_FIXED_BLOCKS) break;
    blocks.push(...more);
    shown++;
  }
  const hidden = rows.length - shown;
  const overflow: SlackMessage[] = [];
  if (hidden > 0) {
    blocks.push(context(`…and ${hidden} more cluster${hidden === 1 ? '' : 's'}. Full list of ${rows.length} clusters in the thread.`));
    const chunks = packLines(clusterLines(findings, remediations, advisory.fixState));
    // A thread reply is itself a message: 45 sections per reply.
    for (let i = 0; i < chunks.length; i += 45) {
      const part = chunks.slice(i, i + 45);
      overflow.push({ text: `${advisory.id}: affected clusters (${rows.length})`, blocks: part.map((t) => section(t)) });
    }
  }

  if (advisory.mitigation) {
    const mitigation = markdownToMrkdwn(advisory.mitigation, { maxSource: 1200 });
    if (mitigation !== '') blocks.push(section(`*Mitigation*\n${mitigation}`));
  }
  const notes = [releaseDataText(releaseData)];
  if (advisory.parse.confidence !== 'high') notes.push(`Parsed from ${advisory.parse.source}, confidence ${advisory.parse.confidence}`);
  blocks.push(context(...notes));
  if (input.acknowledged) {
    blocks.push(context(`:white_check_mark: Acknowledged by <@${esc(input.acknowledged.user)}> at ${esc(input.acknowledged.at)}`));
  }
  if (input.actions !== false) blocks.push(actionsBlock(advisory.id));

  const text = truncate(
    `${advisory.id} (${advisory.severity.rating ?? 'unrated'}): ${advisory.title} — ${hitCount} affected cluster${hitCount === 1 ? '' : 's'}${unknown.length > 0 ? `, ${unknown.length} unknown` : ''}`,
    LIMITS.sectionText,
  );
  return { text, blocks: blocks.slice(0, LIMITS.blocksPerMessage), overflow };
}

/** "fixed", "open: no fix yet", "no fix will be released: mitigate". */
export function statusText(advisory: Pick<Advisory, 'status' | 'fixState' | 'unfixed'>): string {
  if (advisory.fixState === 'none') return 'no fix will be released: mitigate';
  if (advisory.fixState === 'pending') return `${esc(advisory.status)}: no fix yet (one may come)`;
  return `${esc(advisory.status)}${advisory.unfixed ? ' (no fix for some versions)' : ''}`;
}

/** A thread reply saying what changed since the last post. */
export function advisoryChangeReply(advisory: Advisory, changes: readonly string[]): SlackMessage {
  const lines = changes.length > 0 ? changes.map((c) => `• ${esc(c)}`) : ['• details updated'];
  const body = packLines([`*${esc(advisory.id)} was updated*`, ...lines]).slice(0, 40);
  return { text: `${advisory.id} was updated: ${truncate(changes.join('; '), 200)}`, blocks: body.map((t) => section(t)) };
}
