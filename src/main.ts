/**
 * Composition root: the only module that reads the environment, opens Redis, loads kubeconfig
 * and starts Slack. `runHub` and `runAgent` resolve with an exit code once a SIGTERM/SIGINT has
 * shut everything down in order (Slack, workers, queues, then Redis).
 */
import { Redis } from 'ioredis';
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
import { loadBundledCalendar, refreshCalendar, type ReleaseCalendar } from './releases/index.ts';
import { createSnapshotStore } from './store/advisory-snapshots.ts';
import { createRedisFeedStateStore } from './store/feed-state.ts';
import { triage } from './triage/index.ts';
import { checksFor, verifyClusterOf } from './verify/targets.ts';

const DAY_MS = 86_400_000;

export interface RoleOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** Resolves to stop the role; default: the first SIGTERM or SIGINT. */
  stopSignal?: Promise<unknown>;
  /** Called once the role is up (tests, embedding). */
  onStarted?: (info: { port: number | null }) => void;
}

interface Common {
  config: Config;
  logger: Logger;
  redis: Redis;
  prefix: string;
}

/** What a hub replica does; all three by default. */
export const HUB_ROLES = ['slack', 'workers', 'schedule'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

export async function runHub(options: RoleOptions & { roles?: readonly HubRole[] }): Promise<number> {
  const env = options.env;
  const roles = new Set(options.roles ?? HUB_ROLES);
  const slack = slackOptionsFrom(env, { endpoint: roles.has('slack') });
  const common = await open(options, 'hub', [env.SLACK_BOT_TOKEN, env.SLACK_APP_TOKEN, env.SLACK_SIGNING_SECRET]);
  const { config, logger, redis, prefix } = common;

  const bundled = loadBundledCalendar();
  let calendar: ReleaseCalendar = bundled;
  const refresh = async () => {
    if (!config.releases.refresh) return;
    calendar = await refreshCalendar({ fetch: globalThis.fetch, url: config.releases.url, timeoutMs: 10_000, logger, bundled });
  };
  await refresh();
  const refreshTimer = setInterval(() => { void refresh(); }, DAY_MS);
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

  // Last good inventory per cluster: served (with its age) when a cluster cannot be read.
  const previous = new Map<string, ClusterInventory>();
  const triageFleet = async (advisories: Advisory[]) => {
    const now = new Date();
    const inventories = await collectInventories({
      config, now, logger, previous,
      readAgent: (cluster) => dispatcher.inventory(cluster.name),
    });
    for (const inv of inventories) if (inv.error === null) previous.set(inv.cluster, inv);
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
    windows: {}, // issue 11: maintenance window threads, reminders and gates
  });

  let port: number | null;
  try {
    ({ port } = await hub.start());
  } catch (err) {
    // A hub that cannot take Slack's requests (port in use, bad HOST, an app token Slack refuses)
    // stops whatever it started and exits 2 with the message; never a process with no endpoint.
    logger.error({ err: errorMessage(err) }, 'hub could not start');
    clearInterval(refreshTimer);
    await hub.stop().catch(() => undefined);
    await dispatcher.close().catch(() => undefined);
    await close(redis);
    throw err;
  }
  logger.info({ mode: slack.mode.kind, roles: [...roles], port, clusters: config.clusters.length, feed: config.feed.url }, 'hub started');
  options.onStarted?.({ port });
  await (options.stopSignal ?? terminationSignal(logger));
  logger.info('hub stopping');
  clearInterval(refreshTimer);
  await hub.stop();
  await dispatcher.close();
  await close(redis);
  return 0;
}

export async function runAgent(options: RoleOptions & { cluster: string; kubeconfig?: string; context?: string }): Promise<number> {
  const common = await open(options, 'agent', []);
  const { config, logger, redis, prefix } = common;
  const cluster = config.clusters.find((c) => c.name === options.cluster);
  if (!cluster) {
    await close(redis);
    throw new ConfigError([`--cluster: "${options.cluster}" is not one of ${config.clusters.map((c) => c.name).join(', ')}`], options.configFile);
  }
  if (cluster.versions !== undefined) {
    await close(redis);
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
    await close(redis);
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
  options.onStarted?.({ port: null });
  await (options.stopSignal ?? terminationSignal(logger));
  logger.info('agent stopping');
  await agent.close();
  await close(redis);
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

async function open(options: RoleOptions, role: 'hub' | 'agent', secrets: (string | undefined)[]): Promise<Common> {
  const config = await loadConfigFile(options.configFile);
  const logger = createLogger({
    level: options.env.LOG_LEVEL ?? 'info',
    secrets: secrets.filter((s): s is string => typeof s === 'string'),
    stdout: true,
  }).child({ role });
  const url = options.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = options.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor';
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  // Later outages are retried by ioredis and BullMQ; log them once per change, without the URL's password.
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  try {
    await withTimeout(redis.connect(), 10_000);
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new AdvisorError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)}: ${errorMessage(err)}`, { hint: 'set REDIS_URL to a reachable Redis (redis://host:6379)' });
  }
  return { config, logger, redis, prefix };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
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

async function close(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
