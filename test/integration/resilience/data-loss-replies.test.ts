/**
 * Redis data loss with more than parents in Slack: a first-run digest per channel, an advisory
 * posted later, and its "details updated" reply. The hub (runHub, as deployed, on a private
 * redis-server this test FLUSHALLs) must rebuild the records of all three kinds from the Slack
 * history and threads before it posts again, say so in one line, and post none of them twice;
 * an acknowledged parent still shows who acknowledged it once it is refreshed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRunHub } from './run-hub.ts';
import { DIGEST_POST_KEY, createPostStore } from '../../../src/store/posts.ts';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { SKIP_REASON, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../../helpers/private-redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { blockAction, interactionBody, postSigned } from '../../helpers/slack-sign.ts';
import { waitFor } from '../hub/harness.ts';

const available = redisServerAvailable();
if (!available) console.warn(`skipping Redis data-loss (replies, digests) tests: ${SKIP_REASON}`);

interface FeedDoc { items: Record<string, unknown>[] }

const SAMPLE = readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8');
const NEW_ID = 'CVE-2099-4343';
const PREFIX = '{k8s-advisor}';
const SECRET = 'test-signing-secret-abcdef';

/** The sample feed plus one advisory (the facts of CVE-2025-1767: affects every cluster) in `status`. */
function feedWith(status: string): string {
  const doc = JSON.parse(SAMPLE) as FeedDoc;
  const template = doc.items.find((i) => i.id === 'CVE-2025-1767');
  if (!template) throw new Error('sample feed lost CVE-2025-1767');
  const added = { ...template, id: NEW_ID, status, url: 'https://github.com/kubernetes/kubernetes/issues/999998', summary: 'An advisory published after the first run' };
  return JSON.stringify({ ...doc, items: [added, ...doc.items] });
}

let server: PrivateRedis;
let slack: FakeSlack;
let feed: FeedServer;
let dir: string;
let lines: string[];
let stops: (() => Promise<void>)[];
/** The Slack endpoint of the hub started last. */
let eventsUrl = '';

beforeEach(async () => {
  if (!available) return;
  server = await startPrivateRedis();
  slack = await startFakeSlack();
  feed = await startFeedServer({ body: SAMPLE });
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-loss-replies-'));
  lines = [];
  stops = [];
});

afterEach(async () => {
  if (!available) return;
  for (const s of stops.reverse()) await s();
  await feed.close();
  await slack.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function configFile(): string {
  const file = join(dir, 'fleet.yaml');
  // The default first run (no announceBacklog): one digest per channel. Polled every second.
  writeFileSync(file, `
feed: { url: "${feed.url}", every: 1s }
releases: { refresh: false }
slack: { channels: { prod: C0PROD, staging: C0STAGE }, pace: { perChannel: 20, burst: 5 } }
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
    env: { SLACK_SIGNING_SECRET: SECRET, HOST: '127.0.0.1' },
    log: (s) => { lines.push(s); },
    onPort: (port) => { eventsUrl = `http://127.0.0.1:${port ?? 0}/slack/events`; },
  });
  stops.push(close);
  return close;
}

const markerOf = (m: FakeMessage) => String(m.metadata?.event_payload.marker ?? '');
const digests = () => slack.messages.filter((m) => markerOf(m).startsWith(`${DIGEST_POST_KEY.advisory}/`));
const parentsOf = (id: string) => slack.messages.filter((m) => m.threadTs === null && markerOf(m).startsWith(`${id}/`));
const updateReplies = (id: string) => slack.messages.filter((m) => m.threadTs !== null && markerOf(m).startsWith(`${id}/`) && markerOf(m).includes('/upd-'));
const logged = (re: RegExp) => lines.filter((l) => re.test(l));

/** Every marker of ours posted once only. */
function duplicateMarkers(): string[] {
  const seen = new Map<string, number>();
  for (const m of slack.messages) if (m.metadata) seen.set(markerOf(m), (seen.get(markerOf(m)) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** Waits until Slack saw no new message for a while (polls run every second). */
async function quiet(what: string, forMs = 2_500): Promise<void> {
  let last = -1;
  let since = Date.now();
  await waitFor(() => {
    if (slack.messages.length !== last) {
      last = slack.messages.length;
      since = Date.now();
      return false;
    }
    return Date.now() - since > forMs;
  }, what, 30_000);
}

/** First run (digests), a new advisory (parents), its change (a "details updated" reply in each thread). */
async function postAllThreeKinds(): Promise<void> {
  await waitFor(() => digests().length === 2, 'a first-run digest in each channel', 20_000);
  feed.setBody(feedWith('open'));
  await waitFor(() => parentsOf(NEW_ID).length === 2, `${NEW_ID} posted in both channels`, 20_000);
  feed.setBody(feedWith('fixed'));
  await waitFor(() => updateReplies(NEW_ID).length === 2, 'a details-updated reply in both threads', 20_000);
  await quiet('the posts to settle');
  expect(duplicateMarkers()).toEqual([]);
}

describe.skipIf(!available)('Redis data loss: replies and digests', () => {
  it('under a running hub: the records of parents, replies and digests come back from Slack; none is posted twice', async () => {
    await startHubProcess();
    await postAllThreeKinds();
    // Someone acknowledges the advisory in prod: a reply in the thread, the parent shows it.
    const prodParent = parentsOf(NEW_ID).find((m) => m.channel === 'C0PROD');
    const ack = await postSigned(eventsUrl, interactionBody(blockAction({
      actionId: 'advisory_acknowledge', value: NEW_ID, user: 'U02BBB', responseUrl: slack.responseUrl(), messageTs: prodParent?.ts ?? '',
    })), { secret: SECRET });
    expect(ack.status).toBe(200);
    await waitFor(() => JSON.stringify(prodParent?.blocks).includes('Acknowledged by <@U02BBB>'), 'the parent showing the acknowledgement');
    await quiet('the acknowledgement to settle');
    const replyTs = slack.messages.filter((m) => m.threadTs !== null).map((m) => [m.channel, markerOf(m).split('/')[2], m.ts] as const);
    expect(replyTs).toHaveLength(3);
    const updatesBefore = slack.callsOf('chat.update').length;

    const admin = server.connect();
    await admin.flushall();
    const line = await waitFor(() => logged(/Redis lost its data; recovered/)[0], 'the data-loss line', 20_000);
    // Two parents, their two update replies and the acknowledgement, the two digests: read back from history and threads.
    expect(line).toContain('recovered 2 posts, 3 replies, 2 digests from Slack');
    expect(logged(/Redis lost its data/)).toHaveLength(1);
    expect(slack.callsOf('conversations.replies').length).toBeGreaterThanOrEqual(2);

    // Polling resumes; let it run a while.
    const polled = feed.requests.length;
    await waitFor(() => feed.requests.length > polled + 2, 'polls after the recovery', 20_000);
    await quiet('the posts after the recovery to settle');
    expect(digests()).toHaveLength(2);
    expect(parentsOf(NEW_ID)).toHaveLength(2);
    expect(updateReplies(NEW_ID)).toHaveLength(2);
    expect(slack.messages.filter((m) => m.text.includes('Acknowledged by'))).toHaveLength(1);
    expect(duplicateMarkers()).toEqual([]);
    // The reply records are back as posted, with the ts Slack holds.
    const posts = createPostStore({ redis: admin, prefix: PREFIX });
    for (const [channel, reply, ts] of replyTs) {
      expect(await posts.get({ advisory: NEW_ID, channel, reply: reply ?? '' })).toMatchObject({ state: 'posted', ts });
    }
    // The recovered parents were refreshed (quietly), and prod's still shows who acknowledged it.
    await waitFor(() => slack.callsOf('chat.update').length >= updatesBefore + 2, 'the recovered parents refreshed', 20_000);
    await waitFor(async () => (await posts.get({ advisory: NEW_ID, channel: 'C0PROD' }))?.recovered === false, 'the prod parent re-rendered', 20_000);
    expect(await posts.get({ advisory: NEW_ID, channel: 'C0PROD' })).toMatchObject({ ackUser: 'U02BBB' });
    expect(JSON.stringify(prodParent?.blocks)).toContain('Acknowledged by <@U02BBB>');
    await admin.quit();
  }, 90_000);

  it('while no hub ran, after a first run that posted only digests: no second digest (a loss, not a first install)', async () => {
    const stop = await startHubProcess();
    await waitFor(() => digests().length === 2, 'a first-run digest in each channel', 20_000);
    await quiet('the first run to settle');
    expect(slack.messages.filter((m) => m.threadTs === null)).toHaveLength(2);
    await stop();

    const admin = server.connect();
    await admin.flushall();
    await admin.quit();
    lines = [];
    await startHubProcess();
    const line = await waitFor(() => logged(/Redis lost its data; recovered/)[0], 'the data-loss line', 20_000);
    expect(line).toContain('recovered 0 posts, 0 replies, 2 digests from Slack');
    const polled = feed.requests.length;
    await waitFor(() => feed.requests.length > polled + 2, 'polls after the recovery', 20_000);
    await quiet('the posts after the recovery to settle');
    expect(digests()).toHaveLength(2);
    // The advisories the digests listed are known again, not news: no thread for any of them.
    expect(slack.messages.filter((m) => m.threadTs === null)).toHaveLength(2);
    expect(duplicateMarkers()).toEqual([]);
    // An advisory new since then is still news.
    feed.setBody(feedWith('open'));
    await waitFor(() => parentsOf(NEW_ID).length === 2, `${NEW_ID} posted in both channels`, 20_000);
    await quiet('the new advisory to settle');
    expect(slack.messages.filter((m) => m.threadTs === null)).toHaveLength(4);
    expect(duplicateMarkers()).toEqual([]);
  }, 90_000);
});
