/** Plain-text report for the terminal. Pure. Regressions first, then probes worst-first. */
import { countStatuses, STATUS_RANK, type ProbeResult, type VerifyReport } from './types.ts';

const MAX_EVIDENCE = 8;

export function sortWorstFirst(probes: readonly ProbeResult[]): ProbeResult[] {
  return probes.map((p, i) => ({ p, i })).sort((a, b) => STATUS_RANK[a.p.status] - STATUS_RANK[b.p.status] || a.i - b.i).map((x) => x.p);
}

export function countsText(report: VerifyReport): string {
  const c = countStatuses(report.probes);
  return (['fail', 'error', 'warn', 'pass', 'skip'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`).join(', ');
}

export function formatReportText(report: VerifyReport): string {
  const head = [report.environment, report.provider, report.server].filter((x) => x !== undefined && x !== null && x !== '').join(', ');
  const lines = [`${report.cluster}${head ? ` (${head})` : ''}: ${countsText(report)} · ${report.durationMs} ms · ${report.startedAt}`];
  if (report.error) lines.push(`  cluster error: ${report.error.message}`);
  const cmp = report.comparison;
  if (cmp && cmp.regressions.length > 0) {
    lines.push(`  REGRESSIONS since ${cmp.previousStartedAt}:`);
    for (const r of cmp.regressions) lines.push(`    ! ${r.text}`);
  }
  if (cmp && cmp.improvements.length > 0) {
    lines.push(`  improved since ${cmp.previousStartedAt}:`);
    for (const r of cmp.improvements) lines.push(`    + ${r.text}`);
  }
  const width = Math.max(...report.probes.map((p) => p.id.length), 10);
  for (const p of sortWorstFirst(report.probes)) {
    lines.push(`  ${p.status.toUpperCase().padEnd(5)} ${p.id.padEnd(width)}  ${p.summary}`);
    if (p.status === 'pass' || p.status === 'skip') continue;
    for (const e of p.evidence.slice(0, MAX_EVIDENCE)) lines.push(`  ${' '.repeat(6 + width)}  - ${e}`);
    if (p.evidence.length > MAX_EVIDENCE) lines.push(`  ${' '.repeat(6 + width)}  … ${p.evidence.length - MAX_EVIDENCE} more (use --format json)`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatReportsText(target: string, reports: readonly VerifyReport[]): string {
  if (reports.length === 1 && reports[0]?.cluster === target) return formatReportText(reports[0]);
  return `${target}: ${reports.length} cluster${reports.length === 1 ? '' : 's'}\n\n${reports.map(formatReportText).join('\n')}`;
}
