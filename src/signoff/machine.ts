/**
 * The sign-off state machine: pending → approved | rejected | expired | cancelled. Pure: a
 * request, an event, the policy and `now` in; the next request, what to append to the audit record
 * and, when the event is not allowed, the refusal (naming the rule) out. The store applies it under
 * an optimistic transaction so each transition happens once across replicas.
 *
 * An approved request whose evidence changes goes back to pending in a new round: approval is of
 * exactly that evidence, never of whatever the plan later became.
 */
import { createHash } from 'node:crypto';
import type { Evidence, SignoffAuditEntry, SignoffEvent, SignoffPolicy, SignoffRequest, SignoffState, Vote } from './types.ts';
import { TERMINAL_STATES } from './types.ts';

export interface Outcome {
  request: SignoffRequest;
  audit: SignoffAuditEntry[];
  /** Set when the event was refused: the request is unchanged and this says why. */
  refusal: string | null;
  /** The state before the event (for callers that announce transitions). */
  from: SignoffState;
}

/** sha256 over the canonical evidence (title and lines in order). */
export function evidenceHash(evidence: Evidence): string {
  return createHash('sha256').update(JSON.stringify([evidence.title, ...evidence.lines])).digest('hex');
}

/** What changed between two versions of the evidence, for the thread ("- old line", "+ new line"). */
export function evidenceDiff(before: Evidence, after: Evidence): string[] {
  const old = new Set(before.lines);
  const now = new Set(after.lines);
  const removed = before.lines.filter((l) => !now.has(l)).map((l) => `- ${l}`);
  const added = after.lines.filter((l) => !old.has(l)).map((l) => `+ ${l}`);
  const title = before.title === after.title ? [] : [`- ${before.title}`, `+ ${after.title}`];
  return [...title, ...removed, ...added];
}

export interface OpenOptions {
  window: string;
  environment: string;
  phase: SignoffRequest['phase'];
  requester: string;
  evidence: Evidence;
  policy: SignoffPolicy;
  now: Date;
}

export function openRequest(o: OpenOptions): { request: SignoffRequest; audit: SignoffAuditEntry[] } {
  const hash = evidenceHash(o.evidence);
  const request: SignoffRequest = {
    id: requestId(o.window, o.phase),
    window: o.window,
    environment: o.environment,
    phase: o.phase,
    requester: o.requester,
    state: 'pending',
    evidenceHash: hash,
    evidence: o.evidence,
    round: 1,
    votes: [],
    openedAt: o.now.toISOString(),
    expiresAt: expiry(o.policy, o.now),
    decidedAt: null,
    decidedBy: null,
    reason: null,
  };
  return { request, audit: [entry(request, o.now, 'request', { user: o.requester, detail: o.evidence.title })] };
}

export function requestId(window: string, phase: SignoffRequest['phase']): string {
  return `${window}:${phase}`;
}

/** Apply one event. Never throws; a refused event leaves the request as it was. */
export function apply(request: SignoffRequest, event: SignoffEvent, policy: SignoffPolicy, now: Date): Outcome {
  const from = request.state;
  const refuse = (why: string, user?: string): Outcome => ({
    request, from, refusal: why,
    audit: [entry(request, now, 'refused', { ...(user ? { user } : {}), reason: why, detail: event.type })],
  });

  // A pending request past its deadline expires first, whatever the event.
  if (request.state === 'pending' && isDue(request, now) && event.type !== 'evidence') {
    const expired = transition(request, 'expired', now, null, 'deadline passed');
    const audit = [entry(expired, now, 'transition', { from: 'pending', to: 'expired', reason: 'deadline passed' })];
    if (event.type === 'expire') return { request: expired, audit, refusal: null, from };
    return { request: expired, audit, refusal: `this sign-off expired at ${request.expiresAt ?? ''}; ask for a new one`, from };
  }

  switch (event.type) {
    case 'expire':
      return { request, audit: [], refusal: null, from };

    case 'vote': {
      if (request.state !== 'pending') return refuse(`this sign-off is already ${request.state}`, event.user);
      if (event.evidenceHash !== undefined && event.evidenceHash !== request.evidenceHash) {
        return refuse('the evidence changed since this was shown; review the updated request and vote again', event.user);
      }
      const eligible = eligibleRoles(policy);
      if (!event.roles.some((r) => eligible.includes(r))) {
        return refuse(`signing off needs the role ${eligible.join(' or ')}; you hold ${event.roles.length > 0 ? event.roles.join(', ') : 'no role'}`, event.user);
      }
      if (event.user === request.requester && !policy.selfApproval) {
        return refuse('you requested this sign-off, and self-approval is off for this environment: someone else must vote', event.user);
      }
      const earlier = request.votes.find((v) => v.user === event.user);
      if (earlier) return refuse(`you already voted ${earlier.decision} on this evidence`, event.user);
      const reason = event.reason?.trim();
      if (event.decision === 'reject' && !reason) return refuse('a rejection needs a reason: reply `reject: <reason>`', event.user);

      const vote: Vote = { user: event.user, decision: event.decision, roles: event.roles, at: now.toISOString(), via: event.via, ...(reason ? { reason } : {}) };
      let next: SignoffRequest = { ...request, votes: [...request.votes, vote] };
      const audit = [entry(next, now, 'vote', { user: event.user, decision: event.decision, ...(reason ? { reason } : {}), detail: `via ${event.via}; roles ${event.roles.join(',') || '-'}` })];
      if (event.decision === 'reject') {
        next = transition(next, 'rejected', now, event.user, reason ?? null);
        audit.push(entry(next, now, 'transition', { user: event.user, from: 'pending', to: 'rejected', ...(reason ? { reason } : {}) }));
      } else if (tally(next.votes, policy).satisfied) {
        next = transition(next, 'approved', now, event.user, null);
        audit.push(entry(next, now, 'transition', { user: event.user, from: 'pending', to: 'approved' }));
      }
      return { request: next, audit, refusal: null, from };
    }

    case 'evidence': {
      if (event.evidenceHash === request.evidenceHash) return { request, audit: [], refusal: null, from };
      if (TERMINAL_STATES.includes(request.state)) return { request, audit: [], refusal: `this sign-off is ${request.state}; open a new one`, from };
      const voided = request.votes.length;
      const next: SignoffRequest = {
        ...request, state: 'pending', evidence: event.evidence, evidenceHash: event.evidenceHash, round: request.round + 1,
        votes: [], expiresAt: expiry(policy, now), decidedAt: request.state === 'pending' ? request.decidedAt : now.toISOString(),
        decidedBy: request.state === 'pending' ? request.decidedBy : null, reason: request.state === 'pending' ? request.reason : 'evidence changed',
      };
      const audit = [entry(next, now, 'evidence', { detail: `round ${next.round}; ${voided} vote(s) voided; was ${request.evidenceHash}` })];
      if (request.state !== 'pending') audit.push(entry(next, now, 'transition', { from: request.state, to: 'pending', reason: 'evidence changed' }));
      return { request: next, audit, refusal: null, from };
    }

    case 'cancel': {
      if (TERMINAL_STATES.includes(request.state)) return refuse(`this sign-off is already ${request.state}`, event.user);
      const may = event.user === request.requester || event.roles.some((r) => policy.cancel.includes(r));
      if (!may) {
        return refuse(`cancelling needs the role ${policy.cancel.length > 0 ? policy.cancel.join(' or ') : '(none configured)'} or being the requester`, event.user);
      }
      const reason = event.reason.trim() || 'cancelled';
      const next = transition(request, 'cancelled', now, event.user, reason);
      return { request: next, from, refusal: null, audit: [entry(next, now, 'transition', { user: event.user, from: request.state, to: 'cancelled', reason })] };
    }
  }
}

export interface Tally {
  satisfied: boolean;
  approvers: string[];
  /** Required roles not yet covered by a distinct approver. */
  missingRoles: string[];
  /** How many more approvers are needed at least. */
  needed: number;
  /** How many required roles no distinct approver covers yet. */
  uncovered: number;
  /** Role each counted approver stands for (roles mode), for the message. */
  assignment: Record<string, string>;
}

/**
 * Counts the approvals: every required role held by a distinct approver (a bipartite matching: a
 * user holding both roles covers one of them), and at least `quorum` distinct approvers.
 */
export function tally(votes: readonly Vote[], policy: SignoffPolicy): Tally {
  const approvals = votes.filter((v) => v.decision === 'approve');
  const approvers = approvals.map((v) => v.user);
  if (policy.group !== undefined) {
    const counted = approvals.filter((v) => v.roles.includes(policy.group as string));
    const needed = Math.max(0, policy.quorum - counted.length);
    return { satisfied: needed === 0, approvers, missingRoles: needed > 0 ? [policy.group] : [], needed, uncovered: needed > 0 ? 1 : 0, assignment: Object.fromEntries(counted.map((v) => [v.user, policy.group as string])) };
  }
  const { matchOf } = matchRoles(policy.roles, approvals);
  const uncovered = policy.roles.length - matchOf.size;
  // Which roles a next approver could fill: those some maximum matching leaves uncovered.
  const missingRoles = uncovered === 0 ? [] : policy.roles.filter((r) => matchRoles(policy.roles.filter((x) => x !== r), approvals).matchOf.size === matchOf.size);
  const needed = Math.max(uncovered, policy.quorum - approvers.length);
  const assignment: Record<string, string> = {};
  for (const [role, user] of matchOf) assignment[user] = role;
  return { satisfied: needed === 0, approvers, missingRoles, needed, assignment, uncovered };
}

/** Maximum matching of roles to distinct voters holding them (augmenting paths; a handful of roles). */
function matchRoles(roles: readonly string[], votes: readonly Vote[]): { matchOf: Map<string, string> } {
  const matchOf = new Map<string, string>(); // role → user
  const roleOfUser = new Map<string, string>();
  const tryRole = (role: string, seen: Set<string>): boolean => {
    for (const v of votes) {
      if (!v.roles.includes(role) || seen.has(v.user)) continue;
      seen.add(v.user);
      const holder = roleOfUser.get(v.user);
      if (holder === undefined || tryRole(holder, seen)) {
        matchOf.set(role, v.user);
        roleOfUser.set(v.user, role);
        return true;
      }
    }
    return false;
  };
  for (const role of roles) tryRole(role, new Set());
  return { matchOf };
}

/** "needs 1 more: security", "needs 2 more approvers", "approved". */
export function progressText(request: SignoffRequest, policy: SignoffPolicy): string {
  if (request.state !== 'pending') return request.state;
  const t = tally(request.votes, policy);
  if (t.needed === 0) return 'approved';
  if (t.missingRoles.length > 0) {
    const who = t.missingRoles.length === t.uncovered ? t.missingRoles.join(', ') : t.missingRoles.join(' or ');
    return `needs ${t.needed} more: ${who}`;
  }
  return `needs ${t.needed} more approver${t.needed === 1 ? '' : 's'}`;
}

/** The roles whose holders may vote. */
export function eligibleRoles(policy: SignoffPolicy): string[] {
  return policy.group !== undefined ? [policy.group] : policy.roles;
}

export function isDue(request: SignoffRequest, now: Date): boolean {
  return request.expiresAt !== null && now.getTime() >= Date.parse(request.expiresAt);
}

function expiry(policy: SignoffPolicy, now: Date): string | null {
  return policy.expiresMs === null ? null : new Date(now.getTime() + policy.expiresMs).toISOString();
}

function transition(r: SignoffRequest, to: SignoffState, now: Date, by: string | null, reason: string | null): SignoffRequest {
  return { ...r, state: to, decidedAt: now.toISOString(), decidedBy: by, reason };
}

function entry(r: SignoffRequest, now: Date, type: SignoffAuditEntry['type'], extra: Partial<SignoffAuditEntry>): SignoffAuditEntry {
  return {
    at: now.toISOString(), type, request: r.id, window: r.window, environment: r.environment, phase: r.phase,
    round: r.round, evidenceHash: r.evidenceHash, ...extra,
  };
}
