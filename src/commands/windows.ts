/**
 * `k8s-advisor windows --config FILE [--from DATE] [--count N] [--env ENV] [--feed PATH|URL] [--format json|text|ics]`:
 * upcoming maintenance windows per environment. Bad flags throw UsageError (exit 2 through the CLI).
 * With REDIS_URL set, stored windows are shown too (state, blocked reason, scheduled and emergency
 * windows, stored plans); with --feed, each window's plan is computed from a fresh triage.
 */
import { DateTime } from 'luxon';
import type { CliIo } from '../cli.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { UsageError, errorMessage } from '../errors.ts';
import { createLogger } from '../log.ts';
import { buildPlan } from '../maintenance/plan.ts';
import { mergeStoredWindows } from '../maintenance/view.ts';
import { createWindowStore, type StoredWindow } from '../store/windows.ts';
import { windowsCalendar } from '../maintenance/ics.ts';
import { environmentWindows, type EnvironmentWindow, type From } from '../maintenance/occurrences.ts';
import { formatWindowsText } from '../maintenance/text.ts';

export const DEFAULT_WINDOW_COUNT = 3;
export const MAX_WINDOW_COUNT = 120;

export type WindowsFormat = 'json' | 'text' | 'ics';

export interface RunWindowsOptions {
  /** Configuration file. */
  config: string;
  /** YYYY-MM-DD (midnight in each window's zone) or an ISO date-time (UTC unless it has an offset). */
  from?: string;
  count?: string | number;
  format?: WindowsFormat;
  environment?: string;
  io: CliIo;
  /** The clock, for tests: default `from`, `generatedAt` and the ICS DTSTAMP. */
  now?: Date;
  /** Feed file or URL: triage the fleet and attach each window's plan. */
  feed?: string;
}

/** The JSON output contract. */
export interface WindowsJson {
  generatedAt: string;
  /** As resolved: a YYYY-MM-DD date, or an ISO instant in UTC. */
  from: string;
  count: number;
  environment: string | null;
  windows: EnvironmentWindow[];
}

/** `--from`: a date (kept as a local date) or an ISO date-time (an instant). */
export function parseFrom(value: string | undefined, now: Date): From {
  if (value === undefined) return now;
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    if (DateTime.fromISO(text, { zone: 'utc' }).isValid) return text;
  } else if (text.includes('T')) {
    const dt = DateTime.fromISO(text, { zone: 'utc', setZone: true });
    if (dt.isValid) return dt.toJSDate();
  }
  throw new UsageError(`--from: "${value}" is not a date or ISO date-time`, 'write it like --from 2026-03-01 or --from 2026-03-01T08:00:00Z');
}

export function parseCount(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_WINDOW_COUNT;
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WINDOW_COUNT) {
    throw new UsageError(`--count: "${String(value)}" is not a whole number from 1 to ${MAX_WINDOW_COUNT}`, 'write it like --count 6');
  }
  return n;
}

/** Stored windows when REDIS_URL is set (null when not set; a warning and null when unreachable). */
async function storedWindows(io: CliIo, environment: string | undefined, fromMs: number): Promise<StoredWindow[] | null> {
  const url = io.env.REDIS_URL;
  if (!url) return null;
  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const store = createWindowStore({ redis, prefix: io.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor' });
    return await store.list({ fromMs, ...(environment === undefined ? {} : { environment }) });
  } catch (err) {
    io.stderr(`warning: REDIS_URL set but stored windows could not be read (${errorMessage(err)}); showing the config's windows only\n`);
    return null;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** Each window's plan from a fresh triage of the fleet against `feed`. */
async function withPlans(windows: EnvironmentWindow[], config: Config, feed: string, now: Date, io: CliIo): Promise<EnvironmentWindow[]> {
  const { runTriagePipeline } = await import('./triage.ts');
  const logger = createLogger({ level: io.env.LOG_LEVEL ?? 'error' });
  const { result } = await runTriagePipeline({ config, feed, now, logger });
  for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
  return windows.map((w) => ({
    ...w,
    plan: buildPlan({
      window: { id: w.id, environment: w.environment }, after: w.after?.windowId ?? null, clusters: config.clusters,
      triage: result, advisory: w.advisory ?? null, now,
    }),
  }));
}

export async function runWindows(opts: RunWindowsOptions): Promise<number> {
  const { io } = opts;
  const now = opts.now ?? new Date();
  const format = opts.format ?? 'text';
  if (format !== 'json' && format !== 'text' && format !== 'ics') {
    throw new UsageError(`--format: "${String(format)}" is not one of json, text, ics`, 'write it like --format ics');
  }
  const from = parseFrom(opts.from, now);
  const count = parseCount(opts.count);
  const config = await loadConfigFile(opts.config);

  const envs = Object.keys(config.environments);
  if (opts.environment !== undefined && !envs.includes(opts.environment)) {
    throw new UsageError(`--env: "${opts.environment}" is not an environment in ${opts.config} (environments: ${envs.join(', ')})`, `write it like --env ${envs[0] ?? 'prod'}`);
  }

  const computed = environmentWindows(config, { from, count, ...(opts.environment === undefined ? {} : { environment: opts.environment }) });
  // A date means local midnight in each window's zone: the earliest of those is at UTC+14.
  const fromMs = from instanceof Date ? from.getTime() : Date.parse(`${from}T00:00:00Z`) - 14 * 3_600_000;
  const stored = await storedWindows(io, opts.environment, fromMs);
  let windows = stored === null ? computed.map((w) => ({ ...w, kind: 'recurring' as const })) : mergeStoredWindows(computed, stored, fromMs);
  if (opts.feed !== undefined) windows = await withPlans(windows, config, opts.feed, now, io);
  if (windows.length === 0) {
    const message = opts.environment === undefined
      ? `no environment in ${opts.config} has a maintenance window (add environments.<env>.window)`
      : `environment "${opts.environment}" has no maintenance window in ${opts.config} (add environments.${opts.environment}.window)`;
    // Text users read the message; json/ics consumers still get valid, empty output on stdout.
    if (format === 'text') {
      io.stdout(`No maintenance windows: ${message}.\n`);
      return 0;
    }
    io.stderr(`note: ${message}\n`);
  }

  if (format === 'json') {
    const json: WindowsJson = {
      generatedAt: now.toISOString(),
      from: from instanceof Date ? from.toISOString() : from,
      count,
      environment: opts.environment ?? null,
      windows,
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else if (format === 'ics') {
    io.stdout(windowsCalendar(windows, { now }));
  } else {
    io.stdout(`${formatWindowsText(windows)}\n`);
  }
  // The text output shows warnings inline; machine formats repeat them on stderr for the operator.
  if (format !== 'text') for (const w of windows) if (w.warning) io.stderr(`warning: ${w.id}: ${w.warning}\n`);
  return 0;
}
