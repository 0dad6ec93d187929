/**
 * Redis loses its data (a restart without persistence, a failover to an empty replica) under a
 * running hub, or while no hub runs. The hub (runHub, as deployed) must notice, rebuild its post
 * records from the Slack history before anything is posted, bring the feed poll back, and post
 * what is genuinely new: no second parent, no missed advisory, one log line saying so.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRunHub } from './run-hub.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { SKIP_REASON, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../../helpers/private-redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { waitFor } from '../hub/harness.ts';

const available = redisServerAvailable();
if (!available) console.warn(`skipping Redis data-loss tests: ${SKIP_REASON}`);

interface FeedDoc { items: Record<string, unknown>[] }

const SAMPLE = readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8');

/** The sample feed plus one advisory published while Redis was empty (same facts as CVE-2025-1767: affects every cluster). */
function feedWithNewAdvisory(): string {
  const doc = JSON.parse(SAMPLE) as FeedDoc;
  const template = doc.items.find((i) => i.id === 'CVE-2025-1767');
  if (!template) throw new Error('sample feed lost CVE-2025-1767');
  const fresh = { ...template, id: 'CVE-2099-4242', url: 'https://github.com/kubernetes/kubernetes/issues/999999', summary: 'A new advisory published during the outage' };
  return JSON.stringify({ ...doc, items: [fresh, ...doc.items] });
}

let server: PrivateRedis;
let slack: FakeSlack;
let feed: FeedServer;
let dir: string;
let lines: string[];
let stops: (() => Promise<void>)[];

beforeEach(async () => {
  if (!available) return;
  server = await startPrivateRedis();
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: SAMPLE });
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-loss-'));
  lines = [];
  stops = [];
});

afterEach(async () => {
  if (!available) return;
  if (!server.running) await server.restart();
  for (const s of stops.reverse()) await s();
  await feed.close();
  await slack.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function configFile(): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD, staging: C0STAGE }, announceBacklog: true }
environments: { staging: {}, prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
  - { name: fresh, environment: staging, versions: { kubernetes: v1.35.2 } }
`);
  return file;
}

async function startHubProcess(): Promise<() => Promise<void>> {
  const close = await startRunHub({
    configFile: configFile(), slackApiUrl: slack.apiUrl, redisUrl: server.url,
    log: (s) => { lines.push(s); },
  });
  stops.push(close);
  return close;
}

const parents = () => slack.messages.filter((m) => m.threadTs === null);
const parentKeys = () => parents().map((m) => `${m.channel} ${/CVE-\d{4}-\d+/.exec(m.text)?.[0] ?? m.text}`);
const logged = (re: RegExp) => lines.filter((l) => re.test(l));

/** Waits for the first poll's posts to settle (nothing new for a while) and returns the parent count. */
async function settledParents(): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  return waitFor(() => {
    const n = parents().length;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
      return null;
    }
    return n > 0 && Date.now() - stableSince > 1_500 ? n : null;
  }, 'the first posts to settle', 20_000);
}

describe.skipIf(!available)('Redis data loss', () => {
  it('under a running hub: recovers the posts from Slack, polls again, posts only what is new, no second parent', async () => {
    await startHubProcess();
    const before = await settledParents();
    expect(logged(/lost its data/)).toEqual([]);
    const beforeKeys = parentKeys();
    expect(new Set(beforeKeys).size).toBe(beforeKeys.length);
    const fetchesBefore = feed.requests.length;

    feed.setBody(feedWithNewAdvisory());
    await server.restartEmpty();

    const line = await waitFor(() => logged(/Redis lost its data; recovered \d+ posts, \d+ replies, \d+ digests from Slack/)[0], 'the data-loss line');
    expect(line).toContain(`recovered ${before} posts, 0 replies, 0 digests from Slack`);
    expect(logged(/Redis lost its data/)).toHaveLength(1);

    // The schedulers came back: the feed is polled again and the new advisory reaches both channels.
    await waitFor(() => parents().filter((m) => m.text.includes('CVE-2099-4242')).length === 2, 'the new advisory in both channels');
    expect(feed.requests.length).toBeGreaterThan(fetchesBefore);
    await settledParents();
    const after = parentKeys();
    expect(new Set(after).size).toBe(after.length);
    expect(after.length).toBe(before + 2);
    expect(after).toEqual(expect.arrayContaining(beforeKeys));
    // Recovered threads are refreshed quietly: no "details updated" replies for what did not change.
    expect(slack.messages.filter((m) => m.threadTs !== null && /updated/i.test(m.text))).toEqual([]);
  });

  it('while no hub ran: the next hub recovers at start, before it posts anything', async () => {
    const stop = await startHubProcess();
    const before = await settledParents();
    await stop();

    await server.restartEmpty();
    feed.setBody(feedWithNewAdvisory());
    lines = [];
    await startHubProcess();
    const line = await waitFor(() => logged(/Redis lost its data; recovered \d+ posts, \d+ replies, \d+ digests from Slack/)[0], 'the data-loss line');
    expect(line).toContain(`recovered ${before} posts, 0 replies, 0 digests from Slack`);
    await waitFor(() => parents().filter((m) => m.text.includes('CVE-2099-4242')).length === 2, 'the new advisory in both channels');
    await settledParents();
    const keys = parentKeys();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(before + 2);
  });
});
