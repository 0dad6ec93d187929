/**
 * Verification contract (DESIGN.md "verify --format json"): a report is
 * `{ cluster, startedAt, durationMs, probes[] }`, a probe `{ id, status, summary, evidence }`.
 * Extra fields (`durationMs` and `needs` per probe, `facts`, `comparison`, `error`) are additive.
 */
import type { ClusterProvider } from '../inventory/types.ts';

export const PROBE_IDS = [
  'apiserver-health',
  'version-support',
  'node-readiness',
  'version-skew',
  'control-plane-versions',
  'system-pods',
  'deprecated-apis',
  'rbac',
  'admission',
  'network-policy',
  'pod-security-labels',
  'admission-webhooks',
  'disruption-readiness',
] as const;

export type ProbeId = (typeof PROBE_IDS)[number];

export const PROBE_STATUSES = ['pass', 'warn', 'fail', 'skip', 'error'] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

/** What a probe function returns; the runner adds `id` and `durationMs`. */
export interface ProbeOutcome {
  status: ProbeStatus;
  /** One line, for people. */
  summary: string;
  /** Lines of evidence, most important first (failing check names, node names, rejection message …). */
  evidence: string[];
  /**
   * Keyed observations that a later run is compared against, e.g. rbac
   * `{ "user:dev get secrets -n kube-system": "deny" }`. Values are short words.
   */
  facts?: Record<string, string>;
  /** Permissions that were missing ("get /metrics"), when the probe skipped for lack of them. */
  needs?: string[];
}

export interface ProbeResult extends ProbeOutcome {
  id: ProbeId;
  durationMs: number;
}

export interface ProbeChange {
  probe: ProbeId;
  /** "status" for a status move, else the fact key. */
  subject: string;
  from: string;
  to: string;
  /** Human line: "rbac: user:dev get secrets -n kube-system deny → allow". */
  text: string;
}

export interface RunComparison {
  /** startedAt of the run compared against. */
  previousStartedAt: string;
  /** Got worse: pass→fail, warn→fail, any RBAC deny→allow, admission rejected→accepted … first. */
  regressions: ProbeChange[];
  improvements: ProbeChange[];
  /** Other moves (e.g. pass→skip, fact values that changed without a direction). */
  changes: ProbeChange[];
}

export interface VerifyReport {
  cluster: string;
  environment?: string;
  provider?: ClusterProvider;
  /** API server gitVersion when it could be read. */
  server?: string | null;
  startedAt: string;
  durationMs: number;
  probes: ProbeResult[];
  /** The whole cluster could not be verified (static versions, agent-served, unreachable). */
  error?: { code: string; message: string };
  /** Compared with the previous stored run, when a store was given and one existed. */
  comparison?: RunComparison;
}

/** `verify ENV --format json`: one report per cluster of the environment. */
export interface VerifyTargetReport {
  target: string;
  results: VerifyReport[];
}

/** Worst-first ranking for roll-ups and ordering. */
export const STATUS_RANK: Record<ProbeStatus, number> = { fail: 0, error: 1, warn: 2, skip: 3, pass: 4 };

export function worstStatus(statuses: Iterable<ProbeStatus>): ProbeStatus {
  let worst: ProbeStatus = 'pass';
  for (const s of statuses) if (STATUS_RANK[s] < STATUS_RANK[worst]) worst = s;
  return worst;
}

export function countStatuses(probes: readonly Pick<ProbeResult, 'status'>[]): Record<ProbeStatus, number> {
  const counts: Record<ProbeStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const p of probes) counts[p.status] += 1;
  return counts;
}
