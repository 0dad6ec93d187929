/**
 * Read what a cluster runs, live: API server `/version`, every node's kubelet and kube-proxy,
 * control-plane images from kube-system static pods, add-on versions from running images in
 * all namespaces, and the distribution (provider.ts).
 *
 * Cluster trouble never throws. When the cluster cannot be read at all (unreachable, timeout,
 * TLS, 401, garbage on /version) the previous good inventory comes back marked `source: 'cached'`
 * with its own `collectedAt` and `error` set; without one, an empty live inventory with `error`.
 * Partial trouble (pods forbidden, one list malformed) fills what it can and says so in `warnings`.
 *
 * Exposure evidence (read-only, see triage/exposure.ts) comes with the same reads where it can:
 * each node's `nodeInfo.operatingSystem`, pods with `gitRepo` volumes from the one pod list the
 * add-ons already need, plus the ingress-nginx ValidatingWebhookConfiguration(s) and the API
 * server's feature gates (`kubernetes_feature_enabled` in /metrics), read side by side with it. A
 * read that is refused or fails lands in `exposure.unavailable[fact]` naming the permission; pods
 * outside kube-system not listable also set `unseenAddons` (triage answers those add-ons unknown).
 */
import { z } from 'zod';
import { compareVersions, parseVersion } from '../advisory/versions.ts';
import type { ClusterAccessError } from '../errors.ts';
import { isWholeClusterFailure } from '../kube/errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { componentFromImage, isControlPlaneComponent, parseImageRef, versionFromTag } from './images.ts';
import { detectProvider } from './provider.ts';
import type { ClusterInventory, ClusterProvider, ExposureFacts, InventoryError, NodeVersions } from './types.ts';

/** The parts of a KubeClient inventory needs (tests may pass a narrower fake). */
export type InventoryClient = Pick<KubeClient, 'core' | 'version' | 'call' | 'toError'> & Partial<Pick<KubeClient, 'admission' | 'raw'>>;

export interface ReadInventoryOptions {
  client: InventoryClient;
  /** Name and (optional) configured provider; a ClusterConfig fits. */
  cluster: { name: string; provider?: ClusterProvider | undefined };
  environment: string;
  /** Clock; default `() => new Date()`. */
  now?: () => Date;
  /** Last good inventory, served (as `cached`) when this read fails. */
  previous?: ClusterInventory | null;
  logger?: Logger;
  /** List page size (`limit`); default 500. */
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;
/** 500 × 200 = 100k objects: beyond that something is wrong (a continue loop), stop. */
const MAX_PAGES = 200;

// Permissive schemas over client-node's deserialized objects: only the fields we use.
const stringMap = z.record(z.string(), z.string()).nullish();

const versionSchema = z.object({ gitVersion: z.string().min(1) }).loose();

const listSchema = z.object({
  items: z.array(z.unknown()),
  metadata: z.object({ _continue: z.string().nullish() }).loose().nullish(),
}).loose();

const nodeSchema = z.object({
  metadata: z.object({ name: z.string(), labels: stringMap, annotations: stringMap }).loose(),
  spec: z.object({ providerID: z.string().nullish() }).loose().nullish(),
  status: z.object({
    nodeInfo: z.object({ kubeletVersion: z.string(), kubeProxyVersion: z.string().nullish(), operatingSystem: z.string().nullish() }).loose(),
  }).loose(),
}).loose();
type NodeItem = z.infer<typeof nodeSchema>;

const podSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().nullish(), labels: stringMap }).loose(),
  spec: z.object({
    nodeName: z.string().nullish(),
    containers: z.array(z.object({ name: z.string(), image: z.string().nullish() }).loose()),
    // Only whether a volume is the in-tree gitRepo type matters (its fields are not read).
    volumes: z.array(z.object({ name: z.string(), gitRepo: z.unknown().optional() }).loose()).nullish(),
  }).loose(),
  status: z.object({ phase: z.string().nullish() }).loose().nullish(),
}).loose();
type PodItem = z.infer<typeof podSchema>;

const webhookConfigSchema = z.object({
  metadata: z.object({ name: z.string(), labels: stringMap }).loose(),
  webhooks: z.array(z.object({
    name: z.string(),
    clientConfig: z.object({ service: z.object({ name: z.string(), namespace: z.string().nullish() }).loose().nullish() }).loose().nullish(),
  }).loose()).nullish(),
}).loose();
type WebhookConfigItem = z.infer<typeof webhookConfigSchema>;

/** Permissions of the exposure reads, as RBAC names them (and `unavailable` says them). */
export const EXPOSURE_NEEDS = {
  nodes: 'list nodes',
  gitRepoPods: 'list pods (all namespaces)',
  ingressNginxWebhooks: 'list validatingwebhookconfigurations.admissionregistration.k8s.io',
  featureGates: 'get /metrics',
} as const;

/**
 * The ingress-nginx admission webhook, however it was installed: the chart's webhook name
 * (validate.nginx.ingress.kubernetes.io), its admission service (…ingress-nginx…-admission), or
 * the chart's labels on the configuration.
 */
export function isIngressNginxWebhook(config: WebhookConfigItem): boolean {
  const labels = config.metadata.labels ?? {};
  if (labels['app.kubernetes.io/name'] === 'ingress-nginx') return true;
  return (config.webhooks ?? []).some((w) => w.name === 'validate.nginx.ingress.kubernetes.io'
    || /ingress-nginx.*admission/.test(w.clientConfig?.service?.name ?? ''));
}

/** `kubernetes_feature_enabled{name="X",stage="BETA"} 1` lines → gate → enabled. */
export function featureGatesFromMetrics(body: string): Record<string, boolean> {
  const gates: Record<string, boolean> = {};
  for (const line of body.split('\n')) {
    if (!line.startsWith('kubernetes_feature_enabled{')) continue;
    const m = /^kubernetes_feature_enabled\{([^}]*)\}\s+(\S+)/.exec(line);
    const name = m ? /(?:^|,)\s*name="([^"]+)"/.exec(m[1] ?? '')?.[1] : undefined;
    if (!m || name === undefined) continue;
    gates[name] = Number(m[2]) === 1;
  }
  return gates;
}

/** Pods (running or pending) with an in-tree gitRepo volume, "namespace/name", sorted. */
export function gitRepoPods(pods: readonly PodItem[]): string[] {
  return pods
    .filter((p) => isRunningish(p) && (p.spec.volumes ?? []).some((v) => v.gitRepo !== undefined && v.gitRepo !== null))
    .map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`)
    .sort();
}

interface Seen {
  versions: Map<string, Set<string>>;
  /** Images of a known component without a version tag (latest, digest only). */
  untagged: Map<string, string>;
}

function record(seen: Seen, component: string, version: string | null, image: string): void {
  if (version === null) {
    if (!seen.untagged.has(component)) seen.untagged.set(component, image);
    return;
  }
  const set = seen.versions.get(component) ?? new Set<string>();
  set.add(version);
  seen.versions.set(component, set);
}

/** Oldest first: for triage the oldest running copy is the one that decides "affected". */
function oldestFirst(versions: Iterable<string>): string[] {
  return [...versions].sort((a, b) => {
    const pa = parseVersion(a);
    const pb = parseVersion(b);
    if (pa && pb) return compareVersions(a, b);
    return pa ? -1 : pb ? 1 : a.localeCompare(b);
  });
}

/** Control-plane component a kube-system pod runs, from its labels (kubeadm, RKE2: component=…; kops: k8s-app=…). */
function controlPlaneLabel(pod: PodItem): string | null {
  const labels = pod.metadata.labels ?? {};
  for (const key of ['component', 'k8s-app']) {
    const v = labels[key];
    if (v !== undefined && isControlPlaneComponent(v)) return v;
  }
  return null;
}

function isRunningish(pod: PodItem): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

interface PodFindings {
  seen: Seen;
  controlPlaneVisible: boolean;
  /** node name → kube-proxy version from the kube-proxy pod on that node. */
  kubeProxyByNode: Map<string, string>;
}

/** Walk pods once: control plane (kube-system only), kube-proxy per node, add-ons anywhere. */
function analysePods(pods: PodItem[]): PodFindings {
  const seen: Seen = { versions: new Map(), untagged: new Map() };
  const kubeProxyByNode = new Map<string, string>();
  let controlPlaneVisible = false;

  for (const pod of pods) {
    if (!isRunningish(pod)) continue;
    const inKubeSystem = pod.metadata.namespace === 'kube-system';
    const labelled = inKubeSystem ? controlPlaneLabel(pod) : null;
    if (labelled !== null) {
      controlPlaneVisible = true;
      const byName = pod.spec.containers.find((c) => c.name === labelled)
        ?? pod.spec.containers.find((c) => componentFromImage(c.image ?? '')?.component === labelled)
        ?? pod.spec.containers[0];
      const image = byName?.image ?? '';
      record(seen, labelled, versionFromTag(parseImageRef(image)?.tag ?? null), image);
      continue;
    }
    for (const container of pod.spec.containers) {
      const image = container.image ?? '';
      const found = componentFromImage(image);
      if (!found) continue;
      if (found.component === 'kube-proxy') {
        if (inKubeSystem && found.version !== null && pod.spec.nodeName) kubeProxyByNode.set(pod.spec.nodeName, found.version);
        continue;
      }
      if (isControlPlaneComponent(found.component)) {
        // etcd or an apiserver image in an application namespace is not this cluster's control plane.
        if (!inKubeSystem) continue;
        controlPlaneVisible = controlPlaneVisible || found.component !== 'etcd';
      }
      record(seen, found.component, found.version, image);
    }
  }
  return { seen, controlPlaneVisible, kubeProxyByNode };
}

function nodeVersions(nodes: NodeItem[], kubeProxyByNode: Map<string, string>): NodeVersions[] {
  return nodes
    .map((n) => {
      const reported = n.status.nodeInfo.kubeProxyVersion?.trim() || null;
      return {
        name: n.metadata.name,
        kubelet: n.status.nodeInfo.kubeletVersion,
        // nodeInfo.kubeProxyVersion is deprecated (and was the kubelet's own guess): prefer the
        // image of the kube-proxy pod actually running on the node.
        kubeProxy: kubeProxyByNode.get(n.metadata.name) ?? reported,
        ...(n.status.nodeInfo.operatingSystem ? { os: n.status.nodeInfo.operatingSystem } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function readInventory(options: ReadInventoryOptions): Promise<ClusterInventory> {
  const { client, cluster, environment } = options;
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const log = options.logger?.child({ cluster: cluster.name });
  const at = now().toISOString();
  const warnings: string[] = [];
  // Warnings live inside this cluster's inventory: the "<cluster>: " prefix would only repeat it.
  const problem = (err: ClusterAccessError): string => `${err.code}: ${err.message.replace(`${cluster.name}: `, '')}`;

  const failed = (err: ClusterAccessError): ClusterInventory => {
    const error: InventoryError = { code: err.code, message: err.message, at };
    const previous = options.previous;
    if (previous && previous.cluster === cluster.name && previous.source !== 'static') {
      log?.warn({ code: err.code, collectedAt: previous.collectedAt }, 'inventory read failed; serving the previous inventory');
      return { ...previous, environment, source: 'cached', error };
    }
    log?.warn({ code: err.code }, 'inventory read failed; no previous inventory');
    return {
      cluster: cluster.name,
      environment,
      provider: cluster.provider ?? 'unknown',
      source: 'live',
      collectedAt: at,
      server: null,
      nodes: [],
      components: {},
      error,
    };
  };

  const listAll = async <T>(action: string, page: (cont: string | undefined) => Promise<unknown>, item: z.ZodType<T>): Promise<T[]> => {
    const out: T[] = [];
    let cont: string | undefined;
    let skipped = 0;
    for (let n = 0; n < MAX_PAGES; n++) {
      const list = await client.call(action, async () => listSchema.parse(await page(cont)));
      for (const raw of list.items) {
        const parsed = item.safeParse(raw);
        if (parsed.success) out.push(parsed.data);
        else skipped++;
      }
      cont = list.metadata?._continue || undefined;
      if (cont === undefined) break;
    }
    if (skipped > 0) warnings.push(`${action}: skipped ${skipped} malformed item${skipped === 1 ? '' : 's'}`);
    return out;
  };

  // 1. /version: if this fails the cluster cannot be read at all.
  let server: string;
  try {
    server = await client.call('get /version', async () => versionSchema.parse(await client.version.getCode()).gitVersion);
  } catch (err) {
    return failed(client.toError(err, 'get /version'));
  }

  // 2. nodes and pods, side by side, with the two exposure reads the pod list does not answer.
  const nodesP = listAll('list nodes', (cont) => client.core.listNode({ limit: pageSize, ...(cont ? { _continue: cont } : {}) }), nodeSchema);
  const podsP = listAll('list pods (all namespaces)',
    (cont) => client.core.listPodForAllNamespaces({ limit: pageSize, ...(cont ? { _continue: cont } : {}) }), podSchema);
  const admission = client.admission;
  const webhooksP = admission === undefined ? null : listAll(EXPOSURE_NEEDS.ingressNginxWebhooks,
    (cont) => admission.listValidatingWebhookConfiguration({ limit: pageSize, ...(cont ? { _continue: cont } : {}) }), webhookConfigSchema);
  const raw = client.raw;
  const metricsP = raw === undefined ? null : raw('/metrics', { accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1', action: EXPOSURE_NEEDS.featureGates });
  const [nodesR, podsR, webhooksR, metricsR] = await Promise.allSettled([nodesP, podsP, webhooksP, metricsP]);

  const exposure: ExposureFacts = {};
  const unavailable: Record<string, string> = {};
  let unseenAddons: ClusterInventory['unseenAddons'];
  /** "needs list nodes" for a refusal; the error itself for anything else (timeout, 5xx). */
  const why = (err: ClusterAccessError, needs: string): string => (err.code === 'CLUSTER_FORBIDDEN' ? `needs ${needs}` : `${problem(err)} (needs ${needs})`);

  let nodes: NodeItem[] = [];
  if (nodesR.status === 'fulfilled') {
    nodes = nodesR.value;
  } else {
    const err = client.toError(nodesR.reason, 'list nodes');
    if (isWholeClusterFailure(err)) return failed(err);
    warnings.push(`${problem(err)}; kubelet and kube-proxy versions unknown`);
    unavailable.nodes = why(err, EXPOSURE_NEEDS.nodes);
  }

  let pods: PodItem[] = [];
  if (podsR.status === 'fulfilled') {
    pods = podsR.value;
    exposure.gitRepoPods = gitRepoPods(pods);
  } else {
    const err = client.toError(podsR.reason, 'list pods (all namespaces)');
    if (isWholeClusterFailure(err)) return failed(err);
    unavailable.gitRepoPods = why(err, EXPOSURE_NEEDS.gitRepoPods);
    unseenAddons = { reason: 'pods outside kube-system could not be listed', needs: EXPOSURE_NEEDS.gitRepoPods };
    // Common least-privilege setup: read access to kube-system only. Better than nothing.
    try {
      pods = await listAll('list pods in namespace kube-system',
        (cont) => client.core.listNamespacedPod({ namespace: 'kube-system', limit: pageSize, ...(cont ? { _continue: cont } : {}) }), podSchema);
      warnings.push(`${problem(err)}; add-on versions read from kube-system only`);
    } catch (inner) {
      const innerErr = client.toError(inner, 'list pods in namespace kube-system');
      if (isWholeClusterFailure(innerErr)) return failed(innerErr);
      warnings.push(`${problem(err)}; control-plane and add-on versions unknown`);
      unseenAddons = { reason: 'no pods could be listed', needs: EXPOSURE_NEEDS.gitRepoPods };
    }
  }

  if (webhooksR.status === 'fulfilled' && webhooksR.value !== null) {
    exposure.ingressNginxWebhooks = webhooksR.value.filter(isIngressNginxWebhook).map((w) => w.metadata.name).sort();
  } else if (webhooksR.status === 'rejected') {
    unavailable.ingressNginxWebhooks = why(client.toError(webhooksR.reason, EXPOSURE_NEEDS.ingressNginxWebhooks), EXPOSURE_NEEDS.ingressNginxWebhooks);
  }

  if (metricsR.status === 'fulfilled' && metricsR.value !== null) {
    const res = metricsR.value;
    if (res.status === 200) exposure.featureGates = featureGatesFromMetrics(res.body);
    else unavailable.featureGates = `/metrics answered HTTP ${res.status} (needs ${EXPOSURE_NEEDS.featureGates})`;
  } else if (metricsR.status === 'rejected') {
    unavailable.featureGates = why(client.toError(metricsR.reason, EXPOSURE_NEEDS.featureGates), EXPOSURE_NEEDS.featureGates);
  }
  if (Object.keys(unavailable).length > 0) exposure.unavailable = unavailable;

  // 3. what the pods tell us.
  const found = analysePods(pods);
  const components: Record<string, string> = {};
  for (const [component, versions] of [...found.seen.versions].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = oldestFirst(versions);
    const oldest = sorted[0];
    if (oldest === undefined) continue;
    components[component] = oldest;
    if (sorted.length > 1) warnings.push(`${component}: several versions running (${sorted.join(', ')}); judged by the oldest, ${oldest}`);
  }
  for (const [component, image] of found.seen.untagged) {
    if (components[component] === undefined) warnings.push(`${component}: image ${image} has no version tag; version unknown`);
  }

  const nodeList = nodeVersions(nodes, found.kubeProxyByNode);
  const detection = detectProvider({
    configured: cluster.provider ?? null,
    serverVersion: server,
    nodes: nodes.map((n) => ({
      labels: n.metadata.labels ?? {},
      annotations: n.metadata.annotations ?? {},
      providerID: n.spec?.providerID ?? null,
      kubeletVersion: n.status.nodeInfo.kubeletVersion,
    })),
    controlPlanePodsVisible: found.controlPlaneVisible,
  });

  log?.debug({ server, provider: detection.provider, evidence: detection.evidence, nodes: nodeList.length, components, warnings: warnings.length }, 'inventory read');

  const inventory: ClusterInventory = {
    cluster: cluster.name,
    environment,
    provider: detection.provider,
    source: 'live',
    collectedAt: at,
    server,
    nodes: nodeList,
    components,
    exposure,
    error: null,
  };
  if (unseenAddons !== undefined) inventory.unseenAddons = unseenAddons;
  if (warnings.length > 0) inventory.warnings = warnings;
  return inventory;
}

/** Age of an inventory's data in ms (a cached inventory keeps its original collectedAt). */
export function inventoryAgeMs(inventory: ClusterInventory, now: Date): number {
  return now.getTime() - Date.parse(inventory.collectedAt);
}
