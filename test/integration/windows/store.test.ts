import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WindowState } from '../../../src/maintenance/gate.ts';
import { buildPlan } from '../../../src/maintenance/plan.ts';
import { canTransition, createWindowStore, WINDOW_ID_RE, type NewWindow, type WindowStore } from '../../../src/store/windows.ts';
import { testRedis, type TestRedis } from '../../helpers/redis.ts';

const window = (over: Partial<NewWindow> = {}): NewWindow => ({
  id: 'prod-2026-12-10', environment: 'prod', kind: 'recurring',
  start: '2026-12-10T02:00:00+01:00', end: '2026-12-10T06:00:00+01:00', startUtc: '2026-12-10T01:00:00Z', endUtc: '2026-12-10T05:00:00Z',
  timezone: 'Europe/Berlin', durationMs: 4 * 3_600_000, advisory: null, createdBy: 'config', createdAt: '2026-12-01T10:00:00Z', after: 'staging-2026-12-08',
  ...over,
});

describe('window transitions (pure)', () => {
  it.each([
    ['scheduled', 'open', true], ['scheduled', 'blocked', true], ['scheduled', 'cancelled', true], ['scheduled', 'closed', false],
    ['blocked', 'open', true], ['blocked', 'blocked', true], ['blocked', 'cancelled', true], ['blocked', 'closed', false],
    ['open', 'closed', true], ['open', 'cancelled', false], ['open', 'blocked', false], ['open', 'scheduled', false],
    ['closed', 'open', false], ['closed', 'cancelled', false], ['cancelled', 'open', false], ['cancelled', 'scheduled', false],
  ] as const)('%s → %s: %s', (from, to, allowed) => {
    expect(canTransition(from as WindowState, to as WindowState)).toBe(allowed);
  });

  it.each([
    ['prod-2026-12-10', true], ['staging-emergency-2026-12-03T14:00', true], ['prod-eu-2027-01-14T02:30', true],
    ['prod', false], ['prod-2026-12-10:x', false], ['../prod-2026-12-10', false], ['PROD-2026-12-10', false], ['prod-2026-12-10T1400', false],
  ])('window id %s is valid: %s', (id, valid) => {
    expect(WINDOW_ID_RE.test(id)).toBe(valid);
  });
});

describe('window store (real Redis)', () => {
  let r: TestRedis;
  let store: WindowStore;
  beforeEach(async () => {
    r = await testRedis('windows');
    store = createWindowStore({ redis: r.redis, prefix: r.prefix });
  });
  afterEach(async () => {
    await r.cleanup();
  });

  it('stores a window once under the prefix, in one hash slot, and reads it back', async () => {
    const first = await store.create(window());
    const again = await store.create(window({ createdBy: 'U999' }));
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, window: { createdBy: 'config' } });
    expect(await store.get('prod-2026-12-10')).toMatchObject({
      id: 'prod-2026-12-10', state: 'scheduled', reason: null, plan: null, thread: null, after: 'staging-2026-12-08', durationMs: 14_400_000,
    });
    const keys = await r.redis.keys(`${r.prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(`${r.prefix}:{windows}:`))).toBe(true);
    expect(await store.get('prod-2027-01-14')).toBeNull();
  });

  it('moves scheduled → blocked (with reason) → open → closed, recording who, when and why', async () => {
    await store.create(window());
    const blocked = await store.transition('prod-2026-12-10', 'blocked', { by: 'hub', at: '2026-12-10T01:00:00Z', reason: 'staging-2026-12-08: verify failed on staging-eu: rbac' });
    expect(blocked).toMatchObject({ ok: true, window: { state: 'blocked', reason: 'staging-2026-12-08: verify failed on staging-eu: rbac' } });
    expect(await store.transition('prod-2026-12-10', 'open', { by: 'hub', at: '2026-12-10T02:00:00Z' })).toMatchObject({ ok: true, window: { state: 'open', reason: null, openedAt: '2026-12-10T02:00:00Z' } });
    expect(await store.transition('prod-2026-12-10', 'closed', { by: 'hub', at: '2026-12-10T05:00:00Z' })).toMatchObject({ ok: true, window: { state: 'closed', closedAt: '2026-12-10T05:00:00Z' } });
    expect(await store.history('prod-2026-12-10')).toEqual([
      { from: 'scheduled', to: 'blocked', by: 'hub', at: '2026-12-10T01:00:00Z', reason: 'staging-2026-12-08: verify failed on staging-eu: rbac' },
      { from: 'blocked', to: 'open', by: 'hub', at: '2026-12-10T02:00:00Z', reason: null },
      { from: 'open', to: 'closed', by: 'hub', at: '2026-12-10T05:00:00Z', reason: null },
    ]);
  });

  it('refuses a transition the state machine does not allow, naming the state found', async () => {
    await store.create(window());
    await store.transition('prod-2026-12-10', 'cancelled', { by: 'U01AAA', at: '2026-12-02T00:00:00Z', reason: 'replaced by an emergency window' });
    expect(await store.transition('prod-2026-12-10', 'open', { by: 'hub', at: '2026-12-10T02:00:00Z' })).toEqual({ ok: false, error: 'conflict', state: 'cancelled' });
    expect(await store.transition('prod-2027-01-14', 'open', { by: 'hub', at: '2027-01-14T02:00:00Z' })).toEqual({ ok: false, error: 'not-found' });
  });

  it('lets exactly one of many concurrent openers win', async () => {
    await store.create(window());
    const stores = [0, 1, 2, 3, 4].map(() => createWindowStore({ redis: r.connect(), prefix: r.prefix }));
    const results = await Promise.all(stores.map((s, i) => s.transition('prod-2026-12-10', 'open', { by: `replica-${i}`, at: '2026-12-10T01:00:00Z' })));
    expect(results.filter((x) => x.ok)).toHaveLength(1);
    expect(results.filter((x) => !x.ok)).toEqual(Array(4).fill({ ok: false, error: 'conflict', state: 'open' }));
    expect(await store.history('prod-2026-12-10')).toHaveLength(1);
  });

  it('keeps the plan, the first thread, the verification, an override and one backup confirmation', async () => {
    await store.create(window());
    const plan = buildPlan({ window: { id: 'prod-2026-12-10', environment: 'prod' }, after: null, clusters: [{ name: 'prod-eu', environment: 'prod' }], triage: { clusters: [], findings: [] }, now: new Date('2026-12-01T10:00:00Z') });
    await store.setPlan('prod-2026-12-10', plan);
    expect(await store.setThread('prod-2026-12-10', { channel: 'C0PROD', ts: '1.000' })).toEqual({ channel: 'C0PROD', ts: '1.000' });
    expect(await store.setThread('prod-2026-12-10', { channel: 'C0PROD', ts: '2.000' })).toEqual({ channel: 'C0PROD', ts: '1.000' });
    await store.setVerification('prod-2026-12-10', { at: '2026-12-10T05:00:00Z', clusters: [{ cluster: 'prod-eu', probes: [{ id: 'rbac', status: 'pass' }] }] });
    await store.setOverride('prod-2026-12-10', { by: 'U01AAA', reason: 'exploited in the wild', at: '2026-12-10T00:00:00Z' });
    expect(await store.confirmBackup('prod-2026-12-10', 'U01AAA', '2026-12-09T22:00:00Z')).toBe(true);
    expect(await store.confirmBackup('prod-2026-12-10', 'U02BBB', '2026-12-09T23:00:00Z')).toBe(false);
    expect(await store.get('prod-2026-12-10')).toMatchObject({
      plan: { window: 'prod-2026-12-10', clusters: [expect.objectContaining({ cluster: 'prod-eu' })] },
      thread: { channel: 'C0PROD', ts: '1.000' },
      verification: { clusters: [{ cluster: 'prod-eu' }] },
      override: { by: 'U01AAA', reason: 'exploited in the wild' },
      backup: { by: 'U01AAA', at: '2026-12-09T22:00:00Z' },
    });
    await expect(store.setPlan('prod-2027-01-14', plan)).rejects.toThrow(/window prod-2027-01-14 is not stored/);
  });

  it('lists windows by start, per environment, skipping those already over', async () => {
    await store.create(window({ id: 'prod-2027-01-14', startUtc: '2027-01-14T01:00:00Z', endUtc: '2027-01-14T05:00:00Z' }));
    await store.create(window());
    await store.create(window({ id: 'staging-emergency-2026-12-03T14:00', environment: 'staging', kind: 'emergency', startUtc: '2026-12-03T13:00:00Z', endUtc: '2026-12-03T15:00:00Z', advisory: 'CVE-2025-1974' }));
    expect((await store.list()).map((w) => w.id)).toEqual(['staging-emergency-2026-12-03T14:00', 'prod-2026-12-10', 'prod-2027-01-14']);
    expect((await store.list({ environment: 'prod' })).map((w) => w.id)).toEqual(['prod-2026-12-10', 'prod-2027-01-14']);
    expect((await store.list({ fromMs: Date.parse('2026-12-05T00:00:00Z') })).map((w) => w.id)).toEqual(['prod-2026-12-10', 'prod-2027-01-14']);
    expect((await store.list({ limit: 1 })).map((w) => w.id)).toEqual(['staging-emergency-2026-12-03T14:00']);
  });

  it('claims each thread post once: posted, busy for another owner, reconcile for the same or a stale owner, release on a definite no', async () => {
    await store.create(window());
    const id = 'prod-2026-12-10';
    expect(await store.claimEvent(id, 'reminder-1d', 'job-a', 1_000, 5_000)).toEqual({ result: 'claimed' });
    expect(await store.claimEvent(id, 'reminder-1d', 'job-b', 2_000, 5_000)).toEqual({ result: 'busy' });
    // The same job again (a retry after a crash) or a claim older than staleMs: look before posting.
    expect(await store.claimEvent(id, 'reminder-1d', 'job-a', 3_000, 5_000)).toEqual({ result: 'reconcile', since: 1_000 });
    expect(await store.claimEvent(id, 'reminder-1d', 'job-c', 9_000, 5_000)).toEqual({ result: 'reconcile', since: 1_000 });
    await store.markEventPosted(id, 'reminder-1d', 'job-c', '1700000000.000100');
    expect(await store.claimEvent(id, 'reminder-1d', 'job-d', 10_000, 5_000)).toEqual({ result: 'posted', ts: '1700000000.000100' });
    expect(await store.postedEvents(id)).toEqual({ 'reminder-1d': '1700000000.000100' });
    // Slack said no: the claim goes, the next attempt claims afresh.
    expect(await store.claimEvent(id, 'open', 'job-e', 1_000, 5_000)).toEqual({ result: 'claimed' });
    await store.releaseEvent(id, 'open', 'job-other');
    expect(await store.claimEvent(id, 'open', 'job-f', 1_500, 5_000)).toEqual({ result: 'busy' });
    await store.releaseEvent(id, 'open', 'job-e');
    expect(await store.claimEvent(id, 'open', 'job-f', 2_000, 5_000)).toEqual({ result: 'claimed' });
    await expect(store.claimEvent(id, 'Reminder 1d', 'job-g', 1, 1)).rejects.toThrow(/unsafe window event key/);
  });

  it('keeps the previous plan when the plan is rebuilt (the thread says what changed)', async () => {
    await store.create(window());
    const build = (at: string, env: string) => buildPlan({ window: { id: 'prod-2026-12-10', environment: 'prod' }, after: null, clusters: [{ name: env, environment: 'prod' }], triage: { clusters: [], findings: [] }, now: new Date(at) });
    await store.setPlan('prod-2026-12-10', build('2026-12-01T00:00:00Z', 'prod-eu'));
    await store.setPlan('prod-2026-12-10', build('2026-12-02T00:00:00Z', 'prod-us'));
    const w = await store.get('prod-2026-12-10');
    expect(w?.plan?.clusters.map((c) => c.cluster)).toEqual(['prod-us']);
    expect(w?.previousPlan?.clusters.map((c) => c.cluster)).toEqual(['prod-eu']);
  });

  it('refuses unsafe ids before touching Redis, and says when a stored window is unreadable', async () => {
    await expect(store.get('prod-2026-12-10:*')).rejects.toThrow(/unsafe window id/);
    await store.create(window());
    await r.redis.hset(`${r.prefix}:{windows}:w:prod-2026-12-10`, 'state', 'exploded');
    await expect(store.get('prod-2026-12-10')).rejects.toThrow(/window prod-2026-12-10 in Redis is not readable: state/);
  });
});
