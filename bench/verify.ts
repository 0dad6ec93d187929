/**
 * `node bench/verify.ts`: the probe suite against the loopback fake API server with 20 ms added to
 * every response. One cluster (target < 300 ms), then 200 clusters at concurrency 20 (target < 10 s).
 */
import { createKubeClient } from '../src/kube/client.ts';
import { loadBundledCalendar } from '../src/releases/index.ts';
import { DEFAULT_CHECKS, type VerifyChecks } from '../src/verify/context.ts';
import { mapLimit } from '../src/verify/pool.ts';
import { runProbes } from '../src/verify/runner.ts';
import type { VerifyReport } from '../src/verify/types.ts';
import { createFakeApiServer, scenarios } from '../test/helpers/fake-apiserver.ts';
import { withProbeObjects } from '../test/helpers/probe-fixtures.ts';

const LATENCY_MS = 20;
const CLUSTERS = 200;
const CONCURRENCY = 20;

const api = await createFakeApiServer({
  scenario: withProbeObjects(scenarios.kubeadm({ routes: { '*': { latencyMs: LATENCY_MS } } }), {
    webhooks: [{ kind: 'validating', config: 'policy', name: 'validate.policy.example.com', failurePolicy: 'Fail', service: { namespace: 'policy', name: 'policy-webhook' } }],
    endpointSlices: [{ namespace: 'policy', service: 'policy-webhook', ready: [true] }],
  }),
});
const calendar = loadBundledCalendar();
const checks: VerifyChecks = {
  ...DEFAULT_CHECKS,
  rbac: [
    { as: 'user:developer', verb: 'create', resource: 'pods', group: '', namespace: 'team-a', expect: 'allow' },
    { as: 'user:developer', verb: 'get', resource: 'secrets', group: '', namespace: 'kube-system', expect: 'allow' },
  ],
};

function verifyOne(i: number): Promise<VerifyReport> {
  const kube = createKubeClient({ cluster: { name: `bench-${i}` }, kubeConfig: api.kubeConfig(), timeoutMs: 10_000 });
  return runProbes({ cluster: { name: `bench-${i}`, environment: 'bench' }, kube, checks, calendar, probeTimeoutMs: 10_000 });
}

try {
  await verifyOne(-1); // warm-up: module JIT, first connection
  api.clearRequests();
  let t = performance.now();
  const one = await verifyOne(0);
  const oneMs = performance.now() - t;
  const requests = api.requests.length;
  const errors = one.probes.filter((p) => p.status === 'error').map((p) => `${p.id}: ${p.summary}`);
  console.log(`one cluster:  ${oneMs.toFixed(0)} ms wall (${one.probes.length} probes, ${requests} API requests, ${LATENCY_MS} ms latency each; target < 300 ms)${errors.length ? `\n  errors: ${errors.join('; ')}` : ''}`);

  api.clearRequests();
  t = performance.now();
  const many = await mapLimit(Array.from({ length: CLUSTERS }, (_, i) => i + 1), CONCURRENCY, verifyOne);
  const manyMs = performance.now() - t;
  const failed = many.filter((r) => r.probes.some((p) => p.status === 'error')).length;
  console.log(`${CLUSTERS} clusters: ${(manyMs / 1000).toFixed(2)} s wall at concurrency ${CONCURRENCY} (${api.requests.length} API requests, ${failed} clusters with errors; target < 10 s)`);
} finally {
  await api.close();
}
