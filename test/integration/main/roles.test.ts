/**
 * The composition root end to end: `runHub` from a config file and environment variables against
 * real Redis, a loopback feed server and a loopback fake Slack; `runAgent` serving a cluster.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli.ts';
import { createClusterDispatcher } from '../../../src/agent/dispatcher.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import { runAgent, runHub, slackOptionsFrom } from '../../../src/main.ts';
import { hashTagged } from '../../../src/store/redis-connection.ts';
import { createFakeApiServer, scenarios } from '../../helpers/fake-apiserver.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

let dir: string;
let r: TestRedis;
let slack: FakeSlack;
let feed: FeedServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-main-'));
  r = await testRedis('main');
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
});
afterEach(async () => {
  await feed.close();
  await slack.close();
  await r.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(extra = ''): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD, staging: C0STAGE }, announceBacklog: true }
environments: { staging: {}, prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
  - { name: fresh, environment: staging, versions: { kubernetes: v1.35.2 } }
${extra}`);
  return file;
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const env = (extra: Record<string, string> = {}) => ({
  SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0',
  SLACK_API_URL: slack.apiUrl, REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, LOG_LEVEL: 'silent', HEALTH_PORT: '0', ...extra,
});

describe('runHub', () => {
  it('polls the feed once, posts each affected advisory once per channel, and stops cleanly', async () => {
    let stop!: () => void;
    const stopSignal = new Promise<void>((res) => { stop = res; });
    let started: { port: number | null } | null = null;
    const done = runHub({ configFile: writeConfig(), env: env(), stopSignal, onStarted: (info) => { started = info; } });
    await until(() => started !== null, 'the hub to start');
    expect(started!.port).toBeGreaterThan(0);
    // CVE-2025-1767 (kubelet, no fix) affects both clusters: one post in each channel.
    await until(() => slack.messages.filter((m) => m.threadTs === null && m.text.includes('CVE-2025-1767')).length === 2, 'the gitRepo advisory in both channels');
    await until(() => slack.messages.some((m) => m.channel === 'C0PROD' && m.text.includes('CVE-2025-1974')), 'the ingress-nginx advisory in prod');
    stop();
    await expect(done).resolves.toBe(0);
    const parents = slack.messages.filter((m) => m.threadTs === null);
    const keys = parents.map((m) => `${m.channel} ${m.text.split(' ')[0]}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(parents.some((m) => m.channel === 'C0STAGE' && m.text.includes('CVE-2025-1974'))).toBe(false);
    // The feed was fetched by one poll (plus nothing else: the interval is an hour).
    expect(feed.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('runs as a worker-only replica: no Slack endpoint, still posts', async () => {
    let stop!: () => void;
    const stopSignal = new Promise<void>((res) => { stop = res; });
    let started: { port: number | null } | null = null;
    const workerEnv = env({ SLACK_SIGNING_SECRET: '' });
    const done = runHub({ configFile: writeConfig(), env: workerEnv, roles: ['workers', 'schedule'], stopSignal, onStarted: (info) => { started = info; } });
    await until(() => started !== null, 'the replica to start');
    expect(started!.port).toBeNull();
    await until(() => slack.messages.some((m) => m.text.includes('CVE-2025-1767')), 'a post from the worker replica');
    stop();
    await expect(done).resolves.toBe(0);
  });

  it('names every missing Slack variable', () => {
    expect(() => slackOptionsFrom({})).toThrow(/SLACK_BOT_TOKEN is not set[^]*SLACK_APP_TOKEN .*or SLACK_SIGNING_SECRET/);
    expect(() => slackOptionsFrom({ SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 's', PORT: 'http' })).toThrow(/PORT: "http" is not a port number/);
    expect(slackOptionsFrom({ SLACK_BOT_TOKEN: 'x', SLACK_APP_TOKEN: 'xapp-1' }).mode).toEqual({ kind: 'socket', appToken: 'xapp-1' });
    expect(slackOptionsFrom({ SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 's' }).mode).toEqual({ kind: 'http', signingSecret: 's', port: 3000, host: '0.0.0.0' });
    expect(slackOptionsFrom({ SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 's', PORT: '8080', HOST: '::' }).mode).toEqual({ kind: 'http', signingSecret: 's', port: 8080, host: '::' });
    expect(() => slackOptionsFrom({ SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 's', HOST: 'http://0.0.0.0' })).toThrow(/HOST: "http:\/\/0.0.0.0" is not an address/);
    expect(() => slackOptionsFrom({ SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 's', PORT: '-1' })).toThrow(/PORT: "-1" is not a port number/);
    expect(slackOptionsFrom({ SLACK_BOT_TOKEN: 'x' }, { endpoint: false }).mode).toEqual({ kind: 'none' });
    expect(() => slackOptionsFrom({}, { endpoint: false })).toThrow(/SLACK_BOT_TOKEN is not set/);
  });

  it('exits 2 with a hint when Redis is unreachable', async () => {
    const err: string[] = [];
    const code = await run(['hub', '--config', writeConfig()], {
      stdout: () => undefined, stderr: (t) => { err.push(t); },
      env: env({ REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }),
    });
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1[^]*hint: set REDIS_URL/);
    expect(err.join('')).not.toContain('hunter2');
  });
});

describe('runAgent', () => {
  it('refuses a cluster that is not in the config, listing the valid ones', async () => {
    await expect(runAgent({ configFile: writeConfig(), cluster: 'nope', env: env() })).rejects.toThrow(/--cluster: "nope" is not one of legacy, fresh/);
  });

  it('serves verify and inventory jobs routed by the hub dispatcher', async () => {
    const api = await createFakeApiServer({ scenario: scenarios.eks() });
    const file = writeConfig('  - { name: remote, environment: prod, agent: true }\n');
    let stop!: () => void;
    const stopSignal = new Promise<void>((res) => { stop = res; });
    let started = false;
    const done = runAgent({ configFile: file, cluster: 'remote', kubeconfig: await api.writeKubeconfig(), env: env(), stopSignal, onStarted: () => { started = true; } });
    const dispatcher = createClusterDispatcher({ connection: r.redis, prefix: hashTagged(r.prefix), config: await loadConfigFile(file), store: null });
    try {
      await until(() => started, 'the agent to start');
      const inventory = await dispatcher.inventory('remote');
      expect(inventory).toMatchObject({ cluster: 'remote', provider: 'eks', server: 'v1.29.4-eks-036c24b' });
      const report = await dispatcher.verify('remote');
      expect(report.cluster).toBe('remote');
      expect(report.probes.find((p) => p.id === 'apiserver-health')?.status).toBe('pass');
      expect(report.probes.find((p) => p.id === 'control-plane-versions')?.status).toBe('skip');
    } finally {
      stop();
      await expect(done).resolves.toBe(0);
      await dispatcher.close();
      await api.close();
    }
    // Once the agent is gone the hub says so instead of waiting.
    const after = createClusterDispatcher({ connection: r.redis, prefix: hashTagged(r.prefix), config: await loadConfigFile(file), store: null });
    await expect(after.verify('remote')).resolves.toMatchObject({ error: { message: expect.stringMatching(/agent/) } });
    await after.close();
  });

  it('refuses a static-versions cluster', async () => {
    await expect(runAgent({ configFile: writeConfig(), cluster: 'legacy', env: env() })).rejects.toThrow(/has static versions; an agent serves clusters with agent: true/);
  });
});
