/**
 * The hub on the real pipeline: loopback feed server → fetchFeed → feed watcher (Redis state) →
 * parseItem → triage (static inventories, bundled calendar) → posts. Real feed data from ../shared.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import { parseItem } from '../../../src/advisory/parse.ts';
import { fetchFeed } from '../../../src/feed/fetch.ts';
import { createFeedWatcher } from '../../../src/feed/watcher.ts';
import { createHub, createWatcherSource, type Hub } from '../../../src/hub/hub.ts';
import { routeFindings } from '../../../src/hub/routing.ts';
import { staticInventory } from '../../../src/inventory/static.ts';
import { createLogger } from '../../../src/log.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import { createRedisFeedStateStore } from '../../../src/store/feed-state.ts';
import { triage } from '../../../src/triage/index.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type FeedServer, startFeedServer } from '../../helpers/feed-server.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { FEED_RECENT, describeShared, readShared } from '../../helpers/shared-data.ts';
import { testConfig } from '../../unit/slack/fixtures.ts';
import { BOT_TOKEN, postStats, waitFor } from './harness.ts';

let redis: TestRedis;
let fake: FakeSlack;
let feed: FeedServer;
let hub: Hub;
let triageCalls: string[][];
let failTriage: boolean;

const config = testConfig();
const calendar = loadBundledCalendar();

beforeEach(async () => {
  redis = await testRedis('hub-feed');
  fake = await startFakeSlack();
  feed = await startFeedServer({ body: readShared('feeds/recent-sample.2023-2025.json') });
  triageCalls = [];
  failTriage = false;
  const now = () => new Date('2025-04-10T12:00:00Z');
  const source = createWatcherSource({
    parseItem,
    watcher: createFeedWatcher({
      store: createRedisFeedStateStore({ redis: redis.redis, prefix: redis.prefix }),
      fetchFeed: (src, opts) => fetchFeed(src, { ...opts, maxAttempts: 1 }),
      source: feed.url,
    }),
  });
  hub = createHub({
    config, redis: redis.redis, prefix: redis.prefix, logger: createLogger({ level: 'silent' }), now,
    slack: { botToken: BOT_TOKEN, apiUrl: fake.apiUrl, mode: { kind: 'none' } },
    source,
    triage: async (advisories: Advisory[]) => {
      triageCalls.push(advisories.map((a) => a.id));
      if (failTriage) {
        failTriage = false;
        throw new Error('triage crashed');
      }
      return triage({ advisories, inventories: config.clusters.map((c) => staticInventory(c, now())), calendar, now: now() });
    },
    roles: { schedule: false },
    workers: { retry: { attempts: 3, backoffMs: 50 } },
  });
  await hub.start();
});

afterEach(async () => {
  await hub.stop();
  await feed.close();
  await fake.close();
  await redis.cleanup();
});

async function pollAndWait(n: number): Promise<void> {
  await hub.pollNow();
  await waitFor(async () => (await hub.queues.feed.getCompletedCount()) === n, `poll ${n}`);
  await waitFor(async () => {
    const c = await hub.queues.slack.getJobCounts('waiting', 'active', 'delayed');
    return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0;
  }, 'slack queue idle');
}

describeShared('hub on the real feed pipeline', () => {
  it('answers the first-run backlog with one digest per channel, then posts a new advisory once per relevant channel', async () => {
    expect(FEED_RECENT).toContain('recent-sample');
    await pollAndWait(1);
    const digests = fake.callsOf('chat.postMessage');
    // One per channel that receives clusters (prod and staging; the default channel has none), no advisory thread.
    expect(digests.map((c) => c.args.channel).sort()).toEqual(['C0PROD', 'C0STAGE']);
    for (const d of digests) expect(String(d.args.text)).toMatch(/^Watching the official Kubernetes CVE feed: 8 advisories known, \d+ affects? clusters in this channel/);
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    expect((await snapshots.list()).map((s) => s.advisory.id).sort()).toContain('CVE-2024-10220');
    const isDigest = (m: { metadata: { event_payload: Record<string, unknown> } | null }) => String(m.metadata?.event_payload.marker).startsWith('first-run-digest/');
    expect(fake.messages.filter(isDigest)).toHaveLength(2);

    // A new advisory appears (same body as CVE-2024-10220: gitRepo volumes, kubelet), and triage crashes once.
    const doc = JSON.parse(readShared('feeds/recent-sample.2023-2025.json')) as { items: Record<string, unknown>[] };
    const base = doc.items.find((i) => i.id === 'CVE-2024-10220');
    doc.items.push({ ...base, id: 'CVE-2099-0001', url: 'https://github.com/kubernetes/kubernetes/issues/999999', summary: 'A new one' });
    feed.setBody(JSON.stringify(doc));
    failTriage = true;
    await pollAndWait(2);
    // The failed attempt did not commit the watcher's state: the retry saw the new item again,
    // triaged beside the 8 known ones (a cluster's one remediation counts every open advisory).
    expect(triageCalls.slice(-2).map((ids) => ids.length)).toEqual([9, 9]);
    for (const ids of triageCalls.slice(-2)) expect(ids).toContain('CVE-2099-0001');
    const snap = await snapshots.get('CVE-2099-0001');
    const channels = [...routeFindings(config, snap?.findings ?? []).keys()].sort();
    expect(channels.length).toBeGreaterThan(0);
    const parents = fake.messages.filter((m) => m.threadTs === null && !isDigest(m));
    expect(parents.map((m) => m.channel).sort()).toEqual(channels);
    expect(JSON.stringify(parents[0]?.blocks)).toContain('CVE-2099-0001');

    // Same feed again: nothing new, nothing posted (no second digest either).
    await pollAndWait(3);
    expect(postStats(fake)).toMatchObject({ top: channels.length + 2, duplicates: [] });
  });
});
