import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../../src/commands/verify.ts';
import type { VerifyReport, VerifyTargetReport } from '../../../src/verify/types.ts';
import { createFakeApiServer, scenarios, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { withProbeObjects, writeConfig } from '../../helpers/probe-fixtures.ts';

let api: FakeApiServer;
let cfg: { path: string; cleanup: () => void };

beforeAll(async () => {
  api = await createFakeApiServer({ scenario: withProbeObjects(scenarios.eks({ access: (a) => ({ allowed: a.resource !== 'secrets' }) })) });
  const kubeconfig = await api.writeKubeconfig();
  cfg = writeConfig(`
environments:
  prod:
    checks:
      rbac: [ { as: "user:developer", verb: get, resource: secrets, namespace: kube-system, expect: deny } ]
  staging: {}
  lab: {}
verify: { probeTimeout: 5s, concurrency: 2 }
clusters:
  - { name: prod-eu, environment: prod, kubeconfig: ${kubeconfig}, context: fake }
  - { name: prod-us, environment: prod, agent: true }
  - { name: legacy, environment: staging, versions: { kubernetes: v1.27.9 } }
`);
});
afterAll(async () => {
  cfg.cleanup();
  await api.close();
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); }, env: {} }, out: () => out.join(''), err: () => err.join('') };
}

describe('k8s-advisor verify', () => {
  it('prints the DESIGN contract for one cluster', async () => {
    const t = io();
    const code = await runVerify({ target: 'prod-eu', config: cfg.path, format: 'json', io: t.io });
    const report = JSON.parse(t.out()) as VerifyReport;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['cluster', 'startedAt', 'durationMs', 'probes']));
    expect(report.cluster).toBe('prod-eu');
    for (const p of report.probes) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['id', 'status', 'summary', 'evidence']));
      expect(['pass', 'warn', 'fail', 'skip', 'error']).toContain(p.status);
    }
    // Nothing fails on the EKS fixture today: the exit code follows the probes.
    expect(code).toBe(report.probes.some((p) => p.status === 'fail' || p.status === 'error') ? 1 : 0);
  });

  it('prints { target, results } for an environment; agent clusters error, exit 1', async () => {
    const t = io();
    const code = await runVerify({ target: 'prod', config: cfg.path, format: 'json', io: t.io });
    const out = JSON.parse(t.out()) as VerifyTargetReport;
    expect(out.target).toBe('prod');
    expect(out.results.map((r) => r.cluster)).toEqual(['prod-eu', 'prod-us']);
    expect(out.results[1]?.probes.every((p) => p.status === 'error' && p.summary === 'served by an agent; run through the hub')).toBe(true);
    expect(code).toBe(1);
  });

  it('skips every probe of a static cluster, exit 0', async () => {
    const t = io();
    expect(await runVerify({ target: 'staging', config: cfg.path, format: 'text', io: t.io })).toBe(0);
    expect(t.out()).toContain('SKIP  apiserver-health');
    expect(t.out()).toContain('no API access: static versions');
  });

  it('exits 1 when a probe fails', async () => {
    api.setScenario(withProbeObjects(scenarios.eks())); // developer may now read secrets
    const t = io();
    expect(await runVerify({ target: 'prod-eu', config: cfg.path, format: 'text', io: t.io })).toBe(1);
    expect(t.out()).toMatch(/FAIL {2}rbac +1 expected deny now allowed/);
  });

  it('exits 2 for an unknown target, listing the valid ones', async () => {
    const t = io();
    expect(await runVerify({ target: 'prd', config: cfg.path, format: 'text', io: t.io })).toBe(2);
    expect(t.err()).toBe('error: "prd" is neither a cluster nor an environment\nhint: valid clusters: prod-eu, prod-us, legacy; valid environments: prod, staging, lab\n');
  });

  it('exits 2 for an environment without clusters and for a missing config file', async () => {
    const t = io();
    expect(await runVerify({ target: 'lab', config: cfg.path, format: 'text', io: t.io })).toBe(2);
    expect(t.err()).toContain('environment "lab" has no clusters');
    const u = io();
    expect(await runVerify({ target: 'prod', config: '/nonexistent.yaml', format: 'text', io: u.io })).toBe(2);
    expect(u.err()).toContain('file not found');
  });
});
