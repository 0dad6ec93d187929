/**
 * A Redis outage under a running hub (runHub, as deployed): one warning when Redis goes away,
 * one line when it is back, nothing per retry in between (before: ~24 error lines a second and
 * no "back" line), and `redisHealth` (what /readyz reports) false while it is down.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHub } from '../../../src/main.ts';
import type { RedisHealth } from '../../../src/store/redis-health.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { SKIP_REASON, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../../helpers/private-redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { waitFor } from '../hub/harness.ts';

const available = redisServerAvailable();
if (!available) console.warn(`skipping Redis outage tests: ${SKIP_REASON}`);

let server: PrivateRedis;
let slack: FakeSlack;
let feed: FeedServer;
let dir: string;

beforeEach(async () => {
  if (!available) return;
  server = await startPrivateRedis();
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-outage-'));
});

afterEach(async () => {
  if (!available) return;
  if (!server.running) await server.restart();
  await feed.close();
  await slack.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface LogLine { level: number; msg: string; downForMs?: number }

describe.skipIf(!available)('Redis outage', () => {
  it('logs one warning when Redis goes away and one line when it is back; readiness follows', async () => {
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD }, announceBacklog: false }
environments: { prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9 } }
`);
    const lines: LogLine[] = [];
    let stop!: () => void;
    const stopSignal = new Promise<void>((res) => { stop = res; });
    let health: RedisHealth | null = null;
    const done = runHub({
      configFile: file,
      env: {
        SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', HEALTH_PORT: '0',
        SLACK_API_URL: slack.apiUrl, REDIS_URL: server.url, LOG_LEVEL: 'info',
      },
      stopSignal,
      logDestination: { write: (s: string) => { lines.push(JSON.parse(s) as LogLine); } },
      onStarted: (info) => { health = info.redisHealth; },
    });
    try {
      const h = await waitFor(() => health, 'the hub to start');
      await waitFor(() => feed.requests.length > 0 && lines.some((l) => l.msg === 'feed poll done'), 'the first poll');
      expect(h.isUp()).toBe(true);
      const from = lines.length;

      await server.stop();
      await waitFor(() => !h.isUp(), 'readiness to turn false');
      const downSince = h.since();
      // Every connection (stores, queues, four workers' blocking clients) retries meanwhile.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(h.isUp()).toBe(false);
      await server.restart();
      await waitFor(() => h.isUp(), 'readiness to turn true again');
      expect(h.since().getTime()).toBeGreaterThan(downSince.getTime());
      await new Promise((r) => setTimeout(r, 300));

      const during = lines.slice(from).filter((l) => l.level >= 40);
      expect(during.map((l) => l.msg)).toEqual(['Redis is unavailable; retrying (commands that need it fail until it is back)']);
      const back = lines.slice(from).filter((l) => l.msg === 'Redis is back');
      expect(back).toHaveLength(1);
      expect(back[0]?.downForMs).toBeGreaterThanOrEqual(2_000);
    } finally {
      stop();
      await done;
    }
  });
});
