/**
 * What a probe gets: the cluster, its client, the environment's checks and a memoised reader, so
 * that probes running side by side share one `list nodes` / `list pods` instead of each asking.
 */
import type {
  V1Namespace, V1NetworkPolicy, V1Node, V1Pod,
} from '@kubernetes/client-node';
import type { EnvironmentConfig } from '../config/schema.ts';
import { detectProvider } from '../inventory/provider.ts';
import type { ClusterProvider } from '../inventory/types.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Finding } from '../triage/types.ts';
import type { ProbeId, ProbeOutcome } from './types.ts';

export type VerifyChecks = EnvironmentConfig['checks'];

export const DEFAULT_CHECKS: VerifyChecks = {
  rbac: [],
  admission: {},
  networkPolicy: { namespace: 'default' },
  ignoreNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
};

/** The part of the release calendar version-support needs (src/releases ReleaseCalendar fits). */
export interface SupportCalendar {
  readonly asOf: string;
  isSupported(minor: string, on: Date): boolean;
  eolDate(minor: string): string | null;
}

export type FindingLike = Pick<Finding, 'advisory' | 'component' | 'version' | 'verdict' | 'fixedTarget'>;

/** Open advisories for one cluster (e.g. the latest triage); version-support lists the affecting ones. */
export type FindingsProvider = (cluster: string) => Promise<readonly FindingLike[]>;

export interface VerifyCluster {
  name: string;
  environment: string;
  /** From config, when the operator set it. */
  provider?: ClusterProvider;
}

/** Shared, memoised reads. A failed read fails every probe that needs it, with the same error. */
export interface ClusterReader {
  serverVersion(): Promise<string>;
  nodes(): Promise<V1Node[]>;
  /** kube-system pods. */
  systemPods(): Promise<V1Pod[]>;
  /** Every pod in every namespace (disruption-readiness). */
  allPods(): Promise<V1Pod[]>;
  namespaces(): Promise<V1Namespace[]>;
  networkPolicies(): Promise<V1NetworkPolicy[]>;
  /** Distribution, from config, version suffix, node labels and visible control-plane pods. */
  provider(): Promise<ClusterProvider>;
}

export interface ProbeContext {
  cluster: VerifyCluster;
  kube: KubeClient;
  read: ClusterReader;
  checks: VerifyChecks;
  now: Date;
  calendar: SupportCalendar | null;
  findings: FindingsProvider | null;
}

export interface Probe {
  id: ProbeId;
  /** Short title for people ("API server health"). */
  title: string;
  /** RBAC this probe needs, as the ClusterRole grants it. */
  needs: readonly string[];
  run(ctx: ProbeContext): Promise<ProbeOutcome>;
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** Static control-plane pods as kubeadm labels them. */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;

export function controlPlaneComponent(pod: V1Pod): string | null {
  const label = pod.metadata?.labels?.component ?? pod.metadata?.labels?.['k8s-app'];
  for (const c of CONTROL_PLANE_COMPONENTS) {
    if (label === c) return c;
  }
  const name = pod.metadata?.name ?? '';
  for (const c of CONTROL_PLANE_COMPONENTS) {
    if (name.startsWith(`${c}-`) && pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return c;
  }
  return null;
}

export function createClusterReader(kube: KubeClient, cluster: VerifyCluster): ClusterReader {
  const serverVersion = memo(() => kube.call('get /version', async () => (await kube.version.getCode()).gitVersion));
  const nodes = memo(() => kube.call('list nodes', async () => (await kube.core.listNode()).items));
  const systemPods = memo(() => kube.call('list pods in namespace kube-system', async () => (await kube.core.listNamespacedPod({ namespace: 'kube-system' })).items));
  const allPods = memo(() => kube.call('list pods', async () => (await kube.core.listPodForAllNamespaces()).items));
  const namespaces = memo(() => kube.call('list namespaces', async () => (await kube.core.listNamespace()).items));
  const networkPolicies = memo(() => kube.call('list networkpolicies.networking.k8s.io', async () => (await kube.networking.listNetworkPolicyForAllNamespaces()).items));
  const provider = memo(async (): Promise<ClusterProvider> => {
    if (cluster.provider) return cluster.provider;
    // Each signal is optional: a missing permission narrows detection, it does not fail it.
    const [version, nodeList, pods] = await Promise.all([
      serverVersion().catch(() => null),
      nodes().catch(() => []),
      systemPods().catch(() => []),
    ]);
    return detectProvider({
      serverVersion: version,
      nodes: nodeList.map((n) => ({
        labels: n.metadata?.labels ?? {},
        annotations: n.metadata?.annotations ?? {},
        providerID: n.spec?.providerID ?? null,
        kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? null,
      })),
      controlPlanePodsVisible: pods.some((p) => controlPlaneComponent(p) !== null),
    }).provider;
  });
  return { serverVersion, nodes, systemPods, allPods, namespaces, networkPolicies, provider };
}

/** Namespaces the "missing X" warnings look at. */
export function watchedNamespaces(all: readonly V1Namespace[], checks: VerifyChecks): V1Namespace[] {
  const ignored = new Set(checks.ignoreNamespaces);
  return all.filter((ns) => !ignored.has(ns.metadata?.name ?? '') && ns.status?.phase !== 'Terminating');
}

/** "a, b, c and 4 more" */
export function listSome(items: readonly string[], max = 8): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
