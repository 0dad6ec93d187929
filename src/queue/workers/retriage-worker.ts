/**
 * The retriage queue: every stored advisory triaged again against the fleet as it is now (one run
 * per `fleet-retriage` scheduler tick, or `hub.retriageNow()`), so upgrades, lagging node pools,
 * new and end-of-life clusters reach the advisory threads without the feed changing. Results go
 * through the feed's snapshot and delivery path: a channel whose clusters' findings changed gets
 * its message updated with one thread reply, a channel that newly has affected clusters gets its
 * first post, every other channel nothing. The fleet posture (Home tab, /k8s clusters) is
 * refreshed from the same run.
 *
 * Replicas and retries: the snapshot is replaced compare-and-set (a feed poll's newer advisory
 * text is never overwritten), and deliver job ids name the transition, so two runs computing the
 * same change add one job.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from '../../log.ts';
import { routeFindings } from '../../hub/routing.ts';
import { snapshotHash } from '../../store/advisory-snapshots.ts';
import { retriageJobSchema } from '../payloads.ts';
import { CVE_RE, type FeedProcessorDeps, createDelivery, fleetSnapshot } from './feed-worker.ts';

export type RetriageProcessorDeps = Pick<FeedProcessorDeps, 'config' | 'triage' | 'snapshots' | 'posts' | 'producers' | 'logger' | 'now'>;

export interface RetriageResult {
  advisories: number;
  changed: number;
  jobs: number;
  /** Advisories a feed poll re-stored while this run triaged them: the poll's result stands. */
  superseded: number;
}

export function createRetriageProcessor(deps: RetriageProcessorDeps) {
  const deliverTo = createDelivery(deps);

  const retriage = async (log: Logger): Promise<RetriageResult> => {
    const known = (await deps.snapshots.list()).filter((s) => CVE_RE.test(s.advisory.id));
    const before = new Map(known.map((s) => [s.advisory.id, s]));
    // Triage runs even with no advisory: it refreshes the fleet posture.
    const result = await deps.triage(known.map((s) => s.advisory));
    const at = deps.now().toISOString();
    await deps.snapshots.putFleet(fleetSnapshot(result, at));

    let changed = 0;
    let jobs = 0;
    let superseded = 0;
    for (const advisory of result.advisories) {
      const prev = before.get(advisory.id);
      if (prev === undefined) continue;
      const findings = result.findings.filter((f) => f.advisory === advisory.id);
      const hash = snapshotHash(advisory, findings);
      const relevant = new Set(routeFindings(deps.config, findings).keys());
      let newChannels = prev.newChannels ?? [];
      if (hash !== prev.hash) {
        // Only channels that were not relevant before get a first post: an advisory recorded
        // silently (a first-run backlog) is not announced merely because the fleet was re-read.
        const wasRelevant = new Set(routeFindings(deps.config, prev.findings).keys());
        newChannels = [...relevant].filter((c) => !wasRelevant.has(c)).sort();
        const snapshot = { advisory, findings, hash, updatedAt: at, ...(newChannels.length > 0 ? { newChannels } : {}) };
        if (!(await deps.snapshots.replace(snapshot, prev.hash))) {
          superseded++;
          continue;
        }
        changed++;
      }
      // Unchanged advisories are checked too (each channel compares hashes, nothing more): a run
      // that died after storing the snapshot and before queueing its deliveries completes here.
      const channels = new Set([...(await deps.posts.channels(advisory.id)), ...newChannels.filter((c) => relevant.has(c))]);
      jobs += await deliverTo(advisory, findings, hash, channels);
    }
    log.info({ advisories: known.length, changed, jobs, superseded }, 'fleet retriage done');
    return { advisories: known.length, changed, jobs, superseded };
  };

  return async (job: Job): Promise<RetriageResult> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = retriageJobSchema.safeParse(job.data ?? {});
    if (!parsed.success) throw new UnrecoverableError(`malformed retriage job: ${parsed.error.message}`);
    return retriage(log);
  };
}
