/**
 * Objects the verification probes read that the fake API server does not model natively
 * (StatefulSets, PodDisruptionBudgets, admission webhooks, EndpointSlices), served through the
 * scenario's `extra` paths, plus helpers to patch a served list (crash-looping pods, NotReady
 * nodes) and to write a config file for a fake cluster.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeApiServer, FakeScenario } from './fake-apiserver.ts';

const CREATED = '2024-03-01T09:00:00Z';

export interface FakePdb {
  namespace: string;
  name: string;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector?: Record<string, string>;
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}

export interface FakeStatefulSet {
  namespace: string;
  name: string;
  replicas: number;
  labels?: Record<string, string>;
  terminationGracePeriodSeconds?: number;
}

export interface FakeWebhook {
  kind: 'validating' | 'mutating';
  config: string;
  name: string;
  failurePolicy?: 'Fail' | 'Ignore';
  service?: { namespace: string; name: string };
  url?: string;
  /** PEM text; served base64-encoded as the API does. */
  caPem?: string;
}

export interface FakeEndpointSlice {
  namespace: string;
  service: string;
  ready: boolean[];
}

export interface ProbeObjects {
  pdbs?: FakePdb[];
  statefulSets?: FakeStatefulSet[];
  webhooks?: FakeWebhook[];
  endpointSlices?: FakeEndpointSlice[];
}

const list = (kind: string, apiVersion: string, items: object[]) => ({ kind, apiVersion, metadata: { resourceVersion: '4711' }, items });

function pdbJson(p: FakePdb): object {
  return {
    kind: 'PodDisruptionBudget', apiVersion: 'policy/v1',
    metadata: { name: p.name, namespace: p.namespace, creationTimestamp: CREATED, generation: 1 },
    spec: {
      ...(p.minAvailable !== undefined ? { minAvailable: p.minAvailable } : {}),
      ...(p.maxUnavailable !== undefined ? { maxUnavailable: p.maxUnavailable } : {}),
      selector: { matchLabels: p.selector ?? { app: p.name } },
    },
    status: {
      observedGeneration: 1, disruptionsAllowed: p.disruptionsAllowed, currentHealthy: p.currentHealthy,
      desiredHealthy: p.desiredHealthy, expectedPods: p.expectedPods,
      conditions: [{ type: 'DisruptionAllowed', status: p.disruptionsAllowed > 0 ? 'True' : 'False', reason: p.disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods', message: '', lastTransitionTime: CREATED, observedGeneration: 1 }],
    },
  };
}

function statefulSetJson(s: FakeStatefulSet): object {
  const labels = s.labels ?? { app: s.name };
  return {
    kind: 'StatefulSet', apiVersion: 'apps/v1',
    metadata: { name: s.name, namespace: s.namespace, creationTimestamp: CREATED, generation: 1, labels },
    spec: {
      replicas: s.replicas, serviceName: s.name, selector: { matchLabels: labels }, podManagementPolicy: 'OrderedReady',
      template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: s.terminationGracePeriodSeconds ?? 30, containers: [{ name: s.name, image: 'docker.io/library/postgres:16.2' }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    },
    status: { observedGeneration: 1, replicas: s.replicas, readyReplicas: s.replicas, currentReplicas: s.replicas, updatedReplicas: s.replicas, availableReplicas: s.replicas },
  };
}

function webhookConfigs(kind: 'validating' | 'mutating', hooks: FakeWebhook[]): object {
  const Kind = kind === 'validating' ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration';
  const byConfig = new Map<string, FakeWebhook[]>();
  for (const h of hooks.filter((x) => x.kind === kind)) byConfig.set(h.config, [...(byConfig.get(h.config) ?? []), h]);
  return list(`${Kind}List`, 'admissionregistration.k8s.io/v1', [...byConfig.entries()].map(([config, hs]) => ({
    kind: Kind, apiVersion: 'admissionregistration.k8s.io/v1',
    metadata: { name: config, creationTimestamp: CREATED, generation: 1 },
    webhooks: hs.map((h) => ({
      name: h.name,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      timeoutSeconds: 10,
      ...(h.failurePolicy ? { failurePolicy: h.failurePolicy } : {}),
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: '*' }],
      clientConfig: {
        ...(h.service ? { service: { namespace: h.service.namespace, name: h.service.name, path: '/validate', port: 443 } } : {}),
        ...(h.url ? { url: h.url } : {}),
        ...(h.caPem ? { caBundle: Buffer.from(h.caPem).toString('base64') } : {}),
      },
      ...(kind === 'mutating' ? { reinvocationPolicy: 'Never' } : {}),
    })),
  })));
}

function endpointSliceJson(e: FakeEndpointSlice, i: number): object {
  return {
    kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', addressType: 'IPv4',
    metadata: { name: `${e.service}-${String(i).padStart(5, 'x')}`, namespace: e.namespace, creationTimestamp: CREATED, labels: { 'kubernetes.io/service-name': e.service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    endpoints: e.ready.map((ready, j) => ({ addresses: [`10.244.1.${10 + j}`], conditions: { ready, serving: ready, terminating: false }, nodeName: 'worker-1' })),
    ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
  };
}

/** The scenario with these objects served (and empty lists for the kinds not given). */
export function withProbeObjects(scenario: FakeScenario, objects: ProbeObjects = {}): FakeScenario {
  const extra: Record<string, unknown> = { ...scenario.extra };
  extra['/apis/policy/v1/poddisruptionbudgets'] = list('PodDisruptionBudgetList', 'policy/v1', (objects.pdbs ?? []).map(pdbJson));
  extra['/apis/apps/v1/statefulsets'] = list('StatefulSetList', 'apps/v1', (objects.statefulSets ?? []).map(statefulSetJson));
  extra['/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations'] = webhookConfigs('validating', objects.webhooks ?? []);
  extra['/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations'] = webhookConfigs('mutating', objects.webhooks ?? []);
  const namespaces = new Set([...(objects.webhooks ?? []).flatMap((w) => (w.service ? [w.service.namespace] : [])), ...(objects.endpointSlices ?? []).map((e) => e.namespace)]);
  for (const ns of namespaces) {
    extra[`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`] = list('EndpointSliceList', 'discovery.k8s.io/v1',
      (objects.endpointSlices ?? []).filter((e) => e.namespace === ns).map(endpointSliceJson));
  }
  return { ...scenario, extra };
}

/**
 * Fetch a list the fake serves, change it, and serve the changed copy from then on
 * (e.g. give a pod a CrashLoopBackOff container status, or a node a NotReady condition).
 */
export async function patchServedList(api: FakeApiServer, path: string, mutate: (items: Record<string, unknown>[]) => void): Promise<void> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } });
  const body = await res.json() as { items: Record<string, unknown>[] };
  mutate(body.items);
  api.setRoutes({ ...api.scenario.routes, [`GET ${path}`]: { body } });
}

/** A self-signed CA certificate valid from now for `days` days, made with openssl. Shift the probe clock to test expiry. */
export function selfSignedCa(days: number, cn = 'webhook-ca'): string {
  const dir = mkdtempSync(join(tmpdir(), 'ca-'));
  try {
    const key = join(dir, 'k.pem');
    const crt = join(dir, 'c.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', String(days), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return readFileSync(crt, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Write a config file naming the given clusters; returns its path and a cleanup. */
export function writeConfig(yaml: string): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-cfg-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yaml);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
