/**
 * Sign-off through Slack, end to end on the hub: requests signed exactly as Slack signs them, the
 * fake Web API at its HTTP boundary, real Redis. Buttons, the reject modal and thread replies vote;
 * refusals are ephemeral and change nothing; the request message is updated in place and carries
 * `k8s_advisor_signoff` metadata; changed evidence voids votes and says what changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import { SIGNOFF_ACTIONS } from '../../../src/signoff/blocks.ts';
import { createPostStore } from '../../../src/store/posts.ts';
import type { SignoffRequest } from '../../../src/signoff/types.ts';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.ts';
import { testRedis, type TestRedis } from '../../helpers/redis.ts';
import { blockAction, commandBody, eventBody, interactionBody, postSigned } from '../../helpers/slack-sign.ts';
import { BOT_TOKEN, SIGNING_SECRET, startHub, waitFor } from './harness.ts';

const CONFIG = loadConfig(`
slack: { channels: { prod: C0PROD, default: C0SEC } }
environments:
  prod:
    window: { rule: "2nd THU", start: "02:00", duration: 4h, timezone: Europe/Berlin }
    signoff: { roles: [platform, security], quorum: 2, selfApproval: false, expires: 24h, cancel: [platform] }
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.35.2 } }
roles:
  platform: { users: [U01AAA, U03REQ] }
  security: { users: [U02BBB] }
permissions:
  accept: { prod: [security] }
`);

const PLAN = { title: 'prod-2026-12-10: 1 cluster', lines: ['prod-eu: v1.35.2 → v1.35.8 (clears 2 advisories)'] };

let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub;
let url: string;

beforeEach(async () => {
  redis = await testRedis('signoff-hub');
  fake = await startFakeSlack();
  ({ hub, url } = await startHub({ redis, fake, overrides: { config: CONFIG, workers: { signoffSweepMs: 60_000 } } }));
});
afterEach(async () => {
  await hub.stop();
  await fake.close();
  await redis.cleanup();
});

/** A window thread to sign off in: the parent posted like the window announcement would be. */
async function windowThread(): Promise<string> {
  const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
    method: 'POST', headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'C0PROD', text: 'Maintenance window prod-2026-12-10' }),
  });
  return ((await res.json()) as { ts: string }).ts;
}

function requestMessage(r: SignoffRequest) {
  return fake.messages.find((m) => m.ts === r.message?.ts);
}

async function press(actionId: string, user: string, r: SignoffRequest) {
  const payload = blockAction({ actionId, value: `${r.id}|${r.evidenceHash}`, user, channel: 'C0PROD', responseUrl: `${fake.origin}/response/x`, ...(r.message ? { messageTs: r.message.ts } : {}) });
  (payload.message as Record<string, unknown>).thread_ts = r.message?.threadTs;
  const res = await postSigned(url, interactionBody(payload), { secret: SIGNING_SECRET, contentType: 'application/x-www-form-urlencoded' });
  expect(res.status).toBe(200);
}

async function threadReply(user: string, text: string, threadTs: string) {
  const res = await postSigned(url, eventBody({ type: 'message', user, channel: 'C0PROD', channel_type: 'channel', text, ts: `${Date.now() / 1000}`, thread_ts: threadTs }), { secret: SIGNING_SECRET, contentType: 'application/json' });
  expect(res.status).toBe(200);
}

async function redisGet(id: string): Promise<SignoffRequest | null> {
  const raw = await redis.redis.get(`${redis.prefix}:signoff:req:${id}`);
  return raw ? (JSON.parse(raw) as SignoffRequest) : null;
}

describe('sign-off in a window thread', () => {
  it('posts the request once with buttons and metadata; refuses the requester and non-approvers ephemerally; approves by button and thread reply', async () => {
    const threadTs = await windowThread();
    const opened = await Promise.all([1, 2, 3].map(() => hub.signoff.request({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'U03REQ', evidence: PLAN, thread: { channel: 'C0PROD', threadTs } })));
    const r = opened.find((x) => x?.message) ?? await redisGet('prod-2026-12-10:plan');
    expect(r?.message).toBeDefined();
    const posted = fake.messages.filter((m) => m.metadata?.event_type === 'k8s_advisor_signoff');
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ threadTs, metadata: { event_payload: { request: 'prod-2026-12-10:plan', window: 'prod-2026-12-10', phase: 'plan', state: 'pending' } } });
    expect(JSON.stringify(posted[0]?.blocks)).toContain(SIGNOFF_ACTIONS.approve);

    // The requester may not approve their own plan; a user without a role may not vote at all.
    await press(SIGNOFF_ACTIONS.approve, 'U03REQ', r as SignoffRequest);
    await press(SIGNOFF_ACTIONS.approve, 'U09NOBODY', r as SignoffRequest);
    const ephemerals = await waitFor(() => (fake.callsOf('chat.postEphemeral').length >= 2 ? fake.callsOf('chat.postEphemeral') : null), 'two refusals');
    expect(ephemerals.map((c) => [c.args.user, c.args.text])).toEqual(expect.arrayContaining([
      ['U03REQ', expect.stringMatching(/self-approval is off/)],
      ['U09NOBODY', expect.stringMatching(/needs the role platform or security; you hold no role/)],
    ]));
    expect((await redisGet(r!.id))?.votes).toEqual([]);

    await press(SIGNOFF_ACTIONS.approve, 'U01AAA', r as SignoffRequest);
    await waitFor(async () => (await redisGet(r!.id))?.votes.length === 1, 'platform vote');
    await waitFor(() => JSON.stringify(requestMessage(r!)?.blocks ?? []).includes('needs 1 more: security'), 'message updated in place');

    await threadReply('U02BBB', 'approve', threadTs);
    const approved = await waitFor(async () => { const x = await redisGet(r!.id); return x?.state === 'approved' ? x : null; }, 'approved');
    expect(approved.votes.map((v) => [v.user, v.via])).toEqual([['U01AAA', 'button'], ['U02BBB', 'thread']]);
    await waitFor(() => requestMessage(r!)?.metadata?.event_payload.state === 'approved', 'metadata state approved');
    expect(JSON.stringify(requestMessage(r!)?.blocks)).not.toContain(SIGNOFF_ACTIONS.approve);
    await waitFor(() => fake.messages.some((m) => m.threadTs === threadTs && /approved/.test(JSON.stringify(m.blocks)) && m.ts !== r!.message!.ts), 'transition announced in the thread');
  });

  it('rejects through the modal with a reason, and through a thread reply; a reason is required', async () => {
    const threadTs = await windowThread();
    const r = (await hub.signoff.request({ window: 'prod-2026-12-10', environment: 'prod', phase: 'result', requester: 'k8s-advisor', evidence: PLAN, thread: { channel: 'C0PROD', threadTs } }))!;
    await press(SIGNOFF_ACTIONS.reject, 'U02BBB', r);
    const open = await waitFor(() => fake.callsOf('views.open')[0], 'reject modal opened');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(SIGNOFF_ACTIONS.rejectModal);

    const submit = (reason: string) => postSigned(url, interactionBody({
      type: 'view_submission', team: { id: 'T0TEAM' }, user: { id: 'U02BBB' }, api_app_id: 'A0APP', trigger_id: '1.2.3',
      view: { id: 'V1', type: 'modal', callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } } },
    }), { secret: SIGNING_SECRET, contentType: 'application/x-www-form-urlencoded' });
    const tooShort = await submit(' ');
    expect(await tooShort.json()).toMatchObject({ response_action: 'errors', errors: { reason: expect.any(String) } });
    expect((await redisGet(r.id))?.state).toBe('pending');
    expect((await submit('rbac deny→allow on prod-eu')).status).toBe(200);
    const rejected = await waitFor(async () => { const x = await redisGet(r.id); return x?.state === 'rejected' ? x : null; }, 'rejected');
    expect(rejected).toMatchObject({ decidedBy: 'U02BBB', reason: 'rbac deny→allow on prod-eu' });

    // A thread reply on a decided request gets an ephemeral answer and changes nothing.
    await threadReply('U01AAA', 'approve', threadTs);
    await waitFor(() => fake.callsOf('chat.postEphemeral').some((c) => /No sign-off is pending/.test(String(c.args.text))), 'no pending request');
  });

  it('voids votes when the plan changes and shows what changed; comments go into the record', async () => {
    const threadTs = await windowThread();
    const r = (await hub.signoff.request({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'U03REQ', evidence: PLAN, thread: { channel: 'C0PROD', threadTs } }))!;
    await threadReply('U01AAA', 'lgtm', threadTs);
    await waitFor(async () => (await redisGet(r.id))?.votes.length === 1, 'vote by thread reply');
    await threadReply('U02BBB', 'backup confirmed at 01:30?', threadTs);
    const auditKey = `${redis.prefix}:signoff:audit`;
    await waitFor(async () => (await redis.redis.xrange(auditKey, '-', '+')).some(([, f]) => f.includes('comment')), 'comment recorded');

    const changed = { title: PLAN.title, lines: ['prod-eu: v1.35.2 → v1.35.9 (clears 3 advisories)'] };
    expect(await hub.signoff.evidenceChanged(r.id, changed)).toBe(true);
    const after = await redisGet(r.id);
    expect(after).toMatchObject({ state: 'pending', round: 2, votes: [] });
    const notice = fake.messages.find((m) => m.threadTs === threadTs && /earlier votes are void/.test(m.text));
    expect(JSON.stringify(notice?.blocks)).toContain('+ prod-eu: v1.35.2 → v1.35.9');
    expect(await hub.signoff.evidenceChanged(r.id, changed)).toBe(false);

    const record = await redis.redis.xrange(auditKey, '-', '+');
    const types = record.map(([, f]) => f[f.indexOf('type') + 1]);
    expect(types).toEqual(['request', 'vote', 'comment', 'evidence']);
    expect(JSON.stringify((await hub.signoff.status('prod-2026-12-10')).blocks)).toMatch(/round 2\): needs 2 more: platform, security/);
  });

  it('/k8s audit shows the record; /k8s accept needs the role, is stored, audited and announced in the advisory thread', async () => {
    const threadTs = await windowThread();
    const r = (await hub.signoff.request({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'U03REQ', evidence: PLAN, thread: { channel: 'C0PROD', threadTs } }))!;
    await press(SIGNOFF_ACTIONS.approve, 'U01AAA', r);
    await waitFor(async () => (await redisGet(r.id))?.votes.length === 1, 'vote');
    const command = async (user: string, text: string, id: string) => {
      const res = await postSigned(url, commandBody({ text, user_id: user, response_url: `${fake.origin}/response/${id}` }), { secret: SIGNING_SECRET, contentType: 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(200);
      return waitFor(() => fake.responses.find((x) => x.id === id), `answer to ${text}`);
    };
    const audit = await command('U01AAA', 'audit prod-2026-12-10', 'a1');
    expect(JSON.stringify(audit.body)).toMatch(/request[\s\S]*vote[\s\S]*U01AAA/);
    const status = await command('U01AAA', 'signoff prod-2026-12-10', 's1');
    expect(JSON.stringify(status.body)).toContain('needs 1 more: security');

    // An advisory thread in the prod channel to announce the acceptance in.
    const posts = createPostStore({ redis: redis.redis, prefix: redis.prefix });
    const key = { advisory: 'CVE-2024-10220', channel: 'C0PROD' };
    await posts.claim(key, 'test');
    await posts.markPosted(key, 'test', threadTs);
    const refused = await command('U01AAA', 'accept CVE-2024-10220 prod-eu until 2027-01-15 no gitRepo volumes allowed by policy', 'x1');
    expect(JSON.stringify(refused.body)).toMatch(/security/);
    expect(await hub.risks.all()).toEqual([]);
    const accepted = await command('U02BBB', 'accept CVE-2024-10220 prod-eu until 2027-01-15 no gitRepo volumes allowed by policy', 'x2');
    expect(JSON.stringify(accepted.body)).toMatch(/accepted until 2027-01-15 by <@U02BBB>: no gitRepo volumes allowed by policy/);
    expect(await hub.risks.all()).toEqual([expect.objectContaining({ advisory: 'CVE-2024-10220', target: { kind: 'cluster', name: 'prod-eu' }, by: 'U02BBB', until: '2027-01-15' })]);
    expect((await hub.risks.history()).map((h) => h.type)).toEqual(['accept']);
    await waitFor(() => fake.messages.find((m) => m.threadTs === threadTs && /accepted until 2027-01-15/.test(m.text)), 'announced in the advisory thread');
  });
});
