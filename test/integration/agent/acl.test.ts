/**
 * An agent confined by the ACL the README documents (src/agent/acl.ts) on a Redis of its own:
 * it serves its cluster's jobs and cannot read or write another cluster's, nor the hub's state.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentAclSetUser, agentKeyPatterns } from '../../../src/agent/acl.ts';
import { createClusterDispatcher } from '../../../src/agent/dispatcher.ts';
import { readAgentStatus } from '../../../src/agent/heartbeat.ts';
import { createVerifyResultsStore } from '../../../src/agent/results-store.ts';
import { createAgentWorker } from '../../../src/agent/worker.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createKubeClient } from '../../../src/kube/client.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { createFakeApiServer, scenarios, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { SKIP_REASON, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../../helpers/private-redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { waitFor } from '../hub/harness.ts';

const available = redisServerAvailable();
if (!available) console.warn(`skipping agent ACL tests: ${SKIP_REASON}`);

/** The deployment's real prefix: the patterns in the README are exactly these. */
const PREFIX = '{k8s-advisor}';
const PASSWORD = 'agent-prod-eu-password-0123456789';

let server: PrivateRedis;
let api: FakeApiServer;
let cleanups: (() => Promise<void>)[];

beforeEach(async () => {
  if (!available) return;
  server = await startPrivateRedis();
  api = await createFakeApiServer({ scenario: scenarios.eks() });
  cleanups = [];
});

afterEach(async () => {
  if (!available) return;
  for (const c of cleanups.reverse()) await c();
  await api.close();
  await server.close();
});

describe('agent ACL rule', () => {
  it('names exactly the three key families of one cluster, and refuses a weak password or a bad name', () => {
    expect(agentKeyPatterns('{k8s-advisor}', 'prod-eu')).toEqual([
      '{k8s-advisor}:agent-{prod-eu}:*', '{k8s-advisor}:agent:{prod-eu}:*', '{k8s-advisor}:verify:{prod-eu}:*',
    ]);
    expect(() => agentAclSetUser({ prefix: PREFIX, cluster: 'prod-eu', password: 'short' })).toThrow(/at least 16 characters/);
    expect(() => agentKeyPatterns(PREFIX, 'prod*')).toThrow(/not a valid cluster name/);
  });

  it('is the rule the README documents, word for word', () => {
    const readme = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');
    const block = /```\n(ACL SETUSER agent-prod-eu[^`]*)```/.exec(readme)?.[1];
    expect(block, 'README has the agent ACL block').toBeDefined();
    const documented = (block ?? '').split(/\s+/).filter(Boolean).slice(2);
    expect(documented).toEqual(agentAclSetUser({ prefix: PREFIX, cluster: 'prod-eu', password: 'LONG-RANDOM-PASSWORD' }));
  });
});

describe.skipIf(!available)('an agent under its ACL', () => {
  it('completes its own cluster’s verify job and cannot touch another cluster’s keys or the hub’s', async () => {
    const admin = server.connect();
    expect(await admin.call('ACL', 'SETUSER', ...agentAclSetUser({ prefix: PREFIX, cluster: 'prod-eu', password: PASSWORD }))).toBe('OK');
    // Something of another cluster and of the hub, written by the hub (the default user).
    await createVerifyResultsStore({ redis: admin, prefix: PREFIX }).save({ cluster: 'prod-us', startedAt: '2026-12-01T10:00:00Z', durationMs: 1, probes: [] });
    await createAuditLog({ redis: admin, prefix: PREFIX }).record({ user: 'U01AAA', kind: 'command', what: 'verify prod', result: 'queued' });

    const agentRedis = new Redis({ host: '127.0.0.1', port: server.port, username: 'agent-prod-eu', password: PASSWORD, maxRetriesPerRequest: null });
    agentRedis.on('error', () => undefined);
    cleanups.push(async () => { await agentRedis.quit().catch(() => agentRedis.disconnect()); });
    const agent = await createAgentWorker({
      cluster: { name: 'prod-eu', environment: 'prod' },
      connection: agentRedis,
      prefix: PREFIX,
      kube: createKubeClient({ cluster: { name: 'prod-eu', kubeconfig: await api.writeKubeconfig() }, timeoutMs: 5_000 }),
    });
    cleanups.push(() => agent.close());

    const config = loadConfig(`
environments: { prod: {} }
clusters:
  - { name: prod-eu, environment: prod, agent: true }
  - { name: prod-us, environment: prod, agent: true }
`);
    const dispatcher = createClusterDispatcher({ connection: admin, prefix: PREFIX, config });
    cleanups.push(() => dispatcher.close());
    await waitFor(async () => (await readAgentStatus(admin, PREFIX, 'prod-eu')).alive, 'the agent heartbeat');
    const report = await dispatcher.verify('prod-eu');
    expect(report.cluster).toBe('prod-eu');
    expect(report.probes.find((p) => p.id === 'apiserver-health')?.status).toBe('pass');
    const inventory = await dispatcher.inventory('prod-eu');
    expect(inventory).toMatchObject({ cluster: 'prod-eu', server: 'v1.29.4-eks-036c24b' });
    // Its own results were written under its ACL.
    expect((await createVerifyResultsStore({ redis: admin, prefix: PREFIX }).latest('prod-eu'))?.startedAt).toBe(report.startedAt);

    const refused = async (fn: () => Promise<unknown>) => {
      const err = await fn().then(() => null, (e: unknown) => e);
      expect(String(err)).toMatch(/NOPERM/);
    };
    await refused(() => agentRedis.lrange(`${PREFIX}:verify:{prod-us}:runs`, 0, -1));
    await refused(() => agentRedis.lpush(`${PREFIX}:verify:{prod-us}:runs`, '{}'));
    await refused(() => agentRedis.set(`${PREFIX}:agent:{prod-us}:heartbeat`, 'x'));
    await refused(() => agentRedis.xrevrange(`${PREFIX}:audit`, '+', '-', 'COUNT', 1));
    await refused(() => agentRedis.hgetall(`${PREFIX}:post:CVE-2023-2727:C0PROD`));
    await refused(() => agentRedis.scan('0'));
    await refused(() => agentRedis.keys('*'));
    await refused(() => agentRedis.flushall());
    await refused(() => agentRedis.call('CONFIG', 'GET', '*'));
    // Nor take another cluster's jobs: its queue is out of reach.
    const other = new Queue('agent-{prod-us}', { connection: agentRedis, prefix: PREFIX });
    other.on('error', () => undefined);
    cleanups.push(() => other.close());
    await refused(() => other.getWaiting());
    await refused(() => other.add('verify', { cluster: 'prod-us', requestedAt: 'now' }));
    expect(await admin.exists(`${PREFIX}:verify:{prod-us}:runs`, `${PREFIX}:audit`)).toBe(2);
  });
});
