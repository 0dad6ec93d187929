/**
 * Sign-off, accepted risks and stored windows on a real 3-master Redis Cluster: every key under
 * the deployment's hash tag (one slot), concurrent votes from three clients, the approval once,
 * the append-only record, a window's compare-and-set transitions.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { SignoffPolicy } from '../../../src/signoff/types.ts';
import { createRiskAcceptanceStore } from '../../../src/store/risk-acceptances.ts';
import { createSignoffStore } from '../../../src/store/signoff.ts';
import { createWindowStore } from '../../../src/store/windows.ts';
import { clusterTestRedis, type ClusterTestRedis } from '../../helpers/redis-cluster.ts';

const nodes = inject('redisCluster');
const POLICY: SignoffPolicy = { roles: ['platform', 'security'], quorum: 2, selfApproval: false, expiresMs: 60_000, cancel: [] };

let t: ClusterTestRedis;
beforeEach(async () => {
  if (nodes !== null) t = await clusterTestRedis(nodes);
});
afterEach(async () => {
  if (nodes !== null) await t.cleanup();
});

describe.skipIf(nodes === null)('sign-off and windows on a 3-master Redis Cluster', () => {
  it('counts concurrent votes from three clients once each and approves once; the record and risks live in one slot', async () => {
    const now = () => new Date('2026-12-08T09:00:00Z');
    const stores = [t.redis, t.connect(), t.connect()].map((redis) => createSignoffStore({ redis, prefix: t.prefix, now }));
    const [a, b, c] = stores as [ReturnType<typeof createSignoffStore>, ReturnType<typeof createSignoffStore>, ReturnType<typeof createSignoffStore>];
    const { request } = await a.open({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'UREQ', evidence: { title: 'plan', lines: ['x'] }, policy: POLICY, now: now() });
    const outcomes = await Promise.all([
      a.apply(request.id, { type: 'vote', user: 'UP', roles: ['platform'], decision: 'approve', via: 'button' }, POLICY),
      b.apply(request.id, { type: 'vote', user: 'US', roles: ['security'], decision: 'approve', via: 'button' }, POLICY),
      c.apply(request.id, { type: 'vote', user: 'UX', roles: ['security'], decision: 'approve', via: 'thread' }, POLICY),
    ]);
    expect(outcomes.filter((o) => o?.refusal === null)).toHaveLength(2);
    expect((await c.get(request.id))?.state).toBe('approved');
    expect((await a.audit()).filter((e) => e.type === 'transition')).toHaveLength(1);

    const risks = createRiskAcceptanceStore({ redis: t.redis, prefix: t.prefix });
    await risks.accept({ advisory: 'CVE-2024-10220', target: { kind: 'cluster', name: 'prod-eu' }, until: '2027-01-15', by: 'US', reason: 'policy', at: now().toISOString() });
    expect(await risks.all()).toHaveLength(1);
  });

  it('stores a window and moves it through compare-and-set transitions', async () => {
    const store = createWindowStore({ redis: t.redis, prefix: t.prefix });
    const { created } = await store.create({
      id: 'prod-2026-12-10', environment: 'prod', kind: 'recurring', start: '2026-12-10T02:00:00+01:00', end: '2026-12-10T06:00:00+01:00',
      startUtc: '2026-12-10T01:00:00.000Z', endUtc: '2026-12-10T05:00:00.000Z', timezone: 'Europe/Berlin', durationMs: 4 * 3_600_000,
      advisory: null, createdBy: 'config', createdAt: '2026-12-01T00:00:00.000Z', after: null,
    });
    expect(created).toBe(true);
    expect((await store.transition('prod-2026-12-10', 'open', { by: 'hub', at: '2026-12-10T01:00:00.000Z' })).ok).toBe(true);
    expect(await store.transition('prod-2026-12-10', 'open', { by: 'hub', at: '2026-12-10T01:00:00.000Z' })).toMatchObject({ ok: false, error: 'conflict' });
    expect((await store.history('prod-2026-12-10')).map((h) => h.to)).toEqual(['open']);
  });
});
