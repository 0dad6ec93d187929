/**
 * The hub: Slack (HTTP or Socket Mode), the feed poll schedule, and the workers that triage and
 * post. Any number of hubs may run against one Redis:
 * - feed polling is one BullMQ job scheduler with a fixed id (every replica upserts the same one),
 *   so each tick runs once, on one replica; so is the fleet re-triage (`fleet-retriage`), which
 *   triages every known advisory again against the fleet as it is now and delivers what changed;
 * - posts are idempotent per advisory × channel (store/posts.ts claims + stored thread ts);
 * - nothing lives only in memory: a restarted hub resumes from Redis (stalled jobs are retried,
 *   unfinished posts reconciled against the channel history).
 *
 * This file only wires: the decisions are the stages' (feed/watcher.ts, hub/pipeline.ts,
 * notify/plan.ts), the I/O the workers' (queue/workers/).
 *
 * Only src/main.ts reads the environment; it builds these options, e.g.:
 *
 *   const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
 *   const calendar = loadBundledCalendar();
 *   const hub = createHub({
 *     config, logger, redis,
 *     slack: {
 *       botToken: env.SLACK_BOT_TOKEN, apiUrl: env.SLACK_API_URL,
 *       mode: env.SLACK_APP_TOKEN ? { kind: 'socket', appToken: env.SLACK_APP_TOKEN }
 *                                 : { kind: 'http', signingSecret: env.SLACK_SIGNING_SECRET, port: Number(env.PORT ?? 3000) },
 *     },
 *     // watch: poll returns a diff, commit saves it once the feed worker queued its deliveries.
 *     source: createWatcherSource({
 *       parseItem,
 *       watcher: createFeedWatcher({
 *         store: createRedisFeedStateStore({ redis, prefix }), source: config.feed.url,
 *         fetchFeed: (src, o) => fetchFeed(src, { ...o, timeoutMs: config.feed.timeout, maxBytes: config.feed.maxBytes, logger }),
 *       }),
 *     }),
 *     // triage: the fleet in chunks, findings streamed into the notify planner (hub/pipeline.ts).
 *     triage: (advisories, onFindings) => triageFleet({ config, advisories, calendar, now: new Date(), previous, onFindings }),
 *     // `/k8s verify` and the Verify button; without it both answer "not yet available".
 *     dispatcher: createClusterDispatcher({ connection: redis, prefix, config, logger, calendar }),
 *   });
 *   await hub.start();
 *   process.once('SIGTERM', () => void hub.stop().then(() => dispatcher.close()).then(() => redis.quit()));
 */
import { Queue, Worker } from 'bullmq';
import { duplicateRedis, type RedisClient as Redis } from '../store/redis-connection.ts';
import type { RedisHealth } from '../store/redis-health.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { FEED_SCHEDULER_ID, QUEUE_NAMES, RETRIAGE_SCHEDULER_ID, bullPrefix } from '../queue/names.ts';
import type { CommandJob, FeedPollJob, RetriageJob, SlackJob } from '../queue/payloads.ts';
import { DEFAULT_RETRY, type Producers, type Queues, type RetryPolicy, createProducers, jobOptions } from '../queue/producers.ts';
import { createCommandProcessor } from '../queue/workers/command-worker.ts';
import type { Verifier } from '../queue/workers/verify-worker.ts';
import { type AdvisorySource, type TriageFn, createFeedProcessor } from '../queue/workers/feed-worker.ts';
import { createRetriageProcessor } from '../queue/workers/retriage-worker.ts';
import { type RenderPool, createRenderPool } from '../queue/workers/render-pool.ts';
import { createSlackProcessor } from '../queue/workers/slack-worker.ts';
import { type SlackApp, type SlackMode, createSlackApp } from '../slack/app.ts';
import type { ListenerRegistry } from '../slack/listeners/types.ts';
import { createAuthorizer } from '../slack/middleware/authz.ts';
import { createResponder } from '../slack/respond.ts';
import { type SlackPaceConfig, createSlackPacer, pacedWebClient } from '../slack/pace.ts';
import { createSlackApi, createWebClient, toSlackError } from '../slack/web.ts';
import { createSnapshotStore } from '../store/advisory-snapshots.ts';
import { createAuditLog } from '../store/audit.ts';
import { createLock, createPostStore } from '../store/posts.ts';
import { createRiskAcceptanceStore, type RiskAcceptanceStore } from '../store/risk-acceptances.ts';
import { createSignoffStore } from '../store/signoff.ts';
import { createSignoffService, createSignoffSlack, type SignoffService } from '../signoff/service.ts';
import { errorMessage } from '../errors.ts';
import { createWindowStore } from '../store/windows.ts';
import { createWindowService, planFromSnapshots } from '../maintenance/service.ts';
import { createWindowRuntime, createWindowSlack, type WindowRuntime } from '../queue/workers/window-worker.ts';

export type { AdvisorySource, SourceBatch, TriageFn } from '../queue/workers/feed-worker.ts';
export { createWatcherSource, staticSource } from './source.ts';
export type { SlackMode } from '../slack/app.ts';

export interface HubSlackOptions {
  /** SLACK_BOT_TOKEN (xoxb-…). Never logged. */
  botToken: string;
  /** HTTP mode (SLACK_SIGNING_SECRET + PORT), Socket Mode (SLACK_APP_TOKEN), or `none` for a worker-only replica. */
  mode: SlackMode | { kind: 'none' };
  /** SLACK_API_URL: Web API base URL (default https://slack.com/api/). */
  apiUrl?: string;
}

export interface HubWorkerOptions {
  /** Jobs per worker processed at once (default 4 for slack, 1 for feed, 8 for commands). */
  slackConcurrency?: number;
  /** BullMQ job lock; a job whose worker died is retried once this lapses (default 30 000). */
  lockDurationMs?: number;
  /** How often BullMQ looks for stalled jobs (default 30 000). */
  stalledIntervalMs?: number;
  /** attempts + first exponential backoff delay for Slack jobs (default 8 attempts from 2 s). */
  retry?: RetryPolicy;
  /** A `posting` claim older than this (not held by the same job) is reconciled (default 2 × lock). */
  staleClaimMs?: number;
  /** Cluster rows in an advisory message before it summarises into the thread (default 15). */
  maxClusterRows?: number;
  /** Least time between two updates of one verification progress message (default 1000 ms). */
  verifyUpdateMs?: number;
  /** Threads rendering advisory messages off the main thread (default 1; 0 renders in-process). */
  renderThreads?: number;
  /** How often a worker replica looks for expired sign-off requests (default 30 000). */
  signoffSweepMs?: number;
}

export interface HubOptions {
  config: Config;
  logger: Logger;
  /** An ioredis connection (REDIS_URL). The hub only duplicates it (stores, queues, one per worker), closes its duplicates on stop, and leaves this one to the caller. */
  redis: Redis;
  /**
   * Prefix of every Redis key; BullMQ uses it as a hash tag (`{prefix}`, or the prefix itself when it
   * is one). On a Redis Cluster pass a hash-tagged prefix (main.ts does: `{k8s-advisor}`) so the
   * stores' keys share the queues' slot. Default "k8s-advisor".
   */
  prefix?: string;
  slack: HubSlackOptions;
  /** New or changed advisories since the last poll (see `createWatcherSource`). */
  source: AdvisorySource;
  /** Post the advisories of the source's first run (default false: a new install records the backlog silently). */
  announceBacklog?: boolean;
  /** Triage against the fleet (inventories, calendar, now bound by the caller). */
  triage: TriageFn;
  now?: () => Date;
  /** Feed poll interval; default config.feed.every. */
  pollEveryMs?: number;
  /**
   * Fleet re-triage interval: every known advisory triaged again with fresh inventories, so
   * upgrades, lagging node pools, new and end-of-life clusters reach the threads. Default
   * config.feed.retriage (1 h).
   */
  retriageEveryMs?: number;
  /** What this replica does (all true by default). */
  roles?: { slack?: boolean; workers?: boolean; schedule?: boolean };
  workers?: HubWorkerOptions;
  /**
   * Runs verification (`createClusterDispatcher` fits; only `verify` is used). With it,
   * `/k8s verify` and the advisory's Verify button queue a verification; without it they answer
   * "not yet available". The hub never closes it: the caller does, after `hub.stop()`.
   * Give it to every replica: the listener queues, any replica's worker runs the job.
   */
  dispatcher?: Verifier;
  /** Called with every worker the hub creates, before it runs (metrics, shutdown tracking). */
  onWorker?: (worker: Worker) => void;
  /** Redis up/down for the process: queue and worker connection errors are counted there instead of logged one by one. */
  redisHealth?: Pick<RedisHealth, 'connectionError'>;
  /** Issue 11: run maintenance windows (threads, reminders, gates, open/close); off unless given. */
  windows?: { tickEveryMs?: number; lockDurationMs?: number };
  /** Pace advisory posts and updates across replicas (main.ts passes config.slack.pace); without it only Slack's 429s pace them. */
  pace?: SlackPaceConfig;
}

export interface Hub {
  start(): Promise<{ port: number | null }>;
  /** Stop receiving, then close workers, queues and the hub's own Redis connections. Idempotent. */
  stop(): Promise<void>;
  /** Queue one feed poll now (runs on whichever replica picks it up). */
  pollNow(): Promise<void>;
  /** Queue one fleet re-triage now (runs on whichever replica picks it up). */
  retriageNow(): Promise<void>;
  /** Create (or keep) the feed poll and re-triage job schedulers; a no-op without the schedule role. After Redis lost its data, this brings polling back. */
  schedule(): Promise<void>;
  /** Listeners registered (empty when slack mode is "none"). */
  registry: ListenerRegistry;
  /** Sign-off requests in window threads (maintenance windows open them). */
  signoff: SignoffService;
  risks: RiskAcceptanceStore;
  queues: Queues;
  producers: Producers;
  /** Slack receiver state for readiness; null when this replica has no Slack endpoint. */
  slackState(): ReturnType<SlackApp['state']> | null;
  /** The window runtime when `windows` was given (issue 11). */
  windows: WindowRuntime | null;
}

export function createHub(options: HubOptions): Hub {
  const prefix = options.prefix ?? 'k8s-advisor';
  const now = options.now ?? (() => new Date());
  const log = options.logger.child({ subsystem: 'hub' });
  const w = options.workers ?? {};
  const retry = w.retry ?? DEFAULT_RETRY;
  const lockDuration = w.lockDurationMs ?? 30_000;
  const roles = { slack: true, workers: true, schedule: true, ...options.roles };

  const connections: Redis[] = [];
  const conn = (autoPipeline = false, offlineQueue = true) => {
    const c = duplicateRedis(options.redis, { autoPipelining: autoPipeline, offlineQueue });
    // Never an unheard 'error' event on a Redis outage (ioredis reconnects by itself); the queues
    // and workers re-emit it and log it at error level, so the connection only logs at debug.
    c.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
    connections.push(c);
    return c;
  };
  // Stores use one auto-pipelined connection, producers another (below): under a burst of slash
  // commands the audit XADDs, and the job adds, of many requests go out in one write each (syscalls
  // dominate the ack path). Two, not one: stores wait out an outage, producers must not.
  const storeRedis = conn(true);
  const posts = createPostStore({ redis: storeRedis, prefix, staleMs: w.staleClaimMs ?? 2 * lockDuration, now: () => now().getTime() });
  const lock = createLock({ redis: storeRedis, prefix });
  const snapshots = createSnapshotStore({ redis: storeRedis, prefix });
  const audit = createAuditLog({ redis: storeRedis, prefix, now });
  // Issue 11: stored maintenance windows, planned from the latest triage snapshots.
  const windows = createWindowService({
    store: createWindowStore({ redis: storeRedis, prefix }), config: options.config, now,
    planFor: planFromSnapshots(snapshots, options.config, now),
  });

  // Producers fail fast during an outage (no offline queue): a slash command answers "Redis is
  // unavailable" at once instead of waiting for Redis with the user's request.
  const producerRedis = conn(true, false);
  const queueOpts = { connection: producerRedis, prefix: bullPrefix(prefix) };
  const queues: Queues = {
    feed: new Queue<FeedPollJob>(QUEUE_NAMES.feed, queueOpts),
    retriage: new Queue<RetriageJob>(QUEUE_NAMES.retriage, queueOpts),
    slack: new Queue<SlackJob>(QUEUE_NAMES.slack, queueOpts),
    commands: new Queue<CommandJob>(QUEUE_NAMES.commands, queueOpts),
  };
  const redisDown = (err: unknown) => options.redisHealth?.connectionError(err) === true;
  for (const q of Object.values(queues)) q.on('error', (err: Error) => { if (!redisDown(err)) log.error({ err: err.message }, 'queue error'); });
  const producers = createProducers(queues, retry);

  const web = createWebClient({ token: options.slack.botToken, logger: options.logger, ...(options.slack.apiUrl ? { apiUrl: options.slack.apiUrl } : {}) });
  const slackApi = createSlackApi(web);
  // One pace for every replica and every message: the deliver jobs wait as delayed jobs; the few
  // other messages (window threads, sign-off, verification progress, thread replies) wait in-process.
  const pacer = options.pace ? createSlackPacer({ redis: storeRedis, prefix, pace: options.pace }) : undefined;
  const pacedWeb = pacer ? pacedWebClient(web, { pacer }) : web;
  const verifySlack = pacer ? createSlackApi(pacedWeb) : slackApi;
  const respond = createResponder(options.slack.apiUrl ? { apiUrl: options.slack.apiUrl } : {});
  const authz = createAuthorizer({
    config: options.config,
    logger: options.logger,
    resolveUsergroup: async (id) => {
      try {
        const res = await web.usergroups.users.list({ usergroup: id });
        return res.users ?? [];
      } catch (err) {
        throw toSlackError(err, 'usergroups.users.list');
      }
    },
  });

  // Sign-off (window threads) and accepted risks; the service does the Slack I/O around the atomic store.
  const signoffStore = createSignoffStore({ redis: storeRedis, prefix, now });
  const risks = createRiskAcceptanceStore({ redis: storeRedis, prefix });
  const signoff = createSignoffService({
    config: options.config, store: signoffStore, slack: createSignoffSlack(pacedWeb), logger: options.logger,
    rolesOf: (user) => authz.rolesOf(user), now,
  });

  // Issue 11: window threads, reminders and gates (src/queue/workers/window-worker.ts).
  const windowRuntime = options.windows === undefined ? null : createWindowRuntime({
    config: options.config, logger: options.logger, prefix, connection: () => conn(),
    store: createWindowStore({ redis: storeRedis, prefix }), service: windows, slack: createWindowSlack(pacedWeb, toSlackError), snapshots,
    planFor: planFromSnapshots(snapshots, options.config, now), now,
    ...(options.dispatcher ? { verify: (cluster: string) => (options.dispatcher as Verifier).verify(cluster) } : {}),
    ...(options.windows.tickEveryMs === undefined ? {} : { tickEveryMs: options.windows.tickEveryMs }),
    lockDurationMs: options.windows.lockDurationMs ?? lockDuration,
    signoff, redisDown,
  });

  let slackApp: SlackApp | null = null;
  let registry: ListenerRegistry = { commands: [], actions: [], events: [], views: [] };
  const mode = options.slack.mode;
  if (roles.slack && mode.kind !== 'none') {
    slackApp = createSlackApp({
      botToken: options.slack.botToken,
      mode,
      logger: options.logger,
      ...(options.slack.apiUrl ? { apiUrl: options.slack.apiUrl } : {}),
      deps: {
        config: options.config, logger: options.logger, authz, audit, producers, posts, snapshots, respond, now,
        verifyEnabled: options.dispatcher !== undefined,
        signoff, signoffStore, risks,
        postInThread: async (channel, threadTs, message) => {
          try {
            await pacedWeb.chat.postMessage({ channel, thread_ts: threadTs, text: message.text, blocks: message.blocks });
          } catch (err) {
            throw toSlackError(err, 'chat.postMessage');
          }
        },
        windows,
        publishHome: async (user, view) => {
          try {
            await web.views.publish({ user_id: user, view });
          } catch (err) {
            throw toSlackError(err, 'views.publish');
          }
        },
      },
    });
    registry = slackApp.registry;
  }

  const workers: Worker[] = [];
  const workerOpts = (concurrency: number) => ({
    connection: conn(),
    prefix: bullPrefix(prefix),
    concurrency,
    lockDuration,
    stalledInterval: w.stalledIntervalMs ?? 30_000,
    maxStalledCount: 3,
    autorun: false,
  });

  let started = false;
  let stopping: Promise<void> | null = null;
  let renderPool: RenderPool | null = null;

  const schedule = async () => {
    if (!roles.schedule) return;
    const every = options.pollEveryMs ?? options.config.feed.every;
    await queues.feed.upsertJobScheduler(FEED_SCHEDULER_ID, { every }, {
      name: 'poll', data: { reason: 'schedule' }, opts: { ...jobOptions({ attempts: 3, backoffMs: 5_000 }) },
    });
    const retriageEvery = options.retriageEveryMs ?? options.config.feed.retriage;
    await queues.retriage.upsertJobScheduler(RETRIAGE_SCHEDULER_ID, { every: retriageEvery }, {
      name: 'retriage', data: { reason: 'schedule' }, opts: { ...jobOptions({ attempts: 3, backoffMs: 5_000 }) },
    });
    log.info({ every, retriageEvery }, 'feed poll and fleet retriage scheduled');
  };
  let sweep: NodeJS.Timeout | null = null;

  return {
    registry,
    signoff,
    risks,
    queues,
    producers,
    slackState: () => slackApp?.state() ?? null,
    windows: windowRuntime,
    async pollNow() {
      await producers.pollNow();
    },
    async retriageNow() {
      await producers.retriageNow();
    },
    schedule,
    async start() {
      if (started) throw new Error('hub already started');
      started = true;
      if (roles.workers) {
        const feedWorker = new Worker(QUEUE_NAMES.feed, createFeedProcessor({
          config: options.config, source: options.source, triage: options.triage, snapshots, posts, producers, logger: options.logger, now,
          announceBacklog: options.announceBacklog ?? false,
        }), workerOpts(1));
        const retriageWorker = new Worker(QUEUE_NAMES.retriage, createRetriageProcessor({
          config: options.config, triage: options.triage, snapshots, posts, producers, logger: options.logger, now,
        }), workerOpts(1));
        renderPool = createRenderPool({ threads: w.renderThreads ?? 1 });
        renderPool.warm();
        const slackWorker = new Worker(QUEUE_NAMES.slack, createSlackProcessor({
          config: options.config, slack: slackApi, posts, lock, snapshots, logger: options.logger, render: renderPool,
          ...(pacer ? { pace: pacer } : {}),
          ...(w.maxClusterRows ? { maxClusterRows: w.maxClusterRows } : {}),
        }), workerOpts(w.slackConcurrency ?? 4));
        const commandWorker = new Worker(QUEUE_NAMES.commands, createCommandProcessor({
          config: options.config, snapshots, respond, logger: options.logger,
          ...(options.dispatcher ? {
            verify: {
              verifier: options.dispatcher, slack: verifySlack, audit, now,
              ...(w.verifyUpdateMs !== undefined ? { updateEveryMs: w.verifyUpdateMs } : {}),
            },
          } : {}),
        }), workerOpts(8));
        for (const worker of [feedWorker, retriageWorker, slackWorker, commandWorker]) {
          worker.on('error', (err) => { if (!redisDown(err)) log.error({ err: err.message, queue: worker.name }, 'worker error'); });
          worker.on('failed', (job, err) => {
            const final = job !== undefined && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError');
            log[final ? 'error' : 'warn']({ queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, reason: err.message, final }, final ? 'job failed for good' : 'job failed; will retry');
          });
          workers.push(worker);
          options.onWorker?.(worker);
          void worker.run().catch((err: unknown) => log.error({ err, queue: worker.name }, 'worker stopped'));
        }
      }
      if (roles.workers) {
        // Every worker replica sweeps; the store's transaction lets exactly one expire each request.
        sweep = setInterval(() => {
          void signoff.expireDue().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'sign-off expiry sweep failed'));
        }, w.signoffSweepMs ?? 30_000);
        sweep.unref();
      }
      if (windowRuntime !== null && roles.workers) windowRuntime.work();
      if (windowRuntime !== null && roles.schedule) await windowRuntime.schedule();
      await schedule();
      const res = slackApp ? await slackApp.start() : { port: null };
      log.info({ port: res.port, mode: mode.kind, workers: roles.workers }, 'hub started');
      return res;
    },
    stop() {
      stopping ??= (async () => {
        if (sweep) clearInterval(sweep);
        if (slackApp && started) await slackApp.stop().catch((err: unknown) => log.warn({ err }, 'slack stop failed'));
        await Promise.all(workers.map((wk) => wk.close()));
        await renderPool?.close();
        if (windowRuntime !== null) await windowRuntime.close();
        await Promise.all(Object.values(queues).map((q) => q.close()));
        await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
        log.info('hub stopped');
      })();
      return stopping;
    },
  };
}
