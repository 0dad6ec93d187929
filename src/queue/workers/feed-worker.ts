/**
 * The feed queue: one poll per scheduler tick (one replica runs it). The stages, with data
 * between them:
 *
 *   watch (source.poll → new/changed advisories) → triage → notify (planDeliveries) →
 *   store the views, queue the deliveries → source.commit
 *
 * The source's state is committed only once the deliveries are queued (deterministic job ids):
 * a poll that dies half-way is reported again and re-plans the same jobs. This worker does the
 * I/O; the decisions are src/notify/plan.ts's. The fleet re-triage (retriage-worker.ts) shares
 * `readPreviousPosts` and `queueDeliveries`.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Advisory } from '../../advisory/types.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { yieldToEventLoop } from '../../hub/pipeline.ts';
import { type Delivery, type PlanMode, type Planner, type PreviousPost, type PreviousView, createPlanner } from '../../notify/plan.ts';
import { createRouting } from '../../notify/routing.ts';
import type { Finding, TriageResult } from '../../triage/types.ts';
import type { FleetSnapshot, SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { PostStore } from '../../store/posts.ts';
import { feedPollJobSchema } from '../payloads.ts';
import type { Producers } from '../producers.ts';

export interface SourceBatch {
  /** Advisories new or changed since the last commit (repeating unchanged ones is harmless). */
  advisories: Advisory[];
  /** The source knew nothing before this poll: everything is "new" (a backlog, not news). */
  firstRun?: boolean;
  /** Advisories the source knows in all (for the first-run digest); default `advisories.length`. */
  known?: number;
  /**
   * Ids among `advisories` known from Slack alone after Redis lost its data: their threads are
   * kept up to date, and they are posted nowhere else (a first-run digest listed them).
   */
  recovered?: string[];
}

/**
 * Where advisories come from. `poll` reads what is new or changed and saves nothing; `commit`
 * remembers a polled batch as seen, once its deliveries are queued.
 */
export interface AdvisorySource {
  poll(): Promise<SourceBatch>;
  commit(batch: SourceBatch): Promise<void>;
}

/**
 * Triage advisories against the fleet (main.ts binds inventories, calendar and now). An
 * implementation may hand the findings to `onFindings` chunk by chunk (clusters in name order)
 * and return an empty `findings`; one that ignores it returns them all in the result.
 */
export type TriageFn = (advisories: Advisory[], onFindings?: (findings: Finding[]) => void) => Promise<TriageResult>;

export interface FeedProcessorDeps {
  config: Pick<Config, 'slack' | 'clusters'>;
  source: AdvisorySource;
  triage: TriageFn;
  snapshots: SnapshotStore;
  posts: PostStore;
  producers: Producers;
  logger: Logger;
  now: () => Date;
  /** Post the advisories of a source's first run too (default false: one digest per channel instead). */
  announceBacklog?: boolean;
}

export interface PollResult {
  advisories: number;
  changed: number;
  jobs: number;
  backlog: boolean;
}

export const CVE_RE = /^CVE-\d{4}-\d{4,7}$/;

export function fleetSnapshot(result: TriageResult, at: string): FleetSnapshot {
  return { clusters: result.clusters, releaseData: result.releaseData, warnings: result.warnings, updatedAt: at };
}

/** The parent post records of these advisories, per channel (every channel that ever had a claim). */
export async function readPreviousPosts(posts: PostStore, ids: readonly string[]): Promise<Map<string, Map<string, PreviousPost>>> {
  const out = new Map<string, Map<string, PreviousPost>>();
  await Promise.all(ids.map(async (advisory) => {
    const channels = await posts.channels(advisory);
    const records = await Promise.all(channels.map(async (channel) => [channel, await posts.get({ advisory, channel })] as const));
    const perChannel = new Map<string, PreviousPost>();
    for (const [channel, r] of records) {
      if (r !== null) perChannel.set(channel, { state: r.state, hash: r.hash, rev: r.rev, releases: r.releases });
    }
    if (perChannel.size > 0) out.set(advisory, perChannel);
  }));
  return out;
}

export async function queueDeliveries(producers: Producers, deliveries: readonly Delivery[]): Promise<void> {
  await Promise.all(deliveries.map((d) => (d.kind === 'deliver'
    ? producers.deliver(d.advisory, d.channel, d.hash, d.from)
    : producers.digest(d.channel, d.digest))));
}

/**
 * Triage with the findings going straight into the planner as they come (streamed), or, from a
 * triage that returns them all, in slices: routing a large fleet never holds the event loop.
 */
export async function triageInto(planner: Planner, triage: TriageFn, advisories: Advisory[], slice = 2_000): Promise<TriageResult> {
  let streamed = false;
  const result = await triage(advisories, (chunk) => {
    streamed = true;
    planner.addFindings(chunk);
  });
  if (!streamed) {
    for (let i = 0; i < result.findings.length; i += slice) {
      planner.addFindings(result.findings.slice(i, i + slice));
      await yieldToEventLoop();
    }
  }
  return result;
}

export function createFeedProcessor(deps: FeedProcessorDeps) {
  const routing = createRouting(deps.config);

  const handleBatch = async (batch: SourceBatch, log: Logger): Promise<PollResult> => {
    const backlog = batch.firstRun === true && deps.announceBacklog !== true;
    const valid = batch.advisories.filter((a) => CVE_RE.test(a.id));
    if (valid.length < batch.advisories.length) log.warn({ skipped: batch.advisories.length - valid.length }, 'advisories without a CVE id skipped');
    if (valid.length === 0) {
      log.debug('feed poll: nothing new');
      return { advisories: 0, changed: 0, jobs: 0, backlog };
    }
    // The known advisories are triaged again beside the new ones: a cluster's one remediation
    // ("recommended vX, clears all N open advisories", shown in every post) counts every open
    // advisory, and a new one can change it in the threads of the others.
    const heads = await deps.snapshots.listHeads();
    const batchIds = new Set(valid.map((a) => a.id));
    const others = heads.filter((h) => !batchIds.has(h.advisory.id) && CVE_RE.test(h.advisory.id));
    const known = new Map<string, PreviousView>(others.map((h) => [h.advisory.id, {
      hash: h.hash, affected: new Set(h.affected), ...(h.newChannels ? { newChannels: h.newChannels } : {}),
    }]));
    const headHash = new Map(heads.map((h) => [h.advisory.id, h.hash]));
    const previousPosts = await readPreviousPosts(deps.posts, [...valid, ...others.map((h) => h.advisory)].map((a) => a.id));
    const mode: PlanMode = backlog
      ? { kind: 'backlog', known: batch.known ?? valid.length }
      : { kind: 'feed', known, ...(batch.recovered ? { recovered: new Set(batch.recovered) } : {}) };
    const planner = createPlanner(previousPosts, routing, mode);
    const result = await triageInto(planner, deps.triage, [...valid, ...others.map((h) => h.advisory)]);
    planner.setRemediations(result.clusters);
    const at = deps.now().toISOString();
    await deps.snapshots.putFleet(fleetSnapshot(result, at), { advisories: valid.length + others.length });
    const advisories = result.advisories.filter((a) => CVE_RE.test(a.id));

    let jobs = 0;
    let changed = 0;
    for (const advisory of advisories) {
      const plan = planner.planAdvisory(advisory);
      const prev = known.get(advisory.id);
      if (prev !== undefined) {
        // A known advisory, as a re-triage stores it: compare-and-set, so a newer view stands.
        if (plan.changed && !(await deps.snapshots.putView(plan.view, at, prev.hash))) continue;
        if (plan.changed) changed++;
      } else if (headHash.get(advisory.id) !== plan.view.hash) {
        // The view first: a deliver job renders from it. An unchanged one (a repeated batch) is not rewritten.
        changed++;
        await deps.snapshots.putView(plan.view, at);
      }
      await queueDeliveries(deps.producers, plan.deliveries);
      jobs += plan.deliveries.length;
      await yieldToEventLoop();
    }
    const digests = planner.digests();
    await queueDeliveries(deps.producers, digests);
    jobs += digests.length;
    log.info({ advisories: advisories.length, changed, jobs, backlog, digests: digests.length }, 'feed poll done');
    return { advisories: advisories.length, changed, jobs, backlog };
  };

  return async (job: Job): Promise<PollResult> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = feedPollJobSchema.safeParse(job.data ?? {});
    if (!parsed.success) throw new UnrecoverableError(`malformed poll job: ${parsed.error.message}`);
    const batch = await deps.source.poll();
    const out = await handleBatch(batch, log);
    await deps.source.commit(batch);
    return out;
  };
}
