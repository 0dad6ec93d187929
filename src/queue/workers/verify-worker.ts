/**
 * `verify` jobs on the commands queue (from `/k8s verify` and the advisory's Verify button):
 * post a progress message, update it as probes finish (throttled), replace it with the summary,
 * then one thread reply per cluster with its details, and audit the result.
 *
 * Each step is recorded in the job before the next one starts (`postingSince`, `progressTs`,
 * `reports`, `repliesPosted`): a job retried after a Slack error or a crash resumes where it
 * stopped, so clusters are not probed twice and nothing is posted twice.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { ClusterDispatcher } from '../../agent/dispatcher.ts';
import type { Config } from '../../config/schema.ts';
import { AdvisorError, SlackError, errorMessage } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { notice } from '../../slack/blocks/replies.ts';
import { LIMITS, esc } from '../../slack/blocks/text.ts';
import type { Responder } from '../../slack/respond.ts';
import { createThrottle } from '../../slack/throttle.ts';
import type { SlackApi } from '../../slack/web.ts';
import type { AuditLog } from '../../store/audit.ts';
import { clusterReportBlocks, verifyProgressMessage, verifySummaryMessage } from '../../verify/blocks.ts';
import { mapLimit } from '../../verify/pool.ts';
import { PROBE_IDS, countStatuses, worstStatus, type ProbeResult, type VerifyReport } from '../../verify/types.ts';
import type { VerifyJob } from '../payloads.ts';

/** What the hub needs of the cluster dispatcher (src/agent/dispatcher.ts). */
export type Verifier = Pick<ClusterDispatcher, 'verify'>;

export interface VerifyJobDeps {
  config: Pick<Config, 'clusters' | 'verify'>;
  verifier: Verifier;
  slack: Pick<SlackApi, 'postMessage' | 'update' | 'findByMarker'>;
  audit: AuditLog;
  respond: Responder;
  logger: Logger;
  /** Least time between two progress updates of one message (default 1000 ms). */
  updateEveryMs?: number;
  now?: () => Date;
}

export type VerifyJobResult = 'verified';

/** "pass 20, warn 2, fail 1, skip 3, error 0 · 2 clusters · failing: prod-us" — the audit detail. */
export function verifyResultDetail(reports: readonly VerifyReport[]): string {
  const c = countStatuses(reports.flatMap((r) => r.probes));
  const failing = reports.filter((r) => r.error !== undefined || ['fail', 'error'].includes(worstStatus(r.probes.map((p) => p.status)))).map((r) => r.cluster);
  const regressions = reports.reduce((n, r) => n + (r.comparison?.regressions.length ?? 0), 0);
  return `pass ${c.pass}, warn ${c.warn}, fail ${c.fail}, skip ${c.skip}, error ${c.error} · ${reports.length} cluster${reports.length === 1 ? '' : 's'}`
    + `${regressions > 0 ? ` · ${regressions} regression${regressions === 1 ? '' : 's'}` : ''}`
    + `${failing.length > 0 ? ` · failing: ${failing.join(', ')}` : ''}`;
}

/** Regressions first, then clusters that failed or could not be verified, then the rest by name. */
export function orderReports(reports: readonly VerifyReport[]): VerifyReport[] {
  const rank = (r: VerifyReport): number => {
    if ((r.comparison?.regressions.length ?? 0) > 0) return 0;
    if (r.error) return 1;
    const w = worstStatus(r.probes.map((p) => p.status));
    return w === 'fail' ? 1 : w === 'error' ? 2 : w === 'warn' ? 3 : 4;
  };
  return [...reports].sort((a, b) => rank(a) - rank(b) || a.cluster.localeCompare(b.cluster));
}

/** A report for a cluster whose verification threw (the dispatcher turns access and agent errors into reports itself). */
function failedReport(cluster: string, environment: string | undefined, err: unknown, at: Date): VerifyReport {
  return {
    cluster,
    ...(environment ? { environment } : {}),
    startedAt: at.toISOString(),
    durationMs: 0,
    probes: [],
    error: { code: err instanceof AdvisorError ? err.code : 'VERIFY_FAILED', message: `could not verify ${cluster}: ${errorMessage(err)}` },
  };
}

export function createVerifyJobRunner(deps: VerifyJobDeps) {
  const now = deps.now ?? (() => new Date());
  const everyMs = deps.updateEveryMs ?? 1_000;

  const save = async (job: Job, data: VerifyJob, patch: Partial<VerifyJob>): Promise<VerifyJob> => {
    const next = { ...data, ...patch };
    await job.updateData(next);
    return next;
  };

  /** The progress message: posted once (found again by its marker after a crash). */
  const progressMessage = async (job: Job, data: VerifyJob, marker: string): Promise<{ data: VerifyJob; ts: string }> => {
    if (data.progressTs) return { data, ts: data.progressTs };
    if (data.postingSince !== undefined) {
      const found = await deps.slack.findByMarker({ channel: data.channel, since: data.postingSince, marker, ...(data.threadTs ? { threadTs: data.threadTs } : {}) });
      if (found !== null) return { data: await save(job, data, { progressTs: found }), ts: found };
    }
    const started = await save(job, data, { postingSince: now().getTime() });
    const message = verifyProgressMessage({ target: data.target, clusters: data.clusters, requestedBy: data.user, finished: {} });
    let ts: string;
    try {
      ({ ts } = await deps.slack.postMessage({ channel: data.channel, text: message.text, blocks: message.blocks, marker, ...(data.threadTs ? { threadTs: data.threadTs } : {}) }));
    } catch (err) {
      // A channel the app cannot post in (a DM, a private channel it was not invited to): tell the user why.
      if (err instanceof SlackError && !err.retryable && data.responseUrl) {
        await deps.respond(data.responseUrl, notice(`:x: I cannot post in this channel (${esc(err.message)})${err.hint ? `: ${esc(err.hint)}` : ''}. Verification was not run.`))
          .catch(() => undefined);
      }
      throw err;
    }
    return { data: await save(job, started, { progressTs: ts }), ts };
  };

  const runClusters = async (data: VerifyJob, ts: string, log: Logger): Promise<VerifyReport[]> => {
    const envOf = new Map(deps.config.clusters.map((c) => [c.name, c.environment]));
    const finished = new Map<string, Map<string, ProbeResult>>();
    const done = new Set<string>();
    let probesPerCluster: number = PROBE_IDS.length;
    const throttle = createThrottle({
      everyMs,
      run: async () => {
        const message = verifyProgressMessage({
          target: data.target, clusters: data.clusters, requestedBy: data.user, probesPerCluster,
          finished: Object.fromEntries([...finished.entries()].map(([c, m]) => [c, [...m.values()]])),
        });
        await deps.slack.update({ channel: data.channel, ts, text: message.text, blocks: message.blocks });
      },
      // A missed progress update is harmless: the next one, or the summary, carries the state.
      onError: (err) => log.warn({ err: errorMessage(err) }, 'progress update failed'),
    });
    const reports = await mapLimit(data.clusters, deps.config.verify.concurrency, async (cluster) => {
      let report: VerifyReport;
      try {
        report = await deps.verifier.verify(cluster, {
          requestedBy: data.user,
          onProgress: (p) => {
            if (done.has(cluster)) return;
            const m = finished.get(cluster) ?? new Map<string, ProbeResult>();
            m.set(p.probe.id, p.probe);
            finished.set(cluster, m);
            probesPerCluster = p.total;
            throttle.request();
          },
        });
      } catch (err) {
        log.warn({ cluster, err: errorMessage(err) }, 'cluster verification failed');
        report = failedReport(cluster, envOf.get(cluster), err, now());
      }
      done.add(cluster);
      finished.set(cluster, new Map(report.probes.map((p) => [p.id, p])));
      throttle.request();
      return report;
    });
    await throttle.flush();
    return reports;
  };

  return async (job: Job, input: VerifyJob, log: Logger): Promise<VerifyJobResult> => {
    const known = new Set(deps.config.clusters.map((c) => c.name));
    const unknown = input.clusters.filter((c) => !known.has(c));
    if (unknown.length > 0) throw new UnrecoverableError(`verify job names clusters not in the config: ${unknown.join(', ')}`);
    const marker = `verify/${job.id ?? input.target}`;
    let data = input;

    const progress = await progressMessage(job, data, marker);
    data = progress.data;
    const ts = progress.ts;

    if (!data.reports) {
      log.info({ target: data.target, clusters: data.clusters.length }, 'verification started');
      const reports = await runClusters(data, ts, log);
      data = await save(job, data, { reports });
    }
    const reports = data.reports ?? [];

    const summary = verifySummaryMessage(data.target, reports, { requestedBy: data.user, details: false });
    await deps.slack.update({ channel: data.channel, ts, text: summary.text, blocks: summary.blocks });

    // Details in the thread: the advisory's thread for a button, else the summary's own.
    const threadTs = data.threadTs ?? ts;
    const ordered = orderReports(reports);
    for (let i = data.repliesPosted ?? 0; i < ordered.length; i++) {
      const report = ordered[i] as VerifyReport;
      const blocks = clusterReportBlocks(report).slice(0, LIMITS.blocksPerMessage);
      const c = countStatuses(report.probes);
      const text = report.error
        ? `${report.cluster}: not verified: ${report.error.message}`
        : `${report.cluster}: ${c.pass} pass, ${c.warn} warn, ${c.fail} fail, ${c.skip} skip, ${c.error} error`;
      await deps.slack.postMessage({ channel: data.channel, threadTs, text, blocks, marker: `${marker}/${report.cluster}` });
      data = await save(job, data, { repliesPosted: i + 1 });
    }

    const detail = verifyResultDetail(reports);
    await deps.audit.record({ user: data.user, kind: data.origin.kind, what: data.origin.what, result: 'ok', channel: data.channel, detail });
    log.info({ target: data.target, detail }, 'verification reported');
    return 'verified';
  };
}

/** After the last attempt: say so on the progress message (when there is one) and in the audit log. */
export async function reportVerifyFailure(deps: Pick<VerifyJobDeps, 'slack' | 'audit' | 'logger'>, data: VerifyJob, err: unknown): Promise<void> {
  const reason = errorMessage(err);
  if (data.progressTs) {
    const message = notice(`:x: Verification of *${esc(data.target)}* could not be completed: ${esc(reason)}`);
    await deps.slack.update({ channel: data.channel, ts: data.progressTs, text: message.text, blocks: message.blocks })
      .catch((e: unknown) => deps.logger.warn({ err: errorMessage(e) }, 'could not mark the progress message failed'));
  }
  await deps.audit.record({ user: data.user, kind: data.origin.kind, what: data.origin.what, result: 'error', channel: data.channel, detail: reason })
    .catch((e: unknown) => deps.logger.warn({ err: errorMessage(e) }, 'audit write failed'));
}
