/**
 * The fleet's inventories for one triage run: static clusters from config, direct clusters
 * (kubeconfig / in-cluster) read live with a concurrency limit, agent clusters through an
 * injected reader (the hub's dispatcher) or, without one, marked as needing the hub.
 * A cluster in trouble never stops the others: it gets an inventory with `error` set.
 */
import type { ClusterConfig, Config } from '../config/schema.ts';
import { ClusterAccessError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { mapLimit } from '../verify/pool.ts';
import { staticInventory } from './static.ts';
import type { ClusterInventory } from './types.ts';

export interface CollectOptions {
  config: Config;
  now: Date;
  logger?: Logger;
  /** Last known inventories by cluster, kept (with their age) when a read fails. */
  previous?: Map<string, ClusterInventory>;
  /** Reads an agent-served cluster; without it such clusters are reported as needing the hub. */
  readAgent?: (cluster: ClusterConfig) => Promise<ClusterInventory>;
  concurrency?: number;
  timeoutMs?: number;
}

export async function collectInventories(options: CollectOptions): Promise<ClusterInventory[]> {
  const { config, now } = options;
  const limit = options.concurrency ?? config.verify.concurrency;
  return mapLimit(config.clusters, limit, (cluster) =>
    inventoryOf(cluster, options).catch((err: unknown) => failed(cluster, now, err, options.previous?.get(cluster.name))));
}

async function inventoryOf(cluster: ClusterConfig, options: CollectOptions): Promise<ClusterInventory> {
  if (cluster.versions) return staticInventory(cluster, options.now);
  if (cluster.agent) {
    if (options.readAgent) return options.readAgent(cluster);
    throw new ClusterAccessError('CLUSTER_CONFIG', cluster.name, `${cluster.name}: served by an agent; its inventory is read through the hub (run "k8s-advisor hub" with REDIS_URL)`);
  }
  // client-node weighs ~80 MB of heap: a fleet of static clusters (air-gapped, demo, 10,000-cluster
  // runs) never loads it.
  const [{ createKubeClient }, { readInventory }] = await Promise.all([import('../kube/client.ts'), import('./live.ts')]);
  const client = createKubeClient({
    cluster,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const previous = options.previous?.get(cluster.name);
  return readInventory({
    client,
    cluster: { name: cluster.name, ...(cluster.provider === undefined ? {} : { provider: cluster.provider }) },
    environment: cluster.environment,
    now: () => options.now,
    ...(previous === undefined ? {} : { previous }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

function failed(cluster: ClusterConfig, now: Date, err: unknown, previous: ClusterInventory | undefined): ClusterInventory {
  const error = { code: err instanceof ClusterAccessError ? err.code : 'CLUSTER_ERROR', message: errorMessage(err), at: now.toISOString() };
  if (previous) return { ...previous, source: 'cached', error };
  return {
    cluster: cluster.name,
    environment: cluster.environment,
    provider: cluster.provider ?? 'unknown',
    source: 'live',
    collectedAt: now.toISOString(),
    server: null,
    nodes: [],
    components: {},
    error,
  };
}
