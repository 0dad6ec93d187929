/**
 * Prometheus metrics of one process. `createMetrics` builds a fresh registry with every metric
 * the bot exports: nothing is registered in prom-client's global default registry, so two roles
 * (or two tests) in one process never share or clash.
 *
 * Naming follows Prometheus conventions: `k8s_advisor_` namespace, units in names (`_seconds`),
 * counters end in `_total`. Labels are bounded: queue names, feed error codes, parse confidence,
 * channel ids and cluster names from the config, probe ids and statuses. Never a CVE id or a user.
 *
 * Gauges that describe state (queue depths, agent heartbeats, data ages, windows, sign-offs) are
 * read at scrape time from sources the composition root plugs in with `readFrom`; a source that
 * is not plugged in exports no series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'k8s_advisor_';

export type FeedPollResult = 'modified' | 'not_modified' | 'error';

export interface QueueCounts {
  queue: string;
  /** BullMQ job counts by state (waiting, active, delayed, failed, …). */
  counts: Record<string, number>;
}

export interface AgentSeen {
  cluster: string;
  alive: boolean;
  lastSeenAt: Date | null;
}

export interface InventoryAge {
  cluster: string;
  collectedAt: Date;
}

/** Where the state gauges read from at scrape time; each is optional. */
export interface GaugeSources {
  queues: () => Promise<QueueCounts[]>;
  agents: () => Promise<AgentSeen[]>;
  /** When the release calendar's data was taken (its "as of"). */
  releaseAsOf: () => Date | null;
  inventories: () => InventoryAge[];
  /** Last successful feed fetch by any replica (shared through Redis). */
  feedLastSuccess: () => Promise<Date | null>;
  /** Maintenance windows by state; empty until windows are stored. */
  windows: () => Promise<Record<string, number>>;
  /** Sign-offs by state; empty until sign-offs are stored. */
  signoffs: () => Promise<Record<string, number>>;
  /** Agent role: when the served cluster's API server last answered. */
  clusterLastContact: () => { cluster: string; at: Date | null };
}

export interface CreateMetricsOptions {
  role: 'hub' | 'agent';
  version: string;
  /** Node.js process metrics (CPU, memory, event loop); default true. */
  processMetrics?: boolean;
  now?: () => Date;
}

export interface Metrics {
  readonly registry: Registry;
  readonly feedPolls: Counter<'result'>;
  readonly feedErrors: Counter<'code'>;
  readonly advisoriesParsed: Counter<'confidence'>;
  readonly slackDeliveries: Counter<'channel' | 'result'>;
  readonly slackDeliveryFailures: Counter<'channel'>;
  readonly jobDuration: Histogram<'queue' | 'outcome'>;
  readonly jobFailures: Counter<'queue' | 'final'>;
  readonly probeDuration: Histogram<'probe'>;
  readonly probeResults: Counter<'probe' | 'status'>;
  readonly verifyRuns: Counter<'cluster' | 'status'>;
  /** Plug in (or replace) state sources for the scrape-time gauges. */
  readFrom(sources: Partial<GaugeSources>): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const seconds = (d: Date) => d.getTime() / 1000;

/** A source that fails (Redis down) leaves its gauge empty for this scrape instead of failing /metrics. */
async function read<T>(fn: (() => Promise<T> | T) | undefined): Promise<T | null> {
  if (!fn) return null;
  try {
    return await fn();
  } catch {
    return null;
  }
}

export function createMetrics(options: CreateMetricsOptions): Metrics {
  const registry = new Registry();
  const now = options.now ?? (() => new Date());
  const registers = [registry];
  const sources: Partial<GaugeSources> = {};
  const name = (n: string) => `${METRIC_PREFIX}${n}`;

  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  new Gauge({ name: name('build_info'), help: 'Version and role of this process (always 1).', labelNames: ['version', 'role'], registers })
    .set({ version: options.version, role: options.role }, 1);

  const feedPolls = new Counter({ name: name('feed_polls_total'), help: 'Feed fetches by result: modified, not_modified (HTTP 304), error.', labelNames: ['result'], registers });
  const feedErrors = new Counter({ name: name('feed_errors_total'), help: 'Failed feed fetches by error code (FEED_HTTP, FEED_TIMEOUT, …).', labelNames: ['code'], registers });
  const advisoriesParsed = new Counter({ name: name('advisories_parsed_total'), help: 'New or changed advisories parsed, by parse confidence.', labelNames: ['confidence'], registers });
  const slackDeliveries = new Counter({ name: name('slack_deliveries_total'), help: 'Slack delivery jobs done, by channel and result (posted, updated, up_to_date, not_relevant, acknowledged).', labelNames: ['channel', 'result'], registers });
  const slackDeliveryFailures = new Counter({ name: name('slack_delivery_failures_total'), help: 'Slack delivery jobs that failed for good (no retry left), by channel.', labelNames: ['channel'], registers });
  const jobDuration = new Histogram({
    name: name('job_duration_seconds'), help: 'Time a worker spent on a job attempt, by queue and outcome (completed, failed).',
    labelNames: ['queue', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers,
  });
  const jobFailures = new Counter({ name: name('job_failures_total'), help: 'Failed job attempts by queue; final="true" when no retry is left.', labelNames: ['queue', 'final'], registers });
  const probeDuration = new Histogram({
    name: name('probe_duration_seconds'), help: 'Verification probe run time, by probe.',
    labelNames: ['probe'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
  });
  const probeResults = new Counter({ name: name('probe_results_total'), help: 'Verification probe results, by probe and status (pass, warn, fail, skip, error).', labelNames: ['probe', 'status'], registers });
  const verifyRuns = new Counter({ name: name('verify_runs_total'), help: 'Cluster verifications, by cluster and worst probe status.', labelNames: ['cluster', 'status'], registers });

  new Gauge({
    name: name('queue_jobs'), help: 'Jobs in each queue by state (waiting, active, delayed, failed, …).', labelNames: ['queue', 'state'], registers,
    async collect() {
      this.reset();
      for (const q of await read(sources.queues) ?? []) {
        for (const [state, n] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, n);
      }
    },
  });
  new Gauge({
    name: name('feed_last_success_timestamp_seconds'), help: 'Unix time of the last successful feed fetch (any replica).', registers,
    async collect() {
      this.reset();
      const at = await read(sources.feedLastSuccess);
      if (at) this.set(seconds(at));
    },
  });
  new Gauge({
    name: name('release_data_age_seconds'), help: 'Age of the release calendar data (endoflife.date or the bundled snapshot).', registers,
    collect() {
      this.reset();
      const asOf = sources.releaseAsOf?.();
      if (asOf) this.set(Math.max(0, (now().getTime() - asOf.getTime()) / 1000));
    },
  });
  new Gauge({
    name: name('inventory_age_seconds'), help: 'Age of the last good inventory of each cluster.', labelNames: ['cluster'], registers,
    collect() {
      this.reset();
      for (const inv of sources.inventories?.() ?? []) this.set({ cluster: inv.cluster }, Math.max(0, (now().getTime() - inv.collectedAt.getTime()) / 1000));
    },
  });
  const agentUp = new Gauge({ name: name('agent_up'), help: '1 while the agent of a cluster has a live heartbeat, else 0.', labelNames: ['cluster'], registers });
  new Gauge({
    name: name('agent_last_heartbeat_timestamp_seconds'), help: 'Unix time of the last heartbeat seen from the agent of a cluster.', labelNames: ['cluster'], registers,
    async collect() {
      this.reset();
      agentUp.reset();
      for (const a of await read(sources.agents) ?? []) {
        agentUp.set({ cluster: a.cluster }, a.alive ? 1 : 0);
        if (a.lastSeenAt) this.set({ cluster: a.cluster }, seconds(a.lastSeenAt));
      }
    },
  });
  new Gauge({
    name: name('cluster_last_contact_timestamp_seconds'), help: 'Agent: Unix time the served cluster\'s API server last answered.', labelNames: ['cluster'], registers,
    collect() {
      this.reset();
      const c = sources.clusterLastContact?.();
      if (c?.at) this.set({ cluster: c.cluster }, seconds(c.at));
    },
  });
  new Gauge({
    name: name('maintenance_windows'), help: 'Stored maintenance windows by state.', labelNames: ['state'], registers,
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries(await read(sources.windows) ?? {})) this.set({ state }, n);
    },
  });
  new Gauge({
    name: name('signoffs'), help: 'Sign-offs by state.', labelNames: ['state'], registers,
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries(await read(sources.signoffs) ?? {})) this.set({ state }, n);
    },
  });

  return {
    registry, feedPolls, feedErrors, advisoriesParsed, slackDeliveries, slackDeliveryFailures,
    jobDuration, jobFailures, probeDuration, probeResults, verifyRuns,
    readFrom(more) {
      Object.assign(sources, more);
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
