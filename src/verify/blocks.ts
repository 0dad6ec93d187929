/**
 * Block Kit for `/k8s verify`: a progress message updated as probes finish, and the summary that
 * replaces it. Pure builders over plain data; the Slack layer posts and updates.
 */
import type { SlackMessage } from '../slack/blocks/advisory.ts';
import { type Block, LIMITS, context, esc, packLines, section, truncate } from '../slack/blocks/text.ts';
import { sortWorstFirst } from './render-text.ts';
import { countStatuses, PROBE_IDS, worstStatus, type ProbeResult, type ProbeStatus, type VerifyReport } from './types.ts';

export const STATUS_EMOJI: Record<ProbeStatus, string> = {
  pass: ':white_check_mark:',
  warn: ':warning:',
  fail: ':x:',
  skip: ':heavy_minus_sign:',
  error: ':exclamation:',
};

export interface VerifyProgress {
  /** What was asked: a cluster or environment name. */
  target: string;
  /** Clusters being verified. */
  clusters: readonly string[];
  /** Finished probes per cluster so far. */
  finished: Readonly<Record<string, readonly ProbeResult[]>>;
  /** Probes per cluster (default: all of them). */
  probesPerCluster?: number;
  /** Who asked (Slack user id), for the context line. */
  requestedBy?: string;
}

function countLine(results: readonly Pick<ProbeResult, 'status'>[]): string {
  const c = countStatuses(results);
  return (['fail', 'error', 'warn', 'pass', 'skip'] as const).filter((s) => c[s] > 0).map((s) => `${STATUS_EMOJI[s]} ${c[s]}`).join('  ');
}

/** The progress message: one line per cluster with its done/total count and the statuses so far. */
export function verifyProgressMessage(progress: VerifyProgress): SlackMessage {
  const total = progress.probesPerCluster ?? PROBE_IDS.length;
  const all = progress.clusters.length * total;
  const done = progress.clusters.reduce((sum, c) => sum + (progress.finished[c]?.length ?? 0), 0);
  const lines = progress.clusters.map((c) => {
    const results = progress.finished[c] ?? [];
    const state = results.length >= total ? STATUS_EMOJI[worstStatus(results.map((r) => r.status))] : ':hourglass_flowing_sand:';
    return `${state} *${esc(c)}* ${results.length}/${total}${results.length > 0 ? `  ${countLine(results)}` : ''}`;
  });
  const blocks: Block[] = [
    section(`:mag: Verifying *${esc(progress.target)}*: ${done}/${all} probes done`),
    ...packLines(lines).slice(0, LIMITS.blocksPerMessage - 3).map((t) => section(t)),
  ];
  if (progress.requestedBy) blocks.push(context(`requested by <@${progress.requestedBy}>`));
  return { text: `Verifying ${progress.target}: ${done}/${all} probes done`, blocks };
}

/** Every probe skipped (or none ran) and no error: the cluster was not checked at all. */
export function nothingChecked(report: VerifyReport): boolean {
  return !report.error && report.probes.every((p) => p.status === 'skip');
}

/** Why probes were skipped: the permissions they name, else their summaries. */
export function skipReasons(reports: readonly VerifyReport[], max = 4): string {
  const needs = [...new Set(reports.flatMap((r) => r.probes.flatMap((p) => (p.status === 'skip' ? p.needs ?? [] : []))))];
  const reasons = needs.length > 0
    ? needs.map((n) => `needs ${n}`)
    : [...new Set(reports.flatMap((r) => r.probes.filter((p) => p.status === 'skip').map((p) => p.summary)))];
  if (reasons.length === 0) return 'no probe ran';
  return `${reasons.slice(0, max).map((x) => esc(truncate(x, 150))).join('; ')}${reasons.length > max ? ` (+${reasons.length - max} more)` : ''}`;
}

function probeLine(p: ProbeResult): string {
  const needs = p.needs && p.needs.length > 0 ? ` _(needs: ${esc(p.needs.join(', '))})_` : '';
  const lead = p.status === 'fail' || p.status === 'error' ? p.evidence.slice(0, 2).map((e) => `\n      › ${esc(truncate(e, 300))}`).join('') : '';
  return `${STATUS_EMOJI[p.status]} \`${p.id}\` ${esc(truncate(p.summary, 400))}${p.status === 'skip' ? '' : needs}${lead}`;
}

/** Blocks for one cluster's report: header line, regressions first, then probes worst-first. */
export function clusterReportBlocks(report: VerifyReport): Block[] {
  const worst = report.error ? 'error' : worstStatus(report.probes.map((p) => p.status));
  const where = [report.environment, report.provider, report.server].filter((x) => x !== undefined && x !== null && x !== '').map((x) => esc(String(x))).join(' · ');
  const unchecked = nothingChecked(report) ? `  nothing was checked: every probe was skipped (${skipReasons([report])})` : '';
  const blocks: Block[] = [section(`${unchecked ? STATUS_EMOJI.skip : STATUS_EMOJI[worst]} *${esc(report.cluster)}*${where ? ` (${where})` : ''}  ${countLine(report.probes)}${unchecked}`)];
  if (report.error) {
    blocks.push(section(`:exclamation: ${esc(truncate(report.error.message, 2000))}`));
    return blocks;
  }
  const regressions = report.comparison?.regressions ?? [];
  if (regressions.length > 0) {
    blocks.push(section(`:rotating_light: *Regressions since the last run*\n${regressions.slice(0, 15).map((r) => `• ${esc(truncate(r.text, 300))}`).join('\n')}`));
  }
  const shown = sortWorstFirst(report.probes);
  for (const t of packLines(shown.map(probeLine))) blocks.push(section(t));
  return blocks;
}

/** The summary that replaces the progress message: one cluster, or every cluster of an environment. */
/**
 * The summary. With `details: false` (Slack, where each cluster's details follow as thread
 * replies) a cluster is one line: counts, regressions and the error, worst clusters first.
 */
export function verifySummaryMessage(target: string, reports: readonly VerifyReport[], options: { requestedBy?: string; details?: boolean } = {}): SlackMessage {
  const all = reports.flatMap((r) => r.probes);
  const failing = reports.filter((r) => r.error || r.probes.some((p) => p.status === 'fail' || p.status === 'error'));
  const regressions = reports.reduce((n, r) => n + (r.comparison?.regressions.length ?? 0), 0);
  // A green check only when something was checked: all-skipped clusters say so instead.
  const unchecked = reports.filter(nothingChecked);
  const clusters = `${reports.length} cluster${reports.length === 1 ? '' : 's'}`;
  const headline = failing.length > 0
    ? `:x: *${esc(target)}*: ${failing.length}/${clusters} with failures`
    : unchecked.length === reports.length
      ? `${STATUS_EMOJI.skip} *${esc(target)}*: nothing was checked on ${clusters}: every probe was skipped (${skipReasons(unchecked)})`
      : unchecked.length > 0
        ? `:warning: *${esc(target)}*: no failures, but nothing was checked on ${unchecked.length} of ${clusters} (every probe skipped: ${skipReasons(unchecked)})`
        : `:white_check_mark: *${esc(target)}* verified: ${clusters}, no failures`;
  const blocks: Block[] = [section(`${headline}${regressions > 0 ? ` · :rotating_light: ${regressions} regression${regressions === 1 ? '' : 's'}` : ''}`)];
  // Clusters with regressions or failures first.
  const ordered = [...reports].sort((a, b) => rankReport(a) - rankReport(b) || a.cluster.localeCompare(b.cluster));
  const budget = LIMITS.blocksPerMessage - 2;
  if (options.details === false) {
    const lines = ordered.map(clusterSummaryLine);
    const packed = packLines(lines);
    blocks.push(...packed.slice(0, budget - 1).map((t) => section(t)));
    if (packed.length > budget - 1) blocks.push(context(`more clusters not shown; run \`k8s-advisor verify ${esc(target)}\` for all`));
  }
  for (const r of options.details === false ? [] : ordered) {
    const more = clusterReportBlocks(r);
    if (blocks.length + more.length > budget) {
      blocks.push(context(`${ordered.length - ordered.indexOf(r)} more clusters not shown; run \`k8s-advisor verify ${esc(target)}\` for all`));
      break;
    }
    blocks.push(...more);
  }
  blocks.push(context(`${countLine(all)}${options.requestedBy ? ` · requested by <@${options.requestedBy}>` : ''}`));
  const summaryText = failing.length > 0 ? `${target}: ${failing.length} of ${reports.length} clusters with failures`
    : unchecked.length === reports.length ? `${target}: nothing was checked, every probe was skipped`
      : unchecked.length > 0 ? `${target}: no failures, but nothing was checked on ${unchecked.length} of ${reports.length} clusters`
        : `${target} verified, no failures`;
  return {
    text: summaryText,
    blocks: blocks.slice(0, LIMITS.blocksPerMessage),
  };
}

function clusterSummaryLine(r: VerifyReport): string {
  if (nothingChecked(r)) return `${STATUS_EMOJI.skip} *${esc(r.cluster)}*  nothing was checked: every probe was skipped (${skipReasons([r])})`;
  const worst = r.error ? 'error' : worstStatus(r.probes.map((p) => p.status));
  const regressions = r.comparison?.regressions ?? [];
  const extra = r.error
    ? ` · ${esc(truncate(r.error.message, 300))}`
    : regressions.length > 0 ? ` · :rotating_light: ${regressions.slice(0, 3).map((x) => esc(truncate(x.text, 120))).join('; ')}${regressions.length > 3 ? ' …' : ''}` : '';
  return `${STATUS_EMOJI[worst]} *${esc(r.cluster)}*  ${countLine(r.probes)}${extra}`;
}

function rankReport(r: VerifyReport): number {
  if ((r.comparison?.regressions.length ?? 0) > 0) return 0;
  if (r.error) return 1;
  const w = worstStatus(r.probes.map((p) => p.status));
  return w === 'fail' ? 1 : w === 'error' ? 2 : w === 'warn' ? 3 : 4;
}
