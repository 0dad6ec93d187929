import { afterEach, describe, expect, it } from 'vitest';
import type { SignoffPolicy } from '../../../src/signoff/types.ts';
import { createSignoffStore, type SignoffStore } from '../../../src/store/signoff.ts';
import { testRedis, type TestRedis } from '../../helpers/redis.ts';

const POLICY: SignoffPolicy = { roles: ['platform', 'security'], quorum: 2, selfApproval: false, expiresMs: 60_000, cancel: ['platform'] };
const EVIDENCE = { title: 'prod-2026-12-10 plan', lines: ['prod-eu: v1.35.2 → v1.35.8'] };

let t: TestRedis | null = null;
afterEach(async () => {
  await t?.cleanup();
  t = null;
});

/** Three hub replicas: each its own connection and store over the same keys. */
async function replicas(now: () => Date): Promise<SignoffStore[]> {
  t = await testRedis('signoff');
  const { prefix } = t;
  return [t.redis, t.connect(), t.connect()].map((redis) => createSignoffStore({ redis, prefix, now }));
}

describe('sign-off store on real Redis', () => {
  it('opens a request once, whoever opens it', async () => {
    const now = () => new Date('2026-12-08T09:00:00Z');
    const stores = await replicas(now);
    const opened = await Promise.all(stores.map((s) => s.open({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'UREQ', evidence: EVIDENCE, policy: POLICY, now: now() })));
    expect(opened.filter((o) => o.created)).toHaveLength(1);
    const audit = await stores[0]!.audit();
    expect(audit.filter((e) => e.type === 'request')).toHaveLength(1);
  });

  it('concurrent votes on three replicas: every vote lands, the approval is written once', async () => {
    const now = () => new Date('2026-12-08T09:00:00Z');
    const stores = await replicas(now);
    const [a, b, c] = stores as [SignoffStore, SignoffStore, SignoffStore];
    const { request } = await a.open({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'UREQ', evidence: EVIDENCE, policy: POLICY, now: now() });
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.all([
        a.apply(request.id, { type: 'vote', user: `UP${round}`, roles: ['platform'], decision: 'approve', via: 'button' }, POLICY),
        b.apply(request.id, { type: 'vote', user: `US${round}`, roles: ['security'], decision: 'approve', via: 'button' }, POLICY),
        c.apply(request.id, { type: 'vote', user: `UX${round}`, roles: ['security'], decision: 'approve', via: 'thread' }, POLICY),
      ]);
      if (round === 0) {
        // The third vote arrives after approval (any order): refused, not counted.
        expect(outcomes.filter((o) => o?.refusal === null)).toHaveLength(2);
        expect(outcomes.filter((o) => o?.refusal?.includes('already approved'))).toHaveLength(1);
      }
    }
    const final = await a.get(request.id);
    expect(final?.state).toBe('approved');
    expect(final?.votes).toHaveLength(2);
    const transitions = (await a.audit({ window: 'prod-2026-12-10' })).filter((e) => e.type === 'transition');
    expect(transitions).toEqual([expect.objectContaining({ from: 'pending', to: 'approved' })]);
    expect(await b.countByState()).toEqual({ approved: 1 });
  });

  it('expires once across replicas sweeping at the same moment', async () => {
    let clock = new Date('2026-12-08T09:00:00Z');
    const stores = await replicas(() => clock);
    await stores[0]!.open({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'UREQ', evidence: EVIDENCE, policy: POLICY, now: clock });
    expect((await Promise.all(stores.map((s) => s.expireDue(() => POLICY)))).flat()).toEqual([]);
    clock = new Date('2026-12-08T09:01:00Z');
    const swept = (await Promise.all(stores.map((s) => s.expireDue(() => POLICY)))).flat();
    expect(swept.map((r) => r.state)).toEqual(['expired']);
    const transitions = (await stores[1]!.audit()).filter((e) => e.type === 'transition');
    expect(transitions).toEqual([expect.objectContaining({ to: 'expired' })]);
  });

  it('keeps an append-only record: refusals, comments and evidence changes included, filterable by window and time', async () => {
    let clock = new Date('2026-12-08T09:00:00Z');
    const [s] = (await replicas(() => clock)) as [SignoffStore];
    const { request } = await s.open({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'UREQ', evidence: EVIDENCE, policy: POLICY, now: clock });
    await s.open({ window: 'staging-2026-12-08', environment: 'staging', phase: 'plan', requester: 'UREQ', evidence: EVIDENCE, policy: POLICY, now: clock });
    await s.apply(request.id, { type: 'vote', user: 'UREQ', roles: ['platform'], decision: 'approve', via: 'button' }, POLICY);
    clock = new Date('2026-12-08T09:00:10Z');
    await s.comment(request.id, 'UA', 'backup taken at 08:55');
    const changed = { title: EVIDENCE.title, lines: ['prod-eu: v1.35.2 → v1.35.9'] };
    const { evidenceHash } = await import('../../../src/signoff/machine.ts');
    await s.apply(request.id, { type: 'evidence', evidence: changed, evidenceHash: evidenceHash(changed) }, POLICY);

    const all = await s.audit({ window: 'prod-2026-12-10' });
    expect(all.map((e) => e.type)).toEqual(['request', 'refused', 'comment', 'evidence']);
    expect(all[1]).toMatchObject({ user: 'UREQ', reason: expect.stringMatching(/self-approval is off/) });
    expect(all[3]?.round).toBe(2);
    expect((await s.audit()).filter((e) => e.window === 'staging-2026-12-08')).toHaveLength(1);
    const sinceComment = await s.audit({ window: 'prod-2026-12-10', since: new Date('2026-12-08T09:00:05Z') });
    expect(sinceComment.map((e) => e.type)).toEqual(['comment', 'evidence']);
  });
});
