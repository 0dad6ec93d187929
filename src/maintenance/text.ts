/**
 * Readable rendering of maintenance windows (CLI text output), plus the small formatters the
 * Block Kit and ICS builders share. Times are shown in the window's own zone with its offset,
 * and in UTC, because the two dates differ near midnight.
 */
import { DateTime } from 'luxon';
import { formatDuration } from '../config/duration.ts';
import type { EnvironmentWindow, Occurrence } from './occurrences.ts';
import { formatPlanLines } from './plan.ts';

function inZone(iso: string, zone: string): DateTime {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale('en-US');
}

/** `Tue 2026-01-13 02:00–06:00 (Europe/Berlin +01:00)`; the end carries its date (and offset) when they differ. */
export function formatLocalRange(w: Pick<Occurrence, 'start' | 'end' | 'timezone'>): string {
  const start = inZone(w.start, w.timezone);
  const end = inZone(w.end, w.timezone);
  const sameDay = start.hasSame(end, 'day');
  const endText = sameDay ? end.toFormat('HH:mm') : end.toFormat('ccc yyyy-MM-dd HH:mm');
  const offsets = start.offset === end.offset ? start.toFormat('ZZ') : `${start.toFormat('ZZ')} → ${end.toFormat('ZZ')}`;
  return `${start.toFormat('ccc yyyy-MM-dd HH:mm')}${sameDay ? '–' : ' – '}${endText} (${w.timezone} ${offsets})`;
}

/** `UTC 2026-01-13 01:00–05:00`, or with both dates when the window crosses midnight UTC. */
export function formatUtcRange(w: Pick<Occurrence, 'startUtc' | 'endUtc'>): string {
  const start = inZone(w.startUtc, 'utc');
  const end = inZone(w.endUtc, 'utc');
  const endText = start.hasSame(end, 'day') ? `–${end.toFormat('HH:mm')}` : ` – ${end.toFormat('yyyy-MM-dd HH:mm')}`;
  return `UTC ${start.toFormat('yyyy-MM-dd HH:mm')}${endText}`;
}

/** `Tue 2026-01-13 02:00 (+01:00)` for an ISO time with offset. */
export function formatLocalTime(iso: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setLocale('en-US').toFormat('ccc yyyy-MM-dd HH:mm (ZZ)');
}

/** `after staging window on Tue 2026-01-13 02:00 (+01:00)`, or '' when the window has no `after`. */
export function formatAfter(w: EnvironmentWindow): string {
  if (w.after === undefined || w.after.windowStart === null) return '';
  return `after ${w.after.environment} window on ${formatLocalTime(w.after.windowStart)}`;
}

/** `2nd THU, 4h, Europe/Berlin, after staging` */
export function describeRule(w: EnvironmentWindow): string {
  const after = w.after === undefined ? '' : `, after ${w.after.environment}`;
  return `${w.rule}, ${formatDuration(w.durationMs)}, ${w.timezone}${after}`;
}

/**
 * Windows grouped by environment: an environment before those that come `after` it (staging before
 * prod), otherwise in order of each environment's first window.
 */
export function groupByEnvironment(windows: readonly EnvironmentWindow[]): Map<string, EnvironmentWindow[]> {
  const groups = new Map<string, EnvironmentWindow[]>();
  const before = new Map<string, string>();
  for (const w of windows) {
    const list = groups.get(w.environment);
    if (list) list.push(w);
    else groups.set(w.environment, [w]);
    if (w.after) before.set(w.environment, w.after.environment);
  }
  const depth = (env: string): number => {
    let n = 0;
    // Bounded walk: config validation rejects cycles, but a bad input must not hang the renderer.
    for (let cur = before.get(env); cur !== undefined && groups.has(cur) && n < groups.size; cur = before.get(cur)) n++;
    return n;
  };
  return new Map([...groups].sort(([a], [b]) => depth(a) - depth(b)));
}

/** `  ·  after staging window on …, in progress, blocked: reason, emergency for CVE-…` ('' when none). */
export function windowNotes(w: EnvironmentWindow): string {
  const notes = [
    formatAfter(w),
    w.inProgress ? 'in progress' : '',
    w.kind !== undefined && w.kind !== 'recurring' ? `${w.kind}${w.advisory ? ` for ${w.advisory}` : ''}` : '',
    w.state === undefined ? '' : `${w.state}${w.reason ? `: ${w.reason}` : ''}`,
  ].filter((n) => n !== '');
  return notes.length > 0 ? `  ·  ${notes.join(', ')}` : '';
}

export function formatWindowsText(windows: readonly EnvironmentWindow[]): string {
  if (windows.length === 0) return 'No maintenance windows.';
  const parts: string[] = [];
  for (const [env, list] of groupByEnvironment(windows)) {
    const first = list[0];
    const lines = [`${env}  (${first ? describeRule(first) : ''})`];
    for (const w of list) {
      lines.push(`  ${w.id}  ${formatLocalRange(w)}  ·  ${formatUtcRange(w)}${windowNotes(w)}`);
      if (w.warning) lines.push(`    warning: ${w.warning}`);
      for (const s of w.skipped ?? []) lines.push(`    skipped ${s.id}: ${s.reason}`);
      if (w.plan) lines.push(...formatPlanLines(w.plan).map((l) => `    ${l}`));
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n');
}
