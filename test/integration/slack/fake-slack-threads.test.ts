/**
 * The fake Slack's threads and rate limits, through the real WebClient, as recovery and pacing
 * rely on them: reply_count on parents, conversations.replies paginated with the parent on every
 * page, Slack's errors, and 429 + Retry-After beyond a per-channel limit.
 */
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';

let fake: FakeSlack;
let client: webApi.WebClient;

beforeEach(async () => {
  fake = await startFakeSlack();
  client = new webApi.WebClient('xoxb-test-token', { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
});

afterEach(async () => {
  await fake.close();
});

const meta = (marker: string) => ({ event_type: 'k8s_advisor_post', event_payload: { marker } });

async function thread(replies: number): Promise<string> {
  const parent = await client.chat.postMessage({ channel: 'C0PROD', text: 'parent', metadata: meta('CVE-2099-1/C0PROD/parent') });
  for (let i = 0; i < replies; i++) {
    await client.chat.postMessage({ channel: 'C0PROD', thread_ts: parent.ts as string, text: `reply ${i}`, metadata: meta(`CVE-2099-1/C0PROD/r${i}`) });
  }
  return parent.ts as string;
}

describe('fake Slack threads', () => {
  it('history shows a parent with its reply_count, thread_ts and latest_reply, not the replies', async () => {
    const ts = await thread(3);
    await client.chat.postMessage({ channel: 'C0PROD', text: 'alone' });
    const res = await client.conversations.history({ channel: 'C0PROD', include_all_metadata: true });
    expect(res.messages).toHaveLength(2);
    const parent = res.messages?.find((m) => m.ts === ts);
    const last = fake.messages.filter((m) => m.threadTs === ts).at(-1)?.ts;
    expect(parent).toMatchObject({ thread_ts: ts, reply_count: 3, latest_reply: last, metadata: meta('CVE-2099-1/C0PROD/parent') });
    expect(res.messages?.find((m) => m.text === 'alone')?.reply_count).toBeUndefined();
  });

  it('replies paginate oldest first, the parent heading every page, until next_cursor is empty', async () => {
    const ts = await thread(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await client.conversations.replies({ channel: 'C0PROD', ts, limit: 3, include_all_metadata: true, ...(cursor ? { cursor } : {}) });
      pages++;
      expect(res.messages?.[0]?.ts).toBe(ts);
      for (const m of res.messages?.slice(1) ?? []) seen.push(String((m.metadata?.event_payload as { marker?: string } | undefined)?.marker));
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['r0', 'r1', 'r2', 'r3', 'r4'].map((r) => `CVE-2099-1/C0PROD/${r}`));
    expect(pages).toBe(3);
  });

  it('answers as Slack does: thread_not_found, not_in_channel, invalid_cursor; metadata only when asked', async () => {
    const ts = await thread(1);
    await expect(client.conversations.replies({ channel: 'C0PROD', ts: '1.000001' })).rejects.toMatchObject({ data: { error: 'thread_not_found' } });
    await expect(client.conversations.replies({ channel: 'C0PROD', ts, cursor: 'bm90LWEtbnVtYmVy' })).rejects.toMatchObject({ data: { error: 'invalid_cursor' } });
    const bare = await client.conversations.replies({ channel: 'C0PROD', ts });
    expect(bare.messages?.every((m) => m.metadata === undefined)).toBe(true);
    fake.notMember('C0PROD');
    await expect(client.conversations.replies({ channel: 'C0PROD', ts })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
  });
});

describe('fake Slack rate limits', () => {
  it('beyond N posts per channel in the window: 429 with Retry-After, recorded; other channels unaffected', async () => {
    fake.rateLimit('chat.postMessage', { perChannel: 2, windowMs: 60_000 });
    await client.chat.postMessage({ channel: 'C0PROD', text: '1' });
    await client.chat.postMessage({ channel: 'C0PROD', text: '2' });
    const err = await client.chat.postMessage({ channel: 'C0PROD', text: '3' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect((err as webApi.WebAPIRateLimitedError).retryAfter).toBeGreaterThanOrEqual(59);
    await client.chat.postMessage({ channel: 'C0STAGE', text: '1' });
    expect(fake.rateLimited).toEqual([expect.objectContaining({ method: 'chat.postMessage', channel: 'C0PROD' })]);
    expect(fake.messages.map((m) => `${m.channel} ${m.text}`)).toEqual(['C0PROD 1', 'C0PROD 2', 'C0STAGE 1']);
  });

  it('a workspace-wide limit counts every channel together', async () => {
    fake.rateLimit('chat.update', { perChannel: 1, windowMs: 60_000, scope: 'workspace' });
    const a = await client.chat.postMessage({ channel: 'C0PROD', text: 'a' });
    const b = await client.chat.postMessage({ channel: 'C0STAGE', text: 'b' });
    await client.chat.update({ channel: 'C0PROD', ts: a.ts as string, text: 'a2' });
    await expect(client.chat.update({ channel: 'C0STAGE', ts: b.ts as string, text: 'b2' })).rejects.toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect(fake.rateLimited).toEqual([expect.objectContaining({ method: 'chat.update', channel: '*' })]);
  });
});
