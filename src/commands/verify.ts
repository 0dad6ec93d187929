/**
 * `k8s-advisor verify TARGET --config FILE [--format json|text]`.
 *
 * TARGET is a cluster (JSON: one report, the DESIGN contract) or an environment (JSON:
 * `{ target, results: [report, …] }`, clusters verified verify.concurrency at a time). Static
 * `versions` clusters skip every probe; `agent: true` clusters cannot be reached from here and
 * report an error pointing at the hub. With REDIS_URL set, runs are stored and compared with the
 * previous one; without it the command is stateless.
 *
 * Exit: 0 nothing failed · 1 a probe failed or errored · 2 bad target, config or usage.
 */
import type { Redis } from 'ioredis';
import { hashTagged } from '../store/redis-connection.ts';
import type { CliIo } from '../cli.ts';
import type { ClusterConfig, Config } from '../config/schema.ts';
import { loadConfigFile } from '../config/load.ts';
import { AdvisorError, ClusterAccessError, errorMessage } from '../errors.ts';
import { createKubeClient } from '../kube/client.ts';
import { createLogger, type Logger } from '../log.ts';
import { createClusterProcessor } from '../agent/processor.ts';
import { createVerifyResultsStore, type VerifyResultsStore } from '../agent/results-store.ts';
import type { SupportCalendar } from '../verify/context.ts';
import { mapLimit } from '../verify/pool.ts';
import { formatReportsText } from '../verify/render-text.ts';
import { AGENT_SERVED_REASON, STATIC_VERSIONS_REASON, reportsExitCode, uniformReport } from '../verify/runner.ts';
import { checksFor, resolveTarget, verifyClusterOf } from '../verify/targets.ts';
import type { VerifyReport, VerifyTargetReport } from '../verify/types.ts';

export interface RunVerifyOptions {
  target: string;
  /** Configuration file path. */
  config: string;
  format: 'json' | 'text';
  io: CliIo;
}

async function loadCalendar(io: CliIo): Promise<SupportCalendar | null> {
  try {
    const { loadBundledCalendar } = await import('../releases/index.ts');
    return loadBundledCalendar();
  } catch (err) {
    io.stderr(`warning: release calendar unavailable, version-support will skip (${errorMessage(err)})\n`);
    return null;
  }
}

async function openStore(io: CliIo): Promise<{ store: VerifyResultsStore | null; close: () => Promise<void> }> {
  const url = io.env.REDIS_URL;
  if (!url) return { store: null, close: async () => undefined };
  const { Redis: RedisClient } = await import('ioredis');
  const redis: Redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  // Failures surface through the awaited commands below; without a listener ioredis prints them raw.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    io.stderr(`warning: REDIS_URL set but Redis is unreachable (${errorMessage(err)}); results are not stored or compared\n`);
    redis.disconnect();
    return { store: null, close: async () => undefined };
  }
  // The hub's key layout (hash-tagged prefix): CLI runs and hub runs compare with each other.
  const prefix = hashTagged(io.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor');
  return { store: createVerifyResultsStore({ redis, prefix }), close: async () => { await redis.quit().catch(() => redis.disconnect()); } };
}

export async function verifyOne(
  cluster: ClusterConfig,
  config: Config,
  deps: { calendar: SupportCalendar | null; store: VerifyResultsStore | null; logger: Logger },
): Promise<VerifyReport> {
  const vc = verifyClusterOf(cluster);
  if (cluster.versions !== undefined) return uniformReport(vc, 'skip', STATIC_VERSIONS_REASON);
  if (cluster.agent === true) return uniformReport(vc, 'error', AGENT_SERVED_REASON, { error: { code: 'AGENT_SERVED', message: AGENT_SERVED_REASON } });
  try {
    const kube = createKubeClient({ cluster, timeoutMs: config.verify.probeTimeout, logger: deps.logger });
    const processor = createClusterProcessor({
      cluster: vc, kube, checks: checksFor(config, cluster), probeTimeoutMs: config.verify.probeTimeout,
      calendar: deps.calendar, store: deps.store, logger: deps.logger,
    });
    return (await processor({ name: 'verify', data: { cluster: cluster.name, requestedAt: new Date().toISOString(), requestedBy: 'cli' }, updateProgress: async () => undefined })) as VerifyReport;
  } catch (err) {
    if (err instanceof ClusterAccessError) {
      return uniformReport(vc, 'error', err.message, { error: { code: err.code, message: `${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}` } });
    }
    throw err;
  }
}

export async function runVerify(opts: RunVerifyOptions): Promise<number> {
  const { io } = opts;
  const logger = createLogger({ level: io.env.LOG_LEVEL ?? 'warn' });
  let config: Config;
  let clusters: ClusterConfig[];
  let kind: 'cluster' | 'environment';
  try {
    config = await loadConfigFile(opts.config);
    const resolved = resolveTarget(config, opts.target);
    clusters = resolved.clusters;
    kind = resolved.kind;
  } catch (err) {
    if (err instanceof AdvisorError) {
      io.stderr(`error: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}\n`);
      return 2;
    }
    throw err;
  }
  if (clusters.length === 0) {
    io.stderr(`error: environment "${opts.target}" has no clusters\nhint: add clusters with environment: ${opts.target} to ${opts.config}\n`);
    return 2;
  }

  const calendar = await loadCalendar(io);
  const { store, close } = await openStore(io);
  let reports: VerifyReport[];
  try {
    reports = await mapLimit(clusters, config.verify.concurrency, (c) => verifyOne(c, config, { calendar, store, logger }));
  } finally {
    await close();
  }

  if (opts.format === 'json') {
    const out: VerifyReport | VerifyTargetReport = kind === 'cluster' && reports[0] ? reports[0] : { target: opts.target, results: reports };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout(formatReportsText(opts.target, reports));
  }
  return reportsExitCode(reports);
}
