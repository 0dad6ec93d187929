/**
 * `/k8s verify` and the advisory's Verify button end to end: signed requests → Bolt → listeners →
 * commands queue → the cluster dispatcher (a direct cluster on the loopback fake API server, an
 * agent cluster through its queue) → progress message, updates, summary and thread replies in the
 * fake Slack; on real Redis.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClusterDispatcher, type ClusterDispatcher, type DispatchOptions } from '../../../src/agent/dispatcher.ts';
import { createAgentWorker, type AgentWorker } from '../../../src/agent/worker.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import { createKubeClient } from '../../../src/kube/client.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { createFakeApiServer, scenarios, type FakeAccessAttributes, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { type FakeSlack, type FakeSlackCall, startFakeSlack } from '../../helpers/fake-slack.ts';
import { withProbeObjects } from '../../helpers/probe-fixtures.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { blockAction, commandBody, interactionBody, postSigned } from '../../helpers/slack-sign.ts';
import { CONFIG_YAML, manyAdvisories } from '../../unit/slack/fixtures.ts';
import { SIGNING_SECRET, postStats, startHub, waitFor } from './harness.ts';

const denySecrets = (a: FakeAccessAttributes) => ({ allowed: !(a.resource === 'secrets' && a.namespace === 'kube-system'), reason: 'fake RBAC' });

let api: FakeApiServer;
let kubeconfig: string;
let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub | null;
let dispatcher: ClusterDispatcher;
let agent: AgentWorker | null;
let config: Config;
/** Clusters the hub asked the dispatcher to verify, in order. */
let verified: string[];

/** The fixtures' config (channels, roles, permissions), with prod-eu served by the fake API server and prod-us by an agent. */
function verifyConfig(): Config {
  const clusters = `clusters:
  - { name: prod-eu, environment: prod, kubeconfig: ${kubeconfig}, context: fake }
  - { name: prod-us, environment: prod, agent: true }
  - { name: stage-1, environment: staging, versions: { kubernetes: v1.28.2 } }
`;
  const yaml = CONFIG_YAML
    .replace(/clusters:\n(?: {2}- .*\n)+/, clusters)
    .replace('    after: staging\n', '    after: staging\n    checks:\n      rbac:\n        - { as: "user:developer", verb: get, resource: secrets, namespace: kube-system, expect: deny }\n');
  return loadConfig(`${yaml}verify: { probeTimeout: 5s, concurrency: 4 }\n`);
}

beforeAll(async () => {
  api = await createFakeApiServer({ scenario: withProbeObjects(scenarios.eks({ access: denySecrets })) });
  kubeconfig = await api.writeKubeconfig();
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  redis = await testRedis('hub-verify');
  fake = await startFakeSlack();
  config = verifyConfig();
  dispatcher = createClusterDispatcher({ connection: redis.redis, prefix: redis.prefix, config });
  verified = [];
  hub = null;
  agent = null;
});

afterEach(async () => {
  await hub?.stop();
  await agent?.close();
  await dispatcher.close();
  await fake.close();
  await redis.cleanup();
});

async function start(advisories = manyAdvisories(1)): Promise<string> {
  const started = await startHub({
    redis, fake, advisories,
    overrides: {
      config,
      dispatcher: {
        verify: (cluster: string, options?: DispatchOptions) => {
          verified.push(cluster);
          return dispatcher.verify(cluster, options);
        },
      },
    },
  });
  hub = started.hub;
  return started.url;
}

async function startAgent(): Promise<void> {
  const prodUs = config.clusters.find((c) => c.name === 'prod-us');
  if (!prodUs) throw new Error('no prod-us in the config');
  agent = await createAgentWorker({
    cluster: { name: 'prod-us', environment: 'prod' },
    connection: redis.redis,
    prefix: redis.prefix,
    kube: createKubeClient({ cluster: prodUs, kubeConfig: api.kubeConfig(), timeoutMs: 5_000 }),
    checks: config.environments.prod?.checks,
    agentName: 'agent-pod-1',
  });
}

function command(text: string, user = 'U01AAA') {
  const responseUrl = fake.responseUrl();
  return { body: commandBody({ text, response_url: responseUrl, user_id: user }), id: responseUrl.split('/').pop() as string };
}

const audit = () => createAuditLog({ redis: redis.redis, prefix: redis.prefix });

/** Wait until the verification `what` has its result in the audit log; return that entry. */
async function verificationDone(what: string) {
  return waitFor(async () => (await audit().recent(50)).find((e) => e.what === what && (e.result === 'ok' || e.result === 'error')), `audit result of ${what}`, 30_000);
}

function updatesOf(ts: string): FakeSlackCall[] {
  return fake.callsOf('chat.update').filter((c) => c.args.ts === ts);
}

const text = (call: FakeSlackCall | undefined) => String(call?.args.text ?? '');

describe('/k8s verify', () => {
  it('acks, posts a progress message, updates it, replaces it with the summary and adds details in its thread', async () => {
    await startAgent();
    const url = await start();
    const cmd = command('verify prod');
    const res = await postSigned(url, cmd.body, { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);

    const result = await verificationDone('verify prod');
    expect(result).toMatchObject({ user: 'U01AAA', kind: 'command', result: 'ok', channel: 'C0PROD' });
    expect(result.detail).toMatch(/^pass \d+, warn \d+, fail \d+, skip \d+, error \d+ · 2 clusters/);

    // The progress message: top level in the channel, posted once.
    const posts = fake.callsOf('chat.postMessage').filter((c) => String(c.args.text).startsWith('Verifying prod'));
    expect(posts).toHaveLength(1);
    expect(posts[0]?.args).toMatchObject({ channel: 'C0PROD', text: 'Verifying prod: 0/26 probes done' });
    expect(posts[0]?.args.thread_ts).toBeUndefined();
    const progress = fake.messages.find((m) => m.channel === 'C0PROD' && m.threadTs === null && String(m.metadata?.event_payload.marker ?? '').startsWith('verify/'));
    if (!progress) throw new Error('no progress message');

    // Updated as probes finished, then replaced by the summary.
    const updates = updatesOf(progress.ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(text(updates[0])).toMatch(/^Verifying prod: \d+\/26 probes done$/);
    const summary = updates.at(-1);
    expect(text(summary)).toMatch(/^prod( verified, no failures|: \d of 2 clusters with failures)$/);
    const summaryBlocks = JSON.stringify(summary?.args.blocks);
    expect(summaryBlocks).toContain('*prod-eu*');
    expect(summaryBlocks).toContain('*prod-us*');
    expect(summaryBlocks).toContain('requested by <@U01AAA>');
    expect(progress.text).toBe(text(summary));
    expect(verified.sort()).toEqual(['prod-eu', 'prod-us']);

    // One reply per cluster in the summary's thread, with its probes.
    const replies = fake.messages.filter((m) => m.threadTs === progress.ts);
    expect(replies.map((m) => m.text.split(':')[0]).sort()).toEqual(['prod-eu', 'prod-us']);
    for (const reply of replies) {
      expect(reply.text).toMatch(/^prod-(eu|us): \d+ pass, \d+ warn, \d+ fail, \d+ skip, \d+ error$/);
      expect(JSON.stringify(reply.blocks)).toContain('`rbac`');
    }
    expect(postStats(fake).duplicates).toEqual([]);

    // The result is audited after the last reply is posted.
    const entries = await waitFor(async () => {
      const e = (await audit().recent(10)).filter((x) => x.what === 'verify prod');
      return e.length >= 2 ? e : null;
    }, 'the verify result in the audit log');
    expect(entries.map((e) => e.result)).toEqual(['ok', 'queued']);
    // The slash command answered nothing ephemeral on success: the channel carries the result.
    expect(fake.responses.find((r) => r.id === cmd.id)).toBeUndefined();
  });

  it('names a missing agent in the summary', async () => {
    const url = await start();
    const res = await postSigned(url, command('verify prod-us').body, { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const result = await verificationDone('verify prod-us');
    expect(result.detail).toContain('failing: prod-us');

    const progress = fake.messages.find((m) => m.threadTs === null && String(m.metadata?.event_payload.marker ?? '').startsWith('verify/'));
    if (!progress) throw new Error('no progress message');
    expect(progress.text).toBe('prod-us: 1 of 1 clusters with failures');
    expect(JSON.stringify(progress.blocks)).toContain('no agent seen for prod-us ever; is the agent running?');
    const reply = fake.messages.find((m) => m.threadTs === progress.ts);
    expect(reply?.text).toMatch(/^prod-us: not verified: no agent seen for prod-us ever/);
  });

  it('refuses a user without the role for the environment: ephemeral role message, nothing verified', async () => {
    const url = await start();
    const cmd = command('verify prod', 'U02BBB');
    const res = await postSigned(url, cmd.body, { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const refusal = await waitFor(() => fake.responses.find((r) => r.id === cmd.id), 'refusal');
    expect(refusal.body.response_type).toBe('ephemeral');
    expect(String(refusal.body.text)).toContain('needs the `platform` role');
    // The refusal is audited after it is sent; by then the handler has finished.
    await waitFor(async () => (await audit().recent(5)).find((e) => e.what === 'verify prod' && e.result === 'refused'), 'refusal audited');
    expect(await hub?.queues.commands.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed')).toBe(0);
    expect(verified).toEqual([]);
    expect(fake.messages.filter((m) => String(m.metadata?.event_payload.marker ?? '').startsWith('verify/'))).toEqual([]);
  });
});

describe('the Verify button', () => {
  it('verifies the clusters of the channel the advisory affects, in the advisory thread', async () => {
    const url = await start(manyAdvisories(1));
    await hub?.pollNow();
    await waitFor(() => postStats(fake).top === 2, 'advisory posted');
    const parent = fake.messages.find((m) => m.channel === 'C0PROD' && m.threadTs === null);
    if (!parent) throw new Error('no advisory message');

    const responseUrl = fake.responseUrl();
    const res = await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_verify', value: 'CVE-2099-10000', user: 'U01AAA', responseUrl, messageTs: parent.ts })), { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const result = await verificationDone('advisory_verify CVE-2099-10000');
    expect(result).toMatchObject({ kind: 'action', result: 'ok', channel: 'C0PROD' });
    expect(result.detail).toMatch(/· 1 cluster(\b|$)/);

    // fakeTriage: CVE-2099-10000 affects prod-eu, not prod-us, in C0PROD.
    expect(verified).toEqual(['prod-eu']);
    const inThread = fake.messages.filter((m) => m.threadTs === parent.ts);
    const progress = inThread.find((m) => String(m.metadata?.event_payload.marker ?? '').startsWith('verify/'));
    if (!progress) throw new Error('no progress message in the thread');
    const first = fake.callsOf('chat.postMessage').find((c) => String(c.args.text).startsWith('Verifying'));
    expect(first?.args).toMatchObject({ channel: 'C0PROD', thread_ts: parent.ts, text: 'Verifying CVE-2099-10000 in prod: 0/13 probes done' });
    expect(progress.text).toMatch(/^CVE-2099-10000 in prod( verified, no failures|: 1 of 1 clusters with failures)$/);
    expect(inThread.filter((m) => m.text.startsWith('prod-eu: '))).toHaveLength(1);
    // Nothing new at the top of the channel.
    expect(postStats(fake).top).toBe(2);
  });

  it('refuses the button to a user without the role, and verifies nothing', async () => {
    const url = await start(manyAdvisories(1));
    await hub?.pollNow();
    await waitFor(() => postStats(fake).top === 2, 'advisory posted');
    const responseUrl = fake.responseUrl();
    await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_verify', value: 'CVE-2099-10000', user: 'U02BBB', responseUrl })), { secret: SIGNING_SECRET });
    const refusal = await waitFor(() => fake.responses.find((r) => r.id === responseUrl.split('/').pop()), 'refusal');
    expect(String(refusal.body.text)).toContain('in `prod`: it needs the `platform` role');
    await waitFor(async () => (await audit().recent(5)).find((e) => e.what === 'advisory_verify CVE-2099-10000' && e.result === 'refused'), 'refusal audited');
    expect(verified).toEqual([]);
  });
});
