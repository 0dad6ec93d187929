import { describe, expect, it } from 'vitest';
import { classifyFactMove, classifyStatusMove, compareProbes } from '../../../src/verify/rules/compare.ts';
import { drainCapacity, parseQuantity, pdbBlockReason, type NodeCapacity, type PdbShape } from '../../../src/verify/rules/disruption.ts';
import { atSkewLimit, groupVersions, skewProblem, type SkewComponent } from '../../../src/verify/rules/skew.ts';
import { maxNodeSkew as maxNodeLag } from '../../../src/triage/skew.ts';
import { certificatesInBundle, deprecatedApisFromMetrics, parseVerboseHealth } from '../../../src/verify/rules/text-formats.ts';
import type { ProbeResult } from '../../../src/verify/types.ts';

describe('skewProblem', () => {
  it.each<[SkewComponent, string, string, string | null]>([
    ['kubelet', 'v1.30.2', 'v1.30.5', null],
    ['kubelet', 'v1.27.1', 'v1.30.5', null],
    ['kubelet', 'v1.26.9', 'v1.30.5', '1.26 is 4 minors older than the API server (1.30); at most 3'],
    ['kubelet', 'v1.31.0', 'v1.30.5', '1.31 is newer than the API server (1.30); never allowed'],
    ['kubelet', 'v1.22.4', 'v1.24.1', null],
    ['kubelet', 'v1.21.4', 'v1.24.1', '1.21 is 3 minors older than the API server (1.24); at most 2 below 1.25'],
    ['kubelet', 'v1.24.17', 'v1.27.9', '1.24 is 3 minors older than the API server (1.27); at most 2 below 1.25'],
    ['kubelet', 'v1.25.0', 'v1.28.0', null],
    ['kubelet', 'v1.29.3-eks-ae9a62a', 'v1.29.4-eks-036c24b', null],
    ['kubelet', 'v1.29.8-gke.1211000', 'v1.30.5-gke.1014001', null],
    ['kube-proxy', 'v1.28.3+k3s1', 'v1.28.3+k3s1', null],
    ['kube-proxy', 'v1.31.0', 'v1.30.0', '1.31 is newer than the API server (1.30); never allowed'],
    ['kube-controller-manager', 'v1.29.9', 'v1.30.1', null],
    ['kube-controller-manager', 'v1.28.9', 'v1.30.1', '1.28 is 2 minors older than the API server (1.30); at most 1'],
    ['kube-scheduler', 'v1.31.0', 'v1.30.1', '1.31 is newer than the API server (1.30); never allowed'],
    ['kube-apiserver', 'v1.29.0', 'v1.30.0', null],
    ['kube-apiserver', 'v1.28.0', 'v1.30.0', '1.28 is 2 minors older than the newest API server (1.30); HA instances must be within 1'],
    ['kubelet', 'garbage', 'v1.30.0', 'cannot read version "garbage"'],
  ])('%s %s vs API server %s', (component, version, server, expected) => {
    expect(skewProblem(component, version, server)).toBe(expected);
  });

  it.each([['1.24', 2], ['1.25', 3], ['1.30', 3]] as const)('max node lag for %s is %d', (minor, lag) => {
    expect(maxNodeLag(minor)).toBe(lag);
  });

  it('knows when a component sits at the limit', () => {
    expect(atSkewLimit('kubelet', 'v1.27.0', 'v1.30.0')).toBe(true);
    expect(atSkewLimit('kubelet', 'v1.28.0', 'v1.30.0')).toBe(false);
    expect(atSkewLimit('kube-scheduler', 'v1.29.0', 'v1.30.0')).toBe(true);
  });

  it('groups versions, most common first', () => {
    expect(groupVersions([{ name: 'b', version: 'v1' }, { name: 'a', version: 'v2' }, { name: 'c', version: 'v2' }]))
      .toEqual([{ version: 'v2', names: ['a', 'c'] }, { version: 'v1', names: ['b'] }]);
  });
});

describe('pdbBlockReason', () => {
  const base: PdbShape = { name: 'p', namespace: 'n', expectedPods: 3, currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1 };
  it.each<[string, Partial<PdbShape>, string | null]>([
    ['allows one disruption', {}, null],
    ['maxUnavailable 0', { maxUnavailable: 0, disruptionsAllowed: 0, desiredHealthy: 3 }, 'maxUnavailable is 0'],
    ['maxUnavailable "0%"', { maxUnavailable: '0%', disruptionsAllowed: 0 }, 'maxUnavailable is 0'],
    ['minAvailable 100%', { minAvailable: '100%', disruptionsAllowed: 0 }, 'minAvailable is 100%'],
    ['minAvailable equal to the replicas', { minAvailable: 3, disruptionsAllowed: 0, desiredHealthy: 3 }, 'minAvailable 3 ≥ 3 pods'],
    ['zero allowed with all pods healthy', { minAvailable: '90%', disruptionsAllowed: 0, desiredHealthy: 3 }, '0 disruptions allowed with all 3 pods healthy'],
    ['zero allowed because pods are unhealthy (transient)', { minAvailable: 2, disruptionsAllowed: 0, currentHealthy: 2 }, null],
    ['matches no pods', { maxUnavailable: 0, expectedPods: 0, currentHealthy: 0 }, null],
  ])('%s', (_, patch, expected) => {
    expect(pdbBlockReason({ ...base, ...patch })).toBe(expected);
  });
});

describe('parseQuantity', () => {
  it.each<[string | number | undefined, number | null]>([
    ['250m', 0.25], ['2', 2], ['1.5', 1.5], ['128Mi', 128 * 2 ** 20], ['1Gi', 2 ** 30], ['1e3', 1000], ['2G', 2e9],
    ['15341128Ki', 15341128 * 1024], ['3920m', 3.92], [4, 4], [undefined, null], ['lots', null],
  ])('%s → %s', (q, n) => {
    const v = parseQuantity(q);
    if (n === null) expect(v).toBeNull();
    else expect(v).toBeCloseTo(n, 6);
  });
});

describe('drainCapacity', () => {
  const node = (name: string, movableCpu: number, requestedCpu: number, schedulable = true): NodeCapacity => ({
    name, cpu: 4, memory: 16, movableCpu, movableMemory: movableCpu, requestedCpu, requestedMemory: requestedCpu, schedulable,
  });
  it('finds the hardest node and whether the rest can take its pods', () => {
    expect(drainCapacity([node('a', 3, 3.5), node('b', 1, 1.5), node('c', 0.5, 1)])).toMatchObject({ node: 'a', needCpu: 3, spareCpu: 5.5, fits: true });
    expect(drainCapacity([node('a', 3, 3.5), node('b', 1, 3.5), node('c', 0.5, 1, false)])).toMatchObject({ node: 'a', spareCpu: 0.5, fits: false });
    expect(drainCapacity([])).toBeNull();
  });
});

describe('compare', () => {
  const r = (id: ProbeResult['id'], status: ProbeResult['status'], facts?: Record<string, string>): ProbeResult =>
    ({ id, status, summary: `${id} ${status}`, evidence: [], durationMs: 1, ...(facts ? { facts } : {}) });

  it.each([
    ['pass', 'fail', 'regression'], ['warn', 'fail', 'regression'], ['pass', 'warn', 'regression'],
    ['fail', 'pass', 'improvement'], ['pass', 'skip', 'change'], ['error', 'pass', 'change'], ['pass', 'pass', null],
  ] as const)('status %s → %s is %s', (from, to, kind) => {
    expect(classifyStatusMove(from, to)).toBe(kind);
  });

  it.each([
    ['deny', 'allow', 'regression'], ['allow', 'deny', 'improvement'], ['rejected', 'accepted', 'regression'],
    ['accepted', 'rejected', 'improvement'], ['ready', 'not-ready', 'regression'], ['restricted', 'baseline', 'change'], ['x', 'x', null],
  ] as const)('fact %s → %s is %s', (from, to, kind) => {
    expect(classifyFactMove(from, to)).toBe(kind);
  });

  it('lists RBAC deny→allow first, then pass→fail, then pass→warn', () => {
    const before = [r('node-readiness', 'pass'), r('system-pods', 'pass'), r('rbac', 'fail', { 'user:a get secrets': 'deny' }), r('admission', 'fail')];
    const after = [r('node-readiness', 'warn'), r('system-pods', 'fail'), r('rbac', 'fail', { 'user:a get secrets': 'allow' }), r('admission', 'pass')];
    const cmp = compareProbes(before, after);
    expect(cmp.regressions.map((c) => c.text)).toEqual([
      'rbac: user:a get secrets deny → allow',
      'system-pods: pass → fail (system-pods fail)',
      'node-readiness: pass → warn (node-readiness warn)',
    ]);
    expect(cmp.improvements.map((c) => c.probe)).toEqual(['admission']);
  });
});

describe('text formats', () => {
  it('parses verbose readyz', () => {
    expect(parseVerboseHealth('[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n')).toEqual([
      { name: 'ping', ok: true, detail: 'ok' },
      { name: 'etcd', ok: false, detail: 'failed: reason withheld' },
    ]);
  });

  it('reads apiserver_requested_deprecated_apis', () => {
    const body = [
      '# TYPE apiserver_requested_deprecated_apis gauge',
      'apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="podsecuritypolicies",subresource="",version="v1beta1"} 1',
      'apiserver_requested_deprecated_apis{group="",removed_release="",resource="endpoints",subresource="",version="v1"} 1',
      'apiserver_requested_deprecated_apis_other{group="x"} 1',
      'apiserver_request_total{code="200"} 3',
    ].join('\n');
    expect(deprecatedApisFromMetrics(body)).toEqual([
      { group: 'policy', version: 'v1beta1', resource: 'podsecuritypolicies', subresource: '', removedRelease: '1.25' },
      { group: '', version: 'v1', resource: 'endpoints', subresource: '', removedRelease: '' },
    ]);
  });

  it('reads nothing from a caBundle that is not PEM', () => {
    expect(certificatesInBundle(Buffer.from('not a cert').toString('base64'))).toEqual([]);
  });
});
