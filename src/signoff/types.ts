/**
 * Sign-off: a request to approve one piece of evidence (a window's plan before it opens, its
 * verification result after it closes), the votes on it, and the policy that decides. Plain data:
 * the state machine (machine.ts) is pure, the store (store/signoff.ts) applies it atomically.
 */

export type SignoffPhase = 'plan' | 'result';

export type SignoffState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export const TERMINAL_STATES: readonly SignoffState[] = ['rejected', 'expired', 'cancelled'];

/**
 * Per environment (config `environments.<env>.signoff`):
 * - `roles`: each listed role must be held by at least one distinct approver, and
 * - `quorum`: at least this many distinct approvers in all;
 * - or `group` + `quorum`: any N holders of that one role ("any 2 of platform").
 */
export interface SignoffPolicy {
  roles: string[];
  quorum: number;
  /** A role any N of whose holders approve (replaces `roles` when set). */
  group?: string;
  /** May the requester approve their own request? Default false. */
  selfApproval: boolean;
  /** A pending request expires this long after it was opened (ms); null: never. */
  expiresMs: number | null;
  /** Roles that may cancel a request (the requester may always cancel their own). */
  cancel: string[];
}

export interface Vote {
  user: string;
  decision: 'approve' | 'reject';
  /** Roles the voter held when voting (recorded; the role a vote counts for is chosen at tally). */
  roles: string[];
  at: string;
  reason?: string;
  /** button | thread: how the vote arrived. */
  via: 'button' | 'thread' | 'cli';
}

export interface SignoffRequest {
  /** `<window>:<phase>`, e.g. "prod-2026-12-10:plan". */
  id: string;
  window: string;
  environment: string;
  phase: SignoffPhase;
  /** Slack user id (or "k8s-advisor" when the bot opened it on schedule). */
  requester: string;
  state: SignoffState;
  /** sha256 of the canonical evidence; votes are bound to it. */
  evidenceHash: string;
  /** The evidence itself, for people (plan lines or probe results). */
  evidence: Evidence;
  /** Starts at 1; +1 each time the evidence changed and earlier votes were voided. */
  round: number;
  votes: Vote[];
  openedAt: string;
  /** ISO time after which a pending request expires; null: never. */
  expiresAt: string | null;
  /** When the state last changed, and by whom / why (rejection reason, cancel reason). */
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
  /** Where the request is shown: the window's thread. */
  message?: { channel: string; ts: string; threadTs: string };
}

/** What is signed: a title and lines, in order; the hash covers exactly these. */
export interface Evidence {
  title: string;
  lines: string[];
}

export type SignoffEvent =
  | { type: 'vote'; user: string; roles: string[]; decision: 'approve' | 'reject'; reason?: string; via: Vote['via']; evidenceHash?: string }
  | { type: 'evidence'; evidence: Evidence; evidenceHash: string }
  | { type: 'cancel'; user: string; roles: string[]; reason: string }
  | { type: 'expire' };

/** One line of the append-only audit record. */
export interface SignoffAuditEntry {
  at: string;
  type: 'request' | 'vote' | 'comment' | 'transition' | 'evidence' | 'refused';
  request: string;
  window: string;
  environment: string;
  phase: SignoffPhase;
  round: number;
  evidenceHash: string;
  user?: string;
  decision?: 'approve' | 'reject';
  from?: SignoffState;
  to?: SignoffState;
  reason?: string;
  detail?: string;
}
