/**
 * Instrumentation at the seams that already exist, so no stage needs to know about metrics:
 * the feed fetch and the parser the composition root passes in, BullMQ worker events, and the
 * verification reports the dispatcher returns.
 */
import type { Job, Worker } from 'bullmq';
import type { Advisory } from '../advisory/types.ts';
import { AdvisorError } from '../errors.ts';
import type { VerifyReport } from '../verify/types.ts';
import type { Metrics } from './metrics.ts';

/** What the wrapper needs to tell a 304 from a new body; fetchFeed's result satisfies it. */
interface FetchResultLike { notModified: boolean }

/**
 * Counts polls by result and errors by code, and reports each success (modified or 304) to
 * `onSuccess` (the readiness check's shared "last fetched" time).
 */
export function instrumentFetch<A extends unknown[], R extends FetchResultLike>(
  fetch: (...args: A) => Promise<R>,
  metrics: Pick<Metrics, 'feedPolls' | 'feedErrors'>,
  onSuccess: (at: Date) => void | Promise<void> = () => {},
  now: () => Date = () => new Date(),
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    let result: R;
    try {
      result = await fetch(...args);
    } catch (err) {
      metrics.feedPolls.inc({ result: 'error' });
      metrics.feedErrors.inc({ code: errorCode(err) });
      throw err;
    }
    metrics.feedPolls.inc({ result: result.notModified ? 'not_modified' : 'modified' });
    // Recording the time must never fail the poll itself (Redis hiccup): the next poll records again.
    await Promise.resolve(onSuccess(now())).catch(() => {});
    return result;
  };
}

/** Stable codes only (FEED_TIMEOUT …); anything else is "other", keeping the label bounded. */
export function errorCode(err: unknown): string {
  return err instanceof AdvisorError && /^[A-Z][A-Z0-9_]{1,40}$/.test(err.code) ? err.code : 'other';
}

export function instrumentParse<I>(parse: (item: I) => Advisory[], metrics: Pick<Metrics, 'advisoriesParsed'>): (item: I) => Advisory[] {
  return (item) => {
    const advisories = parse(item);
    for (const a of advisories) metrics.advisoriesParsed.inc({ confidence: a.parse.confidence });
    return advisories;
  };
}

/** Slack job results as label values (Prometheus style: snake_case). */
const SLACK_RESULTS = new Set(['posted', 'updated', 'up-to-date', 'not-relevant', 'acknowledged']);

function slackChannel(job: Job | undefined): string | null {
  const data: unknown = job?.data;
  if (typeof data !== 'object' || data === null) return null;
  const channel = (data as { channel?: unknown }).channel;
  // Channel ids only (C…/G…/D…): a malformed job must not mint arbitrary label values.
  return typeof channel === 'string' && /^[CGD][A-Z0-9]{2,20}$/.test(channel) ? channel : null;
}


/**
 * Job durations and failures of one worker; for the Slack queue also deliveries and failed
 * deliveries per channel. `queue` names the label (the worker's queue name by default).
 */
export function observeWorker(worker: Worker, metrics: Metrics, queue: string = worker.name): void {
  const isSlack = queue === 'slack';
  // Timed from this worker's own 'active' event: BullMQ's processedOn/finishedOn are not always
  // filled in on the job object the events carry.
  const started = new Map<string, number>();
  const attemptSeconds = (job: Job): number | null => {
    const t = started.get(job.id ?? '');
    started.delete(job.id ?? '');
    return t === undefined ? null : (performance.now() - t) / 1000;
  };
  worker.on('active', (job: Job) => { started.set(job.id ?? '', performance.now()); });
  worker.on('completed', (job: Job, result: unknown) => {
    const s = attemptSeconds(job);
    if (s !== null) metrics.jobDuration.observe({ queue, outcome: 'completed' }, s);
    if (isSlack) {
      const channel = slackChannel(job);
      if (channel !== null && typeof result === 'string' && SLACK_RESULTS.has(result)) {
        metrics.slackDeliveries.inc({ channel, result: result.replaceAll('-', '_') });
      }
    }
    if (isVerifyReport(result)) recordVerifyReport(metrics, result);
  });
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (job === undefined) return;
    const s = attemptSeconds(job);
    if (s !== null) metrics.jobDuration.observe({ queue, outcome: 'failed' }, s);
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
    metrics.jobFailures.inc({ queue, final: String(final) });
    const channel = isSlack ? slackChannel(job) : null;
    if (final && channel !== null) metrics.slackDeliveryFailures.inc({ channel });
  });
}

function isVerifyReport(value: unknown): value is VerifyReport {
  return typeof value === 'object' && value !== null && Array.isArray((value as { probes?: unknown }).probes)
    && typeof (value as { cluster?: unknown }).cluster === 'string';
}

const PROBE_STATUSES = new Set(['pass', 'warn', 'fail', 'skip', 'error']);
const RANK = ['error', 'fail', 'warn', 'skip', 'pass'];

export function recordVerifyReport(metrics: Pick<Metrics, 'probeDuration' | 'probeResults' | 'verifyRuns'>, report: VerifyReport): void {
  let worst = 'pass';
  for (const p of report.probes) {
    if (!PROBE_STATUSES.has(p.status)) continue;
    metrics.probeResults.inc({ probe: p.id, status: p.status });
    if (typeof p.durationMs === 'number') metrics.probeDuration.observe({ probe: p.id }, p.durationMs / 1000);
    if (RANK.indexOf(p.status) < RANK.indexOf(worst)) worst = p.status;
  }
  metrics.verifyRuns.inc({ cluster: report.cluster, status: report.probes.length === 0 ? 'error' : worst });
}
