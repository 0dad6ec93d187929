/**
 * The audit export (`k8s-advisor audit`): who approved what, when, on which evidence. Pure
 * formatting of the sign-off record and the accepted-risk record, oldest first.
 */
import type { RiskAcceptance } from './accept.ts';
import type { SignoffAuditEntry } from './types.ts';

export interface AuditRow {
  at: string;
  /** request | vote | comment | transition | evidence | refused | accept | revoke */
  type: string;
  window: string;
  phase: string;
  request: string;
  round: number | null;
  user: string;
  decision: string;
  /** "pending → approved" for transitions. */
  change: string;
  reason: string;
  evidenceHash: string;
  detail: string;
}

export function auditRows(signoff: readonly SignoffAuditEntry[], risks: readonly (RiskAcceptance & { type: 'accept' | 'revoke' })[] = []): AuditRow[] {
  const rows: AuditRow[] = signoff.map((e) => ({
    at: e.at, type: e.type, window: e.window, phase: e.phase, request: e.request, round: e.round,
    user: e.user ?? '', decision: e.decision ?? '', change: e.from && e.to ? `${e.from} → ${e.to}` : '',
    reason: e.reason ?? '', evidenceHash: e.evidenceHash, detail: e.detail ?? '',
  }));
  for (const r of risks) {
    rows.push({
      at: r.at, type: r.type, window: '', phase: '', request: `${r.advisory} ${r.target.kind} ${r.target.name}`, round: null,
      user: r.by, decision: '', change: r.type === 'accept' ? `accepted until ${r.until}` : 'revoked', reason: r.reason,
      evidenceHash: '', detail: '',
    });
  }
  return rows.sort((a, b) => a.at.localeCompare(b.at));
}

const COLUMNS: (keyof AuditRow)[] = ['at', 'type', 'window', 'phase', 'request', 'round', 'user', 'decision', 'change', 'reason', 'evidenceHash', 'detail'];

/** RFC 4180: quote fields with commas, quotes or newlines; CRLF line ends. Cells starting with = + - @ are prefixed with ' (spreadsheet formula injection). */
export function toCsv(rows: readonly AuditRow[]): string {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

/** A Markdown report: one table per window, then accepted risks. */
export function toMarkdown(rows: readonly AuditRow[], title = 'k8s-advisor sign-off audit'): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const out = [`# ${title}`, ''];
  if (rows.length === 0) return [...out, 'No entries.', ''].join('\n');
  const windows = [...new Set(rows.filter((r) => r.window).map((r) => r.window))];
  for (const w of windows) {
    out.push(`## ${w}`, '', '| time (UTC) | phase | round | event | who | decision / change | reason | evidence |', '|---|---|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.window === w)) {
      out.push(`| ${r.at} | ${r.phase} | ${r.round ?? ''} | ${r.type} | ${esc(r.user)} | ${esc(r.decision || r.change)} | ${esc(r.reason || r.detail)} | \`${r.evidenceHash.slice(0, 12)}\` |`);
    }
    out.push('');
  }
  const risks = rows.filter((r) => r.type === 'accept' || r.type === 'revoke');
  if (risks.length > 0) {
    out.push('## Accepted risks', '', '| time (UTC) | advisory and target | who | what | reason |', '|---|---|---|---|---|');
    for (const r of risks) out.push(`| ${r.at} | ${esc(r.request)} | ${esc(r.user)} | ${esc(r.change)} | ${esc(r.reason)} |`);
    out.push('');
  }
  return out.join('\n');
}
