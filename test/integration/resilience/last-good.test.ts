/**
 * Nothing important only in process memory: the last good inventory of each cluster and the
 * refreshed release calendar are in Redis, so a restarted hub (or another replica) serves them.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHub } from '../../../src/main.ts';
import { loadBundledCalendar } from '../../../src/releases/index.ts';
import { hashTagged } from '../../../src/store/redis-connection.ts';
import { createLastGoodStore } from '../../../src/store/redis-last-good.ts';
import type { ClusterInventory } from '../../../src/inventory/types.ts';
import { createFakeApiServer, scenarios, type FakeApiServer } from '../../helpers/fake-apiserver.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { waitFor } from '../hub/harness.ts';

/** endoflife.date's v1 answer, newer than the bundled snapshot. */
const LIVE = {
  schema_version: '1.2.0',
  generated_at: '2099-01-02T04:00:00+00:00',
  result: {
    name: 'kubernetes',
    releases: [{
      name: '1.35', releaseDate: '2025-12-17', isEoas: false, eoasFrom: '2026-12-28', isEol: false, eolFrom: '2027-02-28',
      latest: { name: '1.35.99', date: '2099-01-01' },
    }],
  },
};

let r: TestRedis;
let slack: FakeSlack;
let feed: FeedServer;
let api: FakeApiServer;
let releases: Server;
let releaseRequests: number;
let releasesUrl: string;
let dir: string;

beforeEach(async () => {
  r = await testRedis('lastgood');
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
  api = await createFakeApiServer({ scenario: scenarios.eks() });
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-lastgood-'));
  releaseRequests = 0;
  releases = createServer((req, res) => {
    // The Kubernetes calendar; the providers' calendars (EKS, GKE, AKS, OpenShift) are fetched beside it.
    if (req.url?.endsWith('/products/kubernetes')) releaseRequests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(LIVE));
  });
  await new Promise<void>((ok) => releases.listen(0, '127.0.0.1', ok));
  releasesUrl = `http://127.0.0.1:${(releases.address() as AddressInfo).port}/api/v1/products/kubernetes`;
});

afterEach(async () => {
  await new Promise((ok) => releases.close(ok));
  await api.close();
  await feed.close();
  await slack.close();
  await r.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function hubOnce(configFile: string, until: () => Promise<boolean>): Promise<void> {
  let stop!: () => void;
  const stopSignal = new Promise<void>((res) => { stop = res; });
  const done = runHub({
    configFile,
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', HEALTH_PORT: '0',
      SLACK_API_URL: slack.apiUrl, REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, LOG_LEVEL: process.env.TEST_LOG ?? 'silent',
    },
    stopSignal,
  });
  try {
    await waitFor(until, 'the hub to triage', 20_000);
  } finally {
    stop();
    await done;
  }
}

interface Fleet { clusters: { cluster: string; server: string | null; source?: string; inventoryError: string | null }[]; releaseData: { asOf: string; source: string } | null }

describe('state that survives a hub restart', () => {
  it('a restarted hub serves the last good inventory of an unreachable cluster and the stored calendar without fetching it again', async () => {
    expect(loadBundledCalendar().asOf < '2099-01-02').toBe(true);
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    copyFileSync(await api.writeKubeconfig(), kubeconfig);
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, `
feed: { url: "${feed.url}", every: 1s }
releases: { url: "${releasesUrl}", refresh: true }
slack: { channels: { prod: C0PROD } }
environments: { prod: {} }
clusters:
  - { name: live, environment: prod, kubeconfig: ${kubeconfig}, context: fake }
`);
    const prefix = hashTagged(r.prefix);
    const fleet = async (): Promise<Fleet | null> => {
      const raw = await r.redis.get(`${prefix}:fleet`);
      return raw === null ? null : (JSON.parse(raw) as Fleet);
    };

    await hubOnce(file, async () => (await fleet())?.clusters[0]?.server === 'v1.29.4-eks-036c24b');
    expect(releaseRequests).toBe(1);
    expect((await fleet())?.releaseData).toMatchObject({ asOf: '2099-01-02', source: 'live' });

    // The cluster goes away and the fleet is triaged again by a new hub process.
    await api.close();
    await r.redis.del(`${prefix}:fleet`, `${prefix}:feed-state:known`, `${prefix}:feed-state:validators`);
    await hubOnce(file, async () => (await fleet()) !== null);
    const after = await fleet();
    expect(after?.clusters[0]).toMatchObject({ cluster: 'live', server: 'v1.29.4-eks-036c24b', source: 'cached' });
    expect(after?.clusters[0]?.inventoryError).toBeTruthy();
    // The calendar came from Redis: same data, no second request within the day.
    expect(after?.releaseData).toMatchObject({ asOf: '2099-01-02', source: 'live' });
    expect(releaseRequests).toBe(1);
  });

  it('the store keeps only good live reads and skips unreadable entries', async () => {
    const store = createLastGoodStore({ redis: r.redis, prefix: r.prefix });
    const inv = (cluster: string, over: Partial<ClusterInventory> = {}): ClusterInventory => ({
      cluster, environment: 'prod', provider: 'eks', source: 'live', collectedAt: '2026-12-01T10:00:00Z',
      server: 'v1.29.4-eks-036c24b', nodes: [{ name: 'n1', kubelet: 'v1.29.4-eks-036c24b', kubeProxy: null }], components: {}, error: null, ...over,
    });
    await store.saveInventories([
      inv('good'),
      inv('failed', { error: { code: 'CLUSTER_UNREACHABLE', message: 'x', at: '2026-12-01T10:00:00Z' } }),
      inv('static', { source: 'static' }),
      inv('cached', { source: 'cached' }),
    ]);
    await r.redis.hset(`${r.prefix}:last-good:inventories`, 'broken', '{not json', 'wrong-name', JSON.stringify(inv('other')));
    expect([...(await store.inventories()).keys()]).toEqual(['good']);

    expect(await store.calendar()).toBeNull();
    const bundled = loadBundledCalendar();
    await store.saveCalendar(bundled.data(), 'live', new Date('2026-12-01T10:00:00Z'));
    expect(await store.calendar()).toMatchObject({ readAt: '2026-12-01T10:00:00.000Z', source: 'live', data: { asOf: bundled.asOf } });
    await r.redis.set(`${r.prefix}:last-good:calendar`, JSON.stringify({ readAt: 'x', source: 'live', data: { schemaVersion: 2 } }));
    expect(await store.calendar()).toBeNull();
  });
});
