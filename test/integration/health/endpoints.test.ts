/**
 * /livez, /readyz and /metrics of both roles, scraped over HTTP: a hub (HTTP mode) against a
 * loopback feed, fake Slack and a loopback endoflife.date, and an agent against the fake API
 * server, both on real Redis.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClusterDispatcher } from '../../../src/agent/dispatcher.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import { redisCheck } from '../../../src/health/checks.ts';
import { createHealthServer } from '../../../src/health/server.ts';
import { runAgent, runHub } from '../../../src/main.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { hashTagged } from '../../../src/store/redis-connection.ts';
import { createFakeApiServer, scenarios, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

let dir: string;
let r: TestRedis;
let slack: FakeSlack;
let feed: FeedServer;
let eol: { url: string; close: () => Promise<void> };
let api: FakeApiServer;

/** endoflife.date's product shape, written by us: two minors, generated today. */
function endoflifeBody(): string {
  return JSON.stringify({
    schema_version: '1.2.0',
    generated_at: new Date().toISOString(),
    result: {
      name: 'kubernetes',
      releases: [
        { name: '1.35', releaseDate: '2025-12-17', isEoas: false, eoasFrom: '2026-12-28', isEol: false, eolFrom: '2027-02-28', latest: { name: '1.35.2', date: '2026-02-26' } },
        { name: '1.34', releaseDate: '2025-08-27', isEoas: false, eoasFrom: '2026-08-27', isEol: false, eolFrom: '2026-10-27', latest: { name: '1.34.5', date: '2026-02-26' } },
      ],
    },
  });
}

async function startEndoflife(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(endoflifeBody());
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1/products/kubernetes`, close: () => new Promise((res) => { server.closeAllConnections(); server.close(() => res()); }) };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-health-'));
  r = await testRedis('health');
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
  eol = await startEndoflife();
  api = await createFakeApiServer({ scenario: scenarios.eks() });
});
afterEach(async () => {
  await api.close();
  await eol.close();
  await feed.close();
  await slack.close();
  await r.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(releases: string): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, `
feed: { url: "${feed.url}", every: 1h }
releases: ${releases}
slack: { channels: { prod: C0PROD, staging: C0STAGE }, announceBacklog: true }
environments: { staging: {}, prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
  - { name: remote, environment: staging, agent: true }
`);
  return file;
}

const env = (extra: Record<string, string> = {}) => ({
  SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0',
  SLACK_API_URL: slack.apiUrl, REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, LOG_LEVEL: 'silent', HEALTH_PORT: '0', ...extra,
});

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** `name{labels} value` lines of an exposition, as [name, labels, value]. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    return { name: m[1]!, labels, value: Number(m[3]) };
  });
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('hub and agent operations endpoints', { timeout: 60_000 }, () => {
  it('answer /livez, /readyz and /metrics with facts from both roles', async () => {
    const file = writeConfig(`{ url: "${eol.url}" }`);
    let stopAgent!: () => void;
    let agentPort = 0;
    const agentDone = runAgent({
      configFile: file, cluster: 'remote', kubeconfig: await api.writeKubeconfig(), env: env(),
      stopSignal: new Promise<void>((res) => { stopAgent = res; }), onStarted: (info) => { agentPort = info.healthPort; },
    });
    await until(() => agentPort > 0, 'the agent to start');

    let stopHub!: () => void;
    let hubPort = 0;
    const hubDone = runHub({
      configFile: file, env: env(),
      stopSignal: new Promise<void>((res) => { stopHub = res; }), onStarted: (info) => { hubPort = info.healthPort; },
    });
    const dispatcher = createClusterDispatcher({ connection: r.redis, prefix: hashTagged(r.prefix), config: await loadConfigFile(file), store: null });
    try {
      await until(() => hubPort > 0, 'the hub to start');
      expect(hubPort).not.toBe(agentPort);
      await until(() => slack.messages.some((m) => m.channel === 'C0PROD' && m.text.includes('CVE-2025-1974')), 'a post in prod');

      const live = await get(hubPort, '/livez');
      expect(live).toMatchObject({ status: 200, body: 'ok\n' });

      await until(async () => (await get(hubPort, '/readyz')).status === 200, 'the hub to be ready');
      const ready = await get(hubPort, '/readyz');
      expect(ready.body).toMatch(/^\[\+\]shutdown ok/m);
      expect(ready.body).toMatch(/^\[\+\]redis ok: connected$/m);
      expect(ready.body).toMatch(/^\[\+\]slack ok: connected$/m);
      expect(ready.body).toMatch(/^\[\+\]feed ok: fetched \d+s ago$/m);
      expect(ready.body).toMatch(/^\[\+\]releases ok: data as of \d{4}-\d{2}-\d{2}$/m);
      const json = JSON.parse((await get(hubPort, '/readyz?format=json')).body) as { ok: boolean; checks: { name: string }[] };
      expect(json.ok).toBe(true);
      expect(json.checks.map((c) => c.name)).toEqual(['shutdown', 'redis', 'slack', 'feed', 'releases']);

      // The agent serves one verification; its own metrics count the probes it ran.
      const report = await dispatcher.verify('remote');
      expect(report.probes.length).toBeGreaterThan(0);

      await until(async () => value((await get(hubPort, '/metrics')).body, 'k8s_advisor_slack_deliveries_total', { channel: 'C0PROD', result: 'posted' }) !== undefined, 'a counted delivery');
      // Deliveries can finish before the poll job that queued them records its own completion.
      await until(async () => value((await get(hubPort, '/metrics')).body, 'k8s_advisor_job_duration_seconds_count', { queue: 'feed', outcome: 'completed' }) !== undefined, 'the poll job to complete');
      const hubMetrics = await get(hubPort, '/metrics');
      expect(hubMetrics.status).toBe(200);
      expect(hubMetrics.type).toContain('text/plain');
      const m = hubMetrics.body;
      expect(value(m, 'k8s_advisor_build_info', { role: 'hub' })).toBe(1);
      expect(value(m, 'k8s_advisor_feed_polls_total', { result: 'modified' })).toBe(1);
      expect(value(m, 'k8s_advisor_feed_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
      // The sample feed's advisories, each parsed once, split by confidence.
      const parsed = samples(m).filter((s) => s.name === 'k8s_advisor_advisories_parsed_total');
      expect(parsed.reduce((n, s) => n + s.value, 0)).toBeGreaterThan(0);
      for (const s of parsed) expect(['high', 'medium', 'low']).toContain(s.labels.confidence);
      expect(value(m, 'k8s_advisor_slack_deliveries_total', { channel: 'C0PROD', result: 'posted' })).toBeGreaterThanOrEqual(1);
      expect(value(m, 'k8s_advisor_job_duration_seconds_count', { queue: 'feed', outcome: 'completed' })).toBe(1);
      expect(value(m, 'k8s_advisor_queue_jobs', { queue: 'slack', state: 'failed' })).toBe(0);
      expect(value(m, 'k8s_advisor_release_data_age_seconds')).toBeLessThan(2 * 86_400);
      expect(value(m, 'k8s_advisor_inventory_age_seconds', { cluster: 'legacy' })).toBeGreaterThanOrEqual(0);
      expect(value(m, 'k8s_advisor_agent_up', { cluster: 'remote' })).toBe(1);
      expect(value(m, 'k8s_advisor_agent_last_heartbeat_timestamp_seconds', { cluster: 'remote' })).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(value(m, 'k8s_advisor_verify_runs_total')).toBeUndefined();
      expect(m).toContain('process_resident_memory_bytes');

      const agentReady = await get(agentPort, '/readyz');
      expect(agentReady.status).toBe(200);
      expect(agentReady.body).toMatch(/^\[\+\]cluster ok: API server of remote answered \d+s ago$/m);
      // The agent records its run when its worker sees the job completed, which may be just after the hub got the answer.
      await until(async () => value((await get(agentPort, '/metrics')).body, 'k8s_advisor_verify_runs_total', { cluster: 'remote' }) !== undefined, 'the agent to count its run');
      const a = (await get(agentPort, '/metrics')).body;
      expect(value(a, 'k8s_advisor_build_info', { role: 'agent' })).toBe(1);
      expect(value(a, 'k8s_advisor_probe_results_total', { probe: 'apiserver-health', status: 'pass' })).toBe(1);
      expect(value(a, 'k8s_advisor_probe_duration_seconds_count', { probe: 'apiserver-health' })).toBe(1);
      expect(value(a, 'k8s_advisor_verify_runs_total', { cluster: 'remote' })).toBe(1);
      expect(value(a, 'k8s_advisor_job_duration_seconds_count', { queue: 'agent-{remote}', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(value(a, 'k8s_advisor_cluster_last_contact_timestamp_seconds', { cluster: 'remote' })).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(value(a, 'k8s_advisor_queue_jobs', { queue: 'agent-{remote}', state: 'waiting' })).toBe(0);

      // Prometheus conventions; bounded labels: no CVE id or Slack user anywhere.
      for (const text of [m, a]) {
        expect(text).not.toMatch(/CVE-\d{4}/);
        expect(text).not.toMatch(/="[UW][A-Z0-9]{6,}"/);
        for (const [, name, type] of text.matchAll(/^# TYPE (k8s_advisor_\S+) (\S+)$/gm)) {
          if (type === 'counter') expect(name).toMatch(/_total$/);
          if (type === 'histogram') expect(name).toMatch(/_seconds$/);
        }
      }
      expect((await get(hubPort, '/nope')).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${hubPort}/readyz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await dispatcher.close();
      stopHub();
      await expect(hubDone).resolves.toBe(0);
      stopAgent();
      await expect(agentDone).resolves.toBe(0);
    }
    // Stopped roles close their health port.
    await expect(fetch(`http://127.0.0.1:${hubPort}/livez`)).rejects.toThrow();
  });

  it('counts Slack as connected in Socket Mode once the WebSocket is open', async () => {
    const file = writeConfig(`{ url: "${eol.url}" }`);
    let stop!: () => void;
    let port = 0;
    const done = runHub({
      configFile: file, env: env({ SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-test-app-token' }),
      stopSignal: new Promise<void>((res) => { stop = res; }), onStarted: (info) => { port = info.healthPort; },
    });
    try {
      await until(() => port > 0, 'the hub to start');
      await until(async () => (await get(port, '/readyz')).status === 200, 'the hub to be ready');
      expect(slack.socket.open()).toBe(1);
      expect((await get(port, '/readyz')).body).toMatch(/^\[\+\]slack ok: connected$/m);
    } finally {
      stop();
      await expect(done).resolves.toBe(0);
    }
  });

  it('keeps an agent unready while its API server fails, naming the cluster and the error', async () => {
    const failing = await createFakeApiServer({ scenario: scenarios.eks({ routes: { 'GET /version': { status: 500 } } }) });
    const file = writeConfig('{ refresh: false }');
    let stop!: () => void;
    let port = 0;
    const done = runAgent({
      configFile: file, cluster: 'remote', kubeconfig: await failing.writeKubeconfig(), env: env(),
      stopSignal: new Promise<void>((res) => { stop = res; }), onStarted: (info) => { port = info.healthPort; },
    });
    try {
      await until(() => port > 0, 'the agent to start');
      await until(async () => (await get(port, '/readyz')).body.includes('[-]cluster'), 'the failed contact');
      const res = await get(port, '/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toMatch(/^\[-\]cluster failed: API server of remote has not answered: .*500/m);
      expect(res.body).toMatch(/^\[\+\]redis ok/m);
      // Not ready is not dead: the kubelet keeps it running.
      expect((await get(port, '/livez')).status).toBe(200);
    } finally {
      stop();
      await expect(done).resolves.toBe(0);
      await failing.close();
    }
  });

  it('says which check fails, with 503: release data older than its limit', async () => {
    // No refresh: the bundled calendar (as of 2026-08-20) is all the hub has.
    const file = writeConfig('{ refresh: false }');
    let stop!: () => void;
    let port = 0;
    const done = runHub({ configFile: file, env: env(), stopSignal: new Promise<void>((res) => { stop = res; }), onStarted: (info) => { port = info.healthPort; } });
    try {
      await until(() => port > 0, 'the hub to start');
      const res = await get(port, '/readyz');
      const bundledAsOf = (JSON.parse(readFileSync(resolve(REPO_ROOT, 'data/releases.json'), 'utf8')) as { asOf: string }).asOf;
      const stale = Date.now() - Date.parse(`${bundledAsOf}T00:00:00Z`) > 30 * 86_400_000;
      expect(res.status).toBe(stale ? 503 : 200);
      if (stale) {
        expect(res.body).toContain(`[-]releases failed: release data as of ${bundledAsOf} is older than 30 days; allow egress to endoflife.date`);
        expect(res.body).toMatch(/readyz check failed: releases$/m);
      }
      expect((await get(port, '/livez')).status).toBe(200);
    } finally {
      stop();
      await expect(done).resolves.toBe(0);
    }
  });

  it('refuses the same port for Slack and health at start-up, naming both variables', async () => {
    const file = writeConfig('{ refresh: false }');
    await expect(runHub({ configFile: file, env: env({ PORT: '8099', HEALTH_PORT: '8099' }) })).rejects.toThrow(/PORT and HEALTH_PORT \(or server.port\) are both 8099/);
    await expect(runHub({ configFile: file, env: env({ HEALTH_PORT: 'eighty' }) })).rejects.toThrow(/HEALTH_PORT: "eighty" is not a port number/);
  });

  it('answers HEAD without a body, and names the endpoints on an unknown path', async () => {
    const server = createHealthServer({ port: 0, host: '127.0.0.1', checks: [], metrics: createMetrics({ role: 'agent', version: 'test', processMetrics: false }) });
    const { port } = await server.start();
    try {
      const head = await fetch(`http://127.0.0.1:${port}/readyz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const missing = await get(port, '/healthz');
      expect(missing).toMatchObject({ status: 404, body: 'not found: /healthz (endpoints: /livez, /readyz, /metrics)\n' });
      const metrics = await get(port, '/metrics?name=x');
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    } finally {
      await server.stop();
    }
  });

  it('is not ready while Redis is unreachable, and names Redis', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => null });
    redis.on('error', () => {});
    const server = createHealthServer({
      port: 0, host: '127.0.0.1', checks: [redisCheck(() => redis.status === 'ready')],
      metrics: createMetrics({ role: 'hub', version: 'test', processMetrics: false }),
    });
    const { port } = await server.start();
    try {
      await redis.connect().catch(() => {});
      const res = await get(port, '/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toContain('[-]redis failed: not connected to Redis (check REDIS_URL');
      server.markShuttingDown();
      expect((await get(port, '/readyz')).body).toContain('[-]shutdown failed: shutting down (SIGTERM received)');
      expect((await get(port, '/livez')).status).toBe(200);
    } finally {
      await server.stop();
      redis.disconnect();
    }
  });

  it('refuses a health port already in use, naming the setting', async () => {
    const first = createHealthServer({ port: 0, host: '127.0.0.1', checks: [], metrics: createMetrics({ role: 'agent', version: 'test', processMetrics: false }) });
    const { port } = await first.start();
    const second = createHealthServer({ port, host: '127.0.0.1', checks: [], metrics: createMetrics({ role: 'agent', version: 'test', processMetrics: false }) });
    try {
      await expect(second.start()).rejects.toThrow(/health port \d+ is already in use/);
      await expect(second.start()).rejects.toMatchObject({ code: 'HEALTH_PORT_IN_USE', hint: expect.stringContaining('HEALTH_PORT') });
    } finally {
      await first.stop();
    }
  });
});
