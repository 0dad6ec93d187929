/**
 * RFC 5545 iCalendar text for maintenance windows. Pure: DTSTAMP comes from the injected `now`.
 * Times are written in UTC (`…Z`), so no VTIMEZONE is needed and every client agrees on the instant;
 * the local time and zone are in the description. Lines end in CRLF and are folded at 75 octets.
 */
import { DateTime } from 'luxon';
import type { EnvironmentWindow } from './occurrences.ts';
import { formatPlanLines } from './plan.ts';
import { describeRule, formatAfter, formatLocalRange } from './text.ts';

const CRLF = '\r\n';
const MAX_OCTETS = 75;
const PRODID = '-//k8s-advisor//maintenance windows//EN';

/** TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * Fold one content line so that no physical line exceeds 75 octets (RFC 5545 §3.1): continuation
 * lines start with a space, which counts toward their 75. Never splits a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  const out: string[] = [];
  let cur = '';
  let octets = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > MAX_OCTETS) {
      out.push(cur);
      cur = ' ';
      octets = 1;
    }
    cur += ch;
    octets += size;
  }
  out.push(cur);
  return out.join(CRLF);
}

/** `20260113T010000Z` for any ISO 8601 instant. */
export function formatUtcStamp(iso: string | Date): string {
  const dt = iso instanceof Date ? DateTime.fromJSDate(iso) : DateTime.fromISO(iso, { setZone: true });
  return dt.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
}

export function eventDescription(w: EnvironmentWindow): string {
  const lines = [
    `Environment: ${w.environment}`,
    `Rule: ${describeRule(w)}`,
    `Local: ${formatLocalRange(w)}`,
  ];
  const after = formatAfter(w);
  if (after !== '') lines.push(`Runs ${after}.`);
  if (w.warning) lines.push(`Warning: ${w.warning}`);
  if (w.kind !== undefined && w.kind !== 'recurring') lines.push(`Kind: ${w.kind}${w.advisory ? ` for ${w.advisory}` : ''}`);
  if (w.state !== undefined) lines.push(`State: ${w.state}${w.reason ? ` (${w.reason})` : ''}`);
  for (const s of w.skipped ?? []) lines.push(`Skipped ${s.id}: ${s.reason}`);
  if (w.plan) lines.push('', ...formatPlanLines(w.plan));
  return lines.join('\n');
}

function event(w: EnvironmentWindow, stamp: string): string[] {
  return [
    'BEGIN:VEVENT',
    `UID:${w.id}@k8s-advisor`,
    `DTSTAMP:${stamp}`,
    `DTSTART:${formatUtcStamp(w.startUtc)}`,
    `DTEND:${formatUtcStamp(w.endUtc)}`,
    `SUMMARY:${escapeText(`k8s-advisor maintenance window: ${w.environment}`)}`,
    `DESCRIPTION:${escapeText(eventDescription(w))}`,
    'CATEGORIES:MAINTENANCE',
    'TRANSP:OPAQUE',
    'END:VEVENT',
  ];
}

/** A whole VCALENDAR with one VEVENT per window; ends with CRLF. */
export function windowsCalendar(windows: readonly EnvironmentWindow[], options: { now: Date }): string {
  const stamp = formatUtcStamp(options.now);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText('k8s-advisor maintenance windows')}`,
    ...windows.flatMap((w) => event(w, stamp)),
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join(CRLF) + CRLF;
}
