import type { CliIo } from '../cli.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { isCveId } from '../feed/ids.ts';
import { triageFleet } from '../hub/pipeline.ts';
import { createLogger, type Logger } from '../log.ts';
import { loadBundledCalendar, refreshCalendar, type ReleaseCalendar } from '../releases/index.ts';
import { formatTriageText } from '../triage/index.ts';
import type { TriageResult } from '../triage/types.ts';
import { loadAdvisories, type LoadedAdvisories } from './advisories.ts';

export interface TriageRunOptions {
  config: Config;
  feed: string;
  cve?: string;
  now: Date;
  logger: Logger;
  fallbackToBundled?: boolean;
  /** Try endoflife.date; false keeps the bundled calendar (demo offline, tests). */
  refreshReleases?: boolean;
  feedTimeoutMs?: number;
}

/** Feed → advisories → inventories → triage: the main job, shared by `triage` and `demo`. */
export async function runTriagePipeline(opts: TriageRunOptions): Promise<{ loaded: LoadedAdvisories; result: TriageResult }> {
  const [loaded, calendar] = await Promise.all([
    loadAdvisories({
      source: opts.feed,
      timeoutMs: opts.feedTimeoutMs ?? opts.config.feed.timeout,
      maxBytes: opts.config.feed.maxBytes,
      logger: opts.logger,
      ...(opts.fallbackToBundled ? { fallbackToBundled: true, maxAttempts: 1 } : {}),
    }),
    releaseCalendar(opts),
  ]);
  // The same advisories × fleet step as the hub's (inventories collected, triaged in chunks).
  const result = await triageFleet({
    config: opts.config,
    advisories: loaded.advisories,
    calendar,
    now: opts.now,
    logger: opts.logger,
    ...(opts.cve === undefined ? {} : { cve: opts.cve }),
  });
  return { loaded, result: { ...result, warnings: [...loaded.warnings, ...result.warnings] } };
}

async function releaseCalendar(opts: TriageRunOptions): Promise<ReleaseCalendar> {
  const bundled = loadBundledCalendar();
  if (opts.refreshReleases === false || !opts.config.releases.refresh) return bundled;
  return refreshCalendar({ fetch: globalThis.fetch, url: opts.config.releases.url, timeoutMs: 5_000, logger: opts.logger, bundled, now: opts.now });
}

export async function runTriage(opts: { config: string; feed?: string; cve?: string; format: 'json' | 'text'; io: CliIo }): Promise<number> {
  if (opts.cve !== undefined && !isCveId(opts.cve.toUpperCase())) {
    throw new UsageError(`--cve: "${opts.cve}" is not a CVE id`, 'write it like CVE-2024-10220');
  }
  const config = await loadConfigFile(opts.config);
  const logger = createLogger({ level: opts.io.env.LOG_LEVEL ?? 'error' });
  const { loaded, result } = await runTriagePipeline({
    config,
    feed: opts.feed ?? config.feed.url,
    ...(opts.cve === undefined ? {} : { cve: opts.cve.toUpperCase() }),
    now: new Date(),
    logger,
  });
  if (opts.cve !== undefined && result.advisories.length === 0) {
    throw new UsageError(`--cve: ${opts.cve} is not in the feed (${loaded.feed.source})`, 'check the id, or pass --feed with a feed that has it');
  }
  for (const w of result.warnings) opts.io.stderr(`warning: ${w}\n`);
  if (opts.format === 'json') {
    opts.io.stdout(`${JSON.stringify({ feed: loaded.feed, ...result }, null, 2)}\n`);
  } else {
    opts.io.stdout(`feed: ${loaded.feed.source} (${loaded.advisories.length} advisories)\n\n${formatTriageText(result)}\n`);
  }
  return result.findings.some((f) => f.verdict === 'affected' || f.verdict === 'unfixed') ? 1 : 0;
}
