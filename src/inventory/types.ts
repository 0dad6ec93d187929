/** What one cluster runs: the input to triage. Built live (client-node) or from static config. */
export type ClusterProvider = 'eks' | 'gke' | 'aks' | 'k3s' | 'rke2' | 'openshift' | 'kubeadm' | 'other' | 'unknown';

export interface NodeVersions {
  name: string;
  /** As the node reports it: `status.nodeInfo.kubeletVersion`, e.g. "v1.29.4-eks-036c24b". */
  kubelet: string;
  /** `status.nodeInfo.kubeProxyVersion` (deprecated upstream, often empty) or null. */
  kubeProxy: string | null;
}

export interface InventoryError {
  code: string;
  message: string;
  at: string;
}

export interface ClusterInventory {
  cluster: string;
  environment: string;
  provider: ClusterProvider;
  /** static: from config `versions`; live: read just now; cached: the last good live read (see `error`). */
  source: 'static' | 'live' | 'cached';
  /** When these versions were read (ISO time). */
  collectedAt: string;
  /** API server's `/version` gitVersion, raw. Null when unknown. */
  server: string | null;
  nodes: NodeVersions[];
  /**
   * Other components by normalized name → raw version: kube-controller-manager, kube-scheduler,
   * kube-apiserver (from its image), etcd, and add-ons (ingress-nginx, secrets-store-csi-driver …).
   */
  components: Record<string, string>;
  /** Set when the last read failed; the versions above are then the previous good ones (or empty). */
  error: InventoryError | null;
  /**
   * Partial trouble in a read that otherwise worked (pods forbidden, several versions of one
   * add-on, an image without a version tag), one sentence each. Absent when there was none.
   */
  warnings?: string[];
}
