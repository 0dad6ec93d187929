/**
 * Composition root: the only module that reads the environment, opens Redis, loads kubeconfig
 * and starts Slack. Every role serves /livez, /readyz and /metrics on HEALTH_PORT (src/health,
 * src/metrics). `runHub` and `runAgent` resolve with an exit code once a SIGTERM/SIGINT has shut
 * everything down in order (Slack, workers, queues, then Redis) within SHUTDOWN_GRACE, releasing
 * the jobs still in flight when it runs out.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Queue, type Worker } from 'bullmq';
import type { DestinationStream } from 'pino';
import { parseItem } from './advisory/parse.ts';
import type { Advisory } from './advisory/types.ts';
import { createAgentWorker } from './agent/worker.ts';
import { createClusterDispatcher } from './agent/dispatcher.ts';
import { createVerifyResultsStore } from './agent/results-store.ts';
import { loadConfigFile } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { AdvisorError, ConfigError, errorMessage } from './errors.ts';
import { fetchFeed } from './feed/fetch.ts';
import { createFeedWatcher } from './feed/watcher.ts';
import { feedCheck, clusterReachable, redisCheck, releaseCheck, slackCheck, type ReadinessCheck } from './health/checks.ts';
import { watchClusterContact } from './health/cluster-contact.ts';
import { createFeedSuccessStore } from './health/feed-success.ts';
import { createHealthServer, type HealthServer } from './health/server.ts';
import { opsSettingsFrom, type OpsSettings } from './health/settings.ts';
import { createJobTracker, stopWithin, type JobTracker } from './health/shutdown.ts';
import { createHub } from './hub/hub.ts';
import { triageFleet } from './hub/pipeline.ts';
import { createWatcherSource } from './hub/source.ts';
import type { ClusterInventory } from './inventory/types.ts';
import { createKubeClient } from './kube/client.ts';
import { createLogger, type Logger } from './log.ts';
import { instrumentFetch, instrumentParse, observeWorker, recordVerifyReport } from './metrics/instrument.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { createReleaseCalendar, loadBundledCalendar, refreshCalendar, STALE_AFTER_DAYS, type ReleaseCalendar } from './releases/index.ts';
import { createWebClient } from './slack/web.ts';
import { createSnapshotStore } from './store/advisory-snapshots.ts';
import { createRedisFeedStateStore } from './store/feed-state.ts';
import { createPostStore } from './store/posts.ts';
import { createRiskAcceptanceStore } from './store/risk-acceptances.ts';
import { createSignoffStore } from './store/signoff.ts';
import { createWindowStore } from './store/windows.ts';
import { applyAcceptances } from './signoff/accept.ts';
import {
  createRedisClient, credentialsFrom, describeRedisTarget, hashTagged, redisTargetFrom, type RedisClient,
} from './store/redis-connection.ts';
import { createDataLossGuard } from './store/redis-data-loss.ts';
import { watchRedisHealth, type RedisHealth } from './store/redis-health.ts';
import { createLastGoodStore } from './store/redis-last-good.ts';
import { recoverPostsFromSlack, type HistoryPage } from './store/redis-post-recovery.ts';
import type { Finding } from './triage/types.ts';
import { checksFor, verifyClusterOf } from './verify/targets.ts';

const DAY_MS = 86_400_000;

export interface RoleOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** Resolves to stop the role; default: the first SIGTERM or SIGINT. */
  stopSignal?: Promise<unknown>;
  /** Where the JSON log goes (default stdout): tests and embedding. */
  logDestination?: DestinationStream;
  /**
   * Called once the role is up (tests, embedding); `healthPort` serves /livez, /readyz, /metrics,
   * `redisHealth` is what readiness reports for Redis.
   */
  onStarted?: (info: { port: number | null; healthPort: number; redisHealth: RedisHealth }) => void;
  /**
   * Ends the process when the grace period ran out with jobs still running (they were released to
   * other replicas, but their code would keep this process alive). Default process.exit.
   */
  exit?: (code: number) => void;
}

interface Common {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  /** The deployment's key prefix as a hash tag (`{k8s-advisor}`): every store and queue in one Cluster slot. */
  prefix: string;
  /** Up/down of Redis for the process: one line per change, readiness. */
  redisHealth: RedisHealth;
  ops: OpsSettings;
  metrics: Metrics;
  tracker: JobTracker;
  health: HealthServer;
  healthPort: number;
}

/** What a hub replica does; all three by default. */
export const HUB_ROLES = ['slack', 'workers', 'schedule'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

export async function runHub(options: RoleOptions & { roles?: readonly HubRole[] }): Promise<number> {
  const env = options.env;
  const roles = new Set(options.roles ?? HUB_ROLES);
  const slack = slackOptionsFrom(env, { endpoint: roles.has('slack') });
  let hubRef: ReturnType<typeof createHub> | null = null;
  const startedAt = new Date();
  // The refreshed calendar lives in Redis with its read time: one replica's refresh serves every
  // replica (and a restarted hub) until it is a day old. Readiness reads whichever is current.
  const bundled = loadBundledCalendar();
  let calendar: ReleaseCalendar = bundled;
  const common = await open(options, 'hub', [env.SLACK_BOT_TOKEN, env.SLACK_APP_TOKEN, env.SLACK_SIGNING_SECRET], (config, redis, prefix, redisHealth) => [
    redisCheck(() => redisHealth.isUp()),
    ...(roles.has('slack') && slack.mode.kind !== 'none' ? [slackCheck(() => hubRef?.slackState() ?? 'not-started')] : []),
    feedCheck({ lastSuccess: () => createFeedSuccessStore({ redis, prefix }).last(), everyMs: config.feed.every, startedAt }),
    releaseCheck({ asOf: () => calendar.asOf, maxAgeDays: STALE_AFTER_DAYS }),
  ], slack.mode.kind === 'http' ? slack.mode.port : null);
  const { config, logger, redis, prefix, redisHealth, metrics, tracker } = common;
  const feedSuccess = createFeedSuccessStore({ redis, prefix });
  const lastGood = createLastGoodStore({ redis, prefix });

  const refresh = async () => {
    const stored = await lastGood.calendar().catch(() => null);
    if (stored !== null && stored.data.asOf >= bundled.asOf) {
      calendar = createReleaseCalendar(stored.data, { source: stored.source });
      if (Date.now() - Date.parse(stored.readAt) < DAY_MS) return;
    }
    if (!config.releases.refresh) return;
    const fresh = await refreshCalendar({ fetch: globalThis.fetch, url: config.releases.url, timeoutMs: 10_000, logger, bundled });
    if (fresh.source !== 'live') return;
    calendar = fresh;
    await lastGood.saveCalendar(fresh.data(), fresh.source, new Date()).catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'could not store the refreshed release calendar'));
  };
  await refresh();
  // Hourly: pick up another replica's refresh; fetch only when the stored one is a day old.
  const refreshTimer = setInterval(() => { void refresh().catch(() => undefined); }, DAY_MS / 24);
  refreshTimer.unref();

  const snapshots = createSnapshotStore({ redis, prefix });
  const dispatcher = createClusterDispatcher({
    connection: redis,
    prefix,
    config,
    logger,
    // The daily refresh replaces `calendar`: probes read whichever is current.
    calendar: {
      get asOf() { return calendar.asOf; },
      isSupported: (minor, on) => calendar.isSupported(minor, on),
      eolDate: (minor) => calendar.eolDate(minor),
    },
    store: createVerifyResultsStore({ redis, prefix }),
    // version-support lists the open advisories affecting the cluster from the last triage.
    findings: async (cluster) => (await snapshots.list()).flatMap((s) => s.findings.filter((f) => f.cluster === cluster && f.verdict !== 'not-affected')),
  });
  const verifier = {
    verify: async (...args: Parameters<typeof dispatcher.verify>) => {
      const report = await dispatcher.verify(...args);
      recordVerifyReport(metrics, report);
      return report;
    },
  };

  // Last good inventory per cluster, in Redis: served (with its age) when a cluster cannot be
  // read, by whichever replica runs the triage, also after a restart. `good` holds the newest
  // good one this replica has seen (static clusters too) for the inventory age metric.
  const good = new Map<string, ClusterInventory>();
  const risks = createRiskAcceptanceStore({ redis, prefix });
  const triageHub = async (advisories: Advisory[], onFindings?: (findings: Finding[]) => void) => {
    const now = new Date();
    const previous: Map<string, ClusterInventory> = await lastGood.inventories();
    // Accepted risks (`/k8s accept`) mark their findings: the verdict stays, "needs attention" drops them.
    const acceptances = await risks.all();
    const aliases = new Map(advisories.map((a) => [a.id, a.aliases]));
    const accept = (findings: Finding[]) => (acceptances.length === 0 ? findings : applyAcceptances(findings, acceptances, now, aliases));
    const result = await triageFleet({
      config, advisories, calendar, now, logger, previous, ...(onFindings ? { onFindings: (chunk: Finding[]) => onFindings(accept(chunk)) } : {}),
      readAgent: (cluster) => dispatcher.inventory(cluster.name),
    });
    result.findings = accept(result.findings);
    // triageFleet put every inventory read without error into `previous`.
    for (const [cluster, inv] of previous) {
      const known = good.get(cluster);
      if (known === undefined || known.collectedAt <= inv.collectedAt) good.set(cluster, inv);
    }
    await lastGood.saveInventories([...previous.values()]);
    return result;
  };

  const hub = createHub({
    config,
    logger,
    redis,
    prefix,
    slack,
    pace: config.slack.pace,
    source: createWatcherSource({
      parseItem: instrumentParse(parseItem, metrics),
      watcher: createFeedWatcher({
        store: createRedisFeedStateStore({ redis, prefix }),
        source: config.feed.url,
        logger,
        fetchFeed: instrumentFetch(
          (src: string, o: Parameters<typeof fetchFeed>[1]) => fetchFeed(src, { ...o, timeoutMs: config.feed.timeout, maxBytes: config.feed.maxBytes, logger }),
          metrics,
          (at) => feedSuccess.record(at),
        ),
      }),
    }),
    triage: triageHub,
    dispatcher: verifier,
    onWorker: (worker) => watchWorker(worker, metrics, tracker),
    announceBacklog: config.slack.announceBacklog,
    retriageEveryMs: config.feed.retriage,
    roles: { slack: roles.has('slack'), workers: roles.has('workers'), schedule: roles.has('schedule') },
    redisHealth,
    windows: {}, // issue 11: maintenance window threads, reminders and gates
  });

  hubRef = hub;
  const windowStore = createWindowStore({ redis, prefix });
  const signoffStore = createSignoffStore({ redis, prefix });
  metrics.readFrom({
    releaseAsOf: () => new Date(`${calendar.asOf.slice(0, 10)}T00:00:00Z`),
    inventories: () => [...good.values()].map((i) => ({ cluster: i.cluster, collectedAt: new Date(i.collectedAt) })),
    feedLastSuccess: () => feedSuccess.last(),
    queues: () => Promise.all(Object.entries(hub.queues).map(async ([queue, q]) => ({
      queue, counts: await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    }))),
    windows: async () => {
      const out: Record<string, number> = {};
      for (const w of await windowStore.list()) out[w.state] = (out[w.state] ?? 0) + 1;
      return out;
    },
    signoffs: () => signoffStore.countByState(),
    agents: () => Promise.all(config.clusters.filter((c) => c.agent === true).map(async (c) => {
      const s = await dispatcher.agentStatus(c.name);
      return { cluster: c.name, alive: s.alive, lastSeenAt: s.lastSeen ? new Date(s.lastSeen.at) : null };
    })),
  });

  // Redis data loss: found at start (no marker) or later (the marker vanished), recovered from
  // Slack before the workers can post, schedulers recreated.
  const web = createWebClient({ token: slack.botToken, logger, ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}) });
  const dataLoss = createDataLossGuard({
    redis, prefix, logger,
    isUp: () => redisHealth.isUp(),
    feedState: createRedisFeedStateStore({ redis, prefix }),
    recreateSchedulers: () => hub.schedule(),
    recoverPosts: () => recoverPostsFromSlack({
      readHistory: async (args) => (await web.conversations.history(args)) as unknown as HistoryPage,
      readReplies: async (args) => (await web.conversations.replies(args)) as unknown as HistoryPage,
      posts: createPostStore({ redis, prefix }),
      channels: Object.values(config.slack.channels),
      logger,
    }),
    ...(env.K8S_ADVISOR_DATA_CHECK_MS ? { checkEveryMs: Math.max(100, Number(env.K8S_ADVISOR_DATA_CHECK_MS) || 15_000) } : {}),
  });

  let port: number | null;
  try {
    await dataLoss.start();
    const onRedisChange = (up: boolean) => { if (up) void dataLoss.check(); };
    redis.on('ready', () => onRedisChange(redisHealth.isUp()));
    ({ port } = await hub.start());
  } catch (err) {
    // A hub that cannot start (port in use, bad token, recovery given up) must not linger on its health port and Redis.
    clearInterval(refreshTimer);
    dataLoss.stop();
    await hub.stop().catch(() => {});
    await dispatcher.close().catch(() => {});
    await common.health.stop();
    await close(redis, redisHealth);
    throw err;
  }
  logger.info({ mode: slack.mode.kind, roles: [...roles], port, healthPort: common.healthPort, clusters: config.clusters.length, feed: config.feed.url }, 'hub started');
  options.onStarted?.({ port, healthPort: common.healthPort, redisHealth });
  await (options.stopSignal ?? terminationSignal(logger));
  logger.info({ graceMs: common.ops.shutdownGraceMs, inFlight: tracker.inFlight() }, 'hub stopping');
  clearInterval(refreshTimer);
  dataLoss.stop();
  return shutdown(common, options, async () => {
    await hub.stop();
    await dispatcher.close();
  });
}

export async function runAgent(options: RoleOptions & { cluster: string; kubeconfig?: string; context?: string }): Promise<number> {
  const startedAt = new Date();
  let contact: ReturnType<typeof watchClusterContact> | null = null;
  const common = await open(options, 'agent', [], (_config, _redis, _prefix, redisHealth) => [
    redisCheck(() => redisHealth.isUp()),
    {
      name: 'cluster',
      // Three missed /version answers (every 30 s) and the agent stops counting as ready.
      run: () => clusterReachable({ cluster: options.cluster, lastContact: contact?.last().at ?? null, lastError: contact?.last().error ?? null, maxAgeMs: 90_000, startedAt, now: new Date() }),
    },
  ]);
  const { config, logger, redis, prefix, redisHealth, metrics, tracker } = common;
  const fail = async (err: unknown): Promise<never> => {
    contact?.stop();
    await common.health.stop();
    await close(redis, redisHealth);
    throw err;
  };
  const cluster = config.clusters.find((c) => c.name === options.cluster);
  if (!cluster) {
    await common.health.stop();
    await close(redis, redisHealth);
    throw new ConfigError([`--cluster: "${options.cluster}" is not one of ${config.clusters.map((c) => c.name).join(', ')}`], options.configFile);
  }
  if (cluster.versions !== undefined) {
    await common.health.stop();
    await close(redis, redisHealth);
    throw new ConfigError([`clusters[${config.clusters.indexOf(cluster)}]: "${cluster.name}" has static versions; an agent serves clusters with agent: true`], options.configFile);
  }
  // The agent normally runs inside its cluster (in-cluster credentials); --kubeconfig serves it from outside.
  const access = options.kubeconfig
    ? { name: cluster.name, kubeconfig: options.kubeconfig, ...(options.context ? { context: options.context } : {}) }
    : cluster.kubeconfig ? cluster : { name: cluster.name, inCluster: true };
  let kube: ReturnType<typeof createKubeClient>;
  try {
    kube = createKubeClient({ cluster: access, timeoutMs: config.verify.probeTimeout, logger });
  } catch (err) {
    return fail(err);
  }
  contact = watchClusterContact({ kube, logger });
  const served = cluster.name;
  metrics.readFrom({ clusterLastContact: () => ({ cluster: served, at: contact?.last().at ?? null }) });
  const agent = await createAgentWorker({
    cluster: verifyClusterOf(cluster),
    connection: redis,
    prefix,
    kube,
    logger,
    checks: checksFor(config, cluster),
    probeTimeoutMs: config.verify.probeTimeout,
    calendar: loadBundledCalendar(),
  }).catch(fail);
  watchWorker(agent.worker, metrics, tracker);
  // Depth of this cluster's queue, read at scrape time (non-blocking commands share the main connection).
  const depth = new Queue(agent.queueName, { connection: redis, prefix });
  depth.on('error', () => {});
  metrics.readFrom({ queues: async () => [{ queue: agent.queueName, counts: await depth.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed') }] });
  logger.info({ cluster: cluster.name, queue: agent.queueName, healthPort: common.healthPort }, 'agent started');
  options.onStarted?.({ port: null, healthPort: common.healthPort, redisHealth });
  await (options.stopSignal ?? terminationSignal(logger));
  logger.info({ graceMs: common.ops.shutdownGraceMs, inFlight: tracker.inFlight() }, 'agent stopping');
  contact.stop();
  return shutdown(common, options, async () => {
    await agent.close();
    await depth.close();
  });
}

function watchWorker(worker: Worker, metrics: Metrics, tracker: JobTracker): void {
  observeWorker(worker, metrics);
  tracker.track(worker);
}

/**
 * SIGTERM path of every role: readiness turns 503 at once, the orderly stop gets the grace
 * period, and when it runs out the jobs still in flight are released and the process ends.
 */
async function shutdown(common: Common, options: RoleOptions, stop: () => Promise<void>): Promise<number> {
  const { logger, redis, redisHealth, health, tracker, ops } = common;
  health.markShuttingDown();
  const outcome = await stopWithin(stop, ops.shutdownGraceMs, () => tracker.releaseAll());
  await health.stop();
  if (outcome.kind === 'clean') {
    if (outcome.error !== null) logger.warn({ err: outcome.error }, 'a shutdown step failed; stopping anyway');
    // QUIT waits for an answer; a Redis that went away must not hold the exit.
    await withTimeout(close(redis, redisHealth), 2_000).catch(() => redis.disconnect());
    logger.info('stopped');
    if (options.stopSignal === undefined) {
      // This role owns the process (it took the signal): a library timer still pending after an
      // orderly stop (the Slack client retrying an unreachable slack.com) must not hold the exit.
      const linger = setTimeout(() => {
        logger.warn('still running after an orderly stop; exiting');
        (options.exit ?? ((code: number) => process.exit(code)))(0);
      }, 2_000);
      linger.unref();
    }
    return 0;
  }
  logger.warn({ graceMs: ops.shutdownGraceMs, released: outcome.released }, 'grace period over: jobs still in flight were released to other workers');
  // A disconnect on purpose is not an outage.
  redisHealth.close();
  redis.disconnect();
  (options.exit ?? ((code: number) => process.exit(code)))(0);
  return 0;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

type HubSlack = Parameters<typeof createHub>[0]['slack'];

/**
 * Slack settings from the environment; every missing variable is named. A replica without the
 * Slack endpoint (`--roles workers,schedule`) still posts, so it needs only the bot token.
 */
export function slackOptionsFrom(env: NodeJS.ProcessEnv, options: { endpoint?: boolean } = {}): HubSlack {
  const problems: string[] = [];
  const botToken = env.SLACK_BOT_TOKEN ?? '';
  if (!botToken) problems.push('SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)');
  let mode: HubSlack['mode'] | null = null;
  if (options.endpoint === false) {
    mode = { kind: 'none' };
  } else if (env.SLACK_APP_TOKEN) {
    mode = { kind: 'socket', appToken: env.SLACK_APP_TOKEN };
  } else if (env.SLACK_SIGNING_SECRET) {
    const port = Number(env.PORT ?? 3000);
    if (!/^\d+$/.test(env.PORT ?? '3000') || port > 65535) problems.push(`PORT: "${env.PORT}" is not a port number (0 picks a free one)`);
    // HOST: the address the HTTP receiver binds (0.0.0.0 all IPv4, :: all, 127.0.0.1 behind a local proxy).
    const host = (env.HOST ?? '0.0.0.0').trim();
    if (host === '' || /[\s/]/.test(host)) problems.push(`HOST: "${env.HOST}" is not an address or host name to bind (e.g. 0.0.0.0, ::, 127.0.0.1)`);
    mode = { kind: 'http', signingSecret: env.SLACK_SIGNING_SECRET, port, host };
  } else {
    problems.push('set SLACK_APP_TOKEN (Socket Mode, xapp-…) or SLACK_SIGNING_SECRET and PORT (HTTP mode)');
  }
  if (problems.length > 0 || mode === null) throw new ConfigError(problems, 'environment variables');
  return { botToken, mode, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}) };
}

async function open(
  options: RoleOptions,
  role: 'hub' | 'agent',
  secrets: (string | undefined)[],
  checks: (config: Config, redis: RedisClient, prefix: string, redisHealth: RedisHealth) => ReadinessCheck[],
  slackPort: number | null = null,
): Promise<Common> {
  const config = await loadConfigFile(options.configFile);
  const ops = opsSettingsFrom(options.env, config.server.port);
  if (slackPort !== null && slackPort !== 0 && slackPort === ops.healthPort) {
    throw new ConfigError([`PORT and HEALTH_PORT (or server.port) are both ${slackPort}: Slack's endpoint and /livez, /readyz, /metrics need different ports`], 'environment variables');
  }
  const logger = createLogger({
    level: options.env.LOG_LEVEL ?? 'info',
    secrets: [...secrets, options.env.REDIS_PASSWORD, options.env.REDIS_SENTINEL_PASSWORD].filter((s): s is string => typeof s === 'string' && s !== ''),
    stdout: true,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  }).child({ role });
  const target = redisTargetFrom(config.redis, options.env);
  // Hash-tagged so that on a Redis Cluster every key of the deployment shares one slot (MULTI, Lua).
  const prefix = hashTagged(options.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor');
  const redis = createRedisClient(target, credentialsFrom(options.env), { lazyConnect: true });
  // Later outages are retried by ioredis and BullMQ; the health watch logs one line per change.
  const redisHealth = watchRedisHealth({ client: redis, logger: logger.child({ subsystem: 'redis' }) });
  try {
    await withTimeout(redis.connect(), 10_000);
    await redis.ping();
  } catch (err) {
    redisHealth.close();
    redis.disconnect();
    throw new AdvisorError('REDIS_UNREACHABLE', `cannot reach Redis at ${describeRedisTarget(target)}: ${errorMessage(err)}`, {
      hint: target.kind === 'single'
        ? 'set REDIS_URL to a reachable Redis (redis://host:6379, rediss:// for TLS; password in REDIS_PASSWORD)'
        : `check redis.${target.kind} in the config and REDIS_PASSWORD`,
    });
  }
  const metrics = createMetrics({ role, version: packageVersion() });
  // Up before the role starts (calendar refresh, Slack connect): liveness passes, readiness says what is missing.
  const health = createHealthServer({ port: ops.healthPort, host: ops.healthHost, checks: checks(config, redis, prefix, redisHealth), metrics, logger });
  let healthPort: number;
  try {
    ({ port: healthPort } = await health.start());
  } catch (err) {
    await close(redis, redisHealth);
    throw err;
  }
  return { config, logger, redis, prefix, redisHealth, ops, metrics, tracker: createJobTracker(), health, healthPort };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

function terminationSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'signal received');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
}

async function close(redis: RedisClient, health: RedisHealth): Promise<void> {
  health.close();
  await redis.quit().catch(() => redis.disconnect());
}
