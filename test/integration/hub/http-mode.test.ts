/** HTTP mode end to end: signed requests → Bolt → listeners → queue → answers, on real Redis and a fake Slack. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { blockAction, commandBody, eventBody, interactionBody, postSigned } from '../../helpers/slack-sign.ts';
import { manyAdvisories } from '../../unit/slack/fixtures.ts';
import { BOT_TOKEN, SIGNING_SECRET, memoryLogger, postStats, startHub, waitFor } from './harness.ts';

let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub;
let url: string;
let logs: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  redis = await testRedis('hub-http');
  fake = await startFakeSlack();
  fake.setUsergroup('S01PLAT', ['U09GRP']);
  logs = memoryLogger('debug');
  ({ hub, url } = await startHub({ redis, fake, advisories: manyAdvisories(2), logger: logs.logger }));
});

afterEach(async () => {
  await hub.stop();
  await fake.close();
  await redis.cleanup();
});

const command = (text: string, fields: { user_id?: string; channel_id?: string } = {}) => {
  const responseUrl = fake.responseUrl();
  const body = commandBody({ text, response_url: responseUrl, ...fields });
  return { body, responseUrl, id: responseUrl.split('/').pop() as string };
};

async function ackJson(res: Response): Promise<{ text?: string; blocks?: unknown[]; response_type?: string }> {
  const raw = await res.text();
  return raw ? (JSON.parse(raw) as { text?: string }) : {};
}

describe('HTTP mode request verification', () => {
  it('accepts a correctly signed command and acks with an ephemeral answer', async () => {
    const { body } = command('help');
    const res = await postSigned(url, body, { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const ack = await ackJson(res);
    expect(ack.response_type).toBe('ephemeral');
    expect(JSON.stringify(ack.blocks)).toContain('/k8s triage CVE-YYYY-NNNN');
  });

  it('rejects a bad signature with 401', async () => {
    const { body } = command('help');
    const res = await postSigned(url, body, { secret: 'not-the-secret-at-all' });
    expect(res.status).toBe(401);
    const forged = await postSigned(url, body, { secret: SIGNING_SECRET, signature: 'v0=deadbeef' });
    expect(forged.status).toBe(401);
  });

  it('rejects a stale timestamp (> 5 minutes) with 401 even when correctly signed', async () => {
    const { body } = command('help');
    const res = await postSigned(url, body, { secret: SIGNING_SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
  });

  it('rejects a timestamp more than 5 minutes in the future with 401, like a stale one', async () => {
    const { body } = command('help');
    const now = Math.floor(Date.now() / 1000);
    const future = await postSigned(url, body, { secret: SIGNING_SECRET, timestamp: now + 6 * 60 });
    expect(future.status).toBe(401);
    expect(await future.text()).toMatch(/in the future/);
    const farFuture = await postSigned(url, body, { secret: SIGNING_SECRET, timestamp: now + 365 * 86_400 });
    expect(farFuture.status).toBe(401);
    // A clock a little fast is still fine.
    expect((await postSigned(url, body, { secret: SIGNING_SECRET, timestamp: now + 60 })).status).toBe(200);
    // The audit record is written after the ack: wait for it, then check nothing else was recorded.
    const log = createAuditLog({ redis: redis.redis, prefix: redis.prefix });
    const audit = await waitFor(async () => {
      const recent = await log.recent(5);
      return recent.length > 0 ? recent : undefined;
    }, 'audit record of the accepted request');
    expect(audit.map((a) => a.what)).toEqual(['help']);
  });

  it.each([
    ['a JSON object that is no Slack payload', '{"hello":"world"}', 'application/json', /neither a "command" field/],
    ['an event envelope without its event', JSON.stringify({ type: 'event_callback', team_id: 'T0TEAM' }), 'application/json', /event envelope of the wrong shape: event/],
    ['a button press without actions', interactionBody({ ...blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2099-10000', responseUrl: 'https://hooks.slack.com/x' }), actions: [] }), 'application/x-www-form-urlencoded', /block_actions payload of the wrong shape: actions/],
    ['a slash command without user_id', new URLSearchParams({ command: '/k8s', text: 'help', channel_id: 'C0PROD', response_url: 'https://hooks.slack.com/x' }).toString(), 'application/x-www-form-urlencoded', /slash command of the wrong shape: user_id/],
    ['an interaction type the app does not register', interactionBody({ type: 'view_closed', user: { id: 'U01AAA' }, view: {} }), 'application/x-www-form-urlencoded', /"view_closed" is not handled/],
    ['a modal submission without its callback id', interactionBody({ type: 'view_submission', user: { id: 'U01AAA' }, view: {} }), 'application/x-www-form-urlencoded', /view_submission payload of the wrong shape: view.callback_id/],
    ['a JSON array', '[]', 'application/json', /not a JSON object/],
    ['broken JSON', '{"type":"event_', 'application/json', /not valid JSON/],
  ])('answers 400 naming what is wrong for a signed payload of the wrong shape: %s', async (_label, body, contentType, reason) => {
    const res = await postSigned(url, body, { secret: SIGNING_SECRET, contentType });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(reason);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const body = new URLSearchParams({ command: '/k8s', text: 'x'.repeat(1024 * 1024 + 10) }).toString();
    const res = await postSigned(url, body, { secret: SIGNING_SECRET });
    expect(res.status).toBe(413);
  });

  it('answers 415 for a content type Slack never sends, and still 401 before reading an unsigned one', async () => {
    const signed = await postSigned(url, 'help', { secret: SIGNING_SECRET, contentType: 'text/plain' });
    expect(signed.status).toBe(415);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(401);
  });

  it('answers Slack\'s URL verification and SSL check, and only POST at the events path', async () => {
    const challenge = await postSigned(url, JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(await challenge.json()).toEqual({ challenge: 'c-123' });
    // The SSL check carries no signature; anything smuggled with it is not processed.
    const ssl = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `ssl_check=1&${command('help').body}` });
    expect(ssl.status).toBe(200);
    expect(await ssl.text()).toBe('');
    const limited = await postSigned(url, JSON.stringify({ token: 't', type: 'app_rate_limited', team_id: 'T0TEAM', minute_rate_limited: 1518467820, api_app_id: 'A0APP' }), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(limited.status).toBe(200);
    expect((await fetch(url)).status).toBe(405);
    expect((await fetch(url.replace('/slack/events', '/nope'))).status).toBe(404);
    const health = await fetch(url.replace('/slack/events', '/healthz'));
    expect(await health.text()).toBe('ok');
  });

  it('rejects a request with no signature headers', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: command('help').body });
    expect(res.status).toBe(401);
  });

  it('never logs the bot token or the signing secret', async () => {
    await postSigned(url, command('help').body, { secret: SIGNING_SECRET });
    await postSigned(url, command('help').body, { secret: 'wrong-secret-xyz' });
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 4, 'posts');
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(BOT_TOKEN);
    expect(text).not.toContain(SIGNING_SECRET);
    // And the fake saw the token only in the Authorization header.
    expect(fake.calls.every((c) => c.token === BOT_TOKEN)).toBe(true);
  });
});

describe('/k8s commands', () => {
  it('acks at once and answers advisories / triage / clusters from the queue via response_url', async () => {
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 4, 'advisories posted');

    const adv = command('advisories');
    const ack = await ackJson(await postSigned(url, adv.body, { secret: SIGNING_SECRET }));
    expect(ack.text).toContain('Looking that up');
    const answer = await waitFor(() => fake.responses.find((r) => r.id === adv.id), 'advisories answer');
    expect(answer.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.body.blocks)).toContain('CVE-2099-10001');

    const tri = command('triage cve-2099-10000');
    await postSigned(url, tri.body, { secret: SIGNING_SECRET });
    const triAnswer = await waitFor(() => fake.responses.find((r) => r.id === tri.id), 'triage answer');
    expect(JSON.stringify(triAnswer.body.blocks)).toContain('*prod-eu* (prod): kube-apiserver v1.27.1');

    const unknown = command('triage CVE-2001-0001');
    await postSigned(url, unknown.body, { secret: SIGNING_SECRET });
    const unknownAnswer = await waitFor(() => fake.responses.find((r) => r.id === unknown.id), 'unknown cve answer');
    expect(String(unknownAnswer.body.text)).toContain('not in the feed data');

    const cl = command('clusters');
    await postSigned(url, cl.body, { secret: SIGNING_SECRET });
    const clAnswer = await waitFor(() => fake.responses.find((r) => r.id === cl.id), 'clusters answer');
    expect(JSON.stringify(clAnswer.body.blocks)).toContain('v1.29.4-eks-036c24b');
  });

  it('finishes acknowledged commands before stopping: a shutdown right after the ack loses nothing', async () => {
    // The permission check runs after the ack and needs Slack (user groups): make it slow.
    fake.delay('usergroups.users.list', 400);
    const cmd = command('verify prod-eu', { user_id: 'U09GRP' });
    const ack = await postSigned(url, cmd.body, { secret: SIGNING_SECRET });
    expect(ack.status).toBe(200);
    await hub.stop();
    const audit = await createAuditLog({ redis: redis.redis, prefix: redis.prefix }).recent(5);
    expect(audit.map((a) => [a.user, a.what])).toEqual([['U09GRP', 'verify prod-eu']]);
    expect(fake.responses.some((r) => r.id === cmd.id)).toBe(true);
  });

  it('answers unknown subcommands and bad arguments with the valid forms, and audits them', async () => {
    const res = await postSigned(url, command('frobnicate').body, { secret: SIGNING_SECRET });
    const ack = await ackJson(res);
    expect(ack.response_type).toBe('ephemeral');
    expect(JSON.stringify(ack.blocks)).toContain('Unknown subcommand');
    expect(JSON.stringify(ack.blocks)).toContain('/k8s windows [ENV]');
    const bad = await ackJson(await postSigned(url, command('verify qa').body, { secret: SIGNING_SECRET }));
    expect(bad.text).toContain('neither a cluster');
    // The audit record is written just after the ack (the ack must not wait on Redis).
    const log = createAuditLog({ redis: redis.redis, prefix: redis.prefix });
    const audit = await waitFor(async () => { const a = await log.recent(5); return a.length >= 2 ? a : null; }, 'two audit records');
    expect(audit.map((a) => a.result)).toEqual(['invalid', 'invalid']);
  });

  it('refuses verify to a user without the role, naming it; allows a user-group member', async () => {
    const refused = command('verify prod', { user_id: 'U02BBB' });
    await postSigned(url, refused.body, { secret: SIGNING_SECRET });
    const r = await waitFor(() => fake.responses.find((x) => x.id === refused.id), 'refusal');
    expect(String(r.body.text)).toContain('needs the `platform` role');
    expect(r.body.response_type).toBe('ephemeral');

    const allowed = command('verify prod-eu', { user_id: 'U09GRP' });
    await postSigned(url, allowed.body, { secret: SIGNING_SECRET });
    const a = await waitFor(() => fake.responses.find((x) => x.id === allowed.id), 'verify answer');
    expect(String(a.body.text)).toContain('not yet available');
    expect(fake.callsOf('usergroups.users.list').length).toBe(1);

    const log = createAuditLog({ redis: redis.redis, prefix: redis.prefix });
    const audit = await waitFor(async () => { const a = await log.recent(5); return a.length >= 2 ? a : null; }, 'two audit records');
    expect(audit.map((x) => [x.user, x.what, x.result])).toEqual([
      ['U09GRP', 'verify prod-eu', 'unavailable'],
      ['U02BBB', 'verify prod', 'refused'],
    ]);
  });

  it('windows answers with the upcoming windows of the environment', async () => {
    const ack = await ackJson(await postSigned(url, command('windows staging').body, { secret: SIGNING_SECRET }));
    const text = JSON.stringify(ack.blocks);
    expect(text).toContain('staging');
    expect(text).toContain('2nd TUE');
    expect(text).toMatch(/staging-\d{4}-\d{2}-\d{2}|Tue \d{4}-\d{2}-\d{2}/);
    expect(text).not.toContain('prod');
    const bad = await ackJson(await postSigned(url, command('windows qa').body, { secret: SIGNING_SECRET }));
    expect(bad.text).toContain('not an environment');
  });
});

describe('buttons and Home tab', () => {
  it('Acknowledge: refused without the role; allowed → thread reply + parent updated, once', async () => {
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 4, 'advisories posted');
    const parent = fake.messages.find((m) => m.channel === 'C0PROD' && m.metadata?.event_payload.marker === 'CVE-2099-10000/C0PROD/parent');
    expect(parent).toBeDefined();

    const nope = fake.responseUrl();
    const res = await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2099-10000', user: 'U07NOBODY', responseUrl: nope, messageTs: parent?.ts ?? '' })), { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const refusal = await waitFor(() => fake.responses.find((r) => r.id === nope.split('/').pop()), 'refusal');
    expect(String(refusal.body.text)).toMatch(/needs the `platform` or `security` roles/);

    const ok = fake.responseUrl();
    await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2099-10000', user: 'U02BBB', responseUrl: ok, messageTs: parent?.ts ?? '' })), { secret: SIGNING_SECRET });
    const reply = await waitFor(() => fake.messages.find((m) => m.threadTs === parent?.ts && m.text.includes('Acknowledged')), 'ack reply');
    expect(reply.text).toBe('Acknowledged by <@U02BBB>');
    await waitFor(() => JSON.stringify(parent?.blocks).includes('Acknowledged by <@U02BBB>'), 'parent updated');

    const again = fake.responseUrl();
    await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2099-10000', user: 'U01AAA', responseUrl: again, messageTs: parent?.ts ?? '' })), { secret: SIGNING_SECRET });
    const already = await waitFor(() => fake.responses.find((r) => r.id === again.split('/').pop()), 'already');
    expect(String(already.body.text)).toContain('Already acknowledged by <@U02BBB>');
    expect(fake.messages.filter((m) => m.text.includes('Acknowledged by')).length).toBe(1);
  });

  it('Verify and Schedule buttons check the per-environment roles of the channel', async () => {
    const r1 = fake.responseUrl();
    await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_schedule_emergency', value: 'CVE-2099-10000', user: 'U02BBB', responseUrl: r1 })), { secret: SIGNING_SECRET });
    const a1 = await waitFor(() => fake.responses.find((r) => r.id === r1.split('/').pop()), 'schedule refusal');
    expect(String(a1.body.text)).toContain('in `prod`: it needs the `platform` role');
    const r2 = fake.responseUrl();
    await postSigned(url, interactionBody(blockAction({ actionId: 'advisory_verify', value: 'CVE-2099-10000', user: 'U02BBB', channel: 'C0STAGE', responseUrl: r2 })), { secret: SIGNING_SECRET });
    const a2 = await waitFor(() => fake.responses.find((r) => r.id === r2.split('/').pop()), 'verify answer');
    expect(String(a2.body.text)).toContain('not yet available');
  });

  it('publishes the Home tab on app_home_opened', async () => {
    await hub.pollNow();
    await waitFor(() => postStats(fake).top === 4, 'advisories posted');
    const res = await postSigned(url, eventBody({ type: 'app_home_opened', user: 'U01AAA', channel: 'D0HOME', tab: 'home', event_ts: '1700000000.000001' }), {
      secret: SIGNING_SECRET, contentType: 'application/json',
    });
    expect(res.status).toBe(200);
    const call = await waitFor(() => fake.callsOf('views.publish')[0], 'views.publish');
    expect(call.args.user_id).toBe('U01AAA');
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    expect(JSON.stringify(view.blocks)).toContain('*prod-eu* (prod, kubeadm) v1.27.1');
    expect(JSON.stringify(view.blocks)).toContain('CVE-2099-10001');
  });
});
