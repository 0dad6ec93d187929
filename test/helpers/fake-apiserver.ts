/**
 * A loopback fake Kubernetes API server for tests: realistic JSON at the HTTP boundary, driven by
 * a plain scenario object, with per-route faults. No test reaches beyond 127.0.0.1.
 *
 * ```ts
 * const api = await createFakeApiServer({ scenario: scenarios.eks() });        // plain HTTP
 * const tlsApi = await createFakeApiServer({ scenario: scenarios.kubeadm(), tls: true });
 * const kubeconfigPath = await api.writeKubeconfig();                          // temp file, context "fake"
 * const kc = api.kubeConfig();                                                 // or a loaded KubeConfig
 * api.setScenario({ ...scenarios.eks(), routes: { 'GET /api/v1/nodes': { status: 403 } } });
 * api.requests;                                                                 // every request seen
 * await api.close();
 * ```
 *
 * Serves (GET unless said): `/version`; `/api`, `/apis` (discovery); `/api/v1/nodes[/NAME]`;
 * `/api/v1/namespaces[/NAME]`; `/api/v1/pods`, `/api/v1/namespaces/NS/pods[/NAME]`;
 * `/apis/apps/v1/{deployments,daemonsets}` (+ namespaced and by name);
 * `/apis/networking.k8s.io/v1/networkpolicies` (+ namespaced); `/readyz`, `/livez`, `/healthz`
 * (`?verbose`, and `/readyz/CHECK`); `/metrics` (Prometheus text incl.
 * `apiserver_requested_deprecated_apis` and `kubernetes_feature_enabled` from `scenario.featureGates`);
 * `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations` from
 * `scenario.validatingWebhooks`; `scenario.extra` paths verbatim (they win over the above).
 * Nodes report `nodeInfo.operatingSystem` (`operatingSystem`, default linux); pods carry `volumes`.
 * Lists honour `limit`/`continue` (opaque tokens), `labelSelector` (k=v, k!=v, k, !k) and
 * `fieldSelector` (metadata.name, metadata.namespace, spec.nodeName, status.phase; = and !=).
 * POST `.../subjectaccessreviews`, `selfsubjectaccessreviews`, `namespaces/NS/localsubjectaccessreviews`
 * answer with `scenario.access(attributes)`. Any other POST/PUT/PATCH (dry-run or not) goes to
 * `scenario.admission(request)`: default accepts (201, object echoed with uid/timestamps) except
 * privileged pods in a namespace labelled `pod-security.kubernetes.io/enforce=baseline|restricted`,
 * which get the real PodSecurity 403. Nothing is persisted.
 *
 * Auth, as a real server: `Authorization: Bearer <token>` must match `token` (401 otherwise);
 * with no Authorization header the caller is `system:anonymous`, allowed only /version, /healthz,
 * /readyz, /livez (403 elsewhere). 401/403/404 bodies are real `Status` objects, 403 naming the verb
 * and resource exactly as the API server does.
 *
 * Faults — `scenario.routes`, keyed `"METHOD /path"` or `"/path"`; `*` matches within one path
 * segment, `**` across segments, `"*"` alone matches everything; the query string is ignored.
 * Exact keys win over patterns; patterns apply in insertion order. Each override may set:
 * `status` (answer that code with a realistic Status body), `body`/`contentType`/`headers`
 * (replace the answer), `latencyMs` (delay, then answer normally), `hang` (never answer; the
 * socket is held until `close()`), `garbage` (200 + truncated JSON under application/json),
 * `times` (apply to the first N matching requests only, then fall through).
 *
 * Ready-made scenarios (fresh objects each call, modelled on real clusters): `scenarios.kubeadm()`
 * (v1.27.9, static control-plane pods, one lagging v1.26.12 worker), `eks()` (v1.29.4-eks-036c24b),
 * `gke()` (v1.30.5-gke.1014001, two node pools on different versions), `aks()` (v1.29.7),
 * `k3s()` (v1.28.3+k3s1). Each takes a partial scenario to merge over the preset.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';

// ───────────────────────────── scenario shape ─────────────────────────────

export interface FakeContainer {
  name: string;
  image: string;
  ready?: boolean;
  restartCount?: number;
  privileged?: boolean;
}

export interface FakeOwner {
  kind: 'Node' | 'ReplicaSet' | 'DaemonSet' | 'StatefulSet' | 'Job';
  name: string;
}

export interface FakePod {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers: FakeContainer[];
  initContainers?: FakeContainer[];
  nodeName?: string;
  phase?: 'Running' | 'Pending' | 'Succeeded' | 'Failed';
  /** Static pods: `{ kind: 'Node', name: nodeName }` (set automatically by `staticPod`). */
  owner?: FakeOwner;
  priorityClassName?: string;
  hostNetwork?: boolean;
  /** spec.volumes: `{ name, gitRepo: { repository } }` for the deprecated in-tree gitRepo type, else an emptyDir. */
  volumes?: FakeVolume[];
}

export interface FakeVolume {
  name: string;
  gitRepo?: { repository: string; revision?: string; directory?: string };
}

/** One ValidatingWebhookConfiguration: its webhooks by name, each calling a service. */
export interface FakeValidatingWebhookConfiguration {
  name: string;
  labels?: Record<string, string>;
  webhooks: Array<{ name: string; service?: { namespace: string; name: string; path?: string }; failurePolicy?: 'Fail' | 'Ignore' }>;
}

/** A feature gate as the API server's `kubernetes_feature_enabled` metric reports it. */
export interface FakeFeatureGate {
  name: string;
  stage?: 'ALPHA' | 'BETA' | '' | 'DEPRECATED';
  enabled: boolean;
}

export interface FakeNode {
  name: string;
  kubeletVersion: string;
  /** Defaults to kubeletVersion; "" to mimic 1.31+ where the field is deprecated. */
  kubeProxyVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  providerID?: string;
  ready?: boolean;
  unschedulable?: boolean;
  osImage?: string;
  containerRuntimeVersion?: string;
  kernelVersion?: string;
  architecture?: string;
  /** nodeInfo.operatingSystem and the kubernetes.io/os label; default "linux". */
  operatingSystem?: string;
  internalIP?: string;
  taints?: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }>;
}

export interface FakeNamespace {
  name: string;
  labels?: Record<string, string>;
}

export interface FakeWorkload {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  containers: FakeContainer[];
  /** Deployments: desired replicas. DaemonSets: desired scheduled pods. */
  replicas: number;
  readyReplicas?: number;
}

export interface FakeNetworkPolicy {
  namespace: string;
  name: string;
  podSelector?: Record<string, string>;
  policyTypes?: Array<'Ingress' | 'Egress'>;
}

export interface FakeHealthCheck {
  name: string;
  ok: boolean;
  /** Shown after "failed:"; the real server says "reason withheld". */
  reason?: string;
}

export interface FakeDeprecatedApi {
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  removedRelease: string;
}

/** What a SubjectAccessReview asks (user/groups empty for a SelfSubjectAccessReview: then `user` is the caller). */
export interface FakeAccessAttributes {
  user: string;
  groups: string[];
  verb: string;
  resource: string;
  group: string;
  subresource: string;
  namespace: string;
  name: string;
  /** Non-resource request ("/metrics"), else "". */
  path: string;
}

export interface FakeAccessDecision {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

export interface FakeWriteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  dryRun: boolean;
  namespace: string | null;
  /** Plural resource from the path: "pods", "networkpolicies". */
  resource: string;
  body: unknown;
  scenario: FakeScenario;
}

/** `undefined` → default behaviour (accept); otherwise answer with this status and message. */
export type FakeAdmissionResult = undefined | { status: number; reason: string; message: string };

export interface FakeRouteOverride {
  status?: number;
  body?: string | object;
  contentType?: string;
  headers?: Record<string, string>;
  latencyMs?: number;
  hang?: boolean;
  garbage?: boolean;
  /** Apply to the first N matching requests only. */
  times?: number;
}

export interface FakeVersion {
  gitVersion: string;
  /** Default from gitVersion; EKS and GKE really say "29+". */
  minor?: string;
  gitCommit?: string;
  buildDate?: string;
  goVersion?: string;
  platform?: string;
}

export interface FakeScenario {
  name: string;
  version: FakeVersion;
  nodes: FakeNode[];
  namespaces: FakeNamespace[];
  pods: FakePod[];
  deployments: FakeWorkload[];
  daemonSets: FakeWorkload[];
  networkPolicies: FakeNetworkPolicy[];
  readyz: FakeHealthCheck[];
  livez: FakeHealthCheck[];
  deprecatedApis: FakeDeprecatedApi[];
  /** Appended to /metrics verbatim. */
  extraMetrics?: string;
  /** `kubernetes_feature_enabled` lines of /metrics; none when absent. */
  featureGates?: FakeFeatureGate[];
  /** Listed at /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations (empty list when absent). */
  validatingWebhooks?: FakeValidatingWebhookConfiguration[];
  /** Decides SubjectAccessReviews; default allows everyone but system:anonymous. */
  access?: (attributes: FakeAccessAttributes) => FakeAccessDecision;
  /** Decides writes (dry-run or not); default: PodSecurity for privileged pods, else accept. */
  admission?: (request: FakeWriteRequest) => FakeAdmissionResult;
  /** Extra GET paths served verbatim (object → JSON). */
  extra?: Record<string, unknown>;
  routes?: Record<string, FakeRouteOverride>;
}

export interface FakeRequest {
  method: string;
  /** Path with query string, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface KubeconfigOptions {
  /** Context (and cluster/user) name; default "fake". */
  context?: string;
  /** Token the kubeconfig carries; default the server's token. Use another to get 401s. */
  token?: string | null;
  /** TLS mode: trust the fixture CA (default true). False → real verification failure. */
  trustCa?: boolean;
  /** Override the server URL (e.g. a closed port for ECONNREFUSED). */
  server?: string;
}

export interface FakeApiServer {
  /** "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT". */
  url: string;
  token: string;
  /** The identity the token maps to (named in 403 messages). */
  user: string;
  scenario: FakeScenario;
  setScenario(scenario: FakeScenario): void;
  /** Replace only the route overrides of the current scenario. */
  setRoutes(routes: Record<string, FakeRouteOverride>): void;
  requests: FakeRequest[];
  clearRequests(): void;
  kubeconfigYaml(options?: KubeconfigOptions): string;
  /** Write a kubeconfig to a temp file (removed by close()) and return its path. */
  writeKubeconfig(options?: KubeconfigOptions): Promise<string>;
  /** A KubeConfig already loaded with `kubeconfigYaml(options)`. */
  kubeConfig(options?: KubeconfigOptions): KubeConfig;
  close(): Promise<void>;
}

export interface CreateFakeApiServerOptions {
  scenario: FakeScenario;
  tls?: boolean;
  token?: string;
  user?: string;
}

const FIXTURE_DIR = new URL('../fixtures/kube/tls/', import.meta.url);
export const FAKE_TLS_CERT = readFileSync(new URL('server.crt', FIXTURE_DIR), 'utf8');
const FAKE_TLS_KEY = readFileSync(new URL('server.key', FIXTURE_DIR), 'utf8');

export const DEFAULT_FAKE_TOKEN = 'fake-token-k8s-advisor';
export const DEFAULT_FAKE_USER = 'system:serviceaccount:k8s-advisor:k8s-advisor';
const CREATED = '2024-03-01T09:00:00Z';

// ───────────────────────────── object builders ─────────────────────────────

function uid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function rv(...parts: string[]): string {
  return String(parseInt(createHash('sha1').update(parts.join('/')).digest('hex').slice(0, 6), 16));
}

function minorOf(v: FakeVersion): { major: string; minor: string } {
  const m = /^v?(\d+)\.(\d+)/.exec(v.gitVersion);
  return { major: m?.[1] ?? '1', minor: v.minor ?? m?.[2] ?? '0' };
}

function versionJson(v: FakeVersion): object {
  const { major, minor } = minorOf(v);
  return {
    major,
    minor,
    gitVersion: v.gitVersion,
    gitCommit: v.gitCommit ?? createHash('sha1').update(v.gitVersion).digest('hex'),
    gitTreeState: 'clean',
    buildDate: v.buildDate ?? '2024-04-16T01:16:40Z',
    goVersion: v.goVersion ?? 'go1.22.2',
    compiler: 'gc',
    platform: v.platform ?? 'linux/amd64',
  };
}

function nodeJson(n: FakeNode, index: number): object {
  const arch = n.architecture ?? 'amd64';
  const ip = n.internalIP ?? `10.0.${Math.floor(index / 250)}.${10 + (index % 250)}`;
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: n.name,
      uid: uid('node', n.name),
      resourceVersion: rv('node', n.name),
      creationTimestamp: CREATED,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': n.operatingSystem ?? 'linux',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': n.operatingSystem ?? 'linux',
        ...n.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...n.annotations,
      },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      ...(n.providerID ? { providerID: n.providerID } : {}),
      ...(n.unschedulable ? { unschedulable: true } : {}),
      ...(n.taints ? { taints: n.taints } : {}),
    },
    status: {
      capacity: { cpu: '4', 'ephemeral-storage': '83873772Ki', memory: '16265928Ki', pods: '110' },
      allocatable: { cpu: '3920m', 'ephemeral-storage': '76224326324', memory: '15341128Ki', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
        { type: 'DiskPressure', status: 'False', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
        { type: 'PIDPressure', status: 'False', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
        n.ready === false
          ? { type: 'Ready', status: 'Unknown', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }
          : { type: 'Ready', status: 'True', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: n.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: uid('machine', n.name).replace(/-/g, ''),
        systemUUID: uid('system', n.name),
        bootID: uid('boot', n.name),
        kernelVersion: n.kernelVersion ?? '5.15.0-1057-aws',
        osImage: n.osImage ?? 'Ubuntu 22.04.4 LTS',
        containerRuntimeVersion: n.containerRuntimeVersion ?? 'containerd://1.7.13',
        kubeletVersion: n.kubeletVersion,
        kubeProxyVersion: n.kubeProxyVersion ?? n.kubeletVersion,
        operatingSystem: n.operatingSystem ?? 'linux',
        architecture: arch,
      },
    },
  };
}

function namespaceJson(ns: FakeNamespace): object {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name: ns.name,
      uid: uid('ns', ns.name),
      resourceVersion: rv('ns', ns.name),
      creationTimestamp: CREATED,
      labels: { 'kubernetes.io/metadata.name': ns.name, ...ns.labels },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function ownerApiVersion(kind: FakeOwner['kind']): string {
  if (kind === 'Node') return 'v1';
  if (kind === 'Job') return 'batch/v1';
  return 'apps/v1';
}

function imageId(image: string): string {
  const at = image.indexOf('@');
  const repo = (at >= 0 ? image.slice(0, at) : image).replace(/:[^/:]+$/, '');
  const digest = at >= 0 ? image.slice(at + 1) : `sha256:${createHash('sha256').update(image).digest('hex')}`;
  return `${repo}@${digest}`;
}

function containerSpec(c: FakeContainer): object {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    resources: { requests: { cpu: '100m', memory: '90Mi' } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...(c.privileged ? { securityContext: { privileged: true } } : {}),
  };
}

function containerStatus(c: FakeContainer, running: boolean): object {
  return {
    name: c.name,
    image: c.image.includes('@') ? c.image.slice(0, c.image.indexOf('@')) : c.image,
    imageID: imageId(c.image),
    containerID: `containerd://${createHash('sha256').update(c.name + c.image).digest('hex')}`,
    ready: running && c.ready !== false,
    restartCount: c.restartCount ?? 0,
    started: running,
    state: running ? { running: { startedAt: CREATED } } : { waiting: { reason: 'ContainerCreating' } },
  };
}

function podJson(p: FakePod): object {
  const phase = p.phase ?? 'Running';
  const running = phase === 'Running';
  const allReady = running && p.containers.every((c) => c.ready !== false);
  const owner = p.owner;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: uid('pod', p.namespace, p.name),
      resourceVersion: rv('pod', p.namespace, p.name),
      creationTimestamp: CREATED,
      labels: p.labels ?? {},
      ...(p.annotations ? { annotations: p.annotations } : {}),
      ...(owner
        ? {
          ownerReferences: [{
            apiVersion: ownerApiVersion(owner.kind),
            kind: owner.kind,
            name: owner.name,
            uid: uid(owner.kind, p.namespace, owner.name),
            controller: true,
            ...(owner.kind === 'Node' ? {} : { blockOwnerDeletion: true }),
          }],
        }
        : {}),
    },
    spec: {
      ...(p.initContainers ? { initContainers: p.initContainers.map(containerSpec) } : {}),
      containers: p.containers.map(containerSpec),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
      ...(p.volumes ? { volumes: p.volumes.map((v) => (v.gitRepo ? { name: v.name, gitRepo: v.gitRepo } : { name: v.name, emptyDir: {} })) } : {}),
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      conditions: [
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: CREATED },
        { type: 'Ready', status: allReady ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: CREATED },
        { type: 'ContainersReady', status: allReady ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: CREATED },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: CREATED },
      ],
      hostIP: '10.0.0.10',
      podIP: p.hostNetwork ? '10.0.0.10' : `10.244.0.${(parseInt(rv(p.name), 10) % 250) + 2}`,
      startTime: CREATED,
      ...(p.initContainers ? { initContainerStatuses: p.initContainers.map((c) => ({ ...containerStatus(c, false), ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } })) } : {}),
      containerStatuses: p.containers.map((c) => containerStatus(c, running)),
      qosClass: 'Burstable',
    },
  };
}

function validatingWebhookJson(w: FakeValidatingWebhookConfiguration): object {
  return {
    kind: 'ValidatingWebhookConfiguration',
    apiVersion: 'admissionregistration.k8s.io/v1',
    metadata: { name: w.name, uid: uid('vwc', w.name), resourceVersion: rv('vwc', w.name), generation: 1, creationTimestamp: CREATED, labels: w.labels ?? {} },
    webhooks: w.webhooks.map((h) => ({
      name: h.name,
      clientConfig: h.service
        ? { service: { namespace: h.service.namespace, name: h.service.name, path: h.service.path ?? '/', port: 443 }, caBundle: '' }
        : { url: 'https://webhook.example.invalid/validate', caBundle: '' },
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['ingresses'], scope: '*' }],
      failurePolicy: h.failurePolicy ?? 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      sideEffects: 'None',
      timeoutSeconds: 10,
      admissionReviewVersions: ['v1'],
    })),
  };
}

function workloadJson(kind: 'Deployment' | 'DaemonSet', w: FakeWorkload): object {
  const ready = w.readyReplicas ?? w.replicas;
  const selector = { matchLabels: w.labels ?? { app: w.name } };
  const template = { metadata: { labels: w.labels ?? { app: w.name } }, spec: { containers: w.containers.map(containerSpec) } };
  const base = {
    kind,
    apiVersion: 'apps/v1',
    metadata: {
      name: w.name,
      namespace: w.namespace,
      uid: uid(kind, w.namespace, w.name),
      resourceVersion: rv(kind, w.namespace, w.name),
      generation: 1,
      creationTimestamp: CREATED,
      labels: w.labels ?? { app: w.name },
    },
  };
  if (kind === 'Deployment') {
    return {
      ...base,
      spec: { replicas: w.replicas, selector, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } } },
      status: { observedGeneration: 1, replicas: w.replicas, updatedReplicas: w.replicas, readyReplicas: ready, availableReplicas: ready, ...(ready < w.replicas ? { unavailableReplicas: w.replicas - ready } : {}) },
    };
  }
  return {
    ...base,
    spec: { selector, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } },
    status: { currentNumberScheduled: w.replicas, numberMisscheduled: 0, desiredNumberScheduled: w.replicas, numberReady: ready, observedGeneration: 1, updatedNumberScheduled: w.replicas, numberAvailable: ready },
  };
}

function networkPolicyJson(np: FakeNetworkPolicy): object {
  return {
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    metadata: { name: np.name, namespace: np.namespace, uid: uid('netpol', np.namespace, np.name), resourceVersion: rv('np', np.name), generation: 1, creationTimestamp: CREATED },
    spec: { podSelector: np.podSelector ? { matchLabels: np.podSelector } : {}, policyTypes: np.policyTypes ?? ['Ingress'] },
  };
}

function statusJson(code: number, reason: string, message: string, details?: object): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function metricsText(s: FakeScenario): string {
  const lines = [
    '# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.',
    '# TYPE apiserver_requested_deprecated_apis gauge',
    ...s.deprecatedApis.map((d) =>
      `apiserver_requested_deprecated_apis{group="${d.group}",removed_release="${d.removedRelease}",resource="${d.resource}",subresource="${d.subresource ?? ''}",version="${d.version}"} 1`),
    '# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    '# TYPE apiserver_request_total counter',
    'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="nodes",scope="cluster",subresource="",verb="LIST",version="v1"} 1843',
    'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 922',
    'apiserver_request_total{code="201",component="apiserver",dry_run="All",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 12',
    '# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
    '# TYPE apiserver_storage_objects gauge',
    `apiserver_storage_objects{resource="nodes"} ${s.nodes.length}`,
    `apiserver_storage_objects{resource="pods"} ${s.pods.length}`,
    `apiserver_storage_objects{resource="namespaces"} ${s.namespaces.length}`,
    '# HELP process_start_time_seconds [ALPHA] Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    'process_start_time_seconds 1.70928e+09',
  ];
  if (s.featureGates && s.featureGates.length > 0) {
    lines.push(
      '# HELP kubernetes_feature_enabled [BETA] This metric records the data about the stage and enablement of a k8s feature.',
      '# TYPE kubernetes_feature_enabled gauge',
      ...s.featureGates.map((g) => `kubernetes_feature_enabled{name="${g.name}",stage="${g.stage ?? 'BETA'}"} ${g.enabled ? 1 : 0}`),
    );
  }
  return `${lines.join('\n')}\n${s.extraMetrics ?? ''}`;
}

function healthText(kind: 'readyz' | 'livez' | 'healthz', checks: FakeHealthCheck[], verbose: boolean): { status: number; body: string } {
  const ok = checks.every((c) => c.ok);
  if (!verbose && ok) return { status: 200, body: 'ok' };
  const lines = checks.map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.reason ?? 'reason withheld'}`));
  lines.push(ok ? `${kind} check passed` : `${kind} check failed`);
  return { status: ok ? 200 : 500, body: `${lines.join('\n')}\n` };
}

export const DEFAULT_READYZ: FakeHealthCheck[] = [
  'ping', 'log', 'etcd', 'etcd-readiness', 'informer-sync', 'poststarthook/start-apiserver-admission-initializer',
  'poststarthook/generic-apiserver-start-informers', 'poststarthook/priority-and-fairness-config-consumer',
  'poststarthook/start-service-ip-repair-controllers', 'poststarthook/rbac/bootstrap-roles',
  'poststarthook/scheduling/bootstrap-system-priority-classes', 'poststarthook/apiservice-registration-controller',
  'shutdown',
].map((name) => ({ name, ok: true }));

export const DEFAULT_LIVEZ: FakeHealthCheck[] = [
  'ping', 'log', 'etcd', 'poststarthook/start-apiserver-admission-initializer', 'poststarthook/generic-apiserver-start-informers',
  'poststarthook/rbac/bootstrap-roles', 'poststarthook/apiservice-registration-controller',
].map((name) => ({ name, ok: true }));

// ───────────────────────────── request handling ─────────────────────────────

interface ResourcePath {
  group: string;
  version: string;
  namespace: string | null;
  resource: string;
  name: string | null;
  subresource: string | null;
}

/** Parse /api/v1/... and /apis/GROUP/VERSION/... into their parts; null for non-resource URLs. */
export function parseResourcePath(path: string): ResourcePath | null {
  const seg = path.split('/').filter(Boolean);
  let group = '';
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 2) {
    version = seg[1] ?? 'v1';
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 3) {
    group = seg[1] ?? '';
    version = seg[2] ?? '';
    rest = seg.slice(3);
  } else {
    return null;
  }
  if (rest.length === 0) return null;
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  return { group, version, namespace, resource: rest[0] ?? '', name: rest[1] ?? null, subresource: rest[2] ?? null };
}

function verbOf(method: string, rp: ResourcePath | null, query: URLSearchParams): string {
  const m = method.toUpperCase();
  if (m === 'GET') {
    if (query.get('watch') === 'true' || query.get('watch') === '1') return 'watch';
    return rp && rp.name !== null ? 'get' : rp ? 'list' : 'get';
  }
  return ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete', HEAD: 'get' } as Record<string, string>)[m] ?? m.toLowerCase();
}

/** The 403 Status body the real API server writes for this request. */
export function forbiddenStatus(user: string, method: string, path: string, query: URLSearchParams): object {
  const rp = parseResourcePath(path);
  const verb = verbOf(method, rp, query);
  if (!rp) {
    return statusJson(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"`, {});
  }
  const res = rp.subresource ? `${rp.resource}/${rp.subresource}` : rp.resource;
  const what = rp.name ? `${rp.resource} "${rp.name}"` : rp.group ? `${rp.resource}.${rp.group}` : rp.resource;
  const scope = rp.namespace ? `in the namespace "${rp.namespace}"` : 'at the cluster scope';
  return statusJson(403, 'Forbidden', `${what} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${rp.group}" ${scope}`,
    { ...(rp.name ? { name: rp.name } : {}), ...(rp.group ? { group: rp.group } : {}), kind: rp.resource });
}

function notFound(rp: ResourcePath | null): object {
  if (rp && rp.name) {
    return statusJson(404, 'NotFound', `${rp.group ? `${rp.resource}.${rp.group}` : rp.resource} "${rp.name}" not found`,
      { name: rp.name, ...(rp.group ? { group: rp.group } : {}), kind: rp.resource });
  }
  return statusJson(404, 'NotFound', 'the server could not find the requested resource', {});
}

function statusForCode(code: number, user: string, method: string, path: string, query: URLSearchParams): object {
  if (code === 401) return statusJson(401, 'Unauthorized', 'Unauthorized');
  if (code === 403) return forbiddenStatus(user, method, path, query);
  if (code === 404) return notFound(parseResourcePath(path));
  if (code === 409) return statusJson(409, 'AlreadyExists', 'object already exists');
  if (code === 422) return statusJson(422, 'Invalid', 'object is invalid');
  if (code === 429) return statusJson(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
  if (code === 503) return statusJson(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  if (code === 504) return statusJson(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request');
  if (code >= 500) return statusJson(code, 'InternalError', 'Internal error occurred: etcdserver: request timed out', { causes: [{ message: 'etcdserver: request timed out' }] });
  return statusJson(code, 'BadRequest', `request failed with status ${code}`);
}

function matchSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').map((s) => s.trim()).filter(Boolean).every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne) return labels[ne[1]!.trim()] !== ne[2]!.trim();
    const eq = /^([^!=]+)==?(.*)$/.exec(term);
    if (eq) return labels[eq[1]!.trim()] === eq[2]!.trim();
    if (term.startsWith('!')) return labels[term.slice(1)] === undefined;
    return labels[term] !== undefined;
  });
}

type Json = Record<string, unknown>;

function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

function matchFields(obj: unknown, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').filter(Boolean).every((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term.trim());
    if (!m) return true;
    const value = get(obj, m[1]!);
    const actual = value === undefined || value === null ? '' : String(value);
    return m[2] === '!=' ? actual !== m[3] : actual === m[3];
  });
}

function listJson(kind: string, apiVersion: string, items: object[], query: URLSearchParams): object {
  const filtered = items.filter((o) =>
    matchSelector((get(o, 'metadata.labels') as Record<string, string> | undefined) ?? {}, query.get('labelSelector'))
    && matchFields(o, query.get('fieldSelector')));
  const offset = query.get('continue') ? Number(Buffer.from(query.get('continue') ?? '', 'base64url').toString('utf8')) || 0 : 0;
  const limit = Number(query.get('limit') ?? '0');
  const page = limit > 0 ? filtered.slice(offset, offset + limit) : filtered.slice(offset);
  const next = limit > 0 && offset + limit < filtered.length ? Buffer.from(String(offset + limit)).toString('base64url') : null;
  return {
    kind,
    apiVersion,
    metadata: { resourceVersion: '918273', ...(next ? { continue: next, remainingItemCount: filtered.length - offset - limit } : {}) },
    items: page,
  };
}

const PUBLIC_PATHS = ['/version', '/healthz', '/readyz', '/livez'];

function isPublic(path: string): boolean {
  return PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function routeRegex(pattern: string): RegExp {
  const escaped = pattern.split('**').map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*');
  return new RegExp(`^${escaped}$`);
}

function findOverride(routes: Record<string, FakeRouteOverride> | undefined, method: string, path: string): { key: string; override: FakeRouteOverride } | null {
  if (!routes) return null;
  const exact = [`${method} ${path}`, path];
  for (const key of exact) {
    const o = routes[key];
    if (o) return { key, override: o };
  }
  for (const [key, override] of Object.entries(routes)) {
    if (key === '*') return { key, override };
    const sp = key.indexOf(' ');
    const keyMethod = sp > 0 && /^[A-Z]+$/.test(key.slice(0, sp)) ? key.slice(0, sp) : null;
    const pattern = keyMethod ? key.slice(sp + 1) : key;
    if (keyMethod && keyMethod !== method) continue;
    if (routeRegex(pattern).test(path)) return { key, override };
  }
  return null;
}

function defaultAccess(a: FakeAccessAttributes): FakeAccessDecision {
  if (a.user === 'system:anonymous') return { allowed: false, reason: '' };
  return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "fake-allow-all"' };
}

function isPrivilegedPod(body: unknown): string[] {
  const containers = get(body, 'spec.containers');
  if (!Array.isArray(containers)) return [];
  return containers
    .filter((c) => get(c, 'securityContext.privileged') === true)
    .map((c) => String(get(c, 'name') ?? 'container'));
}

function defaultAdmission(req: FakeWriteRequest): FakeAdmissionResult {
  if (req.resource !== 'pods' || req.method !== 'POST' || req.namespace === null) return undefined;
  const ns = req.scenario.namespaces.find((n) => n.name === req.namespace);
  const level = ns?.labels?.['pod-security.kubernetes.io/enforce'];
  if (level !== 'baseline' && level !== 'restricted') return undefined;
  const privileged = isPrivilegedPod(req.body);
  if (privileged.length === 0) return undefined;
  const name = String(get(req.body, 'metadata.name') ?? get(req.body, 'metadata.generateName') ?? 'pod');
  const version = ns?.labels?.['pod-security.kubernetes.io/enforce-version'] ?? 'latest';
  const which = privileged.map((c) => `container "${c}" must not set securityContext.privileged=true`).join(', ');
  const detail = privileged.length === 1 ? which : `containers ${privileged.map((c) => `"${c}"`).join(', ')} must not set securityContext.privileged=true`;
  return { status: 403, reason: 'Forbidden', message: `pods "${name}" is forbidden: violates PodSecurity "${level}:${version}": privileged (${detail})` };
}

function accessAttributes(body: unknown, kind: string, caller: string, pathNamespace: string | null): FakeAccessAttributes {
  const spec = get(body, 'spec');
  const ra = get(spec, 'resourceAttributes');
  const nra = get(spec, 'nonResourceAttributes');
  const self = kind === 'SelfSubjectAccessReview';
  return {
    user: self ? caller : String(get(spec, 'user') ?? ''),
    groups: self ? [] : ((get(spec, 'groups') as string[] | undefined) ?? []),
    verb: String(get(ra, 'verb') ?? get(nra, 'verb') ?? ''),
    resource: String(get(ra, 'resource') ?? ''),
    group: String(get(ra, 'group') ?? ''),
    subresource: String(get(ra, 'subresource') ?? ''),
    namespace: String(get(ra, 'namespace') ?? pathNamespace ?? ''),
    name: String(get(ra, 'name') ?? ''),
    path: String(get(nra, 'path') ?? ''),
  };
}

// ───────────────────────────── the server ─────────────────────────────

export async function createFakeApiServer(options: CreateFakeApiServerOptions): Promise<FakeApiServer> {
  const token = options.token ?? DEFAULT_FAKE_TOKEN;
  const user = options.user ?? DEFAULT_FAKE_USER;
  const tls = options.tls ?? false;
  let scenario = options.scenario;
  let used = new Map<string, number>();
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const tempDirs: string[] = [];

  const send = (res: ServerResponse, status: number, body: string | object, contentType = 'application/json', headers: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(text),
      'Audit-Id': uid(String(Date.now()), String(Math.random())),
      'Cache-Control': 'no-cache, private',
      'X-Kubernetes-Pf-Flowschema-Uid': uid('flowschema'),
      ...headers,
    });
    res.end(text);
  };

  const listOf = (path: string): { kind: string; apiVersion: string; items: object[] } | null => {
    const rp = parseResourcePath(path);
    if (!rp || rp.name !== null) return null;
    const inNs = <T extends { namespace: string }>(xs: T[]) => (rp.namespace ? xs.filter((x) => x.namespace === rp.namespace) : xs);
    const key = `${rp.group}/${rp.version}/${rp.resource}`;
    switch (key) {
      case '/v1/nodes': return rp.namespace ? null : { kind: 'NodeList', apiVersion: 'v1', items: scenario.nodes.map(nodeJson) };
      case '/v1/namespaces': return rp.namespace ? null : { kind: 'NamespaceList', apiVersion: 'v1', items: scenario.namespaces.map(namespaceJson) };
      case '/v1/pods': return { kind: 'PodList', apiVersion: 'v1', items: inNs(scenario.pods).map(podJson) };
      case 'apps/v1/deployments': return { kind: 'DeploymentList', apiVersion: 'apps/v1', items: inNs(scenario.deployments).map((w) => workloadJson('Deployment', w)) };
      case 'apps/v1/daemonsets': return { kind: 'DaemonSetList', apiVersion: 'apps/v1', items: inNs(scenario.daemonSets).map((w) => workloadJson('DaemonSet', w)) };
      case 'networking.k8s.io/v1/networkpolicies': return { kind: 'NetworkPolicyList', apiVersion: 'networking.k8s.io/v1', items: inNs(scenario.networkPolicies).map(networkPolicyJson) };
      case 'admissionregistration.k8s.io/v1/validatingwebhookconfigurations':
        return rp.namespace ? null : { kind: 'ValidatingWebhookConfigurationList', apiVersion: 'admissionregistration.k8s.io/v1', items: (scenario.validatingWebhooks ?? []).map(validatingWebhookJson) };
      default: return null;
    }
  };

  const getOne = (path: string): object | null | undefined => {
    const rp = parseResourcePath(path);
    if (!rp || rp.name === null || rp.subresource !== null) return undefined;
    const list = listOf(path.slice(0, path.lastIndexOf('/')));
    if (!list) return undefined;
    return list.items.find((o) => get(o, 'metadata.name') === rp.name) ?? null;
  };

  const handleGet = (req: FakeRequest, res: ServerResponse) => {
    const { path, query } = req;
    if (path === '/version') return send(res, 200, versionJson(scenario.version));
    if (path === '/metrics') return send(res, 200, metricsText(scenario), 'text/plain; version=0.0.4; charset=utf-8');
    for (const kind of ['readyz', 'livez', 'healthz'] as const) {
      const checks = kind === 'livez' ? scenario.livez : scenario.readyz;
      if (path === `/${kind}`) {
        const h = healthText(kind, checks, query.has('verbose'));
        return send(res, h.status, h.body, 'text/plain; charset=utf-8');
      }
      if (path.startsWith(`/${kind}/`)) {
        const check = checks.find((c) => c.name === path.slice(kind.length + 2));
        if (!check) return send(res, 404, '404 page not found', 'text/plain; charset=utf-8');
        return send(res, check.ok ? 200 : 500, check.ok ? 'ok' : `internal server error: ${check.reason ?? 'reason withheld'}\n`, 'text/plain; charset=utf-8');
      }
    }
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] });
    if (path === '/apis') {
      const groups = [['apps', 'v1'], ['authorization.k8s.io', 'v1'], ['networking.k8s.io', 'v1'], ['policy', 'v1'], ['admissionregistration.k8s.io', 'v1']];
      return send(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map(([name, v]) => ({ name, versions: [{ groupVersion: `${name}/${v}`, version: v }], preferredVersion: { groupVersion: `${name}/${v}`, version: v } })),
      });
    }
    if (scenario.extra && Object.hasOwn(scenario.extra, path)) {
      const body = scenario.extra[path];
      return send(res, 200, typeof body === 'string' ? body : (body as object));
    }
    const list = listOf(path);
    if (list) return send(res, 200, listJson(list.kind, list.apiVersion, list.items, query));
    const one = getOne(path);
    if (one) return send(res, 200, one);
    return send(res, 404, notFound(parseResourcePath(path)));
  };

  const handleWrite = (req: FakeRequest, res: ServerResponse) => {
    const { path, query, method } = req;
    let body: unknown;
    try {
      body = req.body ? JSON.parse(req.body) : {};
    } catch {
      return send(res, 400, statusJson(400, 'BadRequest', 'the object provided is unrecognized (must be of type Object): couldn\'t get version/kind; json parse error'));
    }
    const rp = parseResourcePath(path);
    if (!rp) return send(res, 404, notFound(null));
    if (method === 'POST' && rp.group === 'authorization.k8s.io' && /subjectaccessreviews$/.test(rp.resource)) {
      const kind = rp.resource === 'selfsubjectaccessreviews' ? 'SelfSubjectAccessReview'
        : rp.resource === 'localsubjectaccessreviews' ? 'LocalSubjectAccessReview' : 'SubjectAccessReview';
      const attrs = accessAttributes(body, kind, user, rp.namespace);
      const decision = (scenario.access ?? defaultAccess)(attrs);
      return send(res, 201, {
        kind,
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: get(body, 'spec') ?? {},
        status: { allowed: decision.allowed, ...(decision.denied ? { denied: true } : {}), ...(decision.reason ? { reason: decision.reason } : {}) },
      });
    }
    const write: FakeWriteRequest = {
      method, path, query, dryRun: query.getAll('dryRun').includes('All'), namespace: rp.namespace, resource: rp.resource, body, scenario,
    };
    const verdict = (scenario.admission ?? defaultAdmission)(write) ?? defaultAdmission(write);
    if (verdict) {
      return send(res, verdict.status, statusJson(verdict.status, verdict.reason, verdict.message, { name: String(get(body, 'metadata.name') ?? ''), kind: rp.resource }));
    }
    const name = String(get(body, 'metadata.name') ?? `${String(get(body, 'metadata.generateName') ?? 'obj-')}x7k2p`);
    const meta = (typeof get(body, 'metadata') === 'object' ? get(body, 'metadata') : {}) as Json;
    const echoed = {
      ...(body as Json),
      metadata: {
        ...meta,
        name,
        ...(rp.namespace ? { namespace: rp.namespace } : {}),
        uid: uid('created', path, name, String(Date.now())),
        resourceVersion: write.dryRun ? undefined : rv('created', name),
        generation: 1,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    };
    return send(res, method === 'POST' ? 201 : 200, echoed);
  };

  const respond = (req: FakeRequest, res: ServerResponse) => {
    const auth = req.headers.authorization;
    const caller = auth === undefined ? 'system:anonymous' : user;
    if (auth !== undefined && auth !== `Bearer ${token}`) return send(res, 401, statusForCode(401, caller, req.method, req.path, req.query));
    if (auth === undefined && !isPublic(req.path)) return send(res, 403, forbiddenStatus(caller, req.method, req.path, req.query));

    const hit = findOverride(scenario.routes, req.method, req.path);
    let o: FakeRouteOverride | null = null;
    if (hit) {
      const n = used.get(hit.key) ?? 0;
      if (hit.override.times === undefined || n < hit.override.times) {
        used.set(hit.key, n + 1);
        o = hit.override;
      }
    }
    const answer = () => {
      if (o?.hang) return; // hold the socket until close()
      if (o?.garbage) return send(res, 200, '{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":', 'application/json', o.headers);
      if (o?.body !== undefined) return send(res, o.status ?? 200, o.body, o.contentType ?? (typeof o.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'), o.headers);
      if (o?.status !== undefined) {
        const extra = o.status === 429 ? { 'Retry-After': '1', ...o.headers } : o.headers;
        return send(res, o.status, statusForCode(o.status, caller, req.method, req.path, req.query), 'application/json', extra);
      }
      if (req.method === 'GET' || req.method === 'HEAD') return handleGet(req, res);
      return handleWrite(req, res);
    };
    if (o?.latencyMs) {
      const t = setTimeout(answer, o.latencyMs);
      res.on('close', () => clearTimeout(t));
    } else {
      answer();
    }
  };

  const handler = (incoming: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://fake');
      const req: FakeRequest = {
        method: (incoming.method ?? 'GET').toUpperCase(),
        url: incoming.url ?? '/',
        path: url.pathname.replace(/\/+$/, '') || '/',
        query: url.searchParams,
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(req);
      try {
        respond(req, res);
      } catch (err) {
        send(res, 500, statusJson(500, 'InternalError', `fake apiserver bug: ${String(err)}`));
      }
    });
  };

  const server: Server = tls
    ? createHttpsServer({ cert: FAKE_TLS_CERT, key: FAKE_TLS_KEY }, handler)
    : createHttpServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  const kubeconfigYaml = (o: KubeconfigOptions = {}): string => {
    const name = o.context ?? 'fake';
    const cluster: Json = { server: o.server ?? url };
    if (tls && o.trustCa !== false) cluster['certificate-authority-data'] = Buffer.from(FAKE_TLS_CERT).toString('base64');
    // client-node refuses plain http unless TLS verification is explicitly off.
    if (!tls || (o.server ?? url).startsWith('http:')) cluster['insecure-skip-tls-verify'] = true;
    const tok = o.token === undefined ? token : o.token;
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster }],
      users: [{ name, user: tok === null ? {} : { token: tok } }],
      contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
      'current-context': name,
      preferences: {},
    });
  };

  const api: FakeApiServer = {
    url,
    token,
    user,
    get scenario() {
      return scenario;
    },
    set scenario(s: FakeScenario) {
      scenario = s;
      used = new Map();
    },
    setScenario(s) {
      scenario = s;
      used = new Map();
    },
    setRoutes(routes) {
      scenario = { ...scenario, routes };
      used = new Map();
    },
    requests,
    clearRequests() {
      requests.length = 0;
    },
    kubeconfigYaml,
    async writeKubeconfig(o = {}) {
      const dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-'));
      tempDirs.push(dir);
      const file = join(dir, 'kubeconfig');
      await writeFile(file, kubeconfigYaml(o), { mode: 0o600 });
      return file;
    },
    kubeConfig(o = {}) {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml(o));
      return kc;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
  return api;
}

// ───────────────────────────── ready-made scenarios ─────────────────────────────

function baseNamespaces(...extra: FakeNamespace[]): FakeNamespace[] {
  return [
    { name: 'default' }, { name: 'kube-system' }, { name: 'kube-public' }, { name: 'kube-node-lease' },
    { name: 'team-a', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
    ...extra,
  ];
}

/** A kubeadm-style static pod (mirror pod owned by its Node, component/tier labels). */
export function staticPod(component: string, node: string, image: string, tier = 'control-plane'): FakePod {
  return {
    namespace: 'kube-system',
    name: `${component}-${node}`,
    labels: { component, tier },
    annotations: {
      'kubernetes.io/config.hash': createHash('md5').update(component + node).digest('hex'),
      'kubernetes.io/config.mirror': createHash('md5').update(component + node).digest('hex'),
      'kubernetes.io/config.seen': CREATED,
      'kubernetes.io/config.source': 'file',
    },
    containers: [{ name: component, image }],
    nodeName: node,
    owner: { kind: 'Node', name: node },
    priorityClassName: 'system-node-critical',
    hostNetwork: true,
  };
}

/** One pod per node for a DaemonSet. */
export function daemonPods(namespace: string, ds: string, nodes: string[], containers: FakeContainer[], labels: Record<string, string> = { 'k8s-app': ds }): FakePod[] {
  return nodes.map((node) => ({
    namespace,
    name: `${ds}-${createHash('md5').update(ds + node).digest('hex').slice(0, 5)}`,
    labels: { ...labels, 'controller-revision-hash': '7d4b9c8f6', 'pod-template-generation': '1' },
    containers,
    nodeName: node,
    owner: { kind: 'DaemonSet', name: ds },
    priorityClassName: namespace === 'kube-system' ? 'system-node-critical' : undefined,
  } satisfies FakePod));
}

/** Pods of a Deployment (owned by its ReplicaSet), spread over the given nodes. */
export function deploymentPods(namespace: string, deploy: string, nodes: string[], replicas: number, containers: FakeContainer[], labels: Record<string, string> = { app: deploy }): FakePod[] {
  const rs = `${deploy}-${createHash('md5').update(deploy).digest('hex').slice(0, 10)}`;
  return Array.from({ length: replicas }, (_, i) => ({
    namespace,
    name: `${rs}-${createHash('md5').update(deploy + i).digest('hex').slice(0, 5)}`,
    labels: { ...labels, 'pod-template-hash': rs.slice(deploy.length + 1) },
    containers,
    nodeName: nodes[i % nodes.length] ?? '',
    owner: { kind: 'ReplicaSet', name: rs },
  }));
}

const INGRESS_NGINX_IMAGE = 'registry.k8s.io/ingress-nginx/controller:v1.11.4@sha256:981a97d78bee3109c0b149946c07989f8f1478a9265031d2d23dea839ba05b52';

function withOverrides(base: FakeScenario, overrides: Partial<FakeScenario>): FakeScenario {
  return { ...base, ...overrides };
}

function common(): Pick<FakeScenario, 'readyz' | 'livez' | 'networkPolicies' | 'deprecatedApis'> {
  return {
    readyz: DEFAULT_READYZ.map((c) => ({ ...c })),
    livez: DEFAULT_LIVEZ.map((c) => ({ ...c })),
    networkPolicies: [{ namespace: 'team-a', name: 'default-deny', policyTypes: ['Ingress', 'Egress'] }],
    deprecatedApis: [],
  };
}

function kubeadm(overrides: Partial<FakeScenario> = {}): FakeScenario {
  const cp = 'cp-1';
  const workers = ['worker-1', 'worker-2'];
  const all = [cp, ...workers];
  return withOverrides({
    name: 'kubeadm',
    version: { gitVersion: 'v1.27.9', goVersion: 'go1.20.12', buildDate: '2023-12-19T13:32:11Z' },
    nodes: [
      {
        name: cp, kubeletVersion: 'v1.27.9',
        labels: { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' },
        annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' },
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
        kernelVersion: '5.15.0-97-generic',
      },
      { name: 'worker-1', kubeletVersion: 'v1.27.9', annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' }, kernelVersion: '5.15.0-97-generic' },
      // A worker one minor behind, as during a rolling node upgrade.
      { name: 'worker-2', kubeletVersion: 'v1.26.12', annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' }, kernelVersion: '5.15.0-97-generic' },
    ],
    namespaces: baseNamespaces({ name: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } }),
    pods: [
      staticPod('etcd', cp, 'registry.k8s.io/etcd:3.5.10-0'),
      staticPod('kube-apiserver', cp, 'registry.k8s.io/kube-apiserver:v1.27.9'),
      staticPod('kube-controller-manager', cp, 'registry.k8s.io/kube-controller-manager:v1.27.9'),
      staticPod('kube-scheduler', cp, 'registry.k8s.io/kube-scheduler:v1.27.9'),
      ...daemonPods('kube-system', 'kube-proxy', all, [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.27.9' }]),
      ...deploymentPods('kube-system', 'coredns', [cp], 2, [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.10.1' }], { 'k8s-app': 'kube-dns' }),
      ...daemonPods('kube-system', 'calico-node', all, [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.2' }]),
      ...deploymentPods('ingress-nginx', 'ingress-nginx-controller', workers, 2, [{ name: 'controller', image: INGRESS_NGINX_IMAGE }],
        { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }),
      ...deploymentPods('kube-system', 'csi-nfs-controller', workers, 1, [
        { name: 'csi-provisioner', image: 'registry.k8s.io/sig-storage/csi-provisioner:v5.0.2' },
        { name: 'liveness-probe', image: 'registry.k8s.io/sig-storage/livenessprobe:v2.13.1' },
        { name: 'nfs', image: 'registry.k8s.io/sig-storage/nfsplugin:v4.9.0' },
      ], { app: 'csi-nfs-controller' }),
      ...deploymentPods('team-a', 'web', workers, 2, [{ name: 'web', image: 'docker.io/library/nginx:1.25.4' }]),
    ],
    deployments: [
      { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, replicas: 2, containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.10.1' }] },
      { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', replicas: 2, containers: [{ name: 'controller', image: INGRESS_NGINX_IMAGE }] },
      { namespace: 'kube-system', name: 'csi-nfs-controller', replicas: 1, containers: [{ name: 'nfs', image: 'registry.k8s.io/sig-storage/nfsplugin:v4.9.0' }] },
      { namespace: 'team-a', name: 'web', replicas: 2, containers: [{ name: 'web', image: 'docker.io/library/nginx:1.25.4' }] },
    ],
    daemonSets: [
      { namespace: 'kube-system', name: 'kube-proxy', replicas: 3, containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.27.9' }] },
      { namespace: 'kube-system', name: 'calico-node', replicas: 3, containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.2' }] },
    ],
    ...common(),
    deprecatedApis: [{ group: 'flowcontrol.apiserver.k8s.io', version: 'v1beta2', resource: 'flowschemas', removedRelease: '1.29' }],
  }, overrides);
}

function eks(overrides: Partial<FakeScenario> = {}): FakeScenario {
  const ecr = '602401143452.dkr.ecr.eu-west-1.amazonaws.com';
  const nodes = ['ip-10-0-1-23.eu-west-1.compute.internal', 'ip-10-0-2-41.eu-west-1.compute.internal'];
  return withOverrides({
    name: 'eks',
    version: { gitVersion: 'v1.29.4-eks-036c24b', minor: '29+', goVersion: 'go1.21.9', buildDate: '2024-04-30T23:53:58Z' },
    nodes: nodes.map((name, i) => ({
      name,
      kubeletVersion: 'v1.29.3-eks-ae9a62a',
      labels: {
        'eks.amazonaws.com/nodegroup': 'ng-default',
        'eks.amazonaws.com/nodegroup-image': 'ami-0c2b8ca1dad447f8a',
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        'node.kubernetes.io/instance-type': 'm5.large',
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': i === 0 ? 'eu-west-1a' : 'eu-west-1b',
      },
      providerID: `aws:///${i === 0 ? 'eu-west-1a' : 'eu-west-1b'}/i-0${(i + 1) * 1234567}abcdef0`,
      osImage: 'Amazon Linux 2',
      kernelVersion: '5.10.215-203.850.amzn2.x86_64',
      containerRuntimeVersion: 'containerd://1.7.11',
      internalIP: i === 0 ? '10.0.1.23' : '10.0.2.41',
    })),
    namespaces: baseNamespaces({ name: 'ingress-nginx' }),
    pods: [
      ...daemonPods('kube-system', 'aws-node', nodes, [
        { name: 'aws-node', image: `${ecr}/amazon-k8s-cni:v1.18.1-eksbuild.1` },
        { name: 'aws-eks-nodeagent', image: `${ecr}/amazon/aws-network-policy-agent:v1.1.1-eksbuild.1` },
      ]),
      ...daemonPods('kube-system', 'kube-proxy', nodes, [{ name: 'kube-proxy', image: `${ecr}/eks/kube-proxy:v1.29.3-minimal-eksbuild.2` }]),
      ...deploymentPods('kube-system', 'coredns', nodes, 2, [{ name: 'coredns', image: `${ecr}/eks/coredns:v1.11.1-eksbuild.9` }], { 'k8s-app': 'kube-dns' }),
      ...daemonPods('kube-system', 'csi-secrets-store', nodes, [
        { name: 'node-driver-registrar', image: 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.0' },
        { name: 'secrets-store', image: 'registry.k8s.io/csi-secrets-store/driver:v1.4.3' },
        { name: 'liveness-probe', image: 'registry.k8s.io/sig-storage/livenessprobe:v2.12.0' },
      ], { app: 'secrets-store-csi-driver' }),
      ...deploymentPods('ingress-nginx', 'ingress-nginx-controller', nodes, 2, [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.10.1@sha256:e24f39d3eed6bcc239a56f20098878845f62baa34b9f2be2fd2c38ce9fb0f29e' }],
        { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }),
    ],
    deployments: [
      { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, replicas: 2, containers: [{ name: 'coredns', image: `${ecr}/eks/coredns:v1.11.1-eksbuild.9` }] },
      { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', replicas: 2, containers: [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.10.1' }] },
    ],
    daemonSets: [
      { namespace: 'kube-system', name: 'aws-node', replicas: 2, containers: [{ name: 'aws-node', image: `${ecr}/amazon-k8s-cni:v1.18.1-eksbuild.1` }] },
      { namespace: 'kube-system', name: 'kube-proxy', replicas: 2, containers: [{ name: 'kube-proxy', image: `${ecr}/eks/kube-proxy:v1.29.3-minimal-eksbuild.2` }] },
    ],
    ...common(),
  }, overrides);
}

function gke(overrides: Partial<FakeScenario> = {}): FakeScenario {
  const pool1 = ['gke-prod-default-pool-1a2b3c4d-x7k2', 'gke-prod-default-pool-1a2b3c4d-q9m4'];
  const pool2 = ['gke-prod-pool-2-5e6f7a8b-h3j8'];
  const gkeNode = (name: string, pool: string, kubelet: string): FakeNode => ({
    name,
    kubeletVersion: kubelet,
    labels: {
      'cloud.google.com/gke-nodepool': pool,
      'cloud.google.com/gke-os-distribution': 'cos',
      'cloud.google.com/machine-family': 'e2',
      'node.kubernetes.io/instance-type': 'e2-standard-4',
      'topology.kubernetes.io/region': 'europe-west1',
      'topology.kubernetes.io/zone': 'europe-west1-b',
    },
    providerID: `gce://acme-prod/europe-west1-b/${name}`,
    osImage: 'Container-Optimized OS from Google',
    kernelVersion: '6.1.100+',
    containerRuntimeVersion: 'containerd://1.7.22',
  });
  return withOverrides({
    name: 'gke',
    version: { gitVersion: 'v1.30.5-gke.1014001', minor: '30+', goVersion: 'go1.22.6 X:boringcrypto', buildDate: '2024-09-11T04:11:52Z' },
    nodes: [
      ...pool1.map((n) => gkeNode(n, 'default-pool', 'v1.30.5-gke.1014001')),
      // A second pool still on the previous minor: node auto-upgrade has not reached it.
      ...pool2.map((n) => gkeNode(n, 'pool-2', 'v1.29.8-gke.1211000')),
    ],
    namespaces: baseNamespaces({ name: 'gmp-system' }),
    pods: [
      // GKE runs kube-proxy as a static pod per node, labelled component=kube-proxy, tier=node.
      ...pool1.map((n) => staticPod('kube-proxy', n, 'gke.gcr.io/kube-proxy-amd64:v1.30.5-gke.1014001', 'node')),
      ...pool2.map((n) => staticPod('kube-proxy', n, 'gke.gcr.io/kube-proxy-amd64:v1.29.8-gke.1211000', 'node')),
      ...daemonPods('kube-system', 'fluentbit-gke', [...pool1, ...pool2], [{ name: 'fluentbit', image: 'gke.gcr.io/fluent-bit:v1.8.12-gke.39' }]),
      ...deploymentPods('kube-system', 'konnectivity-agent', pool1, 2, [{ name: 'konnectivity-agent', image: 'gke.gcr.io/proxy-agent:v0.30.3-gke.2' }]),
      ...deploymentPods('kube-system', 'kube-dns', pool1, 2, [{ name: 'kubedns', image: 'gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9' }], { 'k8s-app': 'kube-dns' }),
      ...deploymentPods('kube-system', 'metrics-server-v1.30.3', pool1, 1, [{ name: 'metrics-server', image: 'gke.gcr.io/metrics-server:v0.7.1-gke.23' }]),
      ...deploymentPods('ingress-nginx', 'ingress-nginx-controller', pool1, 2, [{ name: 'controller', image: INGRESS_NGINX_IMAGE }],
        { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }),
    ],
    deployments: [
      { namespace: 'kube-system', name: 'kube-dns', labels: { 'k8s-app': 'kube-dns' }, replicas: 2, containers: [{ name: 'kubedns', image: 'gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9' }] },
      { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', replicas: 2, containers: [{ name: 'controller', image: INGRESS_NGINX_IMAGE }] },
    ],
    daemonSets: [{ namespace: 'kube-system', name: 'fluentbit-gke', replicas: 3, containers: [{ name: 'fluentbit', image: 'gke.gcr.io/fluent-bit:v1.8.12-gke.39' }] }],
    ...common(),
  }, overrides);
}

function aks(overrides: Partial<FakeScenario> = {}): FakeScenario {
  const nodes = ['aks-nodepool1-12345678-vmss000000', 'aks-nodepool1-12345678-vmss000001'];
  return withOverrides({
    name: 'aks',
    version: { gitVersion: 'v1.29.7', goVersion: 'go1.22.5', buildDate: '2024-07-17T07:35:11Z' },
    nodes: nodes.map((name, i) => ({
      name,
      kubeletVersion: 'v1.29.7',
      labels: {
        agentpool: 'nodepool1',
        'kubernetes.azure.com/agentpool': 'nodepool1',
        'kubernetes.azure.com/cluster': 'MC_rg-prod_aks-prod_westeurope',
        'kubernetes.azure.com/mode': 'system',
        'kubernetes.azure.com/node-image-version': 'AKSUbuntu-2204gen2containerd-202408.12.0',
        'kubernetes.azure.com/os-sku': 'Ubuntu',
        'node.kubernetes.io/instance-type': 'Standard_D4s_v3',
        'topology.kubernetes.io/region': 'westeurope',
      },
      providerID: `azure:///subscriptions/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0/resourceGroups/mc_rg-prod_aks-prod_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/${i}`,
      osImage: 'Ubuntu 22.04.4 LTS',
      kernelVersion: '5.15.0-1068-azure',
      containerRuntimeVersion: 'containerd://1.7.20-1',
    })),
    namespaces: baseNamespaces({ name: 'app-routing-system' }),
    pods: [
      ...daemonPods('kube-system', 'kube-proxy', nodes, [{ name: 'kube-proxy', image: 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.29.7-hotfix.20240712' }], { component: 'kube-proxy', tier: 'node' }),
      ...deploymentPods('kube-system', 'coredns', nodes, 2, [{ name: 'coredns', image: 'mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4-hotfix.20240704' }], { 'k8s-app': 'kube-dns' }),
      ...daemonPods('kube-system', 'csi-azurefile-node', nodes, [
        { name: 'liveness-probe', image: 'mcr.microsoft.com/oss/kubernetes-csi/livenessprobe:v2.13.1' },
        { name: 'node-driver-registrar', image: 'mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.11.1' },
        { name: 'azurefile', image: 'mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi:v1.30.3' },
      ], { app: 'csi-azurefile-node' }),
      ...daemonPods('kube-system', 'aks-secrets-store-csi-driver', nodes, [
        { name: 'secrets-store', image: 'mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver:v1.4.4' },
      ], { app: 'secrets-store-csi-driver' }),
      ...deploymentPods('app-routing-system', 'nginx', nodes, 2, [{ name: 'controller', image: 'mcr.microsoft.com/oss/kubernetes/ingress/nginx-ingress-controller:v1.11.2' }], { app: 'nginx' }),
    ],
    deployments: [
      { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, replicas: 2, containers: [{ name: 'coredns', image: 'mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4-hotfix.20240704' }] },
      { namespace: 'app-routing-system', name: 'nginx', replicas: 2, containers: [{ name: 'controller', image: 'mcr.microsoft.com/oss/kubernetes/ingress/nginx-ingress-controller:v1.11.2' }] },
    ],
    daemonSets: [{ namespace: 'kube-system', name: 'csi-azurefile-node', replicas: 2, containers: [{ name: 'azurefile', image: 'mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi:v1.30.3' }] }],
    ...common(),
  }, overrides);
}

function k3s(overrides: Partial<FakeScenario> = {}): FakeScenario {
  const node = 'k3s-server-1';
  return withOverrides({
    name: 'k3s',
    version: { gitVersion: 'v1.28.3+k3s1', goVersion: 'go1.20.10', buildDate: '2023-10-31T03:15:26Z' },
    nodes: [{
      name: node,
      kubeletVersion: 'v1.28.3+k3s1',
      kubeProxyVersion: 'v1.28.3+k3s1',
      labels: {
        'node.kubernetes.io/instance-type': 'k3s',
        'node-role.kubernetes.io/control-plane': 'true',
        'node-role.kubernetes.io/master': 'true',
        'beta.kubernetes.io/instance-type': 'k3s',
      },
      annotations: { 'k3s.io/node-args': '["server"]', 'k3s.io/hostname': node },
      providerID: `k3s://${node}`,
      osImage: 'Ubuntu 22.04.3 LTS',
      containerRuntimeVersion: 'containerd://1.7.7-k3s1',
    }],
    namespaces: baseNamespaces(),
    pods: [
      // k3s runs the control plane and kube-proxy inside its own binary: no pods for them.
      ...deploymentPods('kube-system', 'coredns', [node], 1, [{ name: 'coredns', image: 'rancher/mirrored-coredns-coredns:1.10.1' }], { 'k8s-app': 'kube-dns' }),
      ...deploymentPods('kube-system', 'local-path-provisioner', [node], 1, [{ name: 'local-path-provisioner', image: 'rancher/local-path-provisioner:v0.0.24' }]),
      ...deploymentPods('kube-system', 'metrics-server', [node], 1, [{ name: 'metrics-server', image: 'rancher/mirrored-metrics-server:v0.6.3' }]),
      ...deploymentPods('kube-system', 'traefik', [node], 1, [{ name: 'traefik', image: 'rancher/mirrored-library-traefik:2.10.5' }]),
      { namespace: 'kube-system', name: 'helm-install-traefik-crd-5xvnq', containers: [{ name: 'helm', image: 'rancher/klipper-helm:v0.8.2-build20230815' }], phase: 'Succeeded', owner: { kind: 'Job', name: 'helm-install-traefik-crd' } },
      ...daemonPods('kube-system', 'csi-smb-node', [node], [{ name: 'smb', image: 'registry.k8s.io/sig-storage/smbplugin:v1.13.0' }], { app: 'csi-smb-node' }),
    ],
    deployments: [
      { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, replicas: 1, containers: [{ name: 'coredns', image: 'rancher/mirrored-coredns-coredns:1.10.1' }] },
      { namespace: 'kube-system', name: 'traefik', replicas: 1, containers: [{ name: 'traefik', image: 'rancher/mirrored-library-traefik:2.10.5' }] },
    ],
    daemonSets: [{ namespace: 'kube-system', name: 'csi-smb-node', replicas: 1, containers: [{ name: 'smb', image: 'registry.k8s.io/sig-storage/smbplugin:v1.13.0' }] }],
    ...common(),
  }, overrides);
}

export const scenarios = { kubeadm, eks, gke, aks, k3s } as const;
export type ScenarioName = keyof typeof scenarios;
