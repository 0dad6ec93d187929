import { describe, expect, it } from 'vitest';
import type { PostKey } from '../../../src/store/posts.ts';
import { parentPostsIn, recoverPostsFromSlack, RecoveryIncompleteError, type HistoryPage } from '../../../src/store/redis-post-recovery.ts';

const msg = (ts: string, marker?: string, eventType = 'k8s_advisor_post') => ({
  ts, ...(marker === undefined ? {} : { metadata: { event_type: eventType, event_payload: { marker } } }),
});

const silent = { warn: () => undefined, info: () => undefined };

describe('parentPostsIn', () => {
  it.each([
    ['a parent marker', [msg('100.1', 'CVE-2023-2727/C0PROD/parent')], { 'CVE-2023-2727': '100.1' }],
    ['a thread reply is not a parent', [msg('100.1', 'CVE-2023-2727/C0PROD/upd-abc-r0')], {}],
    ['another app’s metadata', [msg('100.1', 'CVE-2023-2727/C0PROD/parent', 'deploy_done')], {}],
    ['a message without metadata', [msg('100.1')], {}],
    ['a marker naming another channel', [msg('100.1', 'CVE-2023-2727/C0STAGE/parent')], {}],
    ['not a CVE id', [msg('100.1', 'GHSA-xxxx/C0PROD/parent')], {}],
    ['two parents for one advisory: the oldest is the thread', [msg('300.1', 'CVE-2023-2727/C0PROD/parent'), msg('200.5', 'CVE-2023-2727/C0PROD/parent')], { 'CVE-2023-2727': '200.5' }],
  ])('%s', (_label, messages, expected) => {
    const found = parentPostsIn({ messages }, 'C0PROD');
    expect(Object.fromEntries([...found].map(([id, hit]) => [id, hit.ts]))).toEqual(expected);
  });
});

describe('recoverPostsFromSlack', () => {
  it('reads every page of every channel once, restores each parent, and keeps going past a channel it cannot read', async () => {
    const pages: Record<string, HistoryPage[]> = {
      C0PROD: [
        { messages: [msg('300.1', 'CVE-2024-9042/C0PROD/parent'), msg('290.1', 'CVE-2024-9042/C0PROD/ack')], response_metadata: { next_cursor: 'p2' } },
        { messages: [msg('100.1', 'CVE-2023-2727/C0PROD/parent')], response_metadata: { next_cursor: '' } },
      ],
      C0STAGE: [{ messages: [msg('150.1', 'CVE-2023-2727/C0STAGE/parent')] }],
    };
    const asked: string[] = [];
    const restored: [PostKey, string][] = [];
    const warnings: unknown[] = [];
    const result = await recoverPostsFromSlack({
      channels: ['C0PROD', 'C0STAGE', 'C0PROD', 'C0GONE'],
      readHistory: async ({ channel, cursor }) => {
        asked.push(`${channel}@${cursor ?? ''}`);
        if (channel === 'C0GONE') throw Object.assign(new Error('An API error occurred: channel_not_found'), { data: { ok: false, error: 'channel_not_found' } });
        return (pages[channel] ?? [])[cursor === 'p2' ? 1 : 0] ?? {};
      },
      posts: { restore: async (key, ts) => { restored.push([key, ts]); return true; } },
      logger: { ...silent, warn: (obj: unknown) => { warnings.push(obj); } } as never,
    });
    expect(asked).toEqual(['C0PROD@', 'C0PROD@p2', 'C0STAGE@', 'C0GONE@']);
    expect(restored).toEqual(expect.arrayContaining([
      [{ advisory: 'CVE-2024-9042', channel: 'C0PROD' }, '300.1'],
      [{ advisory: 'CVE-2023-2727', channel: 'C0PROD' }, '100.1'],
      [{ advisory: 'CVE-2023-2727', channel: 'C0STAGE' }, '150.1'],
    ]));
    expect(restored).toHaveLength(3);
    expect(result).toEqual({ posts: 3, advisories: ['CVE-2023-2727', 'CVE-2024-9042'], failedChannels: ['C0GONE'] });
    expect(warnings).toEqual([expect.objectContaining({ channel: 'C0GONE', err: 'channel_not_found' })]);
  });

  it('waits out a rate limit and goes on', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await recoverPostsFromSlack({
      channels: ['C0PROD'],
      readHistory: async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('rate limited'), { retryAfter: 2 });
        return { messages: [msg('1.1', 'CVE-2023-2727/C0PROD/parent')] };
      },
      posts: { restore: async () => true },
      logger: silent as never,
      sleep: async (ms) => { waits.push(ms); },
    });
    expect(waits).toEqual([2000, 2000]);
    expect(result.posts).toBe(1);
  });

  it.each([
    ['a network error', new Error('connect ECONNREFUSED 127.0.0.1:443')],
    ['a Slack 500', Object.assign(new Error('An HTTP protocol error occurred: statusCode = 500'), { statusCode: 500 })],
    ['a rate limit that does not end', Object.assign(new Error('rate limited'), { retryAfter: 1 })],
  ])('%s on one channel: throws before writing any record (recovery is retried, never half-done)', async (_label, failure) => {
    const restored: string[] = [];
    await expect(recoverPostsFromSlack({
      channels: ['C0PROD', 'C0STAGE'],
      readHistory: async ({ channel }) => {
        if (channel === 'C0STAGE') throw failure;
        return { messages: [msg('1.1', 'CVE-2023-2727/C0PROD/parent')] };
      },
      posts: { restore: async (key) => { restored.push(key.channel); return true; } },
      logger: silent as never,
      sleep: async () => undefined,
    })).rejects.toThrow(RecoveryIncompleteError);
    expect(restored).toEqual([]);
  });

  it('counts only records it wrote (a post recorded meanwhile by a job stays as it is)', async () => {
    const result = await recoverPostsFromSlack({
      channels: ['C0PROD'],
      readHistory: async () => ({ messages: [msg('1.1', 'CVE-2023-2727/C0PROD/parent'), msg('2.1', 'CVE-2024-9042/C0PROD/parent')] }),
      posts: { restore: async (key) => key.advisory !== 'CVE-2024-9042' },
      logger: silent as never,
    });
    expect(result.posts).toBe(1);
    expect(result.advisories).toEqual(['CVE-2023-2727', 'CVE-2024-9042']);
  });

  it('stops after maxPages of one channel', async () => {
    let calls = 0;
    await recoverPostsFromSlack({
      channels: ['C0PROD'], maxPages: 3,
      readHistory: async () => { calls++; return { messages: [], response_metadata: { next_cursor: 'more' } }; },
      posts: { restore: async () => true },
      logger: silent as never,
    });
    expect(calls).toBe(3);
  });
});
