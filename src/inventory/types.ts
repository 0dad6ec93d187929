/** What one cluster runs: the input to triage. Built live (client-node) or from static config. */
export type ClusterProvider = 'eks' | 'gke' | 'aks' | 'k3s' | 'rke2' | 'openshift' | 'kubeadm' | 'other' | 'unknown';

export interface NodeVersions {
  name: string;
  /** As the node reports it: `status.nodeInfo.kubeletVersion`, e.g. "v1.29.4-eks-036c24b". */
  kubelet: string;
  /** `status.nodeInfo.kubeProxyVersion` (deprecated upstream, often empty) or null. */
  kubeProxy: string | null;
  /** `status.nodeInfo.operatingSystem` ("linux", "windows"), or undefined when not known. */
  os?: string;
}

/**
 * Read-only evidence for exposure (see triage exposure). Each field is absent when not collected,
 * and `unavailable` names what could not be read and the permission that would let us
 * ("pods: needs list pods (all namespaces)").
 */
export interface ExposureFacts {
  /** Pods using gitRepo volumes, "namespace/name". */
  gitRepoPods?: string[];
  /** ValidatingWebhookConfigurations for the ingress-nginx admission webhook, by name. */
  ingressNginxWebhooks?: string[];
  /** API server feature gates from `/metrics` (`kubernetes_feature_enabled`): name → enabled. */
  featureGates?: Record<string, boolean>;
  /** What could not be collected, by fact key ("gitRepoPods", "ingressNginxWebhooks", "featureGates"), with the permission needed. */
  unavailable?: Record<string, string>;
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
  /** Operating systems of the cluster's nodes when known without a node list (static `os: [linux, windows]`). */
  os?: string[];
  /** Exposure evidence (live inventory; static clusters may give none). */
  exposure?: ExposureFacts;
  /**
   * Add-ons the inventory could not look for (e.g. pods outside kube-system not listable), with
   * the permission that would let it: triage gives them `unknown` instead of silence.
   */
  unseenAddons?: { reason: string; needs: string };
  /** Set when the last read failed; the versions above are then the previous good ones (or empty). */
  error: InventoryError | null;
  /**
   * Partial trouble in a read that otherwise worked (pods forbidden, several versions of one
   * add-on, an image without a version tag), one sentence each. Absent when there was none.
   */
  warnings?: string[];
}
