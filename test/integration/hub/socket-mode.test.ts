/**
 * Socket Mode end to end: apps.connections.open → WebSocket (hello) → envelopes → Bolt → listeners →
 * queue → answers, acks back over the socket; on real Redis and the loopback fake Slack.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { silentLogger } from '../../../src/log.ts';
import { createSlackApp } from '../../../src/slack/app.ts';
import type { ListenerDeps } from '../../../src/slack/listeners/types.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { blockAction, commandBody, eventBody } from '../../helpers/slack-sign.ts';
import { manyAdvisories, testConfig } from '../../unit/slack/fixtures.ts';
import { BOT_TOKEN, memoryLogger, postStats, startHub, waitFor } from './harness.ts';

const APP_TOKEN = 'xapp-1-A0APP-1234567890-socket-mode-app-token';

let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub;
let logs: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  redis = await testRedis('hub-socket');
  fake = await startFakeSlack();
  fake.setUsergroup('S01PLAT', ['U09GRP']);
  logs = memoryLogger('debug');
  // start() resolves once the fake's hello has arrived.
  ({ hub } = await startHub({ redis, fake, advisories: manyAdvisories(2), logger: logs.logger, socketAppToken: APP_TOKEN }));
});

afterEach(async () => {
  await hub.stop();
  await fake.close();
  await redis.cleanup();
});

/** A slash command as Socket Mode delivers it: the same fields as the HTTP form, as a JSON object. */
const command = (text: string, fields: { user_id?: string; channel_id?: string } = {}) => {
  const responseUrl = fake.responseUrl();
  const payload = Object.fromEntries(new URLSearchParams(commandBody({ text, response_url: responseUrl, ...fields })));
  return { payload, id: responseUrl.split('/').pop() as string };
};

const responseTo = (responseUrl: string) => fake.responses.find((r) => r.id === responseUrl.split('/').pop());

const ackOf = (envelopeId: string) => waitFor(() => fake.socket.ackOf(envelopeId), `ack of ${envelopeId}`);

async function postAdvisories() {
  await hub.pollNow();
  await waitFor(() => postStats(fake).top === 4, 'advisories posted');
}

describe('Socket Mode connection', () => {
  it('opens the connection with the app-level token on the configured API URL, and gets hello', () => {
    expect(fake.socket.connections()).toBe(1);
    expect(fake.socket.open()).toBe(1);
    const opens = fake.callsOf('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(APP_TOKEN);
    // Everything else went out with the bot token.
    expect(fake.calls.filter((c) => c.method !== 'apps.connections.open').every((c) => c.token === BOT_TOKEN)).toBe(true);
  });

  it('never logs the app token or the bot token, even at debug', async () => {
    const env = fake.socket.send('slash_commands', command('help').payload);
    await ackOf(env);
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(APP_TOKEN);
    expect(text).not.toContain(BOT_TOKEN);
  });

  it('closes the socket on stop, after finishing acknowledged work', async () => {
    // The permission check runs after the ack and needs Slack (user groups): make it slow.
    fake.delay('usergroups.users.list', 400);
    const cmd = command('verify prod-eu', { user_id: 'U09GRP' });
    await ackOf(fake.socket.send('slash_commands', cmd.payload));
    await hub.stop();
    expect(fake.socket.open()).toBe(0);
    const audit = await createAuditLog({ redis: redis.redis, prefix: redis.prefix }).recent(5);
    expect(audit.map((a) => [a.user, a.what])).toEqual([['U09GRP', 'verify prod-eu']]);
    expect(fake.responses.some((r) => r.id === cmd.id)).toBe(true);
    expect(fake.callsOf('apps.connections.open')).toHaveLength(1);
  });

  it('SlackApp.stop() resolves only once the socket is closed (Bolt\'s own stop does not wait)', async () => {
    const own = await startFakeSlack();
    try {
      const app = createSlackApp({
        botToken: BOT_TOKEN, apiUrl: own.apiUrl, logger: silentLogger(),
        mode: { kind: 'socket', appToken: APP_TOKEN },
        deps: { logger: silentLogger(), config: testConfig() } as ListenerDeps,
      });
      await app.start();
      expect(own.socket.open()).toBe(1);
      await app.stop();
      expect(own.socket.open()).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('reconnects when the socket drops, and when Slack asks it to refresh; keeps answering', async () => {
    fake.socket.drop();
    await waitFor(() => fake.socket.connections() === 2 && fake.socket.open() === 1, 'reconnect after a drop', 20_000);
    expect(fake.callsOf('apps.connections.open')).toHaveLength(2);
    const first = await ackOf(fake.socket.send('slash_commands', command('help').payload));
    expect(JSON.stringify(first.payload?.blocks)).toContain('/k8s triage CVE-YYYY-NNNN');

    fake.socket.refresh();
    await waitFor(() => fake.socket.connections() === 3 && fake.socket.open() === 1, 'reconnect after refresh_requested', 20_000);
    expect(fake.callsOf('apps.connections.open')).toHaveLength(3);
    const adv = command('advisories');
    const ack = await ackOf(fake.socket.send('slash_commands', adv.payload));
    expect(String(ack.payload?.text)).toContain('Looking that up');
    await waitFor(() => fake.responses.find((r) => r.id === adv.id), 'advisories answer');
  }, 60_000);
});

describe('envelopes', () => {
  it('/k8s help: the ack carries the ephemeral help (accepts_response_payload)', async () => {
    const env = fake.socket.send('slash_commands', command('help').payload, { acceptsResponsePayload: true });
    const ack = await ackOf(env);
    expect(ack.payload?.response_type).toBe('ephemeral');
    expect(JSON.stringify(ack.payload?.blocks)).toContain('/k8s triage CVE-YYYY-NNNN');
  });

  it('/k8s advisories: acked at once, answered at the response_url from the queue', async () => {
    await postAdvisories();
    const adv = command('advisories');
    const ack = await ackOf(fake.socket.send('slash_commands', adv.payload));
    expect(String(ack.payload?.text)).toContain('Looking that up');
    const answer = await waitFor(() => fake.responses.find((r) => r.id === adv.id), 'advisories answer');
    expect(answer.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.body.blocks)).toContain('CVE-2099-10001');
  });

  it('Acknowledge button (interactive): acked, refused without the role, else thread reply + parent updated', async () => {
    await postAdvisories();
    const parent = fake.messages.find((m) => m.channel === 'C0PROD' && m.metadata?.event_payload.marker === 'CVE-2099-10000/C0PROD/parent');
    expect(parent).toBeDefined();

    const nope = fake.responseUrl();
    const refusedEnv = fake.socket.send('interactive', blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2099-10000', user: 'U07NOBODY', responseUrl: nope, messageTs: parent?.ts ?? '' }));
    await ackOf(refusedEnv);
    const refusal = await waitFor(() => responseTo(nope), 'refusal');
    expect(String(refusal.body.text)).toMatch(/needs the `platform` or `security` roles/);

    const ok = fake.responseUrl();
    const env = fake.socket.send('interactive', blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2099-10000', user: 'U02BBB', responseUrl: ok, messageTs: parent?.ts ?? '' }));
    const ack = await ackOf(env);
    expect(ack.payload).toEqual({});
    const reply = await waitFor(() => fake.messages.find((m) => m.threadTs === parent?.ts && m.text.includes('Acknowledged')), 'ack reply');
    expect(reply.text).toBe('Acknowledged by <@U02BBB>');
    await waitFor(() => JSON.stringify(parent?.blocks).includes('Acknowledged by <@U02BBB>'), 'parent updated');
  });

  it('a slash command envelope of the wrong shape: acked with a notice, nothing queued or audited', async () => {
    const { payload } = command('advisories');
    delete payload.user_id;
    const ack = await ackOf(fake.socket.send('slash_commands', payload, { acceptsResponsePayload: true }));
    expect(String(ack.payload?.text)).toContain('could not be read');
    expect(await createAuditLog({ redis: redis.redis, prefix: redis.prefix }).recent(5)).toEqual([]);
    expect(await hub.queues.commands.count()).toBe(0);
  });

  it('events_api app_home_opened: acked and the Home tab published', async () => {
    await postAdvisories();
    const body = JSON.parse(eventBody({ type: 'app_home_opened', user: 'U01AAA', channel: 'D0HOME', tab: 'home', event_ts: '1700000000.000001' })) as Record<string, unknown>;
    await ackOf(fake.socket.send('events_api', body));
    const call = await waitFor(() => fake.callsOf('views.publish')[0], 'views.publish');
    expect(call.args.user_id).toBe('U01AAA');
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    expect(JSON.stringify(view.blocks)).toContain('CVE-2099-10001');
  });
});
