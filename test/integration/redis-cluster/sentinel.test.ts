/**
 * runHub through Sentinel (`redis.sentinel` in the config): a private master and a real
 * `redis-server --sentinel` on loopback, REDIS_URL pointing nowhere. The hub asks the sentinel
 * for the master and works as with one server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHub } from '../../../src/main.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { REDIS_SERVER, SKIP_REASON, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../../helpers/private-redis.ts';
import { freePort } from '../../helpers/redis-cluster.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { waitFor } from '../hub/harness.ts';

const available = redisServerAvailable();
if (!available) console.warn(`skipping Sentinel tests: ${SKIP_REASON}`);

let master: PrivateRedis;
let sentinel: ChildProcess | null;
let sentinelPort: number;
let slack: FakeSlack;
let feed: FeedServer;
let dir: string;

beforeEach(async () => {
  if (!available) return;
  master = await startPrivateRedis();
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-sentinel-'));
  sentinelPort = await freePort();
  // Sentinel rewrites its config file: it must be its own, writable.
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, [
    `port ${sentinelPort}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`,
    `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`, 'sentinel down-after-milliseconds mymaster 60000',
  ].join('\n'));
  sentinel = spawn(REDIS_SERVER, [conf, '--sentinel'], { stdio: 'ignore' });
  const probe = new Redis({ host: '127.0.0.1', port: sentinelPort, lazyConnect: true, retryStrategy: () => 100 });
  probe.on('error', () => undefined);
  try {
    await waitFor(async () => {
      const addr = await probe.call('SENTINEL', 'get-master-addr-by-name', 'mymaster').catch(() => null);
      return Array.isArray(addr) && addr[1] === String(master.port) ? addr : null;
    }, 'the sentinel to know the master');
  } finally {
    probe.disconnect();
  }
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
});

afterEach(async () => {
  if (!available) return;
  await feed.close();
  await slack.close();
  const proc = sentinel;
  sentinel = null;
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
  await master.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('Redis through Sentinel', () => {
  it('runHub finds the master through the sentinel, posts once per channel and stops cleanly', async () => {
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD, staging: C0STAGE }, announceBacklog: true }
environments: { staging: {}, prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
  - { name: fresh, environment: staging, versions: { kubernetes: v1.35.2 } }
redis: { sentinel: { name: mymaster, sentinels: ["127.0.0.1:${sentinelPort}"] } }
`);
    let stop!: () => void;
    const stopSignal = new Promise<void>((res) => { stop = res; });
    const done = runHub({
      configFile: file,
      env: {
        SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', HEALTH_PORT: '0', SLACK_API_URL: slack.apiUrl,
        REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent',
      },
      stopSignal,
    });
    try {
      await waitFor(() => slack.messages.filter((m) => m.threadTs === null && m.text.includes('CVE-2025-1767')).length === 2, 'the gitRepo advisory in both channels', 20_000);
      // The state is on the master the sentinel named.
      const direct = master.connect();
      expect(await direct.exists('{k8s-advisor}:marker')).toBe(1);
      expect((await direct.keys('{k8s-advisor}:post:CVE-2025-1767:*')).sort()).toEqual(['{k8s-advisor}:post:CVE-2025-1767:C0PROD', '{k8s-advisor}:post:CVE-2025-1767:C0STAGE']);
    } finally {
      stop();
      await expect(done).resolves.toBe(0);
    }
    const parents = slack.messages.filter((m) => m.threadTs === null).map((m) => `${m.channel} ${m.text.split(' ')[0]}`);
    expect(new Set(parents).size).toBe(parents.length);
  });
});
