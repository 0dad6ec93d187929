import type { CliIo } from '../cli.ts';
import { EXIT } from './exit-codes.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { UsageError, errorMessage } from '../errors.ts';
import { isCveId } from '../feed/ids.ts';
import { triageFleet } from '../hub/pipeline.ts';
import { createLogger, type Logger } from '../log.ts';
import { loadBundledCalendar, refreshCalendar, type ReleaseCalendar } from '../releases/index.ts';
import { formatTriageText } from '../triage/index.ts';
import type { Finding, TriageResult } from '../triage/types.ts';
import { applyAcceptances } from '../signoff/accept.ts';
import { createRiskAcceptanceStore } from '../store/risk-acceptances.ts';
import { hashTagged } from '../store/redis-connection.ts';
import { loadAdvisories, type LoadedAdvisories } from './advisories.ts';

export interface TriageRunOptions {
  config: Config;
  feed: string;
  cve?: string;
  now: Date;
  logger: Logger;
  /** Leave not-affected findings out (they are still counted in `counts`). */
  omitNotAffected?: boolean;
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
    ...(opts.omitNotAffected === true ? { omitNotAffected: true } : {}),
  });
  return { loaded, result: { ...result, warnings: [...loaded.warnings, ...result.warnings] } };
}

async function releaseCalendar(opts: TriageRunOptions): Promise<ReleaseCalendar> {
  const bundled = loadBundledCalendar();
  if (opts.refreshReleases === false || !opts.config.releases.refresh) return bundled;
  return refreshCalendar({ fetch: globalThis.fetch, url: opts.config.releases.url, timeoutMs: 5_000, logger: opts.logger, bundled, now: opts.now });
}

export type TriageFormat = 'json' | 'ndjson' | 'text';

export async function runTriage(opts: { config: string; feed?: string; cve?: string; format: TriageFormat; all?: boolean; io: CliIo }): Promise<number> {
  if (opts.cve !== undefined && !isCveId(opts.cve.toUpperCase())) {
    throw new UsageError(`--cve: "${opts.cve}" is not a CVE id`, 'write it like CVE-2024-10220');
  }
  const config = await loadConfigFile(opts.config);
  const logger = createLogger({ level: opts.io.env.LOG_LEVEL ?? 'error' });
  // Machine formats carry what needs acting on unless --all; text is read by people and shows everything.
  const all = opts.all === true || opts.format === 'text';
  const { loaded, result } = await runTriagePipeline({
    config,
    feed: opts.feed ?? config.feed.url,
    ...(opts.cve === undefined ? {} : { cve: opts.cve.toUpperCase() }),
    now: new Date(),
    logger,
    omitNotAffected: !all,
  });
  if (opts.cve !== undefined && result.advisories.length === 0) {
    throw new UsageError(`--cve: ${opts.cve} is not in the feed (${loaded.feed.source})`, 'check the id, or pass --feed with a feed that has it');
  }
  result.findings = await withAcceptedRisks(result, opts.io, new Date());
  for (const w of result.warnings) opts.io.stderr(`warning: ${w}\n`);
  const include = all ? 'all' : 'actionable';
  if (opts.format === 'json') {
    writeTriageJson(opts.io.stdout, { feed: loaded.feed, include, ...result }, { pretty: opts.io.isTTY === true });
  } else if (opts.format === 'ndjson') {
    writeTriageNdjson(opts.io.stdout, { feed: loaded.feed, include, ...result });
  } else {
    opts.io.stdout(`feed: ${loaded.feed.source} (${loaded.advisories.length} advisories)\n\n${formatTriageText(result)}\n`);
  }
  return triageExitCode(result);
}

/**
 * Accepted risks (`/k8s accept`, stored by the hub) mark their findings when REDIS_URL is set; a
 * Redis that cannot be read is a warning, not a failure (the triage itself needs no Redis).
 */
async function withAcceptedRisks(result: TriageResult, io: CliIo, now: Date): Promise<Finding[]> {
  const url = io.env.REDIS_URL;
  if (!url) return result.findings;
  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const acceptances = await createRiskAcceptanceStore({ redis, prefix: hashTagged(io.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor') }).all();
    return applyAcceptances(result.findings, acceptances, now, new Map(result.advisories.map((a) => [a.id, a.aliases])));
  } catch (err) {
    result.warnings.push(`REDIS_URL set but accepted risks could not be read (${errorMessage(err)}); none are applied`);
    return result.findings;
  } finally {
    redis.disconnect();
  }
}

/**
 * 1 when anything is affected or unfixed and not an accepted risk (it wins), else 4 when a
 * cluster could not be read, else 0.
 */
export function triageExitCode(result: Pick<TriageResult, 'findings' | 'clusters'>): number {
  if (result.findings.some((f) => (f.verdict === 'affected' || f.verdict === 'unfixed') && !f.accepted)) return EXIT.found;
  if (result.clusters.some((c) => c.readable === false)) return EXIT.unreadable;
  return EXIT.ok;
}

type TriageOutput = TriageResult & { feed: LoadedAdvisories['feed']; include: 'all' | 'actionable' };

/** Lines of this many records are written at once: no single output string for 10,000 clusters. */
const BATCH = 2_000;

function writeArray(write: (text: string) => void, list: readonly unknown[]): void {
  write('[');
  for (let i = 0; i < list.length; i += BATCH) {
    // One native stringify per batch; its brackets cut off (a slice, not a copy).
    const part = JSON.stringify(list.slice(i, i + BATCH)).slice(1, -1);
    write(i === 0 ? part : `,${part}`);
  }
  write(']');
}

/**
 * `triage --format json`: one object, written in pieces (compact; indented for a terminal). The
 * same bytes as JSON.stringify of the whole, without holding the whole as one string.
 */
export function writeTriageJson(write: (text: string) => void, out: TriageOutput, options: { pretty: boolean }): void {
  if (options.pretty) {
    write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  write('{');
  let first = true;
  for (const [key, value] of Object.entries(out)) {
    if (value === undefined) continue;
    write(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    if (Array.isArray(value) && value.length > BATCH) writeArray(write, value);
    else write(JSON.stringify(value));
  }
  write('}\n');
}

/**
 * `triage --format ndjson`: one JSON object per line, each with a `type`: `run` (feed, release
 * data, warnings, include), then `advisory` (with its `counts`), `finding`, `client`, `cluster`.
 */
export function writeTriageNdjson(write: (text: string) => void, out: TriageOutput): void {
  const { findings, clusters, advisories, clients, counts, ...run } = out;
  write(`${JSON.stringify({ type: 'run', ...run })}\n`);
  const lines = (type: string, list: readonly object[]) => {
    const head = `{"type":${JSON.stringify(type)},`;
    for (let i = 0; i < list.length; i += BATCH) {
      // Each record's own JSON with the type spliced in front: no copy of the record.
      write(list.slice(i, i + BATCH).map((x) => {
        const json = JSON.stringify(x);
        return json === '{}' ? `{"type":${JSON.stringify(type)}}` : head + json.slice(1);
      }).join('\n') + '\n');
    }
  };
  lines('advisory', advisories.map((a) => ({ ...a, counts: counts?.[a.id] ?? null })));
  lines('finding', findings);
  lines('client', clients ?? []);
  lines('cluster', clusters);
}
