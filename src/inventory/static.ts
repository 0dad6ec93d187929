/**
 * Inventory from configuration (`clusters[].versions`, optional `clusters[].nodes`): air-gapped
 * or unreachable clusters, the demo, tests. The key `kubernetes` stands for every core component;
 * a core component's own key (`kubelet`, `kube-apiserver` …) overrides it; other keys are add-ons.
 */
import { CORE_COMPONENTS } from '../advisory/types.ts';
import { parseVersion } from '../advisory/versions.ts';
import type { ClusterConfig } from '../config/schema.ts';
import type { ClusterInventory, ClusterProvider, NodeVersions } from './types.ts';

/** Name of the one node standing for every node when the config lists none. */
export const SYNTHETIC_NODE = '(all nodes)';

export function staticInventory(cluster: ClusterConfig, now: Date): ClusterInventory {
  const versions = cluster.versions ?? {};
  const base = versions.kubernetes ?? null;
  const server = versions['kube-apiserver'] ?? base;

  const components: Record<string, string> = {};
  for (const name of CORE_COMPONENTS) {
    if (name === 'kubelet') continue; // per node
    const v = versions[name] ?? base;
    if (v !== null) components[name] = v;
  }
  for (const [name, v] of Object.entries(versions)) {
    if (name === 'kubernetes' || name === 'kubelet' || (CORE_COMPONENTS as readonly string[]).includes(name)) continue;
    components[name] = v;
  }

  const kubelet = versions.kubelet ?? base;
  let nodes: NodeVersions[];
  if (cluster.nodes && cluster.nodes.length > 0) {
    nodes = cluster.nodes.map((n) => ({ name: n.name, kubelet: n.kubelet, kubeProxy: n.kubeProxy ?? null }));
  } else if (kubelet !== null) {
    nodes = [{ name: SYNTHETIC_NODE, kubelet, kubeProxy: versions['kube-proxy'] ?? null }];
  } else {
    nodes = [];
  }

  return {
    cluster: cluster.name,
    environment: cluster.environment,
    provider: cluster.provider ?? providerFromVersions([server, ...nodes.map((n) => n.kubelet)]),
    source: 'static',
    collectedAt: now.toISOString(),
    server,
    nodes,
    components,
    error: null,
  };
}

/** The first provider a version string's build suffix names; "unknown" for plain upstream strings. */
export function providerFromVersions(list: (string | null)[]): ClusterProvider {
  for (const raw of list) {
    if (raw === null) continue;
    const p = parseVersion(raw)?.provider;
    if (p && p !== 'upstream') return p;
  }
  return 'unknown';
}
