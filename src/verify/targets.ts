/** Resolve `verify TARGET`: a cluster name or an environment name. Pure. */
import type { ClusterConfig, Config } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { VerifyChecks, VerifyCluster } from './context.ts';
import { DEFAULT_CHECKS } from './context.ts';

export interface ResolvedTarget {
  kind: 'cluster' | 'environment';
  name: string;
  clusters: ClusterConfig[];
}

export function resolveTarget(config: Pick<Config, 'clusters' | 'environments'>, target: string): ResolvedTarget {
  const cluster = config.clusters.find((c) => c.name === target);
  if (cluster) return { kind: 'cluster', name: target, clusters: [cluster] };
  if (Object.hasOwn(config.environments, target)) {
    return { kind: 'environment', name: target, clusters: config.clusters.filter((c) => c.environment === target) };
  }
  const clusters = config.clusters.map((c) => c.name).join(', ');
  const envs = Object.keys(config.environments).join(', ');
  throw new UsageError(`"${target}" is neither a cluster nor an environment`, `valid clusters: ${clusters}; valid environments: ${envs}`);
}

export function checksFor(config: Pick<Config, 'environments'>, cluster: ClusterConfig): VerifyChecks {
  return config.environments[cluster.environment]?.checks ?? DEFAULT_CHECKS;
}

export function verifyClusterOf(cluster: ClusterConfig): VerifyCluster {
  return { name: cluster.name, environment: cluster.environment, ...(cluster.provider ? { provider: cluster.provider } : {}) };
}
