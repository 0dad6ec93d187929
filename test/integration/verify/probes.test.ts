import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../../src/kube/client.ts';
import { loadBundledCalendar } from '../../../src/releases/index.ts';
import { DEFAULT_CHECKS, type VerifyChecks } from '../../../src/verify/context.ts';
import { runProbes } from '../../../src/verify/runner.ts';
import type { ProbeId, ProbeResult, VerifyReport } from '../../../src/verify/types.ts';
import { createFakeApiServer, scenarios, type FakeAccessAttributes, type FakeApiServer, type FakeScenario } from '../../helpers/fake-apiserver.ts';
import { patchServedList, selfSignedCa, withProbeObjects, type ProbeObjects } from '../../helpers/probe-fixtures.ts';

const calendar = loadBundledCalendar();
const CA_365 = selfSignedCa(365);
const CA_10 = selfSignedCa(10);

let api: FakeApiServer;

beforeAll(async () => {
  api = await createFakeApiServer({ scenario: scenarios.kubeadm() });
});
afterAll(async () => {
  await api.close();
});

const healthyObjects = (): ProbeObjects => ({
  pdbs: [{ namespace: 'team-a', name: 'web', maxUnavailable: 1, expectedPods: 2, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 }],
  webhooks: [{ kind: 'validating', config: 'policy', name: 'validate.policy.example.com', failurePolicy: 'Fail', service: { namespace: 'policy', name: 'policy-webhook' }, caPem: CA_365 }],
  endpointSlices: [{ namespace: 'policy', service: 'policy-webhook', ready: [true, true] }],
});

const rbacChecks: VerifyChecks = {
  ...DEFAULT_CHECKS,
  rbac: [
    { as: 'user:developer', verb: 'create', resource: 'pods', group: '', namespace: 'team-a', expect: 'allow' },
    { as: 'user:developer', verb: 'get', resource: 'secrets', group: '', namespace: 'kube-system', expect: 'deny' },
  ],
};

/** Developers may do anything in team-a and nothing elsewhere. */
const teamAccess = (a: FakeAccessAttributes) => ({ allowed: a.user !== 'developer' || a.namespace === 'team-a', reason: 'RBAC: fake' });

async function verify(scenario: FakeScenario, options: { checks?: VerifyChecks; now?: Date; probeTimeoutMs?: number; kubeconfig?: Parameters<FakeApiServer['kubeConfig']>[0] } = {}): Promise<VerifyReport> {
  api.setScenario(scenario);
  const kube = createKubeClient({ cluster: { name: 'fake' }, kubeConfig: api.kubeConfig(options.kubeconfig), timeoutMs: options.probeTimeoutMs ?? 5000 });
  return runProbes({
    cluster: { name: 'fake', environment: 'prod' },
    kube,
    checks: options.checks ?? rbacChecks,
    calendar,
    probeTimeoutMs: options.probeTimeoutMs ?? 5000,
    now: () => options.now ?? new Date('2024-05-01T00:00:00Z'),
  });
}

function probe(report: VerifyReport, id: ProbeId): ProbeResult {
  const p = report.probes.find((x) => x.id === id);
  if (!p) throw new Error(`no ${id}`);
  return p;
}

describe('probes against a kubeadm cluster', () => {
  it('reports every probe, with the expected verdicts on a mostly healthy cluster', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm({ access: teamAccess }), healthyObjects()));
    expect(report.probes.map((p) => p.id)).toHaveLength(13);
    expect(report.server).toBe('v1.27.9');
    expect(report.provider).toBe('kubeadm');
    const statuses = Object.fromEntries(report.probes.map((p) => [p.id, p.status]));
    expect(statuses).toEqual({
      'apiserver-health': 'pass',
      'version-support': 'warn', // 1.27 EOL 2024-06-28, within 60 days of 2024-05-01
      'node-readiness': 'pass',
      'version-skew': 'warn', // worker-2 on 1.26: within policy, mixed
      'control-plane-versions': 'pass',
      'system-pods': 'pass',
      'deprecated-apis': 'warn', // flowschemas v1beta2, removed in 1.29 (not the next minor)
      rbac: 'pass',
      admission: 'pass',
      'network-policy': 'warn',
      'pod-security-labels': 'warn',
      'admission-webhooks': 'pass',
      'disruption-readiness': 'warn', // csi-nfs-controller has 1 replica, coredns both on cp-1
    });
    expect(probe(report, 'version-support').summary).toContain('2024-06-28');
    expect(probe(report, 'version-skew').summary).toContain('mixed kubelets: v1.27.9×2, v1.26.12×1');
    expect(probe(report, 'control-plane-versions').summary).toContain('kube-apiserver v1.27.9');
    expect(probe(report, 'deprecated-apis').evidence).toContain('flowcontrol.apiserver.k8s.io/v1beta2 flowschemas (removed in 1.29)');
    expect(probe(report, 'admission').evidence.join('\n')).toContain('violates PodSecurity "restricted:latest"');
    expect(probe(report, 'network-policy').summary).toMatch(/without a NetworkPolicy: default, ingress-nginx/);
    expect(probe(report, 'pod-security-labels').summary).toContain('default, ingress-nginx');
    expect(probe(report, 'rbac').facts).toEqual({
      'user:developer create pods -n team-a': 'allow',
      'user:developer get secrets -n kube-system': 'deny',
    });
    const disruption = probe(report, 'disruption-readiness');
    expect(disruption.evidence).toContain('Deployment kube-system/csi-nfs-controller: 1 replica');
    expect(disruption.evidence.join('\n')).toContain('Deployment kube-system/coredns: all 2 replicas on cp-1');
  });

  it('sends only dry-run writes', async () => {
    api.clearRequests();
    await verify(withProbeObjects(scenarios.kubeadm(), healthyObjects()));
    const writes = api.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('subjectaccessreviews'));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((r) => r.query.get('dryRun') === 'All')).toBe(true);
  });

  it('fails version-support once the minor is past end of life', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm(), healthyObjects()), { now: new Date('2025-01-01T00:00:00Z') });
    expect(probe(report, 'version-support')).toMatchObject({ status: 'fail', summary: '1.27 out of support since 2024-06-28' });
  });

  it('names failing readyz checks', async () => {
    const s = withProbeObjects(scenarios.kubeadm(), healthyObjects());
    s.readyz = s.readyz.map((c) => (c.name === 'etcd' ? { ...c, ok: false } : c));
    const p = probe(await verify(s), 'apiserver-health');
    expect(p.status).toBe('fail');
    expect(p.summary).toBe('failing: readyz/etcd');
    expect(p.evidence[0]).toBe('readyz: [-]etcd failed: reason withheld');
  });

  it('fails node-readiness for a NotReady node and lists cordoned ones', async () => {
    const s = scenarios.kubeadm();
    s.nodes = s.nodes.map((n) => (n.name === 'worker-2' ? { ...n, ready: false } : n.name === 'worker-1' ? { ...n, unschedulable: true } : n));
    const p = probe(await verify(withProbeObjects(s, healthyObjects())), 'node-readiness');
    expect(p.status).toBe('fail');
    expect(p.summary).toBe('2/3 nodes Ready; not Ready: worker-2');
    expect(p.evidence).toContain('worker-1: cordoned (SchedulingDisabled)');
    expect(p.evidence[0]).toMatch(/^worker-2: not Ready \(NodeStatusUnknown/);
  });

  it('fails version-skew for a kubelet newer than the API server or too old', async () => {
    const s = scenarios.kubeadm();
    s.nodes = s.nodes.map((n) => (n.name === 'worker-1' ? { ...n, kubeletVersion: 'v1.28.1' } : n.name === 'worker-2' ? { ...n, kubeletVersion: 'v1.24.17' } : n));
    const p = probe(await verify(withProbeObjects(s, healthyObjects())), 'version-skew');
    expect(p.status).toBe('fail');
    expect(p.evidence.join('\n')).toContain('kubelet on worker-1 v1.28.1: 1.28 is newer than the API server (1.27); never allowed');
    expect(p.evidence.join('\n')).toContain('kubelet on worker-2 v1.24.17: 1.24 is 3 minors older than the API server (1.27); at most 2 below 1.25');
  });

  it('names crash-looping and recently restarted system pods', async () => {
    api.setScenario(withProbeObjects(scenarios.kubeadm(), healthyObjects()));
    const now = new Date();
    await patchServedList(api, '/api/v1/namespaces/kube-system/pods', (items) => {
      for (const pod of items) {
        const meta = pod.metadata as { name: string };
        const status = pod.status as { containerStatuses: Record<string, unknown>[] };
        if (meta.name.startsWith('calico-node-')) {
          status.containerStatuses = status.containerStatuses.map((c) => ({ ...c, ready: false, restartCount: 42, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } } }));
          break;
        }
      }
      const cm = items.find((p) => (p.metadata as { name: string }).name.startsWith('kube-controller-manager'));
      const cs = (cm?.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses;
      cs[0] = { ...cs[0], restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(now.getTime() - 5 * 60_000).toISOString() } } };
    });
    const kube = createKubeClient({ cluster: { name: 'fake' }, kubeConfig: api.kubeConfig() });
    const report = await runProbes({ cluster: { name: 'fake', environment: 'prod' }, kube, now: () => now });
    const p = probe(report, 'system-pods');
    expect(p.status).toBe('fail');
    expect(p.summary).toMatch(/^crash-looping: calico-node-/);
    expect(p.evidence.join('\n')).toMatch(/kube-controller-manager-cp-1: restarted 5 min ago \(1 restarts\)/);
  });

  it('fails rbac when an expected deny is now allowed', async () => {
    const p = probe(await verify(withProbeObjects(scenarios.kubeadm(), healthyObjects())), 'rbac'); // default access: allow all
    expect(p.status).toBe('fail');
    expect(p.summary).toBe('1 expected deny now allowed (user:developer get secrets -n kube-system)');
    expect(p.facts?.['user:developer get secrets -n kube-system']).toBe('allow');
  });

  it('fails admission when a privileged pod is admitted, and warns without a restricted namespace', async () => {
    const fails = probe(await verify(withProbeObjects(scenarios.kubeadm({ namespaces: [{ name: 'default' }, { name: 'kube-system' }, { name: 'team-a', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } }] }), healthyObjects()), {
      checks: { ...rbacChecks, admission: { namespace: 'team-a' } },
    }), 'admission');
    expect(fails.status).toBe('fail');
    expect(fails.facts).toEqual({ 'privileged-pod': 'accepted', 'compliant-pod': 'accepted' });
    const none = probe(await verify(withProbeObjects(scenarios.kubeadm({ namespaces: [{ name: 'default' }, { name: 'kube-system' }] }), healthyObjects())), 'admission');
    expect(none.status).toBe('warn');
    expect(none.summary).toMatch(/^no namespace labelled pod-security.kubernetes.io\/enforce=restricted/);
  });

  it('fails admission-webhooks for a Fail webhook without ready endpoints; warns on a CA expiring soon', async () => {
    const objects: ProbeObjects = {
      webhooks: [
        { kind: 'validating', config: 'policy', name: 'validate.policy.example.com', failurePolicy: 'Fail', service: { namespace: 'policy', name: 'policy-webhook' }, caPem: CA_365 },
        { kind: 'mutating', config: 'sidecar', name: 'inject.sidecar.example.com', service: { namespace: 'mesh', name: 'injector' }, caPem: CA_10 },
        { kind: 'validating', config: 'optional', name: 'audit.example.com', failurePolicy: 'Ignore', service: { namespace: 'audit', name: 'audit' } },
      ],
      endpointSlices: [
        { namespace: 'policy', service: 'policy-webhook', ready: [false] },
        { namespace: 'policy', service: 'other', ready: [true] },
        { namespace: 'mesh', service: 'injector', ready: [true] },
      ],
    };
    const p = probe(await verify(withProbeObjects(scenarios.kubeadm(), objects), { now: new Date() }), 'admission-webhooks');
    expect(p.status).toBe('fail');
    expect(p.evidence[0]).toBe('validating validate.policy.example.com (policy): failurePolicy Fail and service policy/policy-webhook has no ready endpoints — matching requests are refused');
    expect(p.evidence[1]).toMatch(/^mutating inject.sidecar.example.com \(sidecar\): CA CN=webhook-ca expires on \d{4}-\d\d-\d\d \((9|10) days\)$/);
    // 20 days on, the 10-day CA has expired.
    const later = probe(await verify(withProbeObjects(scenarios.kubeadm(), { ...objects, endpointSlices: [{ namespace: 'policy', service: 'policy-webhook', ready: [true] }, { namespace: 'mesh', service: 'injector', ready: [true] }] }), { now: new Date(Date.now() + 20 * 86_400_000) }), 'admission-webhooks');
    expect(later.status).toBe('fail');
    expect(later.evidence[0]).toMatch(/inject.sidecar.example.com \(sidecar\): CA CN=webhook-ca expired on/);
  });

  it('fails disruption-readiness for PDBs that block every eviction', async () => {
    const p = probe(await verify(withProbeObjects(scenarios.kubeadm(), {
      ...healthyObjects(),
      pdbs: [
        { namespace: 'team-a', name: 'web', maxUnavailable: 0, expectedPods: 2, currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 },
        { namespace: 'ingress-nginx', name: 'ingress', minAvailable: 2, expectedPods: 2, currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 },
        { namespace: 'kube-system', name: 'coredns', minAvailable: 1, expectedPods: 2, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0 },
      ],
      statefulSets: [{ namespace: 'team-a', name: 'db', replicas: 1, terminationGracePeriodSeconds: 300 }],
    })), 'disruption-readiness');
    expect(p.status).toBe('fail');
    expect(p.evidence.slice(0, 2)).toEqual([
      'PDB ingress-nginx/ingress blocks every eviction: minAvailable 2 ≥ 2 pods',
      'PDB team-a/web blocks every eviction: maxUnavailable is 0',
    ]);
    expect(p.evidence).toContain('StatefulSet team-a/db: terminationGracePeriodSeconds 300');
    expect(p.evidence).toContain('StatefulSet team-a/db: 1 replica');
  });
});

describe('permissions, faults and unreachable clusters', () => {
  it('skips deprecated-apis naming the permission when /metrics is forbidden', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm({ routes: { 'GET /metrics': { status: 403 } } }), healthyObjects()));
    const p = probe(report, 'deprecated-apis');
    expect(p).toMatchObject({ status: 'skip', summary: 'missing permission, needs: get /metrics', needs: ['get /metrics'] });
    expect(report.error).toBeUndefined();
    expect(probe(report, 'apiserver-health').status).toBe('pass');
  });

  it('skips every node-based probe when nodes are forbidden, others still report', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm({ routes: { 'GET /api/v1/nodes': { status: 403 } } }), healthyObjects()));
    expect(probe(report, 'node-readiness')).toMatchObject({ status: 'skip', needs: ['list nodes'] });
    expect(probe(report, 'version-skew').status).toBe('skip');
    expect(probe(report, 'admission').status).toBe('pass');
  });

  it('turns a hung probe into an error while the others report', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm({ routes: { 'GET /metrics': { hang: true } } }), healthyObjects()), { probeTimeoutMs: 400 });
    expect(probe(report, 'deprecated-apis').status).toBe('error');
    expect(probe(report, 'deprecated-apis').summary).toMatch(/timed out|no answer/);
    expect(probe(report, 'node-readiness').status).toBe('pass');
  });

  it('reports an unreachable cluster once, every probe an error with the reason', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm(), healthyObjects()), { kubeconfig: { server: 'http://127.0.0.1:9' } });
    expect(report.error?.code).toBe('CLUSTER_UNREACHABLE');
    expect(report.probes.every((p) => p.status === 'error')).toBe(true);
    expect(probe(report, 'node-readiness').summary).toMatch(/cannot reach http:\/\/127.0.0.1:9/);
  });

  it('reports rejected credentials as a cluster error', async () => {
    const report = await verify(withProbeObjects(scenarios.kubeadm(), healthyObjects()), { kubeconfig: { token: 'wrong' } });
    expect(report.error?.code).toBe('CLUSTER_UNAUTHORIZED');
  });
});

describe('managed and other distributions', () => {
  it('skips control-plane-versions on EKS and checks skew with provider version strings', async () => {
    const report = await verify(withProbeObjects(scenarios.eks(), healthyObjects()));
    expect(report.provider).toBe('eks');
    expect(probe(report, 'control-plane-versions')).toMatchObject({ status: 'skip', summary: 'managed control plane: EKS runs the control plane outside the cluster' });
    expect(probe(report, 'version-skew').status).toBe('pass');
    expect(probe(report, 'version-support').status).toBe('pass');
  });

  it('reports mixed node pools on GKE', async () => {
    const report = await verify(withProbeObjects(scenarios.gke(), healthyObjects()));
    const p = probe(report, 'version-skew');
    expect(p.status).toBe('warn');
    expect(p.summary).toContain('v1.30.5-gke.1014001×2, v1.29.8-gke.1211000×1');
  });

  it('skips control-plane-versions on AKS and k3s with the reason', async () => {
    const aks = await verify(withProbeObjects(scenarios.aks(), healthyObjects()));
    expect(probe(aks, 'control-plane-versions').summary).toBe('managed control plane: AKS runs the control plane outside the cluster');
    const k3s = await verify(withProbeObjects(scenarios.k3s(), healthyObjects()));
    expect(probe(k3s, 'control-plane-versions').summary).toBe('managed control plane: k3s runs the control plane inside the k3s server process, not as pods');
  });
});
