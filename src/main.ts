/**
 * Composition root: the only module that reads the environment, opens Redis, loads kubeconfig
 * and starts Slack. `runHub` and `runAgent` resolve with an exit code once a SIGTERM/SIGINT has
 * shut everything down in order (Slack, workers, queues, then Redis).
 */
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
import { createHub } from './hub/hub.ts';
import { createWatcherSource } from './hub/source.ts';
import { collectInventories } from './inventory/collect.ts';
import type { ClusterInventory } from './inventory/types.ts';
import { createKubeClient } from './kube/client.ts';
import { createLogger, type Logger } from './log.ts';
import { createReleaseCalendar, loadBundledCalendar, refreshCalendar, type ReleaseCalendar } from './releases/index.ts';
import { createWebClient } from './slack/web.ts';
import { createSnapshotStore } from './store/advisory-snapshots.ts';
import { createRedisFeedStateStore } from './store/feed-state.ts';
import { createPostStore } from './store/posts.ts';
import {
  createRedisClient, credentialsFrom, describeRedisTarget, hashTagged, redisTargetFrom, type RedisClient,
} from './store/redis-connection.ts';
import { createDataLossGuard } from './store/redis-data-loss.ts';
import { watchRedisHealth, type RedisHealth } from './store/redis-health.ts';
import { createLastGoodStore } from './store/redis-last-good.ts';
import { recoverPostsFromSlack, type HistoryPage } from './store/redis-post-recovery.ts';
import { triage } from './triage/index.ts';
import { checksFor, verifyClusterOf } from './verify/targets.ts';

const DAY_MS = 86_400_000;

export interface RoleOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** Resolves to stop the role; default: the first SIGTERM or SIGINT. */
  stopSignal?: Promise<unknown>;
  /** Where the JSON log goes (default stdout): tests and embedding. */
  logDestination?: DestinationStream;
  /** Called once the role is up (tests, embedding); `redisHealth` is what readiness reports. */
  onStarted?: (info: { port: number | null; redisHealth: RedisHealth }) => void;
}

interface Common {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  /** The deployment's key prefix as a hash tag (`{k8s-advisor}`): every store and queue in one Cluster slot. */
  prefix: string;
  /** Up/down of Redis for the process: one line per change, readiness. */
  redisHealth: RedisHealth;
}

/** What a hub replica does; all three by default. */
export const HUB_ROLES = ['slack', 'workers', 'schedule'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

export async function runHub(options: RoleOptions & { roles?: readonly HubRole[] }): Promise<number> {
  const env = options.env;
  const roles = new Set(options.roles ?? HUB_ROLES);
  const slack = slackOptionsFrom(env, { endpoint: roles.has('slack') });
  const common = await open(options, 'hub', [env.SLACK_BOT_TOKEN, env.SLACK_APP_TOKEN, env.SLACK_SIGNING_SECRET]);
  const { config, logger, redis, prefix, redisHealth } = common;
  const lastGood = createLastGoodStore({ redis, prefix });

  // The refreshed calendar lives in Redis with its read time: one replica's refresh serves every
  // replica (and a restarted hub) until it is a day old.
  const bundled = loadBundledCalendar();
  let calendar: ReleaseCalendar = bundled;
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

  // Last good inventory per cluster, in Redis: served (with its age) when a cluster cannot be
  // read, by whichever replica runs the triage, also after a restart.
  const triageFleet = async (advisories: Advisory[]) => {
    const now = new Date();
    const previous: Map<string, ClusterInventory> = await lastGood.inventories();
    const inventories = await collectInventories({
      config, now, logger, previous,
      readAgent: (cluster) => dispatcher.inventory(cluster.name),
    });
    await lastGood.saveInventories(inventories);
    return triage({ advisories, inventories, calendar, now });
  };

  const hub = createHub({
    config,
    logger,
    redis,
    prefix,
    slack,
    source: createWatcherSource({
      parseItem,
      createWatcher: (beforeCommit) => createFeedWatcher({
        store: createRedisFeedStateStore({ redis, prefix }),
        source: config.feed.url,
        logger,
        beforeCommit,
        fetchFeed: (src, o) => fetchFeed(src, { ...o, timeoutMs: config.feed.timeout, maxBytes: config.feed.maxBytes, logger }),
      }),
    }),
    triage: triageFleet,
    dispatcher,
    announceBacklog: config.slack.announceBacklog,
    retriageEveryMs: config.feed.retriage,
    roles: { slack: roles.has('slack'), workers: roles.has('workers'), schedule: roles.has('schedule') },
    redisHealth,
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
      posts: createPostStore({ redis, prefix }),
      channels: Object.values(config.slack.channels),
      logger,
    }),
    ...(env.K8S_ADVISOR_DATA_CHECK_MS ? { checkEveryMs: Math.max(100, Number(env.K8S_ADVISOR_DATA_CHECK_MS) || 15_000) } : {}),
  });
  await dataLoss.start();
  const onRedisChange = (up: boolean) => { if (up) void dataLoss.check(); };
  redis.on('ready', () => onRedisChange(redisHealth.isUp()));

  const { port } = await hub.start();
  logger.info({ mode: slack.mode.kind, roles: [...roles], port, clusters: config.clusters.length, feed: config.feed.url }, 'hub started');
  options.onStarted?.({ port, redisHealth });
  await (options.stopSignal ?? terminationSignal(logger));
  logger.info('hub stopping');
  clearInterval(refreshTimer);
  dataLoss.stop();
  await hub.stop();
  await dispatcher.close();
  await close(redis, redisHealth);
  return 0;
}

export async function runAgent(options: RoleOptions & { cluster: string; kubeconfig?: string; context?: string }): Promise<number> {
  const common = await open(options, 'agent', []);
  const { config, logger, redis, prefix, redisHealth } = common;
  const cluster = config.clusters.find((c) => c.name === options.cluster);
  if (!cluster) {
    await close(redis, redisHealth);
    throw new ConfigError([`--cluster: "${options.cluster}" is not one of ${config.clusters.map((c) => c.name).join(', ')}`], options.configFile);
  }
  if (cluster.versions !== undefined) {
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
    await close(redis, redisHealth);
    throw err;
  }
  const agent = await createAgentWorker({
    cluster: verifyClusterOf(cluster),
    connection: redis,
    prefix,
    kube,
    logger,
    checks: checksFor(config, cluster),
    probeTimeoutMs: config.verify.probeTimeout,
    calendar: loadBundledCalendar(),
  });
  logger.info({ cluster: cluster.name, queue: agent.queueName }, 'agent started');
  options.onStarted?.({ port: null, redisHealth });
  await (options.stopSignal ?? terminationSignal(logger));
  logger.info('agent stopping');
  await agent.close();
  await close(redis, redisHealth);
  return 0;
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
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT: "${env.PORT}" is not a port number (0 picks a free one)`);
    mode = { kind: 'http', signingSecret: env.SLACK_SIGNING_SECRET, port };
  } else {
    problems.push('set SLACK_APP_TOKEN (Socket Mode, xapp-…) or SLACK_SIGNING_SECRET and PORT (HTTP mode)');
  }
  if (problems.length > 0 || mode === null) throw new ConfigError(problems, 'environment variables');
  return { botToken, mode, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}) };
}

async function open(options: RoleOptions, role: 'hub' | 'agent', secrets: (string | undefined)[]): Promise<Common> {
  const config = await loadConfigFile(options.configFile);
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
  return { config, logger, redis, prefix, redisHealth };
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
