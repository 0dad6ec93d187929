/**
 * Gates: may a window open now? Pure: every fact (the earlier environment's window, its verification,
 * readiness, an override, the clock) is passed in.
 *
 * `after-staging`: the window of the earlier environment paired with this one must have closed with
 * its post-window verification passed (no fail, no error, not everything skipped) at least `gap` ago.
 * `readiness`: for patch-only plans a team may choose operational readiness instead (backup confirmed,
 * disruption-readiness passing), because holding a security patch for a staging rehearsal keeps a
 * known CVE open longer and a patch release changes no API.
 */
import { formatDuration } from '../config/duration.ts';
import type { GateMode } from '../config/schema.ts';
import type { ProbeStatus, VerifyReport } from '../verify/types.ts';

export type ChangeKind = 'minor' | 'patch' | 'none';

export const WINDOW_STATES = ['scheduled', 'open', 'closed', 'cancelled', 'blocked'] as const;
export type WindowState = (typeof WINDOW_STATES)[number];

/** What a window keeps of a verification run: enough to judge it and to say why. */
export interface VerificationSummary {
  /** When the run started (ISO). */
  at: string;
  clusters: {
    cluster: string;
    probes: { id: string; status: ProbeStatus; summary?: string }[];
    /** Regressions against the run taken at the window's start ("rbac: … deny → allow"). */
    regressions?: string[];
    /** The whole cluster could not be verified. */
    error?: string;
  }[];
}

export function summarizeVerification(reports: readonly VerifyReport[], at: string): VerificationSummary {
  return {
    at,
    clusters: reports.map((r) => ({
      cluster: r.cluster,
      probes: r.probes.map((p) => ({ id: p.id, status: p.status, summary: p.summary })),
      ...(r.comparison && r.comparison.regressions.length > 0 ? { regressions: r.comparison.regressions.map((c) => c.text) } : {}),
      ...(r.error ? { error: r.error.message } : {}),
    })),
  };
}

export type VerificationVerdict = { passed: true } | { passed: false; reason: string };

/** Passed means: at least one cluster, and on every cluster no fail, no error and not all skipped. */
export function judgeVerification(v: VerificationSummary | null | undefined): VerificationVerdict {
  if (v === null || v === undefined) return { passed: false, reason: 'no post-window verification recorded' };
  if (v.clusters.length === 0) return { passed: false, reason: 'the verification covered no cluster' };
  for (const c of v.clusters) {
    if (c.error !== undefined) return { passed: false, reason: `verify could not run on ${c.cluster}: ${c.error}` };
    const failed = c.probes.filter((p) => p.status === 'fail');
    if (failed.length > 0) {
      const detail = c.regressions && c.regressions.length > 0 ? c.regressions.join('; ') : failed.map((p) => p.id).join(', ');
      return { passed: false, reason: `verify failed on ${c.cluster}: ${detail}` };
    }
    const errored = c.probes.filter((p) => p.status === 'error');
    if (errored.length > 0) return { passed: false, reason: `verify errored on ${c.cluster}: ${errored.map((p) => p.id).join(', ')}` };
    if (c.probes.length === 0 || c.probes.every((p) => p.status === 'skip')) {
      return { passed: false, reason: `verify proved nothing on ${c.cluster}: every probe skipped` };
    }
  }
  return { passed: true };
}

/** The earlier environment's window as the gate sees it (from the store). */
export interface EarlierWindow {
  id: string;
  state: WindowState;
  /** When it closed (ISO); set once closed. */
  closedAt?: string | null;
  verification?: VerificationSummary | null;
}

export interface Override {
  by: string;
  reason: string;
  at: string;
}

export interface Readiness {
  /** Who pressed "Backup confirmed", and when (the bot cannot see an etcd snapshot). */
  backupConfirmed: { by: string; at: string } | null;
  /** The latest disruption-readiness probe per cluster of this environment. */
  disruptionReadiness: { cluster: string; status: ProbeStatus; summary?: string }[];
}

export interface GateInput {
  window: { id: string; environment: string };
  /** The environment this one comes after (`after`), or null. */
  after: string | null;
  /** Id of the earlier environment's window paired with this one; null when there is none. */
  previousId: string | null;
  /** That window as stored; null when it was never stored (not announced, not held). */
  previous: EarlierWindow | null;
  change: ChangeKind;
  gate: { minor: GateMode; patch: GateMode };
  gapMs: number;
  readiness: Readiness;
  override: Override | null;
  now: Date;
}

export interface GateDecision {
  open: boolean;
  /** The gate applied: a minor change uses `gate.minor`; patch-only (or nothing to do) `gate.patch`. */
  mode: GateMode;
  /** Why it may not open (empty when open without override). */
  reasons: string[];
  /** Set when reasons were overridden by a permitted role. */
  overridden?: Override;
}

export function gateModeFor(change: ChangeKind, gate: { minor: GateMode; patch: GateMode }): GateMode {
  return change === 'minor' ? gate.minor : gate.patch;
}

function afterStagingReasons(input: GateInput): string[] {
  if (input.after === null) return [];
  const { previousId, previous } = input;
  if (previousId === null) return [`no ${input.after} window before this one`];
  if (previous === null) return [`${previousId} has not taken place`];
  if (previous.state === 'cancelled') return [`${previousId} was cancelled`];
  if (previous.state !== 'closed') return [`${previousId} is ${previous.state}, not closed`];
  const verdict = judgeVerification(previous.verification);
  const reasons = verdict.passed ? [] : [`${previousId}: ${verdict.reason}`];
  const closedMs = previous.closedAt ? Date.parse(previous.closedAt) : Number.NaN;
  if (Number.isNaN(closedMs)) {
    reasons.push(`${previousId} has no closing time recorded`);
  } else if (input.gapMs > 0 && input.now.getTime() < closedMs + input.gapMs) {
    const until = new Date(closedMs + input.gapMs).toISOString().replace(/\.000Z$/, 'Z');
    reasons.push(`gap ${formatDuration(input.gapMs)} after ${previousId} not yet passed (until ${until})`);
  }
  return reasons;
}

function readinessReasons(r: Readiness): string[] {
  const reasons: string[] = [];
  if (r.backupConfirmed === null) reasons.push('backup not confirmed (press "Backup confirmed" in the window thread)');
  if (r.disruptionReadiness.length === 0) reasons.push('disruption-readiness has not run on this environment');
  for (const d of r.disruptionReadiness) {
    // warn (single replicas, long grace periods) is advice; fail/error/skip mean draining is not proved.
    if (d.status === 'fail' || d.status === 'error' || d.status === 'skip') {
      reasons.push(`disruption-readiness ${d.status === 'skip' ? 'skipped' : d.status === 'error' ? 'errored' : 'failed'} on ${d.cluster}${d.summary ? `: ${d.summary}` : ''}`);
    }
  }
  return reasons;
}

export function evaluateGate(input: GateInput): GateDecision {
  const mode = gateModeFor(input.change, input.gate);
  const reasons = mode === 'after-staging' ? afterStagingReasons(input) : readinessReasons(input.readiness);
  if (reasons.length === 0) return { open: true, mode, reasons };
  if (input.override !== null) return { open: true, mode, reasons, overridden: input.override };
  return { open: false, mode, reasons };
}

/** `blocked` reason text for the thread: "staging-2026-12-08: verify failed on staging-eu: rbac …". */
export function blockedText(decision: GateDecision): string {
  return decision.reasons.join('; ');
}
