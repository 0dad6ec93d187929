/**
 * Post records rebuilt from the metadata markers in Slack after Redis lost them: the same ts,
 * no second parent, no reply telling a change that did not happen.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { silentLogger } from '../../../src/log.ts';
import { keyOfMarker, recoverPostsFromSlack } from '../../../src/queue/workers/recover-posts.ts';
import { createSlackApi, createWebClient } from '../../../src/slack/web.ts';
import { createPostStore } from '../../../src/store/posts.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, deleteKeysContaining, testRedis } from '../../helpers/redis.ts';
import { advisory } from '../../unit/slack/fixtures.ts';
import { BOT_TOKEN, postStats, settled, startHub } from './harness.ts';

let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub | null;

beforeEach(async () => {
  redis = await testRedis('hub-recover');
  fake = await startFakeSlack();
  hub = null;
});

afterEach(async () => {
  await hub?.stop();
  await fake.close();
  await redis.cleanup();
});

it.each([
  ['CVE-2099-1/C0PROD/parent', 'C0PROD', { advisory: 'CVE-2099-1', channel: 'C0PROD' }],
  ['CVE-2099-1/C0PROD/upd-abc-r0', 'C0PROD', { advisory: 'CVE-2099-1', channel: 'C0PROD', reply: 'upd-abc-r0' }],
  ['first-run-digest/C0PROD/digest', 'C0PROD', { advisory: 'first-run-digest', channel: 'C0PROD', reply: 'digest' }],
  ['CVE-2099-1/C0STAGE/parent', 'C0PROD', null],
  ['not a marker', 'C0PROD', null],
  ['CVE-2099-1/C0PROD/../x', 'C0PROD', null],
])('marker %s in %s → %j', (marker, channel, key) => {
  expect(keyOfMarker(marker, channel)).toEqual(key);
});

it('rebuilds parent and reply records from the channel history after they were lost; nothing is posted twice', async () => {
  const started = await startHub({ redis, fake, advisories: [advisory('CVE-2099-85000', { status: 'open' }), advisory('CVE-2099-85001')], http: false });
  hub = started.hub;
  await hub.pollNow();
  await settled(hub, 'first posts');
  // An upstream change: thread replies in both channels.
  started.src.set([advisory('CVE-2099-85000', { status: 'fixed' }), advisory('CVE-2099-85001')]);
  await hub.pollNow();
  await settled(hub, 'update replies');
  const posts = createPostStore({ redis: redis.redis, prefix: redis.prefix });
  const before = await posts.get({ advisory: 'CVE-2099-85000', channel: 'C0PROD' });
  expect(before?.state).toBe('posted');
  const messagesBefore = fake.messages.length;
  const repliesBefore = fake.messages.filter((m) => m.threadTs !== null).length;
  expect(repliesBefore).toBeGreaterThan(0);

  // Redis loses the post records.
  await deleteKeysContaining(redis.redis, `${redis.prefix}:post`);
  await deleteKeysContaining(redis.redis, `${redis.prefix}:reply`);
  expect(await posts.get({ advisory: 'CVE-2099-85000', channel: 'C0PROD' })).toBeNull();

  const slack = createSlackApi(createWebClient({ token: BOT_TOKEN, apiUrl: fake.apiUrl, logger: silentLogger() }));
  fake.notMember('C0STAGE');
  const results = [];
  for (const channel of ['C0PROD', 'C0STAGE']) results.push(await recoverPostsFromSlack({ slack, posts }, channel));
  expect(results.map((r) => [r.channel, r.parents])).toEqual([['C0PROD', 2], ['C0STAGE', 2]]);
  expect(results.reduce((n, r) => n + r.replies, 0)).toBe(repliesBefore);
  expect(fake.joined).toEqual(['C0STAGE']);
  expect((await posts.get({ advisory: 'CVE-2099-85000', channel: 'C0PROD' }))?.ts).toBe(before?.ts);
  expect(await posts.channels('CVE-2099-85000')).toEqual(['C0PROD', 'C0STAGE']);
  // Recovering again changes nothing.
  expect((await recoverPostsFromSlack({ slack, posts }, 'C0PROD')).restored).toBe(0);

  // The next poll finds every post: no new message, no "updated" reply (the messages are refreshed quietly).
  await hub.pollNow();
  await settled(hub, 'poll after recovery');
  expect(fake.messages.length).toBe(messagesBefore);
  expect(postStats(fake).duplicates).toEqual([]);
});
