/**
 * The fleet re-triage: every known advisory triaged again against the fleet as it is now
 * (upgrades, lagging node pools, new, removed and end-of-life clusters), planned by
 * src/notify/plan.ts in `retriage` mode: a channel whose findings changed gets its thread
 * updated, a channel with a newly affected cluster gets its first post (also for an advisory
 * that was only in the first-run backlog there), every other channel nothing. The fleet posture
 * (Home tab, /k8s clusters) is refreshed from the same run.
 *
 * Replicas and retries: a view is replaced compare-and-set (a feed poll's newer advisory text is
 * never overwritten), and deliver job ids name the transition, so two runs computing the same
 * change add one job.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from '../../log.ts';
import { type PreviousView, createPlanner } from '../../notify/plan.ts';
import { createRouting } from '../../notify/routing.ts';
import { retriageJobSchema } from '../payloads.ts';
import { yieldToEventLoop } from '../../hub/pipeline.ts';
import { CVE_RE, type FeedProcessorDeps, fleetSnapshot, queueDeliveries, readPreviousPosts, triageInto } from './feed-worker.ts';

export type RetriageProcessorDeps = Pick<FeedProcessorDeps, 'config' | 'triage' | 'snapshots' | 'posts' | 'producers' | 'logger' | 'now'>;

export interface RetriageResult {
  advisories: number;
  changed: number;
  jobs: number;
  /** Advisories a feed poll re-stored while this run triaged them: the poll's result stands. */
  superseded: number;
}

export function createRetriageProcessor(deps: RetriageProcessorDeps) {
  const routing = createRouting(deps.config);

  const retriage = async (log: Logger): Promise<RetriageResult> => {
    const known = (await deps.snapshots.listHeads()).filter((s) => CVE_RE.test(s.advisory.id));
    const previous = new Map<string, PreviousView>(known.map((s) => [s.advisory.id, {
      hash: s.hash, affected: new Set(s.affected), ...(s.newChannels ? { newChannels: s.newChannels } : {}),
    }]));
    const previousPosts = await readPreviousPosts(deps.posts, known.map((s) => s.advisory.id));
    const planner = createPlanner(previousPosts, routing, { kind: 'retriage', previous });
    // Triage runs even with no advisory: it refreshes the fleet posture.
    const result = await triageInto(planner, deps.triage, known.map((s) => s.advisory));
    planner.setRemediations(result.clusters);
    const at = deps.now().toISOString();
    // A feed poll that added advisories meanwhile stored a posture (and the remediations the
    // posts show) over more of them than this run knew: that one stands.
    if (!(await deps.snapshots.putFleet(fleetSnapshot(result, at), { advisories: known.length }))) {
      log.info({ advisories: known.length }, 'fleet posture left to a feed poll that counted more advisories');
    }

    let changed = 0;
    let jobs = 0;
    let superseded = 0;
    for (const advisory of result.advisories) {
      const prev = previous.get(advisory.id);
      if (prev === undefined) continue;
      const plan = planner.planAdvisory(advisory);
      if (plan.changed) {
        if (!(await deps.snapshots.putView(plan.view, at, prev.hash))) {
          superseded++;
          continue;
        }
        changed++;
      }
      // Unchanged advisories are planned too (each channel compares hashes, nothing more): a run
      // that died after storing the view and before queueing its deliveries completes here.
      await queueDeliveries(deps.producers, plan.deliveries);
      jobs += plan.deliveries.length;
      await yieldToEventLoop();
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
