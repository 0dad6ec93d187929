/**
 * Scheduled windows (one-off and emergency), pure: `/k8s window schedule ENV WHEN [DURATION]
 * [emergency]` and `k8s-advisor window schedule` both turn their words into a window through here, so
 * both refuse the same things with the same words. Times are read in the environment's own zone.
 */
import { DateTime } from 'luxon';
import { formatDuration, parseDuration } from '../config/duration.ts';
import { freezeReason, parseRelativeRule, resolveLocalTime, type WindowsConfig, type WindowsEnvironment, type WindowTiming } from './occurrences.ts';

export const MIN_SCHEDULED_MS = 15 * 60_000;
export const MAX_SCHEDULED_MS = 24 * 3_600_000;
/** How far ahead a window may be scheduled. */
export const MAX_AHEAD_MS = 366 * 86_400_000;
/** A start this far in the past is still accepted (typing takes time); earlier is refused. */
const PAST_SLACK_MS = 5 * 60_000;
const DEFAULT_EMERGENCY_MS = 2 * 3_600_000;
const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

export interface ScheduleRequest {
  environment: string;
  /** `now`, or a local time `YYYY-MM-DDTHH:MM` in the environment's zone. */
  when: string;
  /** Like `2h`; default: the environment's window duration, else 2h. */
  duration?: string | null;
  emergency: boolean;
  /** The advisory an emergency window is for (the button passes it). */
  advisory?: string | null;
}

export interface ScheduledWindowSpec {
  id: string;
  environment: string;
  kind: 'one-off' | 'emergency';
  start: string;
  end: string;
  startUtc: string;
  endUtc: string;
  timezone: string;
  durationMs: number;
  advisory: string | null;
  warnings: string[];
}

export type ScheduleResult = { ok: true; window: ScheduledWindowSpec } | { ok: false; error: string };

/** Windows config, where a window may carry its `gap` (the proposal honours it). */
export interface ScheduleConfig extends WindowsConfig {
  environments: Readonly<Record<string, WindowsEnvironment & { window?: (WindowTiming & { gap?: number }) | undefined }>>;
}

function isoLocal(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true }) ?? '';
}

function isoUtc(dt: DateTime): string {
  return dt.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
}

/** `prod-2026-12-10T02:00`, `staging-emergency-2026-12-03T14:00`: the local start, in the environment's zone. */
export function scheduledWindowId(environment: string, localStart: DateTime, emergency: boolean): string {
  return `${environment}-${emergency ? 'emergency-' : ''}${localStart.toFormat("yyyy-MM-dd'T'HH:mm")}`;
}

export function scheduleWindow(request: ScheduleRequest, config: ScheduleConfig, now: Date): ScheduleResult {
  const envs = Object.keys(config.environments);
  const env = config.environments[request.environment];
  if (env === undefined) return { ok: false, error: `"${request.environment}" is not an environment (${envs.join(', ') || 'none configured'})` };
  const warnings: string[] = [];
  const own = env.window;
  const zone = own?.timezone ?? 'UTC';
  if (own === undefined) warnings.push(`${request.environment} has no window in the config: the time is read in UTC`);

  let durationMs = own?.duration ?? DEFAULT_EMERGENCY_MS;
  if (request.duration !== undefined && request.duration !== null) {
    const d = parseDuration(request.duration);
    if (d === null) return { ok: false, error: `"${request.duration}" is not a duration like 2h or 90m` };
    durationMs = d;
  }
  if (durationMs < MIN_SCHEDULED_MS || durationMs > MAX_SCHEDULED_MS) {
    return { ok: false, error: `a window lasts from ${formatDuration(MIN_SCHEDULED_MS)} to ${formatDuration(MAX_SCHEDULED_MS)}, not ${formatDuration(durationMs)}` };
  }

  let start: DateTime;
  if (request.when.toLowerCase() === 'now') {
    start = DateTime.fromJSDate(now, { zone }).startOf('minute');
  } else {
    const m = LOCAL_RE.exec(request.when);
    if (!m) return { ok: false, error: `"${request.when}" is not a time like 2026-12-03T14:00 (in ${zone}) or "now"` };
    const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
    const probe = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
    if (!probe.isValid || probe.day !== day || probe.month !== month) {
      return { ok: false, error: `"${request.when}" is not a real date and time` };
    }
    start = resolveLocalTime({ year, month, day, hour, minute }, zone);
    if (start.hour !== hour || start.minute !== minute) {
      warnings.push(`${request.when} does not exist in ${zone} (clocks go forward): the window starts at ${start.toFormat('HH:mm')}`);
    }
  }
  const startMs = start.toMillis();
  if (startMs < now.getTime() - PAST_SLACK_MS) return { ok: false, error: `${start.toFormat("yyyy-MM-dd'T'HH:mm")} (${zone}) is in the past; use "now" or a later time` };
  if (startMs > now.getTime() + MAX_AHEAD_MS) return { ok: false, error: `${start.toFormat("yyyy-MM-dd'T'HH:mm")} is more than a year ahead` };

  const end = start.plus({ milliseconds: durationMs });
  const spec: ScheduledWindowSpec = {
    id: scheduledWindowId(request.environment, start, request.emergency),
    environment: request.environment,
    kind: request.emergency ? 'emergency' : 'one-off',
    start: isoLocal(start), end: isoLocal(end), startUtc: isoUtc(start), endUtc: isoUtc(end),
    timezone: zone, durationMs, advisory: request.advisory ?? null, warnings,
  };
  const frozen = freezeReason(spec, env.freeze ?? [], config.freeze ?? []);
  if (frozen !== null) {
    // Freezes hold routine work; an emergency window exists for exactly the patch that cannot wait.
    if (!request.emergency) return { ok: false, error: `that time is inside a ${frozen}; only an emergency window may be scheduled then` };
    warnings.push(`inside a ${frozen}: scheduled as an emergency`);
  }
  return { ok: true, window: spec };
}

export interface ProposedSlot {
  environment: string;
  /** Local `YYYY-MM-DDTHH:MM` in the environment's zone (what the command takes). */
  when: string;
  durationMs: number;
  timezone: string;
  startUtc: string;
}

/** Environments in gate order: each after the one its `after` (or relative rule) names, when both are listed. */
export function gateOrder(config: WindowsConfig, environments: readonly string[]): string[] {
  const before = (env: string): string | undefined => {
    const e = config.environments[env];
    return e?.after ?? (e?.window ? parseRelativeRule(e.window.rule)?.environment : undefined);
  };
  const depth = (env: string): number => {
    let n = 0;
    for (let cur = before(env); cur !== undefined && n < 32; cur = before(cur)) n++;
    return n;
  };
  return [...new Set(environments)].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
}

/**
 * The earliest sensible emergency slots for these environments: the first at the next quarter hour
 * at least 30 minutes from now (time to gather people); each later environment in the gate chain
 * starts when the one before it ends plus its `gap`, so staging still goes first.
 */
export function proposeEmergencySlots(config: ScheduleConfig, environments: readonly string[], now: Date): ProposedSlot[] {
  const out: ProposedSlot[] = [];
  const ends = new Map<string, number>();
  const quarter = 15 * 60_000;
  for (const env of gateOrder(config, environments)) {
    const e = config.environments[env];
    const zone = e?.window?.timezone ?? 'UTC';
    const duration = e?.window?.duration ?? DEFAULT_EMERGENCY_MS;
    const prev = e?.after !== undefined ? ends.get(e.after) : undefined;
    const gap = e?.window?.gap ?? 0;
    let startMs = Math.ceil((now.getTime() + 30 * 60_000) / quarter) * quarter;
    if (prev !== undefined) startMs = Math.max(startMs, Math.ceil((prev + gap) / quarter) * quarter);
    const start = DateTime.fromMillis(startMs, { zone });
    out.push({ environment: env, when: start.toFormat("yyyy-MM-dd'T'HH:mm"), durationMs: duration, timezone: zone, startUtc: isoUtc(start) });
    ends.set(env, startMs + duration);
  }
  return out;
}
