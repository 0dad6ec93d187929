/**
 * Hub side: `verify(cluster)` / `inventory(cluster)` for any cluster of the config. Agent clusters
 * go through their queue (after a heartbeat check, with a deadline); direct clusters (kubeconfig /
 * inCluster) run the same processor in-process; static clusters answer from config.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { duplicateRedis, type RedisClient as Redis } from '../store/redis-connection.ts';
import type { ClusterConfig, Config } from '../config/schema.ts';
import { AdvisorError, ClusterAccessError, errorMessage } from '../errors.ts';
import { readInventory as readLiveInventory } from '../inventory/live.ts';
import { staticInventory } from '../inventory/static.ts';
import type { ClusterInventory } from '../inventory/types.ts';
import { createKubeClient, type KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import type { FindingsProvider, Probe, SupportCalendar } from '../verify/context.ts';
import { mapLimit } from '../verify/pool.ts';
import { STATIC_VERSIONS_REASON, uniformReport } from '../verify/runner.ts';
import { checksFor, resolveTarget, verifyClusterOf } from '../verify/targets.ts';
import type { VerifyReport, VerifyTargetReport } from '../verify/types.ts';
import { missingAgentMessage, readAgentStatus, type AgentStatus } from './heartbeat.ts';
import { createClusterProcessor, type AgentJobLike, type ClusterJobResult, type InventoryReader, type ProbeProgress } from './processor.ts';
import { agentJobId, agentQueueName, type AgentJobData, type AgentJobName } from './queue.ts';
import { createVerifyResultsStore, verifyReportSchema, type VerifyResultsStore } from './results-store.ts';

export type ProgressHandler = (progress: ProbeProgress) => void | Promise<void>;

export interface DispatchOptions {
  onProgress?: ProgressHandler;
  requestedBy?: string;
}

export interface CreateClusterDispatcherOptions {
  connection: Redis;
  prefix: string;
  config: Config;
  logger?: Logger;
  /** Client for a direct cluster; default createKubeClient with verify.probeTimeout. */
  kubeFor?: (cluster: ClusterConfig) => KubeClient;
  calendar?: SupportCalendar | null;
  findings?: FindingsProvider | null;
  /** Default: the Redis store under `prefix`; null: do not store or compare. */
  store?: VerifyResultsStore | null;
  readInventory?: InventoryReader;
  probes?: readonly Probe[];
  /** How long to wait for an agent's answer; default 2 × probe timeout + 10 s. */
  agentTimeoutMs?: number;
  now?: () => Date;
}

export interface ClusterDispatcher {
  verify(cluster: string, options?: DispatchOptions): Promise<VerifyReport>;
  /** A cluster or every cluster of an environment, at most verify.concurrency at once. */
  verifyTarget(target: string, options?: DispatchOptions): Promise<VerifyTargetReport>;
  /** Throws AgentUnavailableError when the agent is missing or silent. */
  inventory(cluster: string): Promise<ClusterInventory>;
  agentStatus(cluster: string): Promise<AgentStatus>;
  close(): Promise<void>;
}

export type AgentErrorCode = 'AGENT_MISSING' | 'AGENT_TIMEOUT' | 'AGENT_FAILED';

export class AgentUnavailableError extends AdvisorError {
  readonly cluster: string;
  constructor(code: AgentErrorCode, cluster: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, hint: `start or check the agent: k8s-advisor agent --config FILE --cluster ${cluster}` });
    this.cluster = cluster;
  }
}

export function createClusterDispatcher(options: CreateClusterDispatcherOptions): ClusterDispatcher {
  const { config, prefix, connection } = options;
  const log = options.logger?.child({ subsystem: 'dispatcher' });
  const now = options.now ?? (() => new Date());
  const probeTimeoutMs = config.verify.probeTimeout;
  const agentTimeoutMs = options.agentTimeoutMs ?? probeTimeoutMs * 2 + 10_000;
  const store = options.store === undefined ? createVerifyResultsStore({ redis: connection, prefix }) : options.store;
  const kubeFor = options.kubeFor ?? ((c: ClusterConfig) => createKubeClient({ cluster: c, timeoutMs: probeTimeoutMs, ...(options.logger ? { logger: options.logger } : {}) }));

  const queues = new Map<string, { queue: Queue; events: QueueEvents; eventsConnection: Redis; ready: Promise<void> }>();
  const processors = new Map<string, (job: AgentJobLike) => Promise<ClusterJobResult>>();

  const findCluster = (name: string): ClusterConfig => {
    const c = config.clusters.find((x) => x.name === name);
    if (!c) resolveTarget(config, name); // throws UsageError listing valid names
    return c as ClusterConfig;
  };

  const queueFor = (cluster: string) => {
    let q = queues.get(cluster);
    if (!q) {
      const name = agentQueueName(cluster);
      const eventsConnection = duplicateRedis(connection);
      const queue = new Queue(name, { connection, prefix });
      const events = new QueueEvents(name, { connection: eventsConnection, prefix });
      events.setMaxListeners(0);
      // A Redis outage is logged and retried, never an unheard 'error' event (which throws or
      // prints "[ioredis] Unhandled error event"). BullMQ re-emits connection errors on the queue
      // and events objects, so the raw connection only logs at debug.
      eventsConnection.on('error', (err: Error) => log?.debug({ cluster, err: errorMessage(err) }, 'agent events connection error'));
      const onError = (source: string) => (err: Error) => log?.warn({ cluster, source, err: errorMessage(err) }, 'agent queue error');
      queue.on('error', onError('queue'));
      events.on('error', onError('events'));
      q = { queue, events, eventsConnection, ready: Promise.all([queue.waitUntilReady(), events.waitUntilReady()]).then(() => undefined) };
      queues.set(cluster, q);
    }
    return q;
  };

  const processorFor = (cluster: ClusterConfig) => {
    let p = processors.get(cluster.name);
    if (!p) {
      p = createClusterProcessor({
        cluster: verifyClusterOf(cluster),
        kube: kubeFor(cluster),
        checks: checksFor(config, cluster),
        probeTimeoutMs,
        calendar: options.calendar ?? null,
        findings: options.findings ?? null,
        store,
        readInventory: options.readInventory ?? readLiveInventory,
        ...(options.probes ? { probes: options.probes } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      processors.set(cluster.name, p);
    }
    return p;
  };

  const jobData = (cluster: string, dispatch: DispatchOptions): AgentJobData => ({
    cluster,
    requestedAt: now().toISOString(),
    ...(dispatch.requestedBy ? { requestedBy: dispatch.requestedBy } : {}),
  });

  /** Through the agent's queue: heartbeat check, enqueue, relay progress, wait with a deadline. */
  const viaAgent = async (kind: AgentJobName, cluster: string, dispatch: DispatchOptions): Promise<unknown> => {
    const status = await readAgentStatus(connection, prefix, cluster);
    if (!status.alive) throw new AgentUnavailableError('AGENT_MISSING', cluster, missingAgentMessage(status));
    const { queue, events, ready } = queueFor(cluster);
    await ready;
    const jobId = agentJobId(kind, cluster, randomUUID().slice(0, 12));
    const onProgress = ({ jobId: id, data }: { jobId: string; data: unknown }) => {
      if (id !== jobId || !dispatch.onProgress || typeof data !== 'object' || data === null || !('probe' in data)) return;
      Promise.resolve(dispatch.onProgress(data as ProbeProgress)).catch((err: unknown) => log?.warn({ cluster, err: errorMessage(err) }, 'progress handler failed'));
    };
    events.on('progress', onProgress);
    let timer: NodeJS.Timeout | undefined;
    try {
      const job = await queue.add(kind, jobData(cluster, dispatch), {
        jobId, attempts: 1, removeOnComplete: { age: 3600, count: 200 }, removeOnFail: { age: 24 * 3600, count: 200 },
      });
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AgentUnavailableError('AGENT_TIMEOUT', cluster,
          `the agent for ${cluster} (last heartbeat ${status.lastSeen?.at ?? 'unknown'} from ${status.lastSeen?.agent ?? 'unknown'}) did not answer within ${agentTimeoutMs < 10_000 ? `${agentTimeoutMs} ms` : `${Math.round(agentTimeoutMs / 1000)} s`}`)), agentTimeoutMs);
      });
      try {
        return await Promise.race([job.waitUntilFinished(events, agentTimeoutMs + 1000), deadline]);
      } catch (err) {
        if (err instanceof AgentUnavailableError) {
          // Do not let a late agent run a stale request.
          await job.remove().catch(() => undefined);
          throw err;
        }
        throw new AgentUnavailableError('AGENT_FAILED', cluster, `the agent for ${cluster} failed the ${kind} job: ${errorMessage(err)}`, { cause: err });
      }
    } finally {
      clearTimeout(timer);
      events.off('progress', onProgress);
    }
  };

  const inProcess = (cluster: ClusterConfig, kind: AgentJobName, dispatch: DispatchOptions): Promise<ClusterJobResult> =>
    processorFor(cluster)({
      name: kind,
      data: jobData(cluster.name, dispatch),
      updateProgress: async (p) => {
        await dispatch.onProgress?.(p);
      },
    });

  const verify = async (name: string, dispatch: DispatchOptions = {}): Promise<VerifyReport> => {
    const cluster = findCluster(name);
    const vc = verifyClusterOf(cluster);
    if (cluster.versions !== undefined) return uniformReport(vc, 'skip', STATIC_VERSIONS_REASON, { now: now(), ...(options.probes ? { probes: options.probes } : {}) });
    try {
      if (cluster.agent === true) {
        const result = await viaAgent('verify', cluster.name, dispatch);
        return verifyReportSchema.parse(result) as VerifyReport;
      }
      return (await inProcess(cluster, 'verify', dispatch)) as VerifyReport;
    } catch (err) {
      if (err instanceof AgentUnavailableError || err instanceof ClusterAccessError) {
        log?.warn({ cluster: name, code: err.code, err: err.message }, 'cluster not verified');
        return uniformReport(vc, 'error', err.message, { now: now(), error: { code: err.code, message: err.message }, ...(options.probes ? { probes: options.probes } : {}) });
      }
      throw err;
    }
  };

  return {
    verify,
    async verifyTarget(target, dispatch = {}) {
      const resolved = resolveTarget(config, target);
      const results = await mapLimit(resolved.clusters, config.verify.concurrency, (c) => verify(c.name, dispatch));
      return { target, results };
    },
    async inventory(name) {
      const cluster = findCluster(name);
      if (cluster.versions !== undefined) return staticInventory(cluster, now());
      if (cluster.agent === true) return (await viaAgent('inventory', cluster.name, {})) as ClusterInventory;
      return (await inProcess(cluster, 'inventory', {})) as ClusterInventory;
    },
    agentStatus: (cluster) => readAgentStatus(connection, prefix, cluster),
    async close() {
      const all = [...queues.values()];
      queues.clear();
      await Promise.all(all.map((q) => q.events.close().catch(() => undefined)));
      await Promise.all(all.map((q) => q.queue.close().catch(() => undefined)));
      await Promise.all(all.map((q) => q.eventsConnection.quit().catch(() => q.eventsConnection.disconnect())));
    },
  };
}
