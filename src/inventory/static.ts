/**
 * Inventory from configuration (`clusters[].versions`, optional `clusters[].nodes` and `os`):
 * air-gapped or unreachable clusters, the demo, tests. The key `kubernetes` stands for every core
 * component; a core component's own key (`kubelet`, `kube-apiserver` …) overrides it; other keys
 * are add-ons. kubelet and kube-proxy run on the nodes, so they are given per node: a node's
 * kube-proxy is `nodes[].kubeProxy`, else `versions.kube-proxy`, else that node's kubelet (which
 * is `nodes[].kubelet`, else `versions.kubelet`, else `versions.kubernetes`), as on a live cluster.
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
    if (name === 'kubelet' || name === 'kube-proxy') continue; // per node
    const v = versions[name] ?? base;
    if (v !== null) components[name] = v;
  }
  for (const [name, v] of Object.entries(versions)) {
    if (name === 'kubernetes' || name === 'kubelet' || (CORE_COMPONENTS as readonly string[]).includes(name)) continue;
    components[name] = v;
  }

  const kubelet = versions.kubelet ?? base;
  const proxy = versions['kube-proxy'] ?? null;
  // One operating system for the whole cluster is every node's.
  const onlyOs = cluster.os?.length === 1 ? cluster.os[0] : undefined;
  let nodes: NodeVersions[] = [];
  if (cluster.nodes && cluster.nodes.length > 0) {
    for (const n of cluster.nodes) {
      // The config check makes sure every node has a kubelet version from somewhere.
      const k = n.kubelet ?? kubelet;
      if (k === null) continue;
      const node: NodeVersions = { name: n.name, kubelet: k, kubeProxy: n.kubeProxy ?? proxy ?? k };
      const os = n.os ?? onlyOs;
      if (os !== undefined) node.os = os;
      nodes.push(node);
    }
  } else if (kubelet !== null) {
    nodes = [{ name: SYNTHETIC_NODE, kubelet, kubeProxy: proxy ?? kubelet, ...(onlyOs === undefined ? {} : { os: onlyOs }) }];
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
    ...(cluster.os === undefined ? {} : { os: [...cluster.os] }),
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
