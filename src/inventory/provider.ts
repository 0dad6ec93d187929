/**
 * Which distribution runs a cluster: eks | gke | aks | k3s | rke2 | openshift | kubeadm | other.
 * Pure. Signals, strongest first:
 *
 * 1. the operator's `provider:` in config;
 * 2. the API server's version build suffix (`-eks-`, `-gke.`, `+k3s1`, `+rke2r1`), via parseVersion;
 * 3. node labels each distribution sets on every node (openshift os_id, eks nodegroup,
 *    gke-nodepool, kubernetes.azure.com/cluster, instance-type=k3s|rke2);
 * 4. kubelet version suffixes;
 * 5. control-plane static pods visible in kube-system → self-managed (kubeadm): managed offerings
 *    never show their control plane, and this check comes before providerID because a kubeadm
 *    cluster on EC2 also has `aws://` provider IDs;
 * 6. providerID prefixes aws:// gce:// azure:// → eks / gke / aks.
 */
import { parseVersion } from '../advisory/versions.ts';
import type { ClusterProvider } from './types.ts';

export interface ProviderNode {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  providerID?: string | null;
  kubeletVersion?: string | null;
}

export interface ProviderSignals {
  /** From config; wins when set. */
  configured?: ClusterProvider | null;
  /** `/version` gitVersion. */
  serverVersion?: string | null;
  nodes?: ProviderNode[];
  /** kube-apiserver / controller-manager / scheduler pods seen in kube-system. */
  controlPlanePodsVisible?: boolean;
}

export interface ProviderDetection {
  provider: ClusterProvider;
  /** Why, for logs and tests: "server version suffix", "node label eks.amazonaws.com/nodegroup" … */
  evidence: string;
}

type Managed = Exclude<ClusterProvider, 'kubeadm' | 'other' | 'unknown'>;

const LABEL_RULES: ReadonlyArray<{ provider: Managed; label: string; value?: string }> = [
  { provider: 'openshift', label: 'node.openshift.io/os_id' },
  { provider: 'eks', label: 'eks.amazonaws.com/nodegroup' },
  { provider: 'eks', label: 'eks.amazonaws.com/compute-type' },
  { provider: 'gke', label: 'cloud.google.com/gke-nodepool' },
  { provider: 'aks', label: 'kubernetes.azure.com/cluster' },
  { provider: 'aks', label: 'kubernetes.azure.com/agentpool' },
  { provider: 'k3s', label: 'node.kubernetes.io/instance-type', value: 'k3s' },
  { provider: 'rke2', label: 'node.kubernetes.io/instance-type', value: 'rke2' },
];

const PROVIDER_ID_RULES: ReadonlyArray<{ provider: Managed; prefix: string }> = [
  { provider: 'eks', prefix: 'aws://' },
  { provider: 'gke', prefix: 'gce://' },
  { provider: 'aks', prefix: 'azure://' },
];

function fromVersion(version: string | null | undefined): Managed | null {
  if (!version) return null;
  const p = parseVersion(version)?.provider;
  return p === undefined || p === 'upstream' ? null : p;
}

export function detectProvider(signals: ProviderSignals): ProviderDetection {
  if (signals.configured) return { provider: signals.configured, evidence: 'configured' };

  const server = fromVersion(signals.serverVersion);
  if (server) return { provider: server, evidence: `server version ${signals.serverVersion}` };

  const nodes = signals.nodes ?? [];
  for (const rule of LABEL_RULES) {
    const hit = nodes.some((n) => {
      const v = n.labels?.[rule.label];
      return v !== undefined && (rule.value === undefined || v === rule.value);
    });
    if (hit) return { provider: rule.provider, evidence: `node label ${rule.label}${rule.value ? `=${rule.value}` : ''}` };
  }

  for (const n of nodes) {
    const p = fromVersion(n.kubeletVersion);
    if (p) return { provider: p, evidence: `kubelet version ${n.kubeletVersion}` };
  }

  if (signals.controlPlanePodsVisible) return { provider: 'kubeadm', evidence: 'control-plane static pods in kube-system' };
  if (nodes.some((n) => n.annotations?.['kubeadm.alpha.kubernetes.io/cri-socket'] !== undefined)) {
    return { provider: 'kubeadm', evidence: 'node annotation kubeadm.alpha.kubernetes.io/cri-socket' };
  }

  for (const rule of PROVIDER_ID_RULES) {
    if (nodes.some((n) => n.providerID?.startsWith(rule.prefix))) return { provider: rule.provider, evidence: `providerID ${rule.prefix}` };
  }

  if (!signals.serverVersion && nodes.length === 0) return { provider: 'unknown', evidence: 'no data' };
  return { provider: 'other', evidence: 'no distribution signal' };
}
