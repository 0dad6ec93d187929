/**
 * Runs the probes of one cluster side by side, each under its own deadline. A hung or failing probe
 * becomes an `error` result with the reason while the others still report; a missing permission
 * becomes `skip` naming it ("needs: get /metrics"), never a cluster failure.
 */
import { ClusterAccessError, errorMessage } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { forbiddenNeeds, isWholeClusterFailure, statusOf } from '../kube/errors.ts';
import type { Logger } from '../log.ts';
import {
  createClusterReader, DEFAULT_CHECKS, type FindingsProvider, type Probe, type SupportCalendar, type VerifyChecks, type VerifyCluster,
} from './context.ts';
import { ALL_PROBES } from './probes/index.ts';
import type { ProbeOutcome, ProbeResult, ProbeStatus, VerifyReport } from './types.ts';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

export type ProgressListener = (result: ProbeResult, progress: { done: number; total: number }) => void | Promise<void>;

export interface RunProbesOptions {
  cluster: VerifyCluster;
  kube: KubeClient;
  checks?: VerifyChecks;
  probes?: readonly Probe[];
  /** Per probe (config verify.probeTimeout). */
  probeTimeoutMs?: number;
  calendar?: SupportCalendar | null;
  findings?: FindingsProvider | null;
  now?: () => Date;
  logger?: Logger;
  /** Called once per finished probe, in finishing order (for a Slack progress message). */
  onProgress?: ProgressListener;
}

class ProbeTimeoutError extends Error {
  readonly ms: number;
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.ms = ms;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeoutError(ms)), ms);
  });
  // The abandoned probe may still reject later: keep that from surfacing as unhandled.
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The permission a 403 asks for: from the API server's own message, else from our message. */
export function neededPermission(err: ClusterAccessError): string {
  const fromStatus = forbiddenNeeds(statusOf(err.cause), undefined);
  if (fromStatus) return fromStatus;
  const m = /needs: ([^:]+)/.exec(err.message);
  return m?.[1]?.trim() ?? 'read access';
}

/** Strip the "cluster: " prefix ClusterAccessError messages carry; the report already names the cluster. */
function reason(err: ClusterAccessError): string {
  const prefix = `${err.cluster}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/** A thrown error as a probe outcome: 403 → skip naming the permission; anything else → error with the reason. */
export function outcomeFromError(err: unknown, kube: Pick<KubeClient, 'toError'>): ProbeOutcome {
  if (err instanceof ProbeTimeoutError) {
    return { status: 'error', summary: `probe timed out after ${err.ms} ms (API server slow or hung)`, evidence: [] };
  }
  const e = err instanceof ClusterAccessError ? err : kube.toError(err);
  if (e.code === 'CLUSTER_FORBIDDEN') {
    const needs = neededPermission(e);
    return { status: 'skip', summary: `missing permission, needs: ${needs}`, evidence: [reason(e)], needs: [needs] };
  }
  return { status: 'error', summary: reason(e), evidence: e.hint ? [`hint: ${e.hint}`] : [] };
}

export async function runProbes(options: RunProbesOptions): Promise<VerifyReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  const probes = options.probes ?? ALL_PROBES;
  const timeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const log = options.logger?.child({ cluster: options.cluster.name });
  const read = createClusterReader(options.kube, options.cluster);
  const ctx = {
    cluster: options.cluster,
    kube: options.kube,
    read,
    checks: options.checks ?? DEFAULT_CHECKS,
    now: started,
    calendar: options.calendar ?? null,
    findings: options.findings ?? null,
  };
  let done = 0;
  const results = await Promise.all(probes.map(async (probe): Promise<ProbeResult> => {
    const p0 = performance.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await withTimeout(Promise.resolve().then(() => probe.run(ctx)), timeoutMs);
    } catch (err) {
      outcome = outcomeFromError(err, options.kube);
      log?.debug({ probe: probe.id, err: errorMessage(err) }, 'probe did not complete');
    }
    const result: ProbeResult = { id: probe.id, ...outcome, durationMs: Math.round(performance.now() - p0) };
    done += 1;
    if (options.onProgress) {
      try {
        await options.onProgress(result, { done, total: probes.length });
      } catch (err) {
        log?.warn({ probe: probe.id, err: errorMessage(err) }, 'progress listener failed');
      }
    }
    return result;
  }));

  const report: VerifyReport = {
    cluster: options.cluster.name,
    environment: options.cluster.environment,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    probes: results,
  };
  // Whole-cluster trouble (unreachable, TLS, 401, timeout) is said once at the top as well.
  try {
    report.server = await withTimeout(read.serverVersion(), 1);
    report.provider = await withTimeout(read.provider(), 1);
  } catch (err) {
    const e = err instanceof ClusterAccessError ? err : null;
    if (e && isWholeClusterFailure(e)) report.error = { code: e.code, message: reason(e) };
    else if (err instanceof ProbeTimeoutError && results.every((r) => r.status === 'error')) {
      report.error = { code: 'CLUSTER_TIMEOUT', message: results[0]?.summary ?? 'no answer' };
    }
  }
  log?.info({ durationMs: report.durationMs, statuses: results.map((r) => `${r.id}=${r.status}`).join(' ') }, 'cluster verified');
  return report;
}

/** A report in which every probe has the same status and reason (static versions, agent-served, unreachable). */
export function uniformReport(
  cluster: VerifyCluster,
  status: Extract<ProbeStatus, 'skip' | 'error'>,
  summary: string,
  options: { now?: Date; error?: { code: string; message: string }; probes?: readonly Probe[] } = {},
): VerifyReport {
  const probes = options.probes ?? ALL_PROBES;
  return {
    cluster: cluster.name,
    environment: cluster.environment,
    startedAt: (options.now ?? new Date()).toISOString(),
    durationMs: 0,
    probes: probes.map((p) => ({ id: p.id, status, summary, evidence: [], durationMs: 0 })),
    ...(options.error ? { error: options.error } : {}),
  };
}

export const STATIC_VERSIONS_REASON = 'no API access: static versions';
export const AGENT_SERVED_REASON = 'served by an agent; run through the hub';

/** Exit code for the CLI: 1 when any probe failed or errored, else 0. */
export function reportsExitCode(reports: readonly VerifyReport[]): number {
  return reports.some((r) => r.probes.some((p) => p.status === 'fail' || p.status === 'error')) ? 1 : 0;
}
