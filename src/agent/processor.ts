/**
 * The one code path for a cluster's jobs. An agent's BullMQ worker calls it for jobs from its
 * queue; the hub calls the very same function in-process for direct (kubeconfig / inCluster)
 * clusters. Verify runs the probes, compares with the stored baseline and stores the run.
 */
import { UnrecoverableError } from 'bullmq';
import type { ClusterInventory } from '../inventory/types.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { compareRuns } from '../verify/rules/compare.ts';
import type { FindingsProvider, SupportCalendar, VerifyChecks, VerifyCluster } from '../verify/context.ts';
import { runProbes } from '../verify/runner.ts';
import type { ProbeResult, VerifyReport } from '../verify/types.ts';
import type { Probe } from '../verify/context.ts';
import { agentJobSchema, type AgentJobName } from './queue.ts';
import type { VerifyResultsStore } from './results-store.ts';

export interface ProbeProgress {
  cluster: string;
  probe: ProbeResult;
  done: number;
  total: number;
}

/** What a processor needs from a job: BullMQ's Job fits, and so does an in-process stand-in. */
export interface AgentJobLike {
  name: string;
  data: unknown;
  updateProgress(progress: ProbeProgress): Promise<void>;
}

export type InventoryReader = (options: { client: KubeClient; cluster: VerifyCluster; environment: string; previous: ClusterInventory | null; logger?: Logger }) => Promise<ClusterInventory>;

export interface ClusterProcessorOptions {
  cluster: VerifyCluster;
  kube: KubeClient;
  checks: VerifyChecks;
  probeTimeoutMs?: number;
  calendar?: SupportCalendar | null;
  findings?: FindingsProvider | null;
  /** Store runs and compare each with the previous one. */
  store?: VerifyResultsStore | null;
  /** Reads the cluster's inventory (src/inventory/live.ts `readInventory` fits through a small adapter). */
  readInventory?: InventoryReader;
  probes?: readonly Probe[];
  logger?: Logger;
  now?: () => Date;
}

export type ClusterJobResult = VerifyReport | ClusterInventory;

export function createClusterProcessor(options: ClusterProcessorOptions): (job: AgentJobLike) => Promise<ClusterJobResult> {
  let lastInventory: ClusterInventory | null = null;
  const log = options.logger?.child({ cluster: options.cluster.name });

  const verify = async (job: AgentJobLike): Promise<VerifyReport> => {
    const report = await runProbes({
      cluster: options.cluster,
      kube: options.kube,
      checks: options.checks,
      ...(options.probes ? { probes: options.probes } : {}),
      ...(options.probeTimeoutMs !== undefined ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
      calendar: options.calendar ?? null,
      findings: options.findings ?? null,
      ...(options.now ? { now: options.now } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onProgress: (probe, { done, total }) => job.updateProgress({ cluster: options.cluster.name, probe, done, total }),
    });
    if (options.store) {
      const previous = await options.store.baseline(options.cluster.name);
      if (previous && report.error === undefined) report.comparison = compareRuns(previous, report);
      await options.store.save(report);
    }
    return report;
  };

  return async (job) => {
    const parsed = agentJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad ${job.name} job payload: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    if (parsed.data.cluster !== options.cluster.name) {
      throw new UnrecoverableError(`job for cluster "${parsed.data.cluster}" reached the worker of "${options.cluster.name}"`);
    }
    const name = job.name as AgentJobName;
    log?.debug({ job: name, requestedBy: parsed.data.requestedBy }, 'job started');
    switch (name) {
      case 'verify':
        return verify(job);
      case 'inventory': {
        if (!options.readInventory) throw new UnrecoverableError('this worker has no inventory reader');
        lastInventory = await options.readInventory({
          client: options.kube, cluster: options.cluster, environment: options.cluster.environment, previous: lastInventory,
          ...(options.logger ? { logger: options.logger } : {}),
        });
        return lastInventory;
      }
      default:
        throw new UnrecoverableError(`unknown job "${job.name}" (expected verify or inventory)`);
    }
  };
}
