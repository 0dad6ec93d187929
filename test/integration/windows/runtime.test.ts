/**
 * The window runtime on real Redis and the fake Slack, with a clock the test moves: threads created
 * when announced, reminders, a window opening with its plan, closing with verification and
 * re-read versions, a prod window blocked by staging's failed verification that opens once staging
 * verifies clean, an override, a cancellation. Every message carries `k8s_advisor_window` metadata.
 */
import { QueueEvents } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { toSlackError, createWebClient } from '../../../src/slack/web.ts';
import { createLogger, silentLogger } from '../../../src/log.ts';
import { createWindowService, planFromSnapshots } from '../../../src/maintenance/service.ts';
import { bullPrefix } from '../../../src/queue/names.ts';
import { createWindowRuntime, createWindowSlack, WINDOW_QUEUE, type WindowRuntime } from '../../../src/queue/workers/window-worker.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import { createWindowStore, type WindowStore } from '../../../src/store/windows.ts';
import type { ClusterPosture } from '../../../src/triage/types.ts';
import type { ProbeStatus, VerifyReport } from '../../../src/verify/types.ts';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';

const config = loadConfig(`
slack: { channels: { prod: C0PROD, staging: C0STAGE } }
environments:
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin, reminders: [1d, 1h] } }
  prod:
    window: { rule: "staging + 2d", start: "02:00", duration: 4h, timezone: Europe/Berlin, reminders: [1d, 1h], gap: 1d }
    after: staging
clusters:
  - { name: staging-eu, environment: staging, versions: { kubernetes: v1.35.2 } }
  - { name: prod-eu, environment: prod, provider: eks, versions: { kubernetes: v1.35.4-eks-3a1b2c4 } }
roles:
  platform: { users: [U01AAA] }
`);

const posture = (cluster: string, environment: string, server: string, target: string): ClusterPosture => ({
  cluster, environment, provider: environment === 'prod' ? 'eks' : 'kubeadm', server, minor: '1.35', eol: null, supported: true, inventoryError: null, inventoryAge: 'just now',
  remediation: { target, path: [], clears: ['CVE-2099-10000'], remains: [], summary: `${server} → ${target} clears 1 advisory` },
});

let r: TestRedis;
let fake: FakeSlack;
let runtime: WindowRuntime;
let events: QueueEvents;
let store: WindowStore;
let clock: Date;
/** What the fake verify suite answers per cluster: status of the rbac probe and the server version. */
const cluster: Record<string, { rbac: ProbeStatus; server: string }> = {};

const report = (name: string, at: Date): VerifyReport => ({
  cluster: name, startedAt: at.toISOString(), durationMs: 5, server: cluster[name]?.server ?? null,
  probes: [
    { id: 'apiserver-health', status: 'pass', summary: 'ready', evidence: [], durationMs: 1 },
    {
      id: 'rbac', status: cluster[name]?.rbac ?? 'pass', summary: 'expectations', evidence: [], durationMs: 1,
      facts: { 'user:developer get secrets -n kube-system': cluster[name]?.rbac === 'fail' ? 'allow' : 'deny' },
    },
  ],
});

beforeEach(async () => {
  r = await testRedis('windows-runtime');
  fake = await startFakeSlack();
  clock = new Date('2026-12-07T12:00:00Z');
  cluster['staging-eu'] = { rbac: 'pass', server: 'v1.35.8' };
  cluster['prod-eu'] = { rbac: 'pass', server: 'v1.35.4-eks-3a1b2c4' };
  const snapshots = createSnapshotStore({ redis: r.redis, prefix: r.prefix });
  await snapshots.putFleet({
    clusters: [posture('staging-eu', 'staging', 'v1.35.2', 'v1.35.8'), posture('prod-eu', 'prod', 'v1.35.4-eks-3a1b2c4', 'v1.35.8')],
    releaseData: null, warnings: [], updatedAt: clock.toISOString(),
  });
  store = createWindowStore({ redis: r.redis, prefix: r.prefix });
  const now = () => clock;
  const service = createWindowService({ store, config, now, planFor: planFromSnapshots(snapshots, config, now) });
  const web = createWebClient({ token: 'xoxb-test', apiUrl: fake.apiUrl, logger: silentLogger() });
  runtime = createWindowRuntime({
    config, logger: process.env.DEBUG_WIN ? createLogger({ level: 'debug' }) : silentLogger(), prefix: r.prefix, connection: () => r.connect(), store, service,
    slack: createWindowSlack(web, toSlackError), snapshots, planFor: planFromSnapshots(snapshots, config, now), now,
    verify: async (name) => report(name, clock), tickEveryMs: 24 * 3_600_000, lockDurationMs: 5_000, retry: { attempts: 3, backoffMs: 50 },
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

/** One tick at `iso`, then every post job it queued finished. */
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

const windowMessages = (id: string): FakeMessage[] => fake.messages.filter((m) => m.metadata?.event_payload.window === id);
const kinds = (id: string) => windowMessages(id).map((m) => String(m.metadata?.event_payload.key));

describe('window runtime', () => {
  it('announces, reminds, opens with the plan, closes with verification and versions; prod waits for staging to verify clean', { timeout: 60_000 }, async () => {
    await tickAt('2026-12-07T12:00:00Z');
    // Both windows are within 7 days: each gets its thread (parent in the channel) and its plan; the
    // 1d reminder of staging was due before the window was stored, so it is not sent late.
    expect(kinds('staging-2026-12-08')).toEqual(['scheduled', expect.stringMatching(/^plan-/)]);
    expect(kinds('prod-2026-12-10')).toEqual(['scheduled', expect.stringMatching(/^plan-/)]);
    const parent = windowMessages('staging-2026-12-08')[0];
    expect(parent).toMatchObject({ channel: 'C0STAGE', threadTs: null, metadata: { event_type: 'k8s_advisor_window', event_payload: { window: 'staging-2026-12-08', environment: 'staging', kind: 'scheduled' } } });
    expect(windowMessages('staging-2026-12-08')[1]?.threadTs).toBe(parent?.ts);
    expect(windowMessages('prod-2026-12-10')[0]?.channel).toBe('C0PROD');

    await tickAt('2026-12-08T00:00:00Z'); // staging 1h before
    expect(kinds('staging-2026-12-08').slice(2)).toEqual(['reminder-1h']);
    expect(windowMessages('staging-2026-12-08')[2]?.metadata?.event_payload).toMatchObject({ kind: 'reminder', offset: '1h' });

    await tickAt('2026-12-08T01:00:00Z'); // staging starts: no earlier environment, it opens
    expect((await store.get('staging-2026-12-08'))?.state).toBe('open');
    const open = windowMessages('staging-2026-12-08').find((m) => m.metadata?.event_payload.kind === 'open');
    expect(JSON.stringify(open?.blocks)).toContain('staging-eu (kubeadm): v1.35.2 → v1.35.8');

    cluster['staging-eu'] = { rbac: 'fail', server: 'v1.35.8' };
    await tickAt('2026-12-08T05:00:00Z'); // staging ends: verify, re-read versions, close
    const staging = await store.get('staging-2026-12-08');
    expect(staging).toMatchObject({ state: 'closed', closedAt: '2026-12-08T05:00:00.000Z' });
    const closed = windowMessages('staging-2026-12-08').find((m) => m.metadata?.event_payload.kind === 'closed');
    expect(closed?.text).toBe('staging-2026-12-08 closed: staging-eu: v1.35.2 → v1.35.8, target reached');
    // Compared with the run taken when staging opened: the regression is named, first.
    expect((await store.get('staging-2026-12-08'))?.baseline?.map((b) => b.cluster)).toEqual(['staging-eu']);
    expect(JSON.stringify(closed?.blocks)).toContain('verify failed on staging-eu: rbac: user:developer get secrets -n kube-system deny → allow; rbac: pass → fail (expectations)');
    expect(JSON.stringify(closed?.blocks)).toContain('*Regressions*');

    await tickAt('2026-12-10T01:00:00Z'); // prod starts: staging's verification failed (checked again), so prod is blocked
    const prod = await store.get('prod-2026-12-10');
    const REASON = 'staging-2026-12-08: verify failed on staging-eu: rbac: user:developer get secrets -n kube-system deny → allow; rbac: pass → fail (expectations)';
    expect(prod).toMatchObject({ state: 'blocked', reason: REASON });
    const blocked = windowMessages('prod-2026-12-10').filter((m) => m.metadata?.event_payload.kind === 'blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]?.text).toBe(`prod-2026-12-10 is blocked: ${REASON}`);

    await tickAt('2026-12-10T01:05:00Z'); // same reason: not said again, not re-verified yet
    expect(windowMessages('prod-2026-12-10').filter((m) => m.metadata?.event_payload.kind === 'blocked')).toHaveLength(1);

    cluster['staging-eu'] = { rbac: 'pass', server: 'v1.35.8' };
    await tickAt('2026-12-10T01:16:00Z'); // staging verified again, clean: prod opens with its plan
    expect((await store.get('prod-2026-12-10'))?.state).toBe('open');
    const prodOpen = windowMessages('prod-2026-12-10').find((m) => m.metadata?.event_payload.kind === 'open');
    expect(JSON.stringify(prodOpen?.blocks)).toContain('prod-eu (eks): v1.35.4-eks-3a1b2c4 → v1.35.8');
    expect(JSON.stringify(prodOpen?.blocks)).toContain('EKS has no maintenance windows');

    cluster['prod-eu'] = { rbac: 'pass', server: 'v1.35.8-eks-7c1d2e3' };
    await tickAt('2026-12-10T05:00:00Z');
    const prodClosed = windowMessages('prod-2026-12-10').find((m) => m.metadata?.event_payload.kind === 'closed');
    expect(prodClosed?.text).toBe('prod-2026-12-10 closed: prod-eu: v1.35.4-eks-3a1b2c4 → v1.35.8-eks-7c1d2e3, target reached');
    expect(JSON.stringify(prodClosed?.blocks)).toContain('Post-window verification passed');

    // Each thread message once, all in the window's thread, whatever the number of ticks.
    await tickAt('2026-12-10T05:01:00Z');
    for (const id of ['staging-2026-12-08', 'prod-2026-12-10']) {
      const keys = kinds(id);
      expect(new Set(keys).size).toBe(keys.length);
      const [head, ...replies] = windowMessages(id);
      expect(replies.every((m) => m.threadTs === head?.ts)).toBe(true);
    }
  });

  it('opens a blocked window on an override with a reason, and says so', { timeout: 30_000 }, async () => {
    await tickAt('2026-12-07T12:00:00Z');
    await tickAt('2026-12-10T01:00:00Z'); // staging's window passed without the hub ticking through it: called off, prod blocked
    expect((await store.get('staging-2026-12-08'))).toMatchObject({ state: 'cancelled', reason: 'did not open before its end' });
    expect((await store.get('prod-2026-12-10'))?.reason).toBe('staging-2026-12-08 was cancelled');
    await store.setOverride('prod-2026-12-10', { by: 'U01AAA', reason: 'staging rebuilt; CVE exploited', at: '2026-12-10T01:02:00Z' });
    await tickAt('2026-12-10T01:03:00Z');
    expect(await store.get('prod-2026-12-10')).toMatchObject({ state: 'open' });
    expect((await store.history('prod-2026-12-10')).at(-1)).toMatchObject({ to: 'open', reason: 'override by U01AAA: staging rebuilt; CVE exploited' });
    const open = windowMessages('prod-2026-12-10').find((m) => m.metadata?.event_payload.kind === 'open');
    expect(JSON.stringify(open?.blocks)).toContain('Gate overridden by <@U01AAA>: staging rebuilt; CVE exploited');
  });

  it('holds an emergency prod window for the staging gate too, and opens it once staging\'s emergency window passed', { timeout: 30_000 }, async () => {
    const service = createWindowService({ store, config, now: () => clock });
    const prodFirst = await service.schedule({ environment: 'prod', when: '2026-12-07T14:00', duration: '1h', emergency: true, advisory: 'CVE-2099-10000' }, 'U01AAA');
    expect(prodFirst.ok).toBe(true);
    await tickAt('2026-12-07T13:00:00Z'); // prod emergency at 14:00 local = 13:00Z: no staging window before it
    expect(await store.get('prod-emergency-2026-12-07T14:00')).toMatchObject({ state: 'blocked', reason: 'no staging window before this one' });

    await service.schedule({ environment: 'staging', when: '2026-12-07T15:00', duration: '1h', emergency: true }, 'U01AAA');
    await service.schedule({ environment: 'prod', when: '2026-12-07T17:00', duration: '1h', emergency: true }, 'U01AAA');
    await tickAt('2026-12-07T14:00:00Z'); // staging emergency opens (baseline taken)
    expect((await store.get('staging-emergency-2026-12-07T15:00'))?.state).toBe('open');
    await tickAt('2026-12-07T15:00:00Z'); // staging emergency closes, verification passes
    expect(await store.get('staging-emergency-2026-12-07T15:00')).toMatchObject({ state: 'closed' });
    await tickAt('2026-12-07T16:00:00Z'); // the second prod emergency window: staging passed, but prod's gap (1d) holds it
    expect(await store.get('prod-emergency-2026-12-07T17:00')).toMatchObject({
      state: 'blocked', reason: 'gap 1d after staging-emergency-2026-12-07T15:00 not yet passed (until 2026-12-08T15:00:00Z)',
    });
    expect((await service.override('prod-emergency-2026-12-07T17:00', 'U01AAA', 'exploited: staging rehearsal passed')).ok).toBe(true);
    await tickAt('2026-12-07T16:05:00Z');
    expect(await store.get('prod-emergency-2026-12-07T17:00')).toMatchObject({ state: 'open' });
    const open = windowMessages('prod-emergency-2026-12-07T17:00').find((m) => m.metadata?.event_payload.kind === 'open');
    expect(JSON.stringify(open?.blocks)).toContain('Gate overridden by <@U01AAA>: exploited: staging rehearsal passed');
  });

  it('posts the plan again with what changed when triage changes', { timeout: 30_000 }, async () => {
    await tickAt('2026-12-07T12:00:00Z');
    const snapshots = createSnapshotStore({ redis: r.redis, prefix: r.prefix });
    await snapshots.putFleet({
      clusters: [posture('staging-eu', 'staging', 'v1.35.2', 'v1.35.8'), posture('prod-eu', 'prod', 'v1.35.4-eks-3a1b2c4', 'v1.35.9')],
      releaseData: null, warnings: [], updatedAt: '2026-12-07T13:00:00Z',
    });
    await tickAt('2026-12-07T13:00:00Z');
    const plans = windowMessages('prod-2026-12-10').filter((m) => m.metadata?.event_payload.kind === 'plan');
    expect(plans).toHaveLength(2);
    expect(plans[1]?.text).toBe('Updated plan for prod-2026-12-10: patch upgrade, 1 cluster');
    expect(JSON.stringify(plans[1]?.blocks)).toContain('prod-eu: target v1.35.8 → v1.35.9');
    // Staging's plan did not change: not posted again.
    expect(windowMessages('staging-2026-12-08').filter((m) => m.metadata?.event_payload.kind === 'plan')).toHaveLength(1);
  });

  it('says in the thread when a window is cancelled, and sends no more reminders', { timeout: 30_000 }, async () => {
    await tickAt('2026-12-07T12:00:00Z');
    const service = createWindowService({ store, config, now: () => clock });
    expect((await service.cancel('prod-2026-12-10', 'U01AAA', 'provider upgraded it'))).toMatchObject({ ok: true });
    await tickAt('2026-12-09T01:00:00Z');
    expect(kinds('prod-2026-12-10').slice(2)).toEqual(['cancelled']);
    expect(windowMessages('prod-2026-12-10').at(-1)?.text).toBe('prod-2026-12-10 was cancelled: provider upgraded it');
  });
});
