/**
 * `/k8s window schedule|cancel` and the emergency-window button end to end in HTTP mode: requests
 * signed as Slack signs them → Bolt → listeners → the window store on real Redis, answers to the
 * fake Slack's response URLs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/hub.ts';
import { decodeConfirm } from '../../../src/maintenance/emergency.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { createWindowStore, type WindowStore } from '../../../src/store/windows.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { blockAction, commandBody, interactionBody, postSigned } from '../../helpers/slack-sign.ts';
import { manyAdvisories } from '../../unit/slack/fixtures.ts';
import { SIGNING_SECRET, postStats, startHub, waitFor } from '../hub/harness.ts';

const NOW = new Date('2026-12-01T10:07:00Z'); // 11:07 in Berlin
let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub;
let url: string;
let store: WindowStore;

beforeEach(async () => {
  redis = await testRedis('windows-slack');
  fake = await startFakeSlack();
  ({ hub, url } = await startHub({ redis, fake, advisories: manyAdvisories(1), overrides: { now: () => NOW } }));
  store = createWindowStore({ redis: redis.redis, prefix: redis.prefix });
});

afterEach(async () => {
  await hub.stop();
  await fake.close();
  await redis.cleanup();
});

async function answer(responseUrl: string, what: string) {
  const id = responseUrl.split('/').pop();
  return (await waitFor(() => fake.responses.find((r) => r.id === id), what)).body;
}

async function slash(text: string, user = 'U01AAA') {
  const responseUrl = fake.responseUrl();
  const res = await postSigned(url, commandBody({ text, user_id: user, response_url: responseUrl }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  return answer(responseUrl, text);
}

async function press(actionId: string, value: string, user = 'U01AAA') {
  const responseUrl = fake.responseUrl();
  const res = await postSigned(url, interactionBody(blockAction({ actionId, value, user, responseUrl })), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  return answer(responseUrl, actionId);
}

describe('/k8s window schedule|cancel (signed)', () => {
  it('schedules an emergency window for a platform user, in the environment\'s zone, and audits it', async () => {
    const body = await slash('window schedule prod 2026-12-03T14:00 2h emergency');
    expect(String(body.text)).toContain('Scheduled. Emergency window `prod-emergency-2026-12-03T14:00`: Thu 2026-12-03 14:00–16:00 (Europe/Berlin +01:00). It skips the monthly cadence, not the staging gate.');
    expect(await store.get('prod-emergency-2026-12-03T14:00')).toMatchObject({ kind: 'emergency', state: 'scheduled', createdBy: 'U01AAA', startUtc: '2026-12-03T13:00:00Z', durationMs: 7_200_000 });
    // The audit entry is written right after the answer.
    const log = createAuditLog({ redis: redis.redis, prefix: redis.prefix });
    const audit = await waitFor(async () => ((await log.recent(10)).some((e) => e.result === 'ok') ? log.recent(10) : null), 'audit entry');
    expect(audit).toContainEqual(expect.objectContaining({ user: 'U01AAA', what: 'window schedule prod 2026-12-03T14:00 2h emergency', result: 'ok', detail: 'prod-emergency-2026-12-03T14:00' }));
  });

  it('refuses a user without the schedule role, naming it, and stores nothing', async () => {
    const body = await slash('window schedule prod now emergency', 'U02BBB');
    expect(String(body.text)).toContain('You are not allowed to schedule windows in `prod`: it needs the `platform` role');
    expect(await store.list()).toEqual([]);
  });

  it('answers bad input with what to fix, in the ack', async () => {
    const responseUrl = fake.responseUrl();
    const res = await postSigned(url, commandBody({ text: 'window schedule prod 2026-12-03 emergency', response_url: responseUrl }), { secret: SIGNING_SECRET });
    const ack = JSON.parse(await res.text()) as { text?: string; blocks?: unknown[] };
    expect(JSON.stringify(ack)).toContain('is not a time like `2026-12-03T14:00`');
    const past = await slash('window schedule prod 2026-11-30T10:00');
    expect(String(past.text)).toContain('2026-11-30T10:00 (Europe/Berlin) is in the past');
  });

  it('cancels with the same permission and says when it is already cancelled', async () => {
    await slash('window schedule prod 2026-12-03T14:00 emergency');
    const refused = await slash('window cancel prod-emergency-2026-12-03T14:00', 'U02BBB');
    expect(String(refused.text)).toContain('You are not allowed to cancel windows in `prod`');
    const ok = await slash('window cancel prod-emergency-2026-12-03T14:00');
    expect(String(ok.text)).toContain('Cancelled. Emergency window `prod-emergency-2026-12-03T14:00`');
    expect((await store.get('prod-emergency-2026-12-03T14:00'))?.state).toBe('cancelled');
    const again = await slash('window cancel prod-emergency-2026-12-03T14:00');
    expect(String(again.text)).toContain('prod-emergency-2026-12-03T14:00 is already cancelled');
    const unknown = await slash('window cancel prod-2030-01-01');
    expect(String(unknown.text)).toContain('No window `prod-2030-01-01` is stored');
  });
});

describe('/k8s windows (signed)', () => {
  it('lists stored windows with their state next to the config\'s, in the ack', async () => {
    await slash('window schedule prod 2026-12-03T14:00 2h emergency');
    const responseUrl = fake.responseUrl();
    const res = await postSigned(url, commandBody({ text: 'windows prod', response_url: responseUrl }), { secret: SIGNING_SECRET });
    const ack = JSON.stringify(JSON.parse(await res.text()));
    expect(ack).toContain('Thu 2026-12-03 14:00–16:00 (Europe/Berlin +01:00)');
    expect(ack).toContain('emergency');
    expect(ack).toContain('scheduled');
    expect(ack).toContain('Thu 2026-12-10 02:00–06:00');
  });
});

describe('/k8s window override (signed)', () => {
  it('records an override with its reason for a permitted user only', async () => {
    await slash('window schedule prod 2026-12-03T14:00 emergency');
    const refused = await slash('window override prod-emergency-2026-12-03T14:00 exploited in the wild', 'U02BBB');
    expect(String(refused.text)).toContain('You are not allowed to override window gates in `prod`: it needs the `platform` role');
    expect((await store.get('prod-emergency-2026-12-03T14:00'))?.override).toBeNull();
    const ok = await slash('window override prod-emergency-2026-12-03T14:00 exploited in the wild');
    expect(String(ok.text)).toContain('Override recorded for `prod-emergency-2026-12-03T14:00`');
    expect((await store.get('prod-emergency-2026-12-03T14:00'))?.override).toEqual({ by: 'U01AAA', reason: 'exploited in the wild', at: NOW.toISOString() });
    await slash('window cancel prod-emergency-2026-12-03T14:00');
    const late = await slash('window override prod-emergency-2026-12-03T14:00 too late now');
    expect(String(late.text)).toContain('is cancelled: only a scheduled or blocked window can be overridden');
  });
});

describe('the plan\'s "Backup confirmed" button (signed)', () => {
  it('records who confirmed the backup once, for a permitted user only', async () => {
    await slash('window schedule prod 2026-12-03T14:00 emergency');
    const id = 'prod-emergency-2026-12-03T14:00';
    const refused = await press('window_backup_confirmed', id, 'U02BBB');
    expect(String(refused.text)).toContain('You are not allowed to confirm backups in `prod`: it needs the `platform` role');
    const ok = await press('window_backup_confirmed', id);
    expect(String(ok.text)).toBe(`:floppy_disk: Backup for \`${id}\` confirmed by you at ${NOW.toISOString()}.`);
    expect((await store.get(id))?.backup).toEqual({ by: 'U01AAA', at: NOW.toISOString() });
    const again = await press('window_backup_confirmed', id);
    expect(String(again.text)).toBe(`Already confirmed by <@U01AAA> at ${NOW.toISOString()}.`);
    const unknown = await press('window_backup_confirmed', 'prod-2030-01-01');
    expect(String(unknown.text)).toBe('That window is not stored any more.');
  });
});

describe('the "Schedule emergency window" button (signed)', () => {
  it('proposes the earliest slots, staging first, and schedules both on Confirm', async () => {
    await hub.pollNow();
    await waitFor(() => postStats(fake).top >= 1, 'advisory posted');
    const proposal = await press('advisory_schedule_emergency', 'CVE-2099-10000');
    expect(String(proposal.text)).toBe('Emergency window for CVE-2099-10000: staging 2026-12-01T11:45, prod 2026-12-01T15:45');
    const blocks = proposal.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const confirm = blocks.find((b) => b.type === 'actions')?.elements?.[0];
    expect(confirm?.action_id).toBe('window_emergency_confirm');
    expect(decodeConfirm(confirm?.value)).toEqual({ a: 'CVE-2099-10000', s: [['staging', '2026-12-01T11:45', 14_400_000], ['prod', '2026-12-01T15:45', 14_400_000]] });

    const done = await press('window_emergency_confirm', confirm?.value ?? '');
    expect(String(done.text)).toContain('Emergency window `staging-emergency-2026-12-01T11:45`: Tue 2026-12-01 11:45–15:45 (Europe/Berlin +01:00) for CVE-2099-10000');
    expect(String(done.text)).toContain('Emergency window `prod-emergency-2026-12-01T15:45`');
    const prod = await store.get('prod-emergency-2026-12-01T15:45');
    expect(prod).toMatchObject({ kind: 'emergency', advisory: 'CVE-2099-10000', createdBy: 'U01AAA' });
    // Planned from the triage snapshot, limited to the advisory.
    expect(prod?.plan).toMatchObject({ advisory: 'CVE-2099-10000', environment: 'prod' });
    expect(prod?.plan?.clusters.map((c) => [c.cluster, c.target])).toEqual([['prod-eu', 'v1.27.3']]);

    const twice = await press('window_emergency_confirm', confirm?.value ?? '');
    expect(String(twice.text)).toContain(':x: staging: that overlaps staging-emergency-2026-12-01T11:45');
  });

  it('refuses a user without the role, naming it', async () => {
    const body = await press('advisory_schedule_emergency', 'CVE-2099-10000', 'U02BBB');
    expect(String(body.text)).toContain('You are not allowed to schedule an emergency window in `prod`: it needs the `platform` role');
    const confirm = await press('window_emergency_confirm', JSON.stringify({ a: 'CVE-2099-10000', s: [['prod', '2026-12-01T15:45', 14_400_000]] }), 'U02BBB');
    expect(String(confirm.text)).toContain('it needs the `platform` role');
    expect(await store.list()).toEqual([]);
  });

  it.each([
    ['not JSON', 'prod now'],
    ['an unknown shape', JSON.stringify({ a: 'CVE-2099-10000', s: [['prod', 'now', 1]] })],
    ['a bad advisory id', JSON.stringify({ a: '<!channel>', s: [['prod', '2026-12-01T15:45', 14_400_000]] })],
  ])('refuses a Confirm value that is %s', async (_label, value) => {
    const body = await press('window_emergency_confirm', value);
    expect(String(body.text)).toContain('That proposal could not be read');
    expect(await store.list()).toEqual([]);
  });
});
