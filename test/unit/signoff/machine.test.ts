import { describe, expect, it } from 'vitest';
import { apply, evidenceDiff, evidenceHash, openRequest, progressText, tally } from '../../../src/signoff/machine.ts';
import type { Evidence, SignoffEvent, SignoffPolicy, SignoffRequest, Vote } from '../../../src/signoff/types.ts';

const T0 = new Date('2026-12-08T09:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const TWO_ROLES: SignoffPolicy = { roles: ['platform', 'security'], quorum: 2, selfApproval: false, expiresMs: 24 * 3_600_000, cancel: ['platform'] };
const ANY_TWO_PLATFORM: SignoffPolicy = { roles: [], group: 'platform', quorum: 2, selfApproval: false, expiresMs: null, cancel: [] };
const SELF_OK: SignoffPolicy = { ...TWO_ROLES, roles: ['platform'], quorum: 1, selfApproval: true };

const PLAN: Evidence = { title: 'prod-2026-12-10 plan', lines: ['prod-eu: v1.35.2 → v1.35.8', 'prod-us: v1.34.3 → v1.34.9'] };

function open(policy: SignoffPolicy = TWO_ROLES, requester = 'UREQ'): SignoffRequest {
  return openRequest({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester, evidence: PLAN, policy, now: T0 }).request;
}

const vote = (user: string, roles: string[], decision: 'approve' | 'reject' = 'approve', reason?: string): SignoffEvent =>
  ({ type: 'vote', user, roles, decision, via: 'button', ...(reason ? { reason } : {}) });

/** Applies events in order; returns the final request and every refusal (null where allowed). */
function run(policy: SignoffPolicy, events: SignoffEvent[], start = open(policy), minutes = 1) {
  let r = start;
  const refusals: (string | null)[] = [];
  events.forEach((e, i) => {
    const o = apply(r, e, policy, at(minutes + i));
    refusals.push(o.refusal);
    r = o.request;
  });
  return { request: r, refusals };
}

describe('sign-off transitions', () => {
  it.each([
    { name: 'both required roles approve', policy: TWO_ROLES, events: [vote('UA', ['platform']), vote('UB', ['security'])], state: 'approved' },
    { name: 'two of the same role do not cover security', policy: TWO_ROLES, events: [vote('UA', ['platform']), vote('UB', ['platform'])], state: 'pending' },
    { name: 'one person holding both roles is not a quorum of two', policy: TWO_ROLES, events: [vote('UA', ['platform', 'security'])], state: 'pending' },
    { name: 'a dual-role holder plus a platform member covers both', policy: TWO_ROLES, events: [vote('UA', ['platform', 'security']), vote('UB', ['platform'])], state: 'approved' },
    { name: 'any two of platform', policy: ANY_TWO_PLATFORM, events: [vote('UA', ['platform']), vote('UB', ['platform'])], state: 'approved' },
    { name: 'one rejection with a reason rejects', policy: TWO_ROLES, events: [vote('UA', ['platform']), vote('UB', ['security'], 'reject', 'no backup yet')], state: 'rejected' },
    { name: 'self-approval allowed by policy', policy: SELF_OK, events: [vote('UREQ', ['platform'])], state: 'approved' },
  ] as const)('$name → $state', ({ policy, events, state }) => {
    expect(run(policy, [...events]).request.state).toBe(state);
  });

  it.each([
    { name: 'no eligible role', event: vote('UX', ['developer']), refusal: /needs the role platform or security/ },
    { name: 'no role at all', event: vote('UX', []), refusal: /you hold no role/ },
    { name: 'requester approving own request', event: vote('UREQ', ['platform']), refusal: /self-approval is off/ },
    { name: 'rejection without a reason', event: vote('UA', ['platform'], 'reject'), refusal: /needs a reason/ },
    { name: 'cancel without the cancel role', event: { type: 'cancel', user: 'UB', roles: ['security'], reason: 'x' } as SignoffEvent, refusal: /cancelling needs the role platform/ },
    { name: 'vote on a stale evidence hash', event: { ...vote('UA', ['platform']), evidenceHash: 'old' } as SignoffEvent, refusal: /evidence changed/ },
  ] satisfies { name: string; event: SignoffEvent; refusal: RegExp }[])('refuses: $name, and nothing changes', ({ event, refusal }) => {
    const start = open();
    const o = apply(start, event, TWO_ROLES, at(1));
    expect(o.refusal).toMatch(refusal);
    expect(o.request).toBe(start);
    expect(o.audit.map((e) => e.type)).toEqual(['refused']);
  });

  it('refuses a second vote by the same user and votes on a decided request', () => {
    const { refusals, request } = run(TWO_ROLES, [vote('UA', ['platform']), vote('UA', ['platform']), vote('UB', ['security']), vote('UC', ['security'])]);
    expect(refusals[1]).toMatch(/already voted approve/);
    expect(refusals[3]).toMatch(/already approved/);
    expect(request.votes.map((v) => v.user)).toEqual(['UA', 'UB']);
  });

  it('expires once the deadline passed, and refuses votes after it', () => {
    const start = open();
    const late = new Date(T0.getTime() + 24 * 3_600_000);
    const o = apply(start, vote('UA', ['platform']), TWO_ROLES, late);
    expect(o.request.state).toBe('expired');
    expect(o.refusal).toMatch(/expired/);
    const again = apply(o.request, { type: 'expire' }, TWO_ROLES, late);
    expect(again.audit).toEqual([]);
    expect(again.request).toBe(o.request);
  });

  it('does not expire before the deadline or without one', () => {
    expect(apply(open(), { type: 'expire' }, TWO_ROLES, at(60)).request.state).toBe('pending');
    expect(apply(open(ANY_TWO_PLATFORM), { type: 'expire' }, ANY_TWO_PLATFORM, new Date('2030-01-01')).request.state).toBe('pending');
  });

  it('voids votes when the evidence changes, also after approval, and starts a new round', () => {
    const changed: Evidence = { ...PLAN, lines: ['prod-eu: v1.35.2 → v1.35.9', 'prod-us: v1.34.3 → v1.34.9'] };
    const halfway = run(TWO_ROLES, [vote('UA', ['platform'])]).request;
    const o = apply(halfway, { type: 'evidence', evidence: changed, evidenceHash: evidenceHash(changed) }, TWO_ROLES, at(5));
    expect(o.request).toMatchObject({ state: 'pending', round: 2, votes: [], evidenceHash: evidenceHash(changed) });

    const approved = run(TWO_ROLES, [vote('UA', ['platform']), vote('UB', ['security'])]).request;
    const reopened = apply(approved, { type: 'evidence', evidence: changed, evidenceHash: evidenceHash(changed) }, TWO_ROLES, at(9));
    expect(reopened.request.state).toBe('pending');
    expect(reopened.audit.map((e) => [e.type, e.from, e.to])).toEqual([['evidence', undefined, undefined], ['transition', 'approved', 'pending']]);
    expect(apply(reopened.request, { type: 'evidence', evidence: changed, evidenceHash: evidenceHash(changed) }, TWO_ROLES, at(10)).audit).toEqual([]);
  });

  it('keeps terminal states terminal', () => {
    const rejected = run(TWO_ROLES, [vote('UB', ['security'], 'reject', 'too risky')]).request;
    expect(rejected).toMatchObject({ state: 'rejected', decidedBy: 'UB', reason: 'too risky' });
    const changed: Evidence = { ...PLAN, title: 'other' };
    expect(apply(rejected, { type: 'evidence', evidence: changed, evidenceHash: evidenceHash(changed) }, TWO_ROLES, at(3)).request.state).toBe('rejected');
    expect(apply(rejected, { type: 'cancel', user: 'UA', roles: ['platform'], reason: 'x' }, TWO_ROLES, at(3)).refusal).toMatch(/already rejected/);
  });

  it('lets the requester or a cancel role cancel', () => {
    expect(apply(open(), { type: 'cancel', user: 'UREQ', roles: [], reason: 'window moved' }, TWO_ROLES, at(1)).request).toMatchObject({ state: 'cancelled', reason: 'window moved' });
    expect(apply(open(), { type: 'cancel', user: 'UA', roles: ['platform'], reason: '' }, TWO_ROLES, at(1)).request.state).toBe('cancelled');
  });

  it('records every vote and transition in the audit entries, bound to the evidence hash', () => {
    const start = open();
    const o1 = apply(start, vote('UA', ['platform']), TWO_ROLES, at(1));
    const o2 = apply(o1.request, vote('UB', ['security']), TWO_ROLES, at(2));
    const entries = [...o1.audit, ...o2.audit];
    expect(entries.map((e) => e.type)).toEqual(['vote', 'vote', 'transition']);
    expect(entries.every((e) => e.evidenceHash === start.evidenceHash && e.request === 'prod-2026-12-10:plan')).toBe(true);
    expect(entries[2]).toMatchObject({ from: 'pending', to: 'approved', user: 'UB' });
  });
});

describe('tally and progress', () => {
  const v = (user: string, roles: string[], decision: Vote['decision'] = 'approve'): Vote => ({ user, roles, decision, at: T0.toISOString(), via: 'button' });
  it.each([
    { votes: [], text: 'needs 2 more: platform, security' },
    { votes: [v('UA', ['platform'])], text: 'needs 1 more: security' },
    { votes: [v('UA', ['platform', 'security'])], text: 'needs 1 more: platform or security' },
    { votes: [v('UA', ['platform']), v('UB', ['platform'])], text: 'needs 1 more: security' },
  ])('$text', ({ votes, text }) => {
    expect(progressText({ ...open(), votes }, TWO_ROLES)).toBe(text);
  });

  it('counts a quorum larger than the roles', () => {
    const policy: SignoffPolicy = { ...TWO_ROLES, quorum: 3 };
    const t = tally([v('UA', ['platform']), v('UB', ['security'])], policy);
    expect(t).toMatchObject({ satisfied: false, needed: 1, missingRoles: [] });
    expect(progressText({ ...open(policy), votes: [v('UA', ['platform']), v('UB', ['security'])] }, policy)).toBe('needs 1 more approver');
  });

  it('any N of a group', () => {
    expect(progressText({ ...open(ANY_TWO_PLATFORM), votes: [v('UA', ['platform'])] }, ANY_TWO_PLATFORM)).toBe('needs 1 more: platform');
  });
});

describe('evidence', () => {
  it('hashes exactly the evidence, order included', () => {
    const swapped = { ...PLAN, lines: [...PLAN.lines].reverse() };
    expect(evidenceHash(PLAN)).toBe(evidenceHash({ title: PLAN.title, lines: [...PLAN.lines] }));
    expect(evidenceHash(PLAN)).not.toBe(evidenceHash(swapped));
  });
  it('shows what changed', () => {
    expect(evidenceDiff(PLAN, { ...PLAN, lines: ['prod-eu: v1.35.2 → v1.35.9', PLAN.lines[1] as string] }))
      .toEqual(['- prod-eu: v1.35.2 → v1.35.8', '+ prod-eu: v1.35.2 → v1.35.9']);
  });
});
