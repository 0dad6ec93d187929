/**
 * Windows with a sign-off policy, on real Redis and the fake Slack with a clock the test moves:
 * the plan is put up for sign-off in the window's thread, the window stays blocked until it is
 * approved (no override opens it), a changed plan voids the votes, and after its end the window
 * closes as done only when the verification result is accepted; a rejection keeps it open.
 */
import { QueueEvents } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/log.ts';
import { createWindowService, planFromSnapshots } from '../../../src/maintenance/service.ts';
import { bullPrefix } from '../../../src/queue/names.ts';
import { createWindowRuntime, createWindowSlack, WINDOW_QUEUE, type WindowRuntime } from '../../../src/queue/workers/window-worker.ts';
import { createSignoffService, createSignoffSlack, type SignoffService } from '../../../src/signoff/service.ts';
import { createSnapshotStore, type SnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import { createSignoffStore } from '../../../src/store/signoff.ts';
import { createWindowStore, type WindowStore } from '../../../src/store/windows.ts';
import type { ClusterPosture } from '../../../src/triage/types.ts';
import type { VerifyReport } from '../../../src/verify/types.ts';
import { createWebClient, toSlackError } from '../../../src/slack/web.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';

const config = loadConfig(`
slack: { channels: { prod: C0PROD } }
environments:
  prod:
    window: { rule: "2nd THU", start: "02:00", duration: 4h, timezone: Europe/Berlin, reminders: [1h] }
    signoff: { roles: [platform, security], quorum: 2, expires: 7d }
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.35.2 } }
roles:
  platform: { users: [U01AAA] }
  security: { users: [U02BBB] }
`);
const ROLES: Record<string, string[]> = { U01AAA: ['platform'], U02BBB: ['security'] };

const posture = (target: string): ClusterPosture => ({
  cluster: 'prod-eu', environment: 'prod', provider: 'kubeadm', server: 'v1.35.2', minor: '1.35', eol: null, supported: true, inventoryError: null, inventoryAge: 'just now',
  remediation: { target, path: [], clears: ['CVE-2099-10000'], remains: [], summary: `v1.35.2 → ${target}` },
});

let r: TestRedis;
let fake: FakeSlack;
let runtime: WindowRuntime;
let events: QueueEvents;
let store: WindowStore;
let snapshots: SnapshotStore;
let signoff: SignoffService;
let clock: Date;

const report = (at: Date): VerifyReport => ({
  cluster: 'prod-eu', startedAt: at.toISOString(), durationMs: 5, server: 'v1.35.8',
  probes: [{ id: 'apiserver-health', status: 'pass', summary: 'ready', evidence: [], durationMs: 1 }],
});

beforeEach(async () => {
  r = await testRedis('windows-signoff');
  fake = await startFakeSlack();
  clock = new Date('2026-12-07T12:00:00Z');
  snapshots = createSnapshotStore({ redis: r.redis, prefix: r.prefix });
  await snapshots.putFleet({ clusters: [posture('v1.35.8')], releaseData: null, warnings: [], updatedAt: clock.toISOString() });
  store = createWindowStore({ redis: r.redis, prefix: r.prefix });
  const now = () => clock;
  const web = createWebClient({ token: 'xoxb-test', apiUrl: fake.apiUrl, logger: silentLogger() });
  signoff = createSignoffService({
    config, store: createSignoffStore({ redis: r.redis, prefix: r.prefix, now }), slack: createSignoffSlack(web), logger: silentLogger(),
    rolesOf: async (u) => ROLES[u] ?? [], now,
  });
  const service = createWindowService({ store, config, now, planFor: planFromSnapshots(snapshots, config, now) });
  runtime = createWindowRuntime({
    config, logger: silentLogger(), prefix: r.prefix, connection: () => r.connect(), store, service,
    slack: createWindowSlack(web, toSlackError), snapshots, planFor: planFromSnapshots(snapshots, config, now), now,
    verify: async () => report(clock), tickEveryMs: 24 * 3_600_000, lockDurationMs: 5_000, retry: { attempts: 3, backoffMs: 50 }, signoff,
  });
  runtime.work();
  events = new QueueEvents(WINDOW_QUEUE, { connection: r.connect(), prefix: bullPrefix(r.prefix) });
  await events.waitUntilReady();
});

afterEach(async () => {
  await events.close();
  await runtime.close();
  await fake.close();
  await r.cleanup();
});

async function tickAt(iso: string): Promise<void> {
  clock = new Date(iso);
  const tick = await runtime.tickNow();
  await tick.waitUntilFinished(events, 15_000);
  for (;;) {
    const jobs = await runtime.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
    if (jobs.length === 0) return;
    await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 15_000).catch(() => undefined)));
  }
}

const W = 'prod-2026-12-10';
const signoffMessages = () => fake.messages.filter((m) => m.metadata?.event_type === 'k8s_advisor_signoff' && m.metadata.event_payload.window === W);
const vote = (user: string, decision: 'approve' | 'reject', phase: 'plan' | 'result', reason?: string) =>
  signoff.vote(`${W}:${phase}`, { user, decision, via: 'button', channel: 'C0PROD', ...(reason ? { reason } : {}) });

describe('windows with sign-off', () => {
  it('waits for the plan to be approved, voids votes when the plan changes, and closes only when the result is accepted', { timeout: 60_000 }, async () => {
    await tickAt('2026-12-07T12:00:00Z'); // announced: thread, plan, and the plan's sign-off request in the thread
    const thread = (await store.get(W))?.thread;
    expect(thread).not.toBeNull();
    const request = signoffMessages().find((m) => m.metadata?.event_payload.phase === 'plan');
    expect(request?.threadTs).toBe(thread?.ts);
    expect(JSON.stringify(request?.blocks)).toContain('prod-eu (kubeadm): v1.35.2 → v1.35.8');

    expect((await vote('U01AAA', 'approve', 'plan'))?.refusal).toBeNull();
    // Triage changed: the plan is rebuilt, the vote on the old plan is void, the thread says what changed.
    await snapshots.putFleet({ clusters: [posture('v1.35.9')], releaseData: null, warnings: [], updatedAt: clock.toISOString() });
    await tickAt('2026-12-08T12:00:00Z');
    const replanned = await signoff.status(W);
    expect(JSON.stringify(replanned.blocks)).toMatch(/round 2\): needs 2 more: platform, security/);
    expect(fake.messages.some((m) => m.threadTs === thread?.ts && /earlier votes are void/.test(m.text))).toBe(true);

    await tickAt('2026-12-10T01:00:00Z'); // start: not approved → blocked, and the thread says so
    expect(await store.get(W)).toMatchObject({ state: 'blocked', reason: 'waiting for sign-off of the plan (see the request in this thread)' });

    await vote('U01AAA', 'approve', 'plan');
    await vote('U02BBB', 'approve', 'plan');
    await tickAt('2026-12-10T01:05:00Z');
    expect((await store.get(W))?.state).toBe('open');

    await tickAt('2026-12-10T05:00:00Z'); // end: verified and summarised, but open until the result is accepted
    const afterEnd = await store.get(W);
    expect(afterEnd?.state).toBe('open');
    expect(afterEnd?.closing?.outcomes).toEqual([expect.objectContaining({ cluster: 'prod-eu', now: 'v1.35.8' })]);
    const resultRequest = signoffMessages().find((m) => m.metadata?.event_payload.phase === 'result');
    expect(JSON.stringify(resultRequest?.blocks)).toContain('prod-eu: v1.35.2 → v1.35.8');

    await vote('U01AAA', 'approve', 'result');
    await vote('U02BBB', 'approve', 'result');
    await tickAt('2026-12-10T05:05:00Z');
    expect((await store.get(W))?.state).toBe('closed');
    expect(fake.messages.filter((m) => m.metadata?.event_type === 'k8s_advisor_window' && m.metadata.event_payload.kind === 'closed')).toHaveLength(1);
  });

  it('keeps the window open after a rejected result, with the reason in the thread', { timeout: 60_000 }, async () => {
    await tickAt('2026-12-07T12:00:00Z');
    await vote('U01AAA', 'approve', 'plan');
    await vote('U02BBB', 'approve', 'plan');
    await tickAt('2026-12-10T01:00:00Z');
    expect((await store.get(W))?.state).toBe('open');
    await tickAt('2026-12-10T05:00:00Z');
    expect((await vote('U02BBB', 'reject', 'result', 'node pool still on v1.35.2'))?.request.state).toBe('rejected');
    await tickAt('2026-12-10T05:10:00Z');
    expect((await store.get(W))?.state).toBe('open');
    const thread = (await store.get(W))?.thread;
    expect(fake.messages.some((m) => m.threadTs === thread?.ts && /node pool still on v1\.35\.2/.test(JSON.stringify(m.blocks)))).toBe(true);
  });
});
