import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClusterDispatcher, type ClusterDispatcher } from '../../../src/agent/dispatcher.ts';
import { readAgentStatus } from '../../../src/agent/heartbeat.ts';
import type { ProbeProgress } from '../../../src/agent/processor.ts';
import { agentJobId, agentQueueName } from '../../../src/agent/queue.ts';
import { createAgentWorker, type AgentWorker } from '../../../src/agent/worker.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createKubeClient } from '../../../src/kube/client.ts';
import { createFakeApiServer, scenarios, type FakeAccessAttributes, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { withProbeObjects } from '../../helpers/probe-fixtures.ts';
import { testRedis, type TestRedis } from '../../helpers/redis.ts';

let api: FakeApiServer;
let kubeconfig: string;
let r: TestRedis;
let dispatcher: ClusterDispatcher | undefined;
let agent: AgentWorker | undefined;
let config: Config;

const denySecrets = (a: FakeAccessAttributes) => ({ allowed: !(a.resource === 'secrets' && a.namespace === 'kube-system'), reason: 'fake RBAC' });

beforeAll(async () => {
  api = await createFakeApiServer({ scenario: withProbeObjects(scenarios.eks({ access: denySecrets })) });
  kubeconfig = await api.writeKubeconfig();
});
afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  r = await testRedis('agent');
  api.setScenario(withProbeObjects(scenarios.eks({ access: denySecrets })));
  config = loadConfig(`
environments:
  prod:
    checks:
      rbac:
        - { as: "user:developer", verb: get, resource: secrets, namespace: kube-system, expect: deny }
verify: { probeTimeout: 5s, concurrency: 2 }
clusters:
  - { name: prod-eu, environment: prod, kubeconfig: ${kubeconfig}, context: fake }
  - { name: prod-us, environment: prod, agent: true }
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9 } }
`);
});

afterEach(async () => {
  await dispatcher?.close();
  await agent?.close();
  dispatcher = undefined;
  agent = undefined;
  await r.cleanup();
});

async function startAgent(): Promise<AgentWorker> {
  const prodUs = config.clusters.find((c) => c.name === 'prod-us');
  if (!prodUs) throw new Error('no prod-us');
  agent = await createAgentWorker({
    cluster: { name: 'prod-us', environment: 'prod' },
    connection: r.redis,
    prefix: r.prefix,
    kube: createKubeClient({ cluster: prodUs, kubeConfig: api.kubeConfig(), timeoutMs: 5000 }),
    checks: config.environments.prod?.checks,
    agentName: 'agent-pod-1',
  });
  return agent;
}

describe('queue names and job ids', () => {
  it('derives valid BullMQ names from the cluster name', () => {
    expect(agentQueueName('prod-us')).toBe('agent-{prod-us}');
    expect(agentJobId('verify', 'prod-us', 'abc123')).toBe('verify-prod-us-abc123');
    expect(() => agentQueueName('Prod:us')).toThrow(/not a valid cluster name/);
  });
});

describe('agent worker + dispatcher on real Redis', () => {
  it('verifies an agent cluster through its queue, relaying progress per probe', async () => {
    await startAgent();
    dispatcher = createClusterDispatcher({ connection: r.redis, prefix: r.prefix, config });
    const progress: ProbeProgress[] = [];
    const report = await dispatcher.verify('prod-us', { onProgress: (p) => { progress.push(p); }, requestedBy: 'U01AAA' });
    expect(report.cluster).toBe('prod-us');
    expect(report.error).toBeUndefined();
    expect(report.probes).toHaveLength(13);
    expect(report.probes.find((p) => p.id === 'rbac')?.status).toBe('pass');
    expect(report.provider).toBe('eks');
    // Progress events travel through QueueEvents; all of them arrive before or right after completion.
    await expect.poll(() => progress.length).toBe(13);
    expect(new Set(progress.map((p) => p.probe.id)).size).toBe(13);
    expect(progress.every((p) => p.cluster === 'prod-us' && p.total === 13)).toBe(true);
    const status = await dispatcher.agentStatus('prod-us');
    expect(status).toMatchObject({ alive: true, lastSeen: { agent: 'agent-pod-1', cluster: 'prod-us' } });
  });

  it('stores each run and lists a regression against the previous one first', async () => {
    await startAgent();
    dispatcher = createClusterDispatcher({ connection: r.redis, prefix: r.prefix, config });
    const first = await dispatcher.verify('prod-us');
    expect(first.comparison).toBeUndefined();
    api.setScenario(withProbeObjects(scenarios.eks())); // default access: everything allowed
    const second = await dispatcher.verify('prod-us');
    expect(second.comparison?.regressions[0]?.text).toBe('rbac: user:developer get secrets -n kube-system deny → allow');
    expect(second.comparison?.regressions[1]?.text).toMatch(/^rbac: pass → fail/);
  });

  it('reports a missing agent at once, naming when it was last seen', async () => {
    dispatcher = createClusterDispatcher({ connection: r.redis, prefix: r.prefix, config });
    const never = await dispatcher.verify('prod-us');
    expect(never.error).toEqual({ code: 'AGENT_MISSING', message: 'no agent seen for prod-us ever; is the agent running? (k8s-advisor agent --cluster prod-us)' });
    expect(never.probes.every((p) => p.status === 'error')).toBe(true);

    const a = await startAgent();
    await a.close();
    agent = undefined;
    const gone = await dispatcher.verify('prod-us');
    expect(gone.error?.code).toBe('AGENT_MISSING');
    expect(gone.error?.message).toMatch(/^no agent seen for prod-us since \d{4}-\d\d-\d\dT.*\(last: agent-pod-1\); is the agent running\?/);
    await expect(dispatcher.inventory('prod-us')).rejects.toThrow(/no agent seen for prod-us since/);
  });

  it('times out when the agent has a heartbeat but never answers', async () => {
    // A heartbeat with no worker behind it: a hung agent.
    await r.redis.set(`${r.prefix}:agent:{prod-us}:heartbeat`, JSON.stringify({ cluster: 'prod-us', agent: 'stuck-pod', at: new Date().toISOString() }), 'PX', 30_000);
    expect((await readAgentStatus(r.redis, r.prefix, 'prod-us')).alive).toBe(true);
    dispatcher = createClusterDispatcher({ connection: r.redis, prefix: r.prefix, config, agentTimeoutMs: 300 });
    const report = await dispatcher.verify('prod-us');
    expect(report.error?.code).toBe('AGENT_TIMEOUT');
    expect(report.error?.message).toMatch(/the agent for prod-us \(last heartbeat .* from stuck-pod\) did not answer within 300 ms/);
  });

  it('serves direct clusters in-process with the same processor, and static ones from config', async () => {
    dispatcher = createClusterDispatcher({ connection: r.redis, prefix: r.prefix, config });
    const seen: string[] = [];
    const direct = await dispatcher.verify('prod-eu', { onProgress: (p) => { seen.push(p.probe.id); } });
    expect(direct.error).toBeUndefined();
    expect(direct.probes).toHaveLength(13);
    expect(seen).toHaveLength(13);
    const stat = await dispatcher.verify('legacy');
    expect(stat.probes.every((p) => p.status === 'skip' && p.summary === 'no API access: static versions')).toBe(true);

    const env = await dispatcher.verifyTarget('prod');
    expect(env.results.map((x) => x.cluster)).toEqual(['prod-eu', 'prod-us', 'legacy']);
    expect(env.results[1]?.error?.code).toBe('AGENT_MISSING');
    await expect(dispatcher.verify('nope')).rejects.toThrow(/"nope" is neither a cluster nor an environment/);
  });

  it('reads inventory through the agent', async () => {
    await startAgent();
    dispatcher = createClusterDispatcher({ connection: r.redis, prefix: r.prefix, config });
    const inv = await dispatcher.inventory('prod-us');
    expect(inv.server).toBe('v1.29.4-eks-036c24b');
    expect(inv.provider).toBe('eks');
  });
});
