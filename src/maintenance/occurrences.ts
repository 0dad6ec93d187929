/**
 * Maintenance window rules → concrete occurrences. Pure: every function takes `from` (no clock).
 *
 * "2nd TUE" cannot be written as cron (cron ORs day-of-month and day-of-week), so the nth weekday is
 * computed per month in the window's own time zone. Local wall-clock times that a DST change makes
 * ambiguous or impossible are resolved the way RFC 5545 (§3.3.5) resolves them, so our times agree
 * with any calendar client given the same zone:
 *  - a repeated local time (fall-back) means its FIRST instance (the daylight-time one);
 *  - a skipped local time (spring-forward) is read with the offset in force before the gap, i.e. it
 *    moves forward by the gap: 02:00 on the Berlin spring-forward day starts at 03:00 CEST.
 * The duration is real elapsed time from the actual start: a 4h window is 4 real hours even when the
 * clocks change inside it (02:00 CEST → 05:00 CET on the Berlin fall-back day).
 */
import { DateTime, IANAZone } from 'luxon';
import { WINDOW_RULE_RE, type WindowConfig } from '../config/schema.ts';

const WEEKDAY_NUMBER = { MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6, SUN: 7 } as const;
const ORDINAL_NUMBER = { '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5, last: -1 } as const;
const DAY_MS = 86_400_000;

export interface Occurrence {
  /** Set on occurrences produced for an environment (see `environmentWindows`). */
  environment?: string;
  /** The rule's day in the window's time zone, YYYY-MM-DD (may differ from the UTC date). */
  date: string;
  /** ISO 8601 with the local offset, like 2026-01-13T02:00:00+01:00. */
  start: string;
  end: string;
  /** ISO 8601 in UTC, like 2026-01-13T01:00:00Z. */
  startUtc: string;
  endUtc: string;
  durationMs: number;
  rule: string;
  timezone: string;
  /** Already started at `from` and not yet over. */
  inProgress: boolean;
}

/** Which window of the environment named in `after` this window follows. */
export interface AfterRef {
  environment: string;
  /** null when that environment has no window ending before this one starts. */
  windowId: string | null;
  windowStart: string | null;
  windowEnd: string | null;
}

export interface EnvironmentWindow extends Occurrence {
  /** `<env>-<YYYY-MM-DD>`: stable, no ':' (safe as a BullMQ job id). */
  id: string;
  environment: string;
  after?: AfterRef;
  warning?: string;
}

/** A Date, or a local date YYYY-MM-DD meaning midnight of that day in each window's own zone. */
export type From = Date | string;

export interface ParsedRule {
  /** 1..5, or -1 for "last". */
  nth: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
}

export function parseRule(rule: string): ParsedRule {
  const m = WINDOW_RULE_RE.exec(rule.trim());
  if (!m) throw new Error(`window rule "${rule}" is not like "2nd TUE"`);
  const ordinal = (m[1] ?? '').toLowerCase() as keyof typeof ORDINAL_NUMBER;
  const weekday = (m[2] ?? '').toUpperCase() as keyof typeof WEEKDAY_NUMBER;
  return { nth: ORDINAL_NUMBER[ordinal], weekday: WEEKDAY_NUMBER[weekday] };
}

/** Day of month of the rule's weekday in that month, or null (no 5th such weekday this month). */
export function nthWeekdayOfMonth(year: number, month: number, rule: ParsedRule): number | null {
  const first = DateTime.utc(year, month, 1);
  const days = first.daysInMonth ?? 28;
  if (rule.nth === -1) {
    const lastWeekday = first.set({ day: days }).weekday;
    return days - ((lastWeekday - rule.weekday + 7) % 7);
  }
  const firstDay = 1 + ((rule.weekday - first.weekday + 7) % 7);
  const day = firstDay + 7 * (rule.nth - 1);
  return day <= days ? day : null;
}

/**
 * The instant a local wall-clock time happens in `zone`, resolved as RFC 5545 does (see the file
 * comment). Luxon already shifts skipped times forward by the gap but picks the LATER instance of a
 * repeated time, so the earlier candidate is checked explicitly.
 */
export function resolveLocalTime(
  local: { year: number; month: number; day: number; hour: number; minute: number },
  zone: string,
): DateTime {
  const dt: DateTime = DateTime.fromObject(local, { zone });
  if (!dt.isValid) throw new Error(`cannot place ${JSON.stringify(local)} in time zone ${zone}: ${dt.invalidExplanation ?? 'invalid'}`);
  const tz = IANAZone.create(zone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const offsets = new Set([dt.offset, tz.offset(dt.toMillis() - DAY_MS), tz.offset(dt.toMillis() + DAY_MS)]);
  let best: DateTime = dt;
  for (const offset of offsets) {
    const candidate = DateTime.fromMillis(wall - offset * 60_000, { zone });
    const sameWall = candidate.year === local.year && candidate.month === local.month && candidate.day === local.day
      && candidate.hour === local.hour && candidate.minute === local.minute;
    if (sameWall && candidate.toMillis() < best.toMillis()) best = candidate;
  }
  return best;
}

function isoLocal(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true }) ?? '';
}

function isoUtc(dt: DateTime): string {
  return dt.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
}

function fromMillis(window: WindowConfig, from: From): number {
  if (from instanceof Date) return from.getTime();
  const day = DateTime.fromISO(from, { zone: window.timezone });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !day.isValid) throw new Error(`from: "${from}" is not a date like 2026-01-31`);
  return day.startOf('day').toMillis();
}

/**
 * Every occurrence whose end is after `fromMs`, in order, lazily. Scans month by month starting at
 * the month in which a window still running at `fromMs` could have started.
 */
function* occurrencesAfter(window: WindowConfig, fromMs: number, maxMonths: number): Generator<Occurrence> {
  const rule = parseRule(window.rule);
  const [hour, minute] = window.start.split(':').map(Number) as [number, number];
  const excluded = new Set(window.exclude);
  let cursor = DateTime.fromMillis(fromMs - window.duration - DAY_MS, { zone: window.timezone }).startOf('month');
  for (let i = 0; i < maxMonths; i++, cursor = cursor.plus({ months: 1 })) {
    const day = nthWeekdayOfMonth(cursor.year, cursor.month, rule);
    if (day === null) continue;
    const date = DateTime.utc(cursor.year, cursor.month, day).toISODate() ?? '';
    if (excluded.has(date)) continue;
    const start = resolveLocalTime({ year: cursor.year, month: cursor.month, day, hour, minute }, window.timezone);
    const end = start.plus({ milliseconds: window.duration });
    if (end.toMillis() <= fromMs) continue;
    yield {
      date,
      start: isoLocal(start),
      end: isoLocal(end),
      startUtc: isoUtc(start),
      endUtc: isoUtc(end),
      durationMs: window.duration,
      rule: window.rule,
      timezone: window.timezone,
      inProgress: start.toMillis() <= fromMs,
    };
  }
}

/** Enough months to find `count` windows even for "5th" rules and a year of exclusions. */
function monthBudget(window: WindowConfig, count: number): number {
  return (count + window.exclude.length) * 4 + 24;
}

/**
 * The next `count` occurrences of a window from `from`, including one in progress at `from`.
 * Months without the rule's day ("5th FRI") and excluded dates are skipped.
 */
export function windowOccurrences(window: WindowConfig, options: { from: From; count: number }): Occurrence[] {
  const out: Occurrence[] = [];
  if (options.count <= 0) return out;
  for (const o of occurrencesAfter(window, fromMillis(window, options.from), monthBudget(window, options.count))) {
    out.push(o);
    if (out.length >= options.count) break;
  }
  return out;
}

export function windowId(environment: string, date: string): string {
  return `${environment}-${date}`;
}

export interface WindowsConfig {
  environments: Readonly<Record<string, { window?: WindowConfig | undefined; after?: string | undefined }>>;
}

/**
 * For each environment with a window (or just `environment`), its next `count` occurrences, sorted by
 * start (ties by environment name). An environment with `after: X` has each window paired with the
 * latest X window that ends before it starts; when that X window is not in the same calendar month
 * (each side's local date) or there is none, the window carries a warning.
 */
export function environmentWindows(
  config: WindowsConfig,
  options: { from: From; count: number; environment?: string },
): EnvironmentWindow[] {
  const names = Object.keys(config.environments).filter((n) => options.environment === undefined || n === options.environment);
  const out: EnvironmentWindow[] = [];
  for (const name of names) {
    const env = config.environments[name];
    if (env?.window === undefined) continue;
    const own = windowOccurrences(env.window, options).map((o): EnvironmentWindow => ({ id: windowId(name, o.date), environment: name, ...o }));
    out.push(...(env.after === undefined ? own : pairAfter(own, env.after, config.environments[env.after]?.window)));
  }
  return out.sort((a, b) => a.startUtc.localeCompare(b.startUtc) || a.environment.localeCompare(b.environment));
}

function pairAfter(own: EnvironmentWindow[], before: string, beforeWindow: WindowConfig | undefined): EnvironmentWindow[] {
  const first = own[0];
  const last = own[own.length - 1];
  if (first === undefined || last === undefined) return own;
  const candidates: Occurrence[] = [];
  if (beforeWindow !== undefined) {
    // Look back far enough for sparse rules ("5th FRI") and exclusions; stop once past the last window.
    const lookbackFrom = Date.parse(first.startUtc) - 400 * DAY_MS;
    const lastStart = Date.parse(last.startUtc);
    for (const o of occurrencesAfter(beforeWindow, lookbackFrom, monthBudget(beforeWindow, own.length) + 14)) {
      if (Date.parse(o.startUtc) >= lastStart) break;
      candidates.push(o);
    }
  }
  return own.map((w) => {
    const startMs = Date.parse(w.startUtc);
    let match: Occurrence | undefined;
    for (const c of candidates) if (Date.parse(c.endUtc) <= startMs) match = c;
    const after: AfterRef = match === undefined
      ? { environment: before, windowId: null, windowStart: null, windowEnd: null }
      : { environment: before, windowId: windowId(before, match.date), windowStart: match.start, windowEnd: match.end };
    const sameCycle = match !== undefined && match.date.slice(0, 7) === w.date.slice(0, 7);
    return sameCycle ? { ...w, after } : { ...w, after, warning: `no ${before} window before this ${w.environment} window` };
  });
}
