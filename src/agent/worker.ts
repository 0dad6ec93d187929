/**
 * An agent: consumes one cluster's verify and inventory jobs from that cluster's queue and
 * publishes a heartbeat while it runs. `k8s-advisor agent --cluster NAME` builds one of these with
 * in-cluster credentials; tests build one against the fake API server.
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { duplicateRedis, type RedisClient as Redis } from '../store/redis-connection.ts';
import { errorMessage } from '../errors.ts';
import { readInventory } from '../inventory/live.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_CHECKS, type FindingsProvider, type Probe, type SupportCalendar, type VerifyChecks, type VerifyCluster } from '../verify/context.ts';
import { startHeartbeat, type HeartbeatHandle } from './heartbeat.ts';
import { createClusterProcessor, type AgentJobLike, type ClusterJobResult, type InventoryReader } from './processor.ts';
import { agentQueueName } from './queue.ts';
import { createVerifyResultsStore, type VerifyResultsStore } from './results-store.ts';

export interface CreateAgentWorkerOptions {
  cluster: VerifyCluster;
  /** Redis for the queue, heartbeat and results (BullMQ duplicates it for blocking reads). */
  connection: Redis;
  /** Key prefix of the installation (every key and the BullMQ prefix). */
  prefix: string;
  kube: KubeClient;
  logger?: Logger;
  checks?: VerifyChecks;
  probeTimeoutMs?: number;
  calendar?: SupportCalendar | null;
  findings?: FindingsProvider | null;
  /** Default: a Redis store under `prefix`; null to not store runs. */
  store?: VerifyResultsStore | null;
  readInventory?: InventoryReader;
  probes?: readonly Probe[];
  /** Jobs at once; default 2 (a verify and an inventory side by side). */
  concurrency?: number;
  heartbeatIntervalMs?: number;
  heartbeatTtlMs?: number;
  /** Name in heartbeats; default the host name (the pod name in Kubernetes). */
  agentName?: string;
  version?: string;
}

export interface AgentWorker {
  readonly queueName: string;
  readonly worker: Worker;
  /** Stop taking jobs (finishing the current ones), stop the heartbeat. Does not close `connection`. */
  close(): Promise<void>;
}

export async function createAgentWorker(options: CreateAgentWorkerOptions): Promise<AgentWorker> {
  const queueName = agentQueueName(options.cluster.name);
  const log = options.logger?.child({ queue: queueName, cluster: options.cluster.name });
  const processor = createClusterProcessor({
    cluster: options.cluster,
    kube: options.kube,
    checks: options.checks ?? DEFAULT_CHECKS,
    ...(options.probeTimeoutMs !== undefined ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
    calendar: options.calendar ?? null,
    findings: options.findings ?? null,
    store: options.store === undefined ? createVerifyResultsStore({ redis: options.connection, prefix: options.prefix }) : options.store,
    readInventory: options.readInventory ?? readInventory,
    ...(options.probes ? { probes: options.probes } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const blocking = duplicateRedis(options.connection);
  // Never an unheard 'error' event on a Redis outage; the worker re-emits it ('agent worker error').
  blocking.on('error', (err: Error) => log?.debug({ err: errorMessage(err) }, 'agent redis connection error'));
  const worker = new Worker<unknown, ClusterJobResult>(queueName, (job) => processor(job as unknown as AgentJobLike), {
    connection: blocking,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 2,
    autorun: true,
  });
  worker.on('failed', (job, err) => log?.warn({ jobId: job?.id, job: job?.name, err: errorMessage(err) }, 'agent job failed'));
  worker.on('error', (err) => log?.error({ err: errorMessage(err) }, 'agent worker error'));
  await worker.waitUntilReady();

  let heartbeat: HeartbeatHandle;
  try {
    heartbeat = await startHeartbeat({
      redis: options.connection,
      prefix: options.prefix,
      cluster: options.cluster.name,
      agent: options.agentName ?? hostname(),
      ...(options.version ? { version: options.version } : {}),
      ...(options.heartbeatIntervalMs !== undefined ? { intervalMs: options.heartbeatIntervalMs } : {}),
      ...(options.heartbeatTtlMs !== undefined ? { ttlMs: options.heartbeatTtlMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (err) {
    await worker.close();
    await blocking.quit().catch(() => blocking.disconnect());
    throw err;
  }
  log?.info('agent serving');

  return {
    queueName,
    worker,
    async close() {
      await heartbeat.stop({ forget: true });
      await worker.close();
      await blocking.quit().catch(() => blocking.disconnect());
    },
  };
}
