import { describe, expect, it } from 'vitest';
import type { PostKey } from '../../../src/store/posts.ts';
import {
  acknowledgementIn, digestAdvisoriesIn, digestPostIn, parentPostsIn, recoverPostsFromSlack, RecoveryIncompleteError, threadRepliesIn, type HistoryPage,
} from '../../../src/store/redis-post-recovery.ts';

const msg = (ts: string, marker?: string, eventType = 'k8s_advisor_post') => ({
  ts, ...(marker === undefined ? {} : { metadata: { event_type: eventType, event_payload: { marker } } }),
});

const silent = { warn: () => undefined, info: () => undefined };

/** A thread parent as history shows it: thread_ts and reply_count when it has replies. */
const parent = (ts: string, marker: string, replies = 0) => ({ ...msg(ts, marker), ...(replies > 0 ? { thread_ts: ts, reply_count: replies } : {}) });

const slackError = (code: string) => Object.assign(new Error(`An API error occurred: ${code}`), { data: { ok: false, error: code } });

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
    expect(result).toEqual({ posts: 3, replies: 0, digests: 0, acknowledgements: 0, advisories: ['CVE-2023-2727', 'CVE-2024-9042'], failedChannels: ['C0GONE'] });
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

describe('digestPostIn', () => {
  it.each([
    ['the digest marker', [msg('100.1', 'first-run-digest/C0PROD/digest')], '100.1'],
    ['another channel’s digest (forwarded)', [msg('100.1', 'first-run-digest/C0STAGE/digest')], null],
    ['an advisory parent is not a digest', [msg('100.1', 'CVE-2023-2727/C0PROD/parent')], null],
    ['another app’s metadata', [msg('100.1', 'first-run-digest/C0PROD/digest', 'other_app')], null],
    ['two digests: the oldest counts', [msg('300.1', 'first-run-digest/C0PROD/digest'), msg('200.1', 'first-run-digest/C0PROD/digest')], '200.1'],
  ])('%s', (_label, messages, expected) => {
    expect(digestPostIn({ messages }, 'C0PROD')).toBe(expected);
  });
});

describe('digestAdvisoriesIn', () => {
  const digest = (ts: string, channel: string, advisories: unknown) => ({
    ts, metadata: { event_type: 'k8s_advisor_post', event_payload: { marker: `first-run-digest/${channel}/digest`, advisories } },
  });
  it.each<[string, ReturnType<typeof digest>[], string[]]>([
    ['the ids a digest lists', [digest('1.1', 'C0PROD', 'CVE-2023-2727 CVE-2024-10220')], ['CVE-2023-2727', 'CVE-2024-10220']],
    ['another channel’s digest', [digest('1.1', 'C0STAGE', 'CVE-2023-2727')], []],
    ['anything but CVE ids is ignored', [digest('1.1', 'C0PROD', 'CVE-2023-2727 <script> CVE-20-1')], ['CVE-2023-2727']],
    ['a digest posted before ids were recorded', [digest('1.1', 'C0PROD', undefined)], []],
    ['not a string', [digest('1.1', 'C0PROD', ['CVE-2023-2727'])], []],
  ])('%s', (_label, messages, expected) => {
    expect(digestAdvisoriesIn({ messages }, 'C0PROD')).toEqual(expected);
  });
});

describe('threadRepliesIn', () => {
  it.each([
    ['an update reply', [msg('101.1', 'CVE-2023-2727/C0PROD/upd-0123456789abcdef-r0')], { 'upd-0123456789abcdef-r0': '101.1' }],
    ['an acknowledgement and an overflow list', [msg('101.1', 'CVE-2023-2727/C0PROD/ack'), msg('102.1', 'CVE-2023-2727/C0PROD/list-0123456789abcdef-0')], { ack: '101.1', 'list-0123456789abcdef-0': '102.1' }],
    ['the parent Slack repeats on every page is not a reply', [msg('100.1', 'CVE-2023-2727/C0PROD/parent')], {}],
    ['a reply marker of another advisory', [msg('101.1', 'CVE-2024-9042/C0PROD/ack')], {}],
    ['a reply marker of another channel', [msg('101.1', 'CVE-2023-2727/C0STAGE/ack')], {}],
    ['someone’s reply without metadata', [msg('101.1')], {}],
    ['a key with characters we never use', [msg('101.1', 'CVE-2023-2727/C0PROD/a:b')], {}],
    ['the same reply twice: the oldest counts', [msg('105.1', 'CVE-2023-2727/C0PROD/ack'), msg('103.1', 'CVE-2023-2727/C0PROD/ack')], { ack: '103.1' }],
  ])('%s', (_label, messages, expected) => {
    expect(Object.fromEntries(threadRepliesIn({ messages }, 'CVE-2023-2727', 'C0PROD'))).toEqual(expected);
  });
});

describe('acknowledgementIn', () => {
  const ack = (payload: Record<string, unknown>, text = '') => ({ ts: '1700000000.000100', text, metadata: { event_type: 'k8s_advisor_post', event_payload: { marker: 'CVE-2023-2727/C0PROD/ack', ...payload } } });
  it.each([
    ['the user in the metadata', [ack({ user: 'U02BBB' }, 'Acknowledged by <@U09OTHER>')], { user: 'U02BBB', at: '2023-11-14T22:13:20.000Z' }],
    ['an older reply: the user from its text', [ack({}, 'Acknowledged by <@W012ABC>')], { user: 'W012ABC', at: '2023-11-14T22:13:20.000Z' }],
    ['metadata that is not a user id, and no text', [ack({ user: 'robert' })], null],
    ['an ack of another advisory', [{ ...ack({ user: 'U02BBB' }), metadata: { event_type: 'k8s_advisor_post', event_payload: { marker: 'CVE-2024-9042/C0PROD/ack', user: 'U02BBB' } } }], null],
    ['someone writing the words in the thread (no marker)', [{ ts: '1700000000.000100', text: 'Acknowledged by <@U02BBB>' }], null],
  ])('%s', (_label, messages, expected) => {
    expect(acknowledgementIn({ messages }, 'CVE-2023-2727', 'C0PROD')).toEqual(expected);
  });
});

describe('recoverPostsFromSlack: replies and digests', () => {
  it('reads the threads that have replies (every page), records replies and the digest, and counts each kind', async () => {
    const history: HistoryPage = {
      messages: [
        parent('300.1', 'CVE-2024-9042/C0PROD/parent', 3),
        msg('250.1', 'first-run-digest/C0PROD/digest'),
        parent('200.1', 'CVE-2023-2727/C0PROD/parent'),
      ],
    };
    const threads: Record<string, HistoryPage[]> = {
      '300.1': [
        { messages: [msg('300.1', 'CVE-2024-9042/C0PROD/parent'), msg('301.1', 'CVE-2024-9042/C0PROD/upd-aaaaaaaaaaaaaaaa-r0'), msg('302.1')], response_metadata: { next_cursor: 'r2' } },
        { messages: [msg('300.1', 'CVE-2024-9042/C0PROD/parent'), { ...msg('303.1', 'CVE-2024-9042/C0PROD/ack'), text: 'Acknowledged by <@U02BBB>' }], response_metadata: { next_cursor: '' } },
      ],
    };
    const asked: string[] = [];
    const restored: [PostKey, string][] = [];
    const acked: [PostKey, string, string][] = [];
    const result = await recoverPostsFromSlack({
      channels: ['C0PROD'],
      readHistory: async () => history,
      readReplies: async ({ ts, cursor }) => {
        asked.push(`${ts}@${cursor ?? ''}`);
        return (threads[ts] ?? [])[cursor === 'r2' ? 1 : 0] ?? {};
      },
      posts: {
        restore: async (key, ts) => { restored.push([key, ts]); return true; },
        acknowledge: async (key, user, at) => { acked.push([key, user, at]); return true; },
      },
      logger: silent as never,
    });
    // The parent without replies costs no call.
    expect(asked).toEqual(['300.1@', '300.1@r2']);
    expect(restored).toEqual(expect.arrayContaining([
      [{ advisory: 'CVE-2024-9042', channel: 'C0PROD' }, '300.1'],
      [{ advisory: 'CVE-2023-2727', channel: 'C0PROD' }, '200.1'],
      [{ advisory: 'CVE-2024-9042', channel: 'C0PROD', reply: 'upd-aaaaaaaaaaaaaaaa-r0' }, '301.1'],
      [{ advisory: 'CVE-2024-9042', channel: 'C0PROD', reply: 'ack' }, '303.1'],
      [{ advisory: 'first-run-digest', channel: 'C0PROD', reply: 'digest' }, '250.1'],
    ]));
    expect(restored).toHaveLength(5);
    expect(result).toEqual({ posts: 2, replies: 2, digests: 1, acknowledgements: 1, advisories: ['CVE-2023-2727', 'CVE-2024-9042'], failedChannels: [] });
    // Who acknowledged, and when (the reply's ts), so the refreshed parent still shows it.
    expect(acked).toEqual([[{ advisory: 'CVE-2024-9042', channel: 'C0PROD' }, 'U02BBB', new Date(303_100).toISOString()]]);
  });

  it('waits out a rate-limited thread page by its Retry-After', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await recoverPostsFromSlack({
      channels: ['C0PROD'],
      readHistory: async () => ({ messages: [parent('1.1', 'CVE-2023-2727/C0PROD/parent', 1)] }),
      readReplies: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('rate limited'), { retryAfter: 3 });
        return { messages: [msg('1.2', 'CVE-2023-2727/C0PROD/ack')] };
      },
      posts: { restore: async () => true },
      logger: silent as never,
      sleep: async (ms) => { waits.push(ms); },
    });
    expect(waits).toEqual([3000]);
    expect(result.replies).toBe(1);
  });

  it('a thread deleted meanwhile (thread_not_found) is skipped with a warning; its parent is still recorded', async () => {
    const warnings: unknown[] = [];
    const result = await recoverPostsFromSlack({
      channels: ['C0PROD'],
      readHistory: async () => ({ messages: [parent('1.1', 'CVE-2023-2727/C0PROD/parent', 2)] }),
      readReplies: async () => { throw slackError('thread_not_found'); },
      posts: { restore: async () => true },
      logger: { ...silent, warn: (obj: unknown) => { warnings.push(obj); } } as never,
    });
    expect(result).toMatchObject({ posts: 1, replies: 0, failedChannels: [] });
    expect(warnings).toEqual([expect.objectContaining({ channel: 'C0PROD', advisory: 'CVE-2023-2727', err: 'thread_not_found' })]);
  });

  it('a thread that fails for a passing reason: throws before writing any record', async () => {
    const restored: string[] = [];
    await expect(recoverPostsFromSlack({
      channels: ['C0PROD'],
      readHistory: async () => ({ messages: [parent('1.1', 'CVE-2023-2727/C0PROD/parent', 1)] }),
      readReplies: async () => { throw new Error('socket hang up'); },
      posts: { restore: async (key) => { restored.push(key.advisory); return true; } },
      logger: silent as never,
    })).rejects.toThrow(/could not read the thread 1.1 in C0PROD/);
    expect(restored).toEqual([]);
  });

  it('stops after maxReplyPages of one thread', async () => {
    let calls = 0;
    await recoverPostsFromSlack({
      channels: ['C0PROD'], maxReplyPages: 2,
      readHistory: async () => ({ messages: [parent('1.1', 'CVE-2023-2727/C0PROD/parent', 500)] }),
      readReplies: async () => { calls++; return { messages: [], response_metadata: { next_cursor: 'more' } }; },
      posts: { restore: async () => true },
      logger: silent as never,
    });
    expect(calls).toBe(2);
  });
});
