/**
 * SIGTERM for real: the agent runs as a child process (`node src/cli.ts agent …`) on real Redis
 * against the fake API server. A job in flight either completes within SHUTDOWN_GRACE, or, when
 * the grace period runs out, is released back to waiting for another agent; the exit code is 0
 * either way. The hub (HTTP mode, loopback feed and fake Slack) goes through the same path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentQueueName } from '../../../src/agent/queue.ts';
import { QUEUE_NAMES, bullPrefix } from '../../../src/queue/names.ts';
import { hashTagged } from '../../../src/store/redis-connection.ts';
import { createFakeApiServer, scenarios, type FakeApiServer, type FakeRouteOverride } from '../../helpers/fake-apiserver.ts';
import { startFakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer } from '../../helpers/feed-server.ts';
import { redisServerAvailable, startPrivateRedis } from '../../helpers/private-redis.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

let dir: string;
let r: TestRedis;
let api: FakeApiServer | null = null;
let child: ChildProcess | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-shutdown-'));
  r = await testRedis('shutdown');
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await api?.close();
  await r.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface Started { lines: Record<string, unknown>[]; exit: Promise<number | null> }

async function startAgent(routes: Record<string, FakeRouteOverride>, grace: string, redisUrl = REDIS_URL): Promise<Started> {
  api = await createFakeApiServer({ scenario: scenarios.eks({ routes }) });
  const config = join(dir, 'fleet.yaml');
  // A long probe timeout: the slow and hung answers below must outlast the grace period, not the probe.
  writeFileSync(config, `
verify: { probeTimeout: 60s }
environments: { prod: {} }
clusters:
  - { name: remote, environment: prod, agent: true }
`);
  return startRole(['agent', '--config', config, '--cluster', 'remote', '--kubeconfig', await api.writeKubeconfig()], { SHUTDOWN_GRACE: grace, REDIS_URL: redisUrl }, 'agent started');
}

async function startRole(args: string[], extraEnv: Record<string, string>, startedMsg: string): Promise<Started> {
  const proc = spawn(process.execPath, [resolve(REPO_ROOT, 'src/cli.ts'), ...args], {
    env: { ...process.env, REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, HEALTH_PORT: '0', LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const exit = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  await until(() => lines.some((l) => l.msg === startedMsg) || proc.exitCode !== null, 'the role to start');
  if (proc.exitCode !== null) throw new Error(`agent exited early (${proc.exitCode}): ${stderr}`);
  return { lines, exit };
}

// Child processes start slowly on a loaded machine (module loading under type stripping): be generous.
async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

const nodesAsked = () => api!.requests.some((q) => q.method === 'GET' && q.path === '/api/v1/nodes');

async function queueVerify(queue: Queue, id: string): Promise<void> {
  await queue.add('verify', { cluster: 'remote', requestedBy: 'test', requestedAt: new Date().toISOString() }, { jobId: id, attempts: 1 });
}

describe('SIGTERM', { timeout: 120_000 }, () => {
  it('lets the job in flight finish within the grace period, then exits 0', async () => {
    const agent = await startAgent({ 'GET /api/v1/nodes': { latencyMs: 1_500 } }, '20s');
    const queue = new Queue(agentQueueName('remote'), { connection: r.connect(), prefix: hashTagged(r.prefix) });
    try {
      await queueVerify(queue, 'verify-remote-finish');
      await until(nodesAsked, 'the job to be in flight');
      child!.kill('SIGTERM');
      expect(await agent.exit).toBe(0);
      expect(await queue.getJobState('verify-remote-finish')).toBe('completed');
      const job = await queue.getJob('verify-remote-finish');
      expect((job?.returnvalue as { cluster?: string } | undefined)?.cluster).toBe('remote');
      expect(agent.lines.some((l) => l.msg === 'signal received' && l.signal === 'SIGTERM')).toBe(true);
      expect(agent.lines.some((l) => l.msg === 'stopped')).toBe(true);
      // Graceful stop forgets the heartbeat at once: the hub says "no agent" instead of waiting.
      expect(await r.redis.exists(`${hashTagged(r.prefix)}:agent:{remote}:heartbeat`)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('releases a job still in flight when the grace period runs out, and exits 0', async () => {
    const agent = await startAgent({ 'GET /api/v1/nodes': { hang: true } }, '1s');
    const queue = new Queue(agentQueueName('remote'), { connection: r.connect(), prefix: hashTagged(r.prefix) });
    try {
      await queueVerify(queue, 'verify-remote-release');
      await until(nodesAsked, 'the job to be in flight');
      expect(await queue.getJobState('verify-remote-release')).toBe('active');
      child!.kill('SIGTERM');
      expect(await agent.exit).toBe(0);
      // Back in the queue, not stuck in "active" until its lock expires: the next agent runs it at once.
      expect(await queue.getJobState('verify-remote-release')).toBe('waiting');
      const forced = agent.lines.find((l) => l.msg === 'grace period over: jobs still in flight were released to other workers');
      expect(forced).toMatchObject({ graceMs: 1000, released: ['verify-remote-release'] });
    } finally {
      await queue.close();
    }
  });

  it('hub: releases the feed poll still in flight when the grace period runs out, and exits 0', async () => {
    const slack = await startFakeSlack();
    const feed = await startFeedServer({ body: '{}' });
    feed.fail('hang');
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, `
feed: { url: "${feed.url}", every: 1h, timeout: 60s }
releases: { refresh: false }
environments: { prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9 } }
`);
    const queue = new Queue(QUEUE_NAMES.feed, { connection: r.connect(), prefix: bullPrefix(r.prefix) });
    try {
      const hub = await startRole(['hub', '--config', config], {
        SHUTDOWN_GRACE: '1s', SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', SLACK_API_URL: slack.apiUrl,
      }, 'hub started');
      await until(() => feed.requests.length > 0, 'the poll to be in flight');
      expect((await queue.getJobCounts('active')).active).toBe(1);
      child!.kill('SIGTERM');
      expect(await hub.exit).toBe(0);
      const counts = await queue.getJobCounts('active', 'waiting');
      expect(counts).toMatchObject({ active: 0, waiting: 1 });
      const forced = hub.lines.find((l) => l.msg === 'grace period over: jobs still in flight were released to other workers');
      expect((forced?.released as string[] | undefined)?.length).toBe(1);
    } finally {
      await queue.close();
      await feed.close();
      await slack.close();
    }
  });

  it('hub: within the grace period, stops in order (finishing the poll if it still runs) and exits 0', async () => {
    const slack = await startFakeSlack();
    const feed = await startFeedServer({ body: JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'empty', items: [] }) });
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
environments: { prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9 } }
`);
    const queue = new Queue(QUEUE_NAMES.feed, { connection: r.connect(), prefix: bullPrefix(r.prefix) });
    try {
      const hub = await startRole(['hub', '--config', config], {
        SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', SLACK_API_URL: slack.apiUrl,
      }, 'hub started');
      await until(() => feed.requests.length > 0, 'the first poll');
      child!.kill('SIGTERM');
      expect(await hub.exit).toBe(0);
      expect(hub.lines.some((l) => l.msg === 'hub stopped')).toBe(true);
      expect(hub.lines.some((l) => l.msg === 'stopped')).toBe(true);
      expect(hub.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('grace period over'))).toBe(false);
    } finally {
      await queue.close();
      await feed.close();
      await slack.close();
    }
  });

  it.skipIf(!redisServerAvailable())('with Redis gone: readiness names Redis, and SIGTERM still exits within the grace period', async () => {
    const own = await startPrivateRedis();
    try {
      const agent = await startAgent({ 'GET /api/v1/nodes': { hang: true } }, '2s', own.url);
      const port = agent.lines.find((l) => l.msg === 'agent started')?.healthPort as number;
      const readyz = async () => { const res = await fetch(`http://127.0.0.1:${port}/readyz`); return { status: res.status, body: await res.text() }; };
      expect((await readyz()).status).toBe(200);
      const queue = new Queue(agentQueueName('remote'), { connection: own.connect(), prefix: hashTagged(r.prefix) });
      await queueVerify(queue, 'verify-remote-outage');
      await until(nodesAsked, 'the job to be in flight');
      await queue.close();
      await own.stop();
      let last = { status: 0, body: '' };
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !(last = await readyz()).body.includes('[-]redis')) await new Promise((res) => setTimeout(res, 50));
      expect(last.status).toBe(503);
      expect(last.body).toContain('[-]redis failed: not connected to Redis');
      child!.kill('SIGTERM');
      expect(await agent.exit).toBe(0);
      expect(agent.lines.some((l) => l.msg === 'grace period over: jobs still in flight were released to other workers')).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('hub: exits after an orderly stop even while the Slack client still retries an unreachable Slack', async () => {
    const feed = await startFeedServer({ body: JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'empty', items: [] }) });
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
environments: { prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9 } }
`);
    try {
      // Nothing listens on port 9 (discard): every Web API call fails and is retried with backoff.
      const hub = await startRole(['hub', '--config', config], {
        SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', SLACK_API_URL: 'http://127.0.0.1:9/api/',
      }, 'hub started');
      child!.kill('SIGTERM');
      expect(await hub.exit).toBe(0);
      expect(hub.lines.some((l) => l.msg === 'stopped')).toBe(true);
    } finally {
      await feed.close();
    }
  });

  it('refuses a malformed SHUTDOWN_GRACE at start-up, naming it (exit 2)', async () => {
    const config = join(dir, 'fleet.yaml');
    writeFileSync(config, 'environments: { prod: {} }\nclusters:\n  - { name: remote, environment: prod, agent: true }\n');
    const proc = spawn(process.execPath, [resolve(REPO_ROOT, 'src/cli.ts'), 'agent', '--config', config, '--cluster', 'remote'], {
      env: { ...process.env, REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, HEALTH_PORT: '0', SHUTDOWN_GRACE: '30' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    const code = await new Promise<number | null>((res) => proc.on('exit', (c) => res(c)));
    expect(code).toBe(2);
    expect(stderr).toContain('SHUTDOWN_GRACE: "30" is not a duration (use e.g. "25s"');
  });
});
