/**
 * `k8s-advisor windows --config FILE [--from DATE] [--count N] [--env ENV] [--format json|text|ics]`:
 * upcoming maintenance windows per environment. Bad flags throw UsageError (exit 2 through the CLI).
 */
import { DateTime } from 'luxon';
import type { CliIo } from '../cli.ts';
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../errors.ts';
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

  const windows = environmentWindows(config, { from, count, ...(opts.environment === undefined ? {} : { environment: opts.environment }) });
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
