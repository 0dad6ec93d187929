import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClient, type KubeClient } from '../../../src/kube/client.ts';
import { inventoryAgeMs, readInventory } from '../../../src/inventory/live.ts';
import type { ClusterInventory } from '../../../src/inventory/types.ts';
import { createFakeApiServer, deploymentPods, scenarios, type FakeApiServer, type FakeRouteOverride, type FakeScenario } from '../../helpers/fake-apiserver.ts';

const NOW = new Date('2026-03-10T08:00:00Z');
const now = () => NOW;

let api: FakeApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(scenario: FakeScenario, options: { tls?: boolean } = {}): Promise<FakeApiServer> {
  api = await createFakeApiServer({ scenario, ...options });
  return api;
}

function clientFor(server: FakeApiServer, timeoutMs = 5000, token?: string | null): KubeClient {
  return createKubeClient({ cluster: { name: 'c1' }, kubeConfig: server.kubeConfig(token === undefined ? {} : { token }), timeoutMs });
}

function read(client: KubeClient, extra: { previous?: ClusterInventory | null; pageSize?: number; provider?: ClusterInventory['provider'] } = {}) {
  return readInventory({
    client, cluster: { name: 'c1', provider: extra.provider }, environment: 'prod', now,
    previous: extra.previous ?? null, ...(extra.pageSize ? { pageSize: extra.pageSize } : {}),
  });
}

describe('readInventory: per distribution', () => {
  it('kubeadm: server, mixed kubelets, control plane from static pods, add-ons from images', async () => {
    const inv = await read(clientFor(await start(scenarios.kubeadm())));
    expect(inv).toMatchObject({
      cluster: 'c1', environment: 'prod', provider: 'kubeadm', source: 'live', collectedAt: NOW.toISOString(),
      server: 'v1.27.9', error: null,
    });
    expect(inv.nodes).toEqual([
      { name: 'cp-1', kubelet: 'v1.27.9', kubeProxy: 'v1.27.9', os: 'linux' },
      { name: 'worker-1', kubelet: 'v1.27.9', kubeProxy: 'v1.27.9', os: 'linux' },
      { name: 'worker-2', kubelet: 'v1.26.12', kubeProxy: 'v1.27.9', os: 'linux' },
    ]);
    expect(inv.components).toEqual({
      'csi-driver-nfs': 'v4.9.0',
      etcd: '3.5.10-0',
      'ingress-nginx': 'v1.11.4',
      'kube-apiserver': 'v1.27.9',
      'kube-controller-manager': 'v1.27.9',
      'kube-scheduler': 'v1.27.9',
    });
    expect(inv.warnings).toBeUndefined();
  });

  it('eks: managed version strings, no control plane, kube-proxy from its pod image', async () => {
    const inv = await read(clientFor(await start(scenarios.eks())));
    expect(inv.provider).toBe('eks');
    expect(inv.server).toBe('v1.29.4-eks-036c24b');
    expect(inv.nodes).toHaveLength(2);
    expect(inv.nodes[0]).toEqual({ name: 'ip-10-0-1-23.eu-west-1.compute.internal', kubelet: 'v1.29.3-eks-ae9a62a', kubeProxy: 'v1.29.3-minimal-eksbuild.2', os: 'linux' });
    expect(inv.components).toEqual({ 'ingress-nginx': 'v1.10.1', 'secrets-store-csi-driver': 'v1.4.3' });
  });

  it('gke: two node pools on different minors, kube-proxy static pods per node', async () => {
    const inv = await read(clientFor(await start(scenarios.gke())));
    expect(inv.provider).toBe('gke');
    expect(inv.server).toBe('v1.30.5-gke.1014001');
    const kubelets = Object.fromEntries(inv.nodes.map((n) => [n.name, [n.kubelet, n.kubeProxy]]));
    expect(kubelets).toEqual({
      'gke-prod-default-pool-1a2b3c4d-q9m4': ['v1.30.5-gke.1014001', 'v1.30.5-gke.1014001'],
      'gke-prod-default-pool-1a2b3c4d-x7k2': ['v1.30.5-gke.1014001', 'v1.30.5-gke.1014001'],
      'gke-prod-pool-2-5e6f7a8b-h3j8': ['v1.29.8-gke.1211000', 'v1.29.8-gke.1211000'],
    });
    expect(inv.components).toEqual({ 'ingress-nginx': 'v1.11.4' });
    expect(inv.components['kube-apiserver']).toBeUndefined();
  });

  it('aks: plain server version, provider from node labels, Azure CSI add-ons from MCR images', async () => {
    const inv = await read(clientFor(await start(scenarios.aks())));
    expect(inv.provider).toBe('aks');
    expect(inv.server).toBe('v1.29.7');
    expect(inv.nodes.every((n) => n.kubelet === 'v1.29.7' && n.kubeProxy === 'v1.29.7-hotfix.20240712')).toBe(true);
    expect(inv.components).toEqual({
      'azure-file-csi-driver': 'v1.30.3',
      'ingress-nginx': 'v1.11.2',
      'secrets-store-csi-driver': 'v1.4.4',
    });
  });

  it('k3s: +k3s1 build, kube-proxy only in nodeInfo, finished Jobs ignored', async () => {
    const inv = await read(clientFor(await start(scenarios.k3s())));
    expect(inv.provider).toBe('k3s');
    expect(inv.server).toBe('v1.28.3+k3s1');
    expect(inv.nodes).toEqual([{ name: 'k3s-server-1', kubelet: 'v1.28.3+k3s1', kubeProxy: 'v1.28.3+k3s1', os: 'linux' }]);
    expect(inv.components).toEqual({ 'csi-driver-smb': 'v1.13.0' });
  });

  it('works over HTTPS too', async () => {
    const inv = await read(clientFor(await start(scenarios.eks(), { tls: true })));
    expect(inv.source).toBe('live');
    expect(inv.server).toBe('v1.29.4-eks-036c24b');
  });

  it('the configured provider wins', async () => {
    const inv = await read(clientFor(await start(scenarios.kubeadm())), { provider: 'other' });
    expect(inv.provider).toBe('other');
  });

  it('follows continue tokens across pages', async () => {
    const server = await start(scenarios.kubeadm());
    const paged = await read(clientFor(server), { pageSize: 2 });
    const whole = await read(clientFor(server));
    expect(paged).toEqual(whole);
    expect(server.requests.filter((r) => r.path === '/api/v1/pods' && r.query.has('continue')).length).toBeGreaterThan(3);
  });

  it('several versions of one add-on: the oldest is judged, with a warning', async () => {
    const scenario = scenarios.kubeadm();
    scenario.pods.push(...deploymentPods('ingress-internal', 'ingress-nginx-internal', ['worker-1'], 1,
      [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.9.6' }]));
    const inv = await read(clientFor(await start(scenario)));
    expect(inv.components['ingress-nginx']).toBe('v1.9.6');
    expect(inv.warnings).toEqual(['ingress-nginx: several versions running (v1.9.6, v1.11.4); judged by the oldest, v1.9.6']);
  });

  it('an add-on image without a version tag is reported, not guessed', async () => {
    const scenario = scenarios.k3s();
    scenario.pods.push(...deploymentPods('ingress-nginx', 'ingress-nginx-controller', ['k3s-server-1'], 1,
      [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller@sha256:981a97d78bee3109c0b149946c07989f8f1478a9265031d2d23dea839ba05b52' }]));
    const inv = await read(clientFor(await start(scenario)));
    expect(inv.components['ingress-nginx']).toBeUndefined();
    expect(inv.warnings?.[0]).toMatch(/^ingress-nginx: image registry\.k8s\.io\/ingress-nginx\/controller@sha256:.* has no version tag; version unknown$/);
  });
});

describe('readInventory: cluster trouble never throws', () => {
  const PREVIOUS: ClusterInventory = {
    cluster: 'c1', environment: 'prod', provider: 'eks', source: 'live', collectedAt: '2026-03-09T20:00:00.000Z',
    server: 'v1.29.4-eks-036c24b', nodes: [{ name: 'n1', kubelet: 'v1.29.3-eks-ae9a62a', kubeProxy: null }],
    components: { 'ingress-nginx': 'v1.10.1' }, error: null,
  };

  const everything = (o: FakeRouteOverride): FakeScenario => ({ ...scenarios.eks(), routes: { '*': o } });

  it.each<[string, () => Promise<KubeClient>, string]>([
    ['401 (token rejected)', async () => clientFor(await start(scenarios.eks()), 5000, 'revoked-token'), 'CLUSTER_UNAUTHORIZED'],
    ['403 everywhere', async () => clientFor(await start(everything({ status: 403 }))), 'CLUSTER_FORBIDDEN'],
    ['500 everywhere', async () => clientFor(await start(everything({ status: 500 }))), 'CLUSTER_BAD_RESPONSE'],
    ['503 everywhere', async () => clientFor(await start(everything({ status: 503 }))), 'CLUSTER_BAD_RESPONSE'],
    ['slower than the timeout', async () => clientFor(await start(everything({ latencyMs: 5000 })), 150), 'CLUSTER_TIMEOUT'],
    ['hung', async () => clientFor(await start(everything({ hang: true })), 150), 'CLUSTER_TIMEOUT'],
    ['hung only on nodes', async () => clientFor(await start({ ...scenarios.eks(), routes: { '/api/v1/nodes': { hang: true } } }), 150), 'CLUSTER_TIMEOUT'],
    ['garbage JSON', async () => clientFor(await start(everything({ garbage: true }))), 'CLUSTER_BAD_RESPONSE'],
    ['HTML from a proxy', async () => clientFor(await start(everything({ body: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' }))), 'CLUSTER_BAD_RESPONSE'],
    ['JSON of the wrong shape', async () => clientFor(await start(everything({ body: { hello: 'world' } }))), 'CLUSTER_BAD_RESPONSE'],
    ['untrusted certificate', async () => {
      const server = await start(scenarios.eks(), { tls: true });
      return createKubeClient({ cluster: { name: 'c1' }, kubeConfig: server.kubeConfig({ trustCa: false }), timeoutMs: 5000 });
    }, 'CLUSTER_TLS'],
  ])('%s → %s, previous inventory served as cached', async (_label, makeClient, code) => {
    const inv = await read(await makeClient(), { previous: PREVIOUS });
    expect(inv.source).toBe('cached');
    expect(inv.collectedAt).toBe(PREVIOUS.collectedAt);
    expect(inv.server).toBe(PREVIOUS.server);
    expect(inv.nodes).toEqual(PREVIOUS.nodes);
    expect(inv.components).toEqual(PREVIOUS.components);
    expect(inv.error).toMatchObject({ code, at: NOW.toISOString() });
    expect(inv.error?.message.startsWith('c1: ')).toBe(true);
    expect(inventoryAgeMs(inv, NOW)).toBe(12 * 3600_000);
  });

  it('a cached inventory failing again keeps its original collectedAt', async () => {
    const cached: ClusterInventory = { ...PREVIOUS, source: 'cached', error: { code: 'CLUSTER_TIMEOUT', message: 'c1: old', at: '2026-03-10T07:00:00.000Z' } };
    const inv = await read(clientFor(await start(everything({ status: 500 }))), { previous: cached });
    expect(inv.collectedAt).toBe(PREVIOUS.collectedAt);
    expect(inv.error).toMatchObject({ code: 'CLUSTER_BAD_RESPONSE', at: NOW.toISOString() });
  });

  it('401 message tells the operator what to refresh', async () => {
    const server = await start(scenarios.eks());
    const kubeconfig = await server.writeKubeconfig({ token: 'revoked-token' });
    const client = createKubeClient({ cluster: { name: 'c1', kubeconfig }, timeoutMs: 5000 });
    const inv = await read(client);
    expect(inv.error?.message).toBe(`c1: credentials rejected (401) (get /version): refresh the token in ${kubeconfig}`);
  });

  it('without a previous inventory: empty, live, with the error', async () => {
    const inv = await read(clientFor(await start(everything({ status: 500 }))));
    expect(inv).toMatchObject({ source: 'live', collectedAt: NOW.toISOString(), server: null, nodes: [], components: {}, provider: 'unknown' });
    expect(inv.error?.code).toBe('CLUSTER_BAD_RESPONSE');
  });

  it('ignores a previous inventory of another cluster', async () => {
    const inv = await read(clientFor(await start(everything({ status: 500 }))), { previous: { ...PREVIOUS, cluster: 'other' } });
    expect(inv.server).toBeNull();
  });
});

describe('readInventory: partial trouble fills what it can', () => {
  it('pods forbidden cluster-wide: falls back to kube-system', async () => {
    const inv = await read(clientFor(await start({ ...scenarios.kubeadm(), routes: { 'GET /api/v1/pods': { status: 403 } } })));
    expect(inv.source).toBe('live');
    expect(inv.error).toBeNull();
    expect(inv.nodes).toHaveLength(3);
    expect(inv.components['kube-apiserver']).toBe('v1.27.9');
    expect(inv.components['csi-driver-nfs']).toBe('v4.9.0'); // runs in kube-system
    expect(inv.components['ingress-nginx']).toBeUndefined(); // runs in ingress-nginx
    expect(inv.warnings).toHaveLength(1);
    expect(inv.warnings?.[0]).toContain('CLUSTER_FORBIDDEN');
    expect(inv.warnings?.[0]).toContain('needs: list pods');
    expect(inv.warnings?.[0]).toContain('add-on versions read from kube-system only');
  });

  it('pods forbidden everywhere: nodes and server still read', async () => {
    const inv = await read(clientFor(await start({ ...scenarios.kubeadm(), routes: { '/api/v1/pods': { status: 403 }, '/api/v1/namespaces/*/pods': { status: 403 } } })));
    expect(inv.server).toBe('v1.27.9');
    expect(inv.nodes).toHaveLength(3);
    expect(inv.components).toEqual({});
    expect(inv.provider).toBe('kubeadm'); // from the cri-socket annotation
    expect(inv.warnings?.[0]).toContain('control-plane and add-on versions unknown');
  });

  it('nodes forbidden: components still read', async () => {
    const inv = await read(clientFor(await start({ ...scenarios.eks(), routes: { '/api/v1/nodes': { status: 403 } } })));
    expect(inv.nodes).toEqual([]);
    expect(inv.components['ingress-nginx']).toBe('v1.10.1');
    expect(inv.provider).toBe('eks');
    expect(inv.warnings?.[0]).toMatch(/^CLUSTER_FORBIDDEN: forbidden \(403\), needs: list nodes: .*kubelet and kube-proxy versions unknown$/);
  });

  it('nodes answer 500 once: recorded as a warning, not a cached fallback', async () => {
    const inv = await read(clientFor(await start({ ...scenarios.eks(), routes: { '/api/v1/nodes': { status: 500, times: 1 } } })));
    expect(inv.source).toBe('live');
    expect(inv.nodes).toEqual([]);
    expect(inv.warnings?.[0]).toContain('API server answered 500');
  });

  it('anonymous access (no token): /version only', async () => {
    const inv = await read(clientFor(await start(scenarios.gke()), 5000, null));
    expect(inv.server).toBe('v1.30.5-gke.1014001');
    expect(inv.provider).toBe('gke');
    expect(inv.nodes).toEqual([]);
    expect(inv.warnings?.some((w) => w.includes('User \\"system:anonymous\\"') || w.includes('system:anonymous'))).toBe(true);
  });

  it('one malformed node is skipped with a warning', async () => {
    const scenario = scenarios.kubeadm();
    const server = await start(scenario);
    const nodes = JSON.parse(await (await fetch(`${server.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${server.token}` } })).text()) as { items: Array<Record<string, unknown>> };
    nodes.items[1] = { metadata: { name: 'broken' } };
    server.setRoutes({ 'GET /api/v1/nodes': { body: nodes } });
    const inv = await read(clientFor(server));
    expect(inv.nodes.map((n) => n.name)).toEqual(['cp-1', 'worker-2']);
    expect(inv.warnings).toEqual(['list nodes: skipped 1 malformed item']);
  });
});

describe('readInventory: exposure evidence (read-only)', () => {
  const ingressWebhook = {
    name: 'ingress-nginx-admission',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'admission-webhook' },
    webhooks: [{ name: 'validate.nginx.ingress.kubernetes.io', service: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller-admission', path: '/networking/v1/ingresses' } }],
  };
  const otherWebhook = { name: 'gatekeeper-validating-webhook-configuration', webhooks: [{ name: 'validation.gatekeeper.sh', service: { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-service' } }] };

  function exposed(): FakeScenario {
    const s = scenarios.kubeadm();
    s.nodes.push({ name: 'win-1', kubeletVersion: 'v1.27.9', operatingSystem: 'windows' });
    s.pods.push(
      { namespace: 'team-a', name: 'docs-1', containers: [{ name: 'web', image: 'nginx:1.25' }], volumes: [{ name: 'site', gitRepo: { repository: 'https://example.invalid/site.git' } }] },
      { namespace: 'team-a', name: 'docs-2', containers: [{ name: 'web', image: 'nginx:1.25' }], volumes: [{ name: 'site', gitRepo: { repository: 'https://example.invalid/site.git' } }, { name: 'tmp' }] },
      { namespace: 'team-b', name: 'done', phase: 'Succeeded', containers: [{ name: 'job', image: 'busybox:1.36' }], volumes: [{ name: 'src', gitRepo: { repository: 'https://example.invalid/x.git' } }] },
      { namespace: 'team-b', name: 'plain', containers: [{ name: 'app', image: 'busybox:1.36' }], volumes: [{ name: 'tmp' }] },
    );
    s.validatingWebhooks = [ingressWebhook, otherWebhook];
    s.featureGates = [{ name: 'InPlacePodVerticalScaling', stage: 'ALPHA', enabled: false }, { name: 'SidecarContainers', stage: 'BETA', enabled: true }];
    return s;
  }

  it('reads node OS, gitRepo pods from the one pod list, the ingress-nginx webhook and the feature gates', async () => {
    const server = await start(exposed());
    const inv = await read(clientFor(server));
    expect(inv.nodes.find((n) => n.name === 'win-1')?.os).toBe('windows');
    expect(inv.nodes.find((n) => n.name === 'cp-1')?.os).toBe('linux');
    expect(inv.exposure).toEqual({
      gitRepoPods: ['team-a/docs-1', 'team-a/docs-2'],
      ingressNginxWebhooks: ['ingress-nginx-admission'],
      featureGates: { InPlacePodVerticalScaling: false, SidecarContainers: true },
    });
    expect(inv.unseenAddons).toBeUndefined();
    // One pod list for add-ons and gitRepo alike.
    expect(server.requests.filter((r) => r.path === '/api/v1/pods')).toHaveLength(1);
  });

  it('nothing in use: empty evidence, not missing evidence', async () => {
    const inv = await read(clientFor(await start(scenarios.eks())));
    expect(inv.exposure).toEqual({ gitRepoPods: [], ingressNginxWebhooks: [], featureGates: {} });
  });

  it.each([
    ['webhook configurations forbidden', { 'GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations': { status: 403 } },
      { ingressNginxWebhooks: 'needs list validatingwebhookconfigurations.admissionregistration.k8s.io' }],
    ['/metrics forbidden', { 'GET /metrics': { status: 403 } }, { featureGates: 'needs get /metrics' }],
    ['nodes forbidden', { 'GET /api/v1/nodes': { status: 403 } }, { nodes: 'needs list nodes' }],
  ] as const)('%s → unavailable, naming the permission; the rest is still read', async (_name, routes, unavailable) => {
    const inv = await read(clientFor(await start({ ...exposed(), routes: { ...routes } })));
    expect(inv.source).toBe('live');
    expect(inv.error).toBeNull();
    expect(inv.exposure?.unavailable).toEqual(unavailable);
    expect(inv.exposure?.gitRepoPods).toEqual(['team-a/docs-1', 'team-a/docs-2']);
  });

  it('/metrics answering 500 is unavailable with the status, never "no gates"', async () => {
    const inv = await read(clientFor(await start({ ...exposed(), routes: { 'GET /metrics': { status: 500 } } })));
    expect(inv.exposure?.featureGates).toBeUndefined();
    expect(inv.exposure?.unavailable?.featureGates).toBe('/metrics answered HTTP 500 (needs get /metrics)');
  });

  it('a hung /metrics costs the request timeout, not the inventory', async () => {
    const inv = await read(clientFor(await start({ ...exposed(), routes: { 'GET /metrics': { hang: true } } }), 300));
    expect(inv.source).toBe('live');
    expect(inv.nodes.length).toBeGreaterThan(0);
    expect(inv.exposure?.unavailable?.featureGates).toMatch(/^CLUSTER_TIMEOUT: .*\(needs get \/metrics\)$/);
  });

  it('pods outside kube-system not listable: gitRepo unknown and unseen add-ons named with the permission', async () => {
    const inv = await read(clientFor(await start({ ...exposed(), routes: { 'GET /api/v1/pods': { status: 403 } } })));
    expect(inv.exposure?.gitRepoPods).toBeUndefined();
    expect(inv.exposure?.unavailable).toEqual({ gitRepoPods: 'needs list pods (all namespaces)' });
    expect(inv.unseenAddons).toEqual({ reason: 'pods outside kube-system could not be listed', needs: 'list pods (all namespaces)' });
    expect(inv.components['kube-apiserver']).toBe('v1.27.9');
  });
});

describe('readInventory: exposure reads that go wrong', () => {
  it('webhook configurations answering 500: unavailable with the error, the rest read', async () => {
    const s = scenarios.eks();
    const inv = await read(clientFor(await start({ ...s, routes: { 'GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations': { status: 500 } } })));
    expect(inv.exposure?.ingressNginxWebhooks).toBeUndefined();
    expect(inv.exposure?.unavailable?.ingressNginxWebhooks).toMatch(/^CLUSTER_BAD_RESPONSE: API server answered 500.*\(needs list validatingwebhookconfigurations\.admissionregistration\.k8s\.io\)$/);
    expect(inv.exposure?.gitRepoPods).toEqual([]);
  });

  it('a malformed webhook configuration is skipped with a warning, the others still judged', async () => {
    const s = scenarios.eks();
    s.validatingWebhooks = [{ name: 'ingress-nginx-admission', webhooks: [{ name: 'validate.nginx.ingress.kubernetes.io' }] }];
    const server = await start(s);
    const list = JSON.parse(await (await fetch(`${server.url}/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations`, { headers: { authorization: `Bearer ${server.token}` } })).text()) as { items: unknown[] };
    list.items.push({ metadata: { labels: 'not-a-map' } });
    server.setRoutes({ 'GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations': { body: list } });
    const inv = await read(clientFor(server));
    expect(inv.exposure?.ingressNginxWebhooks).toEqual(['ingress-nginx-admission']);
    expect(inv.warnings).toContain('list validatingwebhookconfigurations.admissionregistration.k8s.io: skipped 1 malformed item');
  });

  it('/metrics that is not Prometheus text reports no gates (so a named gate is unknown, never "disabled")', async () => {
    const inv = await read(clientFor(await start({ ...scenarios.eks(), routes: { 'GET /metrics': { body: '<html>proxy</html>', contentType: 'text/html' } } })));
    expect(inv.exposure?.featureGates).toEqual({});
  });
});
