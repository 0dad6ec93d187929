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
 *
 * A relative rule ("staging + 2d") puts a window N local days after each window of another
 * environment, at its own start time in its own zone. Freezes (per environment and fleet-wide) skip
 * every occurrence they overlap; the next occurrence that does take place lists what was skipped and why.
 */
import { DateTime, IANAZone } from 'luxon';
import type { WindowState } from './gate.ts';
import type { WindowPlan } from './plan.ts';
import { RELATIVE_RULE_RE, WINDOW_RULE_RE, type FreezeConfig, type WindowConfig } from '../config/schema.ts';

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

/** An occurrence a freeze removed, reported on the next window that does take place. */
export interface SkippedWindow {
  id: string;
  date: string;
  reason: string;
}

export interface EnvironmentWindow extends Occurrence {
  /** `<env>-<YYYY-MM-DD>`: stable, no ':' (safe as a BullMQ job id). */
  id: string;
  environment: string;
  after?: AfterRef;
  warning?: string;
  /** Occurrences skipped (freezes) since the previous window that took place. */
  skipped?: SkippedWindow[];
  /** `recurring` (from the config rule) unless it was scheduled; set by the `windows` command and the store view. */
  kind?: 'recurring' | 'one-off' | 'emergency';
  /** As stored (REDIS_URL set), with the blocked reason. */
  state?: WindowState;
  reason?: string | null;
  /** Emergency windows: the advisory they were scheduled for. */
  advisory?: string | null;
  /** The window's plan, when triage was available (stored, or computed with --feed). */
  plan?: WindowPlan | null;
}

/** A Date, or a local date YYYY-MM-DD meaning midnight of that day in each window's own zone. */
export type From = Date | string;

/** The part of a window config that places it in time. */
export type WindowTiming = Pick<WindowConfig, 'rule' | 'start' | 'duration' | 'timezone' | 'exclude'>;

export interface RelativeRule {
  /** The environment whose windows this one follows. */
  environment: string;
  days: number;
}

/** "staging + 2d" → { environment: "staging", days: 2 }; null for an nth-weekday rule. */
export function parseRelativeRule(rule: string): RelativeRule | null {
  const m = RELATIVE_RULE_RE.exec(rule.trim());
  return m ? { environment: (m[1] ?? '').toLowerCase(), days: Number(m[3]) } : null;
}

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

function fromMillis(window: Pick<WindowTiming, 'timezone'>, from: From): number {
  if (from instanceof Date) return from.getTime();
  const day = DateTime.fromISO(from, { zone: window.timezone });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !day.isValid) throw new Error(`from: "${from}" is not a date like 2026-01-31`);
  return day.startOf('day').toMillis();
}

/**
 * Every occurrence whose end is after `fromMs`, in order, lazily. Scans month by month starting at
 * the month in which a window still running at `fromMs` could have started.
 */
function* occurrencesAfter(window: WindowTiming, fromMs: number, maxMonths: number): Generator<Occurrence> {
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
function monthBudget(window: WindowTiming, count: number): number {
  return (count + window.exclude.length) * 4 + 24;
}

/**
 * The next `count` occurrences of an nth-weekday window from `from`, including one in progress at
 * `from`. Months without the rule's day ("5th FRI") and excluded dates are skipped. Relative rules
 * need the other environment's windows: use `environmentWindows`.
 */
export function windowOccurrences(window: WindowTiming, options: { from: From; count: number }): Occurrence[] {
  const out: Occurrence[] = [];
  if (options.count <= 0) return out;
  if (parseRelativeRule(window.rule) !== null) throw new Error(`window rule "${window.rule}" is relative to another environment: use environmentWindows`);
  for (const o of occurrencesAfter(window, fromMillis(window, options.from), monthBudget(window, options.count))) {
    out.push(o);
    if (out.length >= options.count) break;
  }
  return out;
}

export function windowId(environment: string, date: string): string {
  return `${environment}-${date}`;
}

export interface WindowsEnvironment {
  window?: WindowTiming | undefined;
  after?: string | undefined;
  freeze?: readonly FreezeConfig[] | undefined;
}

export interface WindowsConfig {
  environments: Readonly<Record<string, WindowsEnvironment>>;
  /** Fleet-wide freezes. */
  freeze?: readonly FreezeConfig[] | undefined;
}

/** One freeze as an instant range [fromMs, toMs) in a zone: a date means that whole local day. */
export function freezeRange(freeze: FreezeConfig, zone: string): { fromMs: number; toMs: number } {
  const edge = (text: string, end: boolean): number => {
    if (text.length === 10) {
      const day = DateTime.fromISO(text, { zone }).startOf('day');
      return (end ? day.plus({ days: 1 }) : day).toMillis();
    }
    return DateTime.fromISO(text, { setZone: true }).toMillis();
  };
  return { fromMs: edge(freeze.from, false), toMs: edge(freeze.to, true) };
}

function describeFreeze(f: FreezeConfig, scope: 'environment' | 'fleet'): string {
  const span = f.from === f.to ? f.from : `${f.from} – ${f.to}`;
  return `${scope === 'fleet' ? 'fleet-wide ' : ''}freeze ${span}: ${f.reason}`;
}

/** The first freeze that overlaps [startMs, endMs), described, or null. */
export function freezeReason(
  o: Pick<Occurrence, 'startUtc' | 'endUtc' | 'timezone'>,
  own: readonly FreezeConfig[],
  fleet: readonly FreezeConfig[],
): string | null {
  const startMs = Date.parse(o.startUtc);
  const endMs = Date.parse(o.endUtc);
  const hit = (f: FreezeConfig) => {
    const r = freezeRange(f, o.timezone);
    return r.fromMs < endMs && startMs < r.toMs;
  };
  const ownHit = own.find(hit);
  if (ownHit) return describeFreeze(ownHit, 'environment');
  const fleetHit = fleet.find(hit);
  return fleetHit ? describeFreeze(fleetHit, 'fleet') : null;
}

interface Marked extends Occurrence {
  /** Why this occurrence does not take place (a freeze, or the window it is relative to did not). */
  frozen?: string;
  /** For relative rules: the id of the window this one follows. */
  baseId?: string;
}

/**
 * Occurrences of an environment's window ending after `fromMs`, in order, each marked when a freeze
 * removes it. Relative rules walk the other environment's windows (a frozen base freezes this one).
 */
function* markedOccurrences(config: WindowsConfig, env: string, fromMs: number, budget: number, depth = 0): Generator<Marked> {
  const e = config.environments[env];
  const window = e?.window;
  if (window === undefined || depth > Object.keys(config.environments).length) return;
  const own = e?.freeze ?? [];
  const fleet = config.freeze ?? [];
  const relative = parseRelativeRule(window.rule);
  if (relative === null) {
    for (const o of occurrencesAfter(window, fromMs, budget)) {
      const frozen = freezeReason(o, own, fleet);
      yield frozen === null ? o : { ...o, frozen };
    }
    return;
  }
  const [hour, minute] = window.start.split(':').map(Number) as [number, number];
  const excluded = new Set(window.exclude);
  // A base window that started up to N+1 days (plus this duration) before `fromMs` can still yield one.
  const baseFrom = fromMs - (relative.days + 1) * DAY_MS - window.duration;
  for (const base of markedOccurrences(config, relative.environment, baseFrom, budget, depth + 1)) {
    const day = DateTime.fromISO(base.date, { zone: 'utc' }).plus({ days: relative.days });
    const date = day.toISODate() ?? '';
    if (excluded.has(date)) continue;
    const start = resolveLocalTime({ year: day.year, month: day.month, day: day.day, hour, minute }, window.timezone);
    const end = start.plus({ milliseconds: window.duration });
    if (end.toMillis() <= fromMs) continue;
    const o: Marked = {
      date, start: isoLocal(start), end: isoLocal(end), startUtc: isoUtc(start), endUtc: isoUtc(end),
      durationMs: window.duration, rule: window.rule, timezone: window.timezone, inProgress: start.toMillis() <= fromMs,
      baseId: windowId(relative.environment, base.date),
    };
    const baseId = o.baseId ?? '';
    const frozen = freezeReason(o, own, fleet)
      ?? (base.frozen === undefined ? null : `${baseId}, which it follows, does not take place (${base.frozen})`);
    yield frozen === null ? o : { ...o, frozen };
  }
}

function timingBudget(config: WindowsConfig, env: string, count: number): number {
  let budget = 24;
  for (let cur: string | undefined = env, n = 0; cur !== undefined && n < 16; n++) {
    const w: WindowTiming | undefined = config.environments[cur]?.window;
    if (w === undefined) break;
    budget += (count + w.exclude.length + (config.freeze?.length ?? 0) + (config.environments[cur]?.freeze?.length ?? 0)) * 4;
    cur = parseRelativeRule(w.rule)?.environment;
  }
  return budget;
}

/**
 * The next `count` windows of one environment that take place (freezes skip occurrences; the next
 * window lists them in `skipped`), with `after` unpaired.
 */
function ownWindows(config: WindowsConfig, env: string, from: From, count: number): (EnvironmentWindow & { baseId?: string })[] {
  const window = config.environments[env]?.window;
  if (window === undefined || count <= 0) return [];
  const out: (EnvironmentWindow & { baseId?: string })[] = [];
  let skipped: SkippedWindow[] = [];
  const fromMs = fromMillis(window, from);
  for (const m of markedOccurrences(config, env, fromMs, timingBudget(config, env, count))) {
    const { frozen, baseId, ...o } = m;
    const id = windowId(env, o.date);
    if (frozen !== undefined) {
      skipped.push({ id, date: o.date, reason: frozen });
      continue;
    }
    out.push({ id, environment: env, ...o, ...(skipped.length > 0 ? { skipped } : {}), ...(baseId === undefined ? {} : { baseId }) });
    skipped = [];
    if (out.length >= count) break;
  }
  return out;
}

/**
 * For each environment with a window (or just `environment`), its next `count` windows, sorted by
 * start (ties by environment name). An environment with `after: X` has each window paired with the
 * latest X window that takes place and ends before it starts; when that X window is not in the same
 * calendar month (each side's local date) or there is none, the window carries a warning saying which.
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
    const own = ownWindows(config, name, options.from, options.count);
    const paired = env.after === undefined ? own : pairAfter(config, own, env.after);
    out.push(...paired.map(({ baseId: _baseId, ...w }) => w));
  }
  return out.sort((a, b) => a.startUtc.localeCompare(b.startUtc) || a.environment.localeCompare(b.environment));
}

function pairAfter(config: WindowsConfig, own: (EnvironmentWindow & { baseId?: string })[], before: string): (EnvironmentWindow & { baseId?: string })[] {
  const first = own[0];
  const last = own[own.length - 1];
  if (first === undefined || last === undefined) return own;
  const beforeWindow = config.environments[before]?.window;
  const candidates: Occurrence[] = [];
  if (beforeWindow !== undefined) {
    // Look back far enough for sparse rules ("5th FRI"), exclusions and freezes; stop once past the last window.
    const lookbackFrom = Date.parse(first.startUtc) - 400 * DAY_MS;
    const lastStart = Date.parse(last.startUtc);
    for (const o of markedOccurrences(config, before, lookbackFrom, timingBudget(config, before, own.length) + 14)) {
      if (Date.parse(o.startUtc) >= lastStart) break;
      if (o.frozen === undefined) candidates.push(o);
    }
  }
  return own.map((w) => {
    const startMs = Date.parse(w.startUtc);
    let match: Occurrence | undefined;
    for (const c of candidates) if (Date.parse(c.endUtc) <= startMs) match = c;
    if (match === undefined) {
      return { ...w, after: { environment: before, windowId: null, windowStart: null, windowEnd: null }, warning: `no ${before} window before this ${w.environment} window` };
    }
    const matchId = windowId(before, match.date);
    const after: AfterRef = { environment: before, windowId: matchId, windowStart: match.start, windowEnd: match.end };
    // A relative rule follows its base window by construction, whatever the months.
    if (w.baseId === matchId || match.date.slice(0, 7) === w.date.slice(0, 7)) return { ...w, after };
    return {
      ...w, after,
      warning: `the ${before} window before this ${w.environment} window is ${matchId}, from an earlier month: no ${before} window in ${w.date.slice(0, 7)} ends before this one starts`,
    };
  });
}
