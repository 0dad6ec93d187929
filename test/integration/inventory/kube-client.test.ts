import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { ClusterAccessError } from '../../../src/errors.ts';
import { createKubeClient, loadKubeConfig } from '../../../src/kube/client.ts';
import { createFakeApiServer, scenarios, type FakeApiServer } from '../../helpers/fake-apiserver.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/kube/${name}`, import.meta.url));
const TWO_CONTEXTS = fixture('kubeconfig-two-contexts.yaml');

function configError(fn: () => unknown): ClusterAccessError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterAccessError);
    const e = err as ClusterAccessError;
    expect(e.code).toBe('CLUSTER_CONFIG');
    return e;
  }
  throw new Error('expected a CLUSTER_CONFIG error');
}

async function rejection(p: Promise<unknown>): Promise<ClusterAccessError> {
  const err: unknown = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ClusterAccessError);
  return err as ClusterAccessError;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('loadKubeConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('loads the named context from the named file', () => {
    const { kubeConfig, kubeconfigPath } = loadKubeConfig({ name: 'prod-eu', kubeconfig: TWO_CONTEXTS, context: 'prod-eu' });
    expect(kubeconfigPath).toBe(TWO_CONTEXTS);
    expect(kubeConfig.getCurrentContext()).toBe('prod-eu');
    expect(kubeConfig.getCurrentCluster()?.server).toBe('https://192.0.2.20:6443');
  });

  it('uses the file\'s current-context when none is configured', () => {
    const { kubeConfig } = loadKubeConfig({ name: 'staging', kubeconfig: TWO_CONTEXTS });
    expect(kubeConfig.getCurrentContext()).toBe('staging');
  });

  it('names a missing file', () => {
    const e = configError(() => loadKubeConfig({ name: 'prod-eu', kubeconfig: '/nonexistent/dir/kubeconfig', context: 'prod-eu' }));
    expect(e.message).toBe('prod-eu: kubeconfig file /nonexistent/dir/kubeconfig not found');
    expect(e.cluster).toBe('prod-eu');
  });

  it('names a missing context and lists the available ones', () => {
    const e = configError(() => loadKubeConfig({ name: 'prod-us', kubeconfig: TWO_CONTEXTS, context: 'prod-us' }));
    expect(e.message).toContain(`context "prod-us" not found in kubeconfig ${TWO_CONTEXTS}`);
    expect(e.message).toContain('available contexts: staging, prod-eu, dangling');
    expect(e.hint).toContain('staging, prod-eu, dangling');
  });

  it('names a context that points at an undefined cluster', () => {
    const e = configError(() => loadKubeConfig({ name: 'x', kubeconfig: TWO_CONTEXTS, context: 'dangling' }));
    expect(e.message).toContain('refers to cluster "no-such-cluster"');
  });

  it('asks for a context when the file has no current-context', () => {
    const e = configError(() => loadKubeConfig({ name: 'x', kubeconfig: fixture('kubeconfig-no-current.yaml') }));
    expect(e.message).toContain('has no current-context');
    expect(e.message).toContain('available contexts: only');
  });

  it('refuses in-cluster mode outside a pod instead of falling back to localhost:8080', () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', undefined);
    vi.stubEnv('KUBERNETES_SERVICE_PORT', undefined);
    const e = configError(() => loadKubeConfig({ name: 'self', inCluster: true }));
    expect(e.message).toContain('not running in a pod');
  });

  it('refuses a static-versions cluster', () => {
    const e = configError(() => loadKubeConfig({ name: 'legacy', versions: { kubernetes: 'v1.27.9' } }));
    expect(e.message).toContain('static versions');
  });
});

describe('createKubeClient against the fake API server', () => {
  let api: FakeApiServer | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('sends the kubeconfig token and our user agent; typed APIs work', async () => {
    api = await createFakeApiServer({ scenario: scenarios.eks() });
    const kubeconfig = await api.writeKubeconfig({ context: 'prod-eu' });
    const client = createKubeClient({ cluster: { name: 'prod-eu', kubeconfig, context: 'prod-eu' }, timeoutMs: 5000 });
    expect(client.server).toBe(api.url);
    expect(client.kubeconfigPath).toBe(kubeconfig);
    const v = await client.version.getCode();
    expect(v.gitVersion).toBe('v1.29.4-eks-036c24b');
    expect(v.minor).toBe('29+');
    const nodes = await client.core.listNode();
    expect(nodes.items.map((n) => n.status?.nodeInfo?.kubeletVersion)).toEqual(['v1.29.3-eks-ae9a62a', 'v1.29.3-eks-ae9a62a']);
    const deps = await client.apps.listDeploymentForAllNamespaces();
    expect(deps.items.length).toBeGreaterThan(0);
    const seen = api.requests.find((r) => r.path === '/api/v1/nodes');
    expect(seen?.headers.authorization).toBe(`Bearer ${api.token}`);
    expect(seen?.headers['user-agent']).toBe('k8s-advisor');
  });

  it('raw() reads /readyz?verbose, /livez and /metrics through the same auth', async () => {
    api = await createFakeApiServer({ scenario: scenarios.kubeadm() });
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig(), timeoutMs: 5000 });
    const ready = await client.raw('/readyz?verbose');
    expect(ready.status).toBe(200);
    expect(ready.body).toContain('[+]etcd ok');
    expect(ready.body).toContain('readyz check passed');
    expect((await client.raw('/livez')).body).toBe('ok');
    const metrics = await client.raw('/metrics', { accept: 'text/plain' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.29",resource="flowschemas",subresource="",version="v1beta2"} 1');
    expect(api.requests.find((r) => r.path === '/metrics')?.headers.authorization).toBe(`Bearer ${api.token}`);
  });

  it('raw() returns an unhealthy readyz (500) instead of throwing', async () => {
    const scenario = scenarios.kubeadm();
    scenario.readyz = scenario.readyz.map((c) => (c.name === 'etcd' ? { ...c, ok: false } : c));
    api = await createFakeApiServer({ scenario });
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig(), timeoutMs: 5000 });
    const ready = await client.raw('/readyz?verbose');
    expect(ready.status).toBe(500);
    expect(ready.body).toContain('[-]etcd failed: reason withheld');
  });

  it('raw() maps 403 to CLUSTER_FORBIDDEN naming the path', async () => {
    api = await createFakeApiServer({ scenario: { ...scenarios.kubeadm(), routes: { '/metrics': { status: 403 } } } });
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig(), timeoutMs: 5000 });
    const e = await rejection(client.raw('/metrics'));
    expect(e.code).toBe('CLUSTER_FORBIDDEN');
    expect(e.message).toContain('needs: get /metrics');
  });

  it('a hung API server is a CLUSTER_TIMEOUT, for typed calls and raw()', async () => {
    api = await createFakeApiServer({ scenario: { ...scenarios.kubeadm(), routes: { '*': { hang: true } } } });
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig(), timeoutMs: 200 });
    const typed = await rejection(client.call('list nodes', () => client.core.listNode()));
    expect(typed.code).toBe('CLUSTER_TIMEOUT');
    expect(typed.retryable).toBe(true);
    expect(typed.message).toContain('within 200 ms');
    const raw = await rejection(client.raw('/readyz'));
    expect(raw.code).toBe('CLUSTER_TIMEOUT');
  });

  it('slow answers within the timeout succeed', async () => {
    api = await createFakeApiServer({ scenario: { ...scenarios.kubeadm(), routes: { '/version': { latencyMs: 50 } } } });
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig(), timeoutMs: 10_000 });
    expect((await client.version.getCode()).gitVersion).toBe('v1.27.9');
  });

  it('a rejected token is CLUSTER_UNAUTHORIZED naming the kubeconfig', async () => {
    api = await createFakeApiServer({ scenario: scenarios.kubeadm() });
    const kubeconfig = await api.writeKubeconfig({ token: 'expired-token' });
    const client = createKubeClient({ cluster: { name: 'lab', kubeconfig }, timeoutMs: 5000 });
    const e = await rejection(client.call('list nodes', () => client.core.listNode()));
    expect(e.code).toBe('CLUSTER_UNAUTHORIZED');
    expect(e.message).toContain(`refresh the token in ${kubeconfig}`);
  });

  it('a closed port is CLUSTER_UNREACHABLE', async () => {
    api = await createFakeApiServer({ scenario: scenarios.kubeadm() });
    const port = await closedPort();
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig({ server: `http://127.0.0.1:${port}` }), timeoutMs: 5000 });
    const e = await rejection(client.call('get /version', () => client.version.getCode()));
    expect(e.code).toBe('CLUSTER_UNREACHABLE');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('HTTPS: trusts the CA in the kubeconfig, and fails with CLUSTER_TLS without it', async () => {
    api = await createFakeApiServer({ scenario: scenarios.gke(), tls: true });
    expect(api.url.startsWith('https://')).toBe(true);
    const trusted = createKubeClient({ cluster: { name: 'gke' }, kubeConfig: api.kubeConfig(), timeoutMs: 5000 });
    expect((await trusted.version.getCode()).gitVersion).toBe('v1.30.5-gke.1014001');
    expect((await trusted.raw('/livez')).status).toBe(200);
    const untrusted = createKubeClient({ cluster: { name: 'gke' }, kubeConfig: api.kubeConfig({ trustCa: false }), timeoutMs: 5000 });
    const e = await rejection(untrusted.call('get /version', () => untrusted.version.getCode()));
    expect(e.code).toBe('CLUSTER_TLS');
    expect(e.retryable).toBe(false);
  });

  it('serves what verification probes need: SubjectAccessReview and PodSecurity dry-run', async () => {
    const scenario = scenarios.kubeadm({
      access: (a) => ({ allowed: !(a.user === 'developer' && a.resource === 'secrets' && a.namespace === 'kube-system') }),
    });
    api = await createFakeApiServer({ scenario });
    const client = createKubeClient({ cluster: { name: 'lab' }, kubeConfig: api.kubeConfig(), timeoutMs: 5000 });
    const review = (resource: string, namespace: string) => client.authorization.createSubjectAccessReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'developer', resourceAttributes: { verb: 'get', resource, namespace } } },
    });
    expect((await review('pods', 'team-a')).status?.allowed).toBe(true);
    expect((await review('secrets', 'kube-system')).status?.allowed).toBe(false);

    const pod = (privileged: boolean) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'k8s-advisor-probe' },
      spec: { containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.9', securityContext: { privileged } }] },
    });
    const err: unknown = await client.core.createNamespacedPod({ namespace: 'team-a', body: pod(true), dryRun: 'All' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(403);
    expect(String((err as ApiException<string>).body)).toContain('violates PodSecurity \\"restricted:latest\\": privileged');
    const ok = await client.core.createNamespacedPod({ namespace: 'default', body: pod(true), dryRun: 'All' });
    expect(ok.metadata?.name).toBe('k8s-advisor-probe');
    expect(api.requests.some((r) => r.method === 'POST' && r.query.get('dryRun') === 'All')).toBe(true);
  });
});
