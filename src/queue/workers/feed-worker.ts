/**
 * The feed queue: one poll per scheduler tick (one replica runs it). Poll → triage → snapshot →
 * one `deliver` job per relevant channel. Decisions come from our own snapshots, not from the
 * source's idea of "new": a source that repeats advisories, or a poll retried after a crash,
 * only re-adds jobs whose ids already exist or whose posts are already claimed.
 *
 * The fleet re-triage (retriage-worker.ts) delivers through `createDelivery` too.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Advisory } from '../../advisory/types.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { Finding, TriageResult } from '../../triage/types.ts';
import { findingsForChannel, routeFindings } from '../../hub/routing.ts';
import { type FleetSnapshot, snapshotHash, type SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { PostStore } from '../../store/posts.ts';
import { feedPollJobSchema } from '../payloads.ts';
import { type Producers, deliverFrom } from '../producers.ts';

export interface SourceBatch {
  /** Advisories new or changed since the last poll (repeating unchanged ones is harmless). */
  advisories: Advisory[];
  /** The source knew nothing before this poll: everything is "new" (a backlog, not news). */
  firstRun?: boolean;
}

/**
 * Where advisories come from. `poll` calls `handle` with what is new, and commits its own
 * "seen" state only after `handle` resolved: a poll that dies half-way is reported again.
 */
export interface AdvisorySource {
  poll(handle: (batch: SourceBatch) => Promise<void>): Promise<void>;
}

/** Triage advisories against the fleet (main.ts binds inventories, calendar and now). */
export type TriageFn = (advisories: Advisory[]) => Promise<TriageResult>;

export interface FeedProcessorDeps {
  config: Pick<Config, 'slack' | 'clusters'>;
  source: AdvisorySource;
  triage: TriageFn;
  snapshots: SnapshotStore;
  posts: PostStore;
  producers: Producers;
  logger: Logger;
  now: () => Date;
  /** Post the advisories of a source's first run too (default false: store them, post only later changes). */
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

/**
 * Queue a `deliver` for each of `channels` whose message does not show this advisory × channel
 * yet. A message is compared on its channel's own hash (the advisory and that channel's
 * findings), so a change in another environment's clusters leaves it alone. Returns the jobs added.
 */
export function createDelivery(deps: Pick<FeedProcessorDeps, 'config' | 'posts' | 'producers'>) {
  return async (advisory: Advisory, findings: readonly Finding[], wholeHash: string, channels: Iterable<string>): Promise<number> => {
    let jobs = 0;
    for (const channel of channels) {
      const hash = snapshotHash(advisory, findingsForChannel(deps.config, findings, channel));
      const record = await deps.posts.get({ advisory: advisory.id, channel });
      // Records written before channel hashes carry the whole snapshot's hash: equal means up to date too.
      if (record?.state === 'posted' && (record.hash === hash || record.hash === wholeHash)) continue;
      await deps.producers.deliver(advisory.id, channel, hash, record?.state === 'posted' ? deliverFrom(record) : null);
      jobs++;
    }
    return jobs;
  };
}

export function createFeedProcessor(deps: FeedProcessorDeps) {
  const deliverTo = createDelivery(deps);

  const handleBatch = async (batch: SourceBatch, log: Logger): Promise<PollResult> => {
    const backlog = batch.firstRun === true && deps.announceBacklog !== true;
    const valid = batch.advisories.filter((a) => CVE_RE.test(a.id));
    if (valid.length < batch.advisories.length) log.warn({ skipped: batch.advisories.length - valid.length }, 'advisories without a CVE id skipped');
    if (valid.length === 0) {
      log.debug('feed poll: nothing new');
      return { advisories: 0, changed: 0, jobs: 0, backlog };
    }
    const result = await deps.triage(valid);
    const at = deps.now().toISOString();
    await deps.snapshots.putFleet(fleetSnapshot(result, at));

    let changed = 0;
    let jobs = 0;
    for (const advisory of result.advisories) {
      if (!CVE_RE.test(advisory.id)) continue;
      const findings = result.findings.filter((f) => f.advisory === advisory.id);
      const hash = snapshotHash(advisory, findings);
      const prev = await deps.snapshots.get(advisory.id);
      if (prev?.hash !== hash) {
        changed++;
        await deps.snapshots.put({ advisory, findings, hash, updatedAt: at });
      }
      // A backlog is recorded (for /k8s advisories, triage, Home) but not announced.
      if (backlog) continue;
      // Channels affected now, plus channels that already carry a post (they get the update too).
      const channels = new Set([...routeFindings(deps.config, findings).keys(), ...(await deps.posts.channels(advisory.id))]);
      jobs += await deliverTo(advisory, findings, hash, channels);
    }
    log.info({ advisories: result.advisories.length, changed, jobs, backlog }, 'feed poll done');
    return { advisories: result.advisories.length, changed, jobs, backlog };
  };

  return async (job: Job): Promise<PollResult> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = feedPollJobSchema.safeParse(job.data ?? {});
    if (!parsed.success) throw new UnrecoverableError(`malformed poll job: ${parsed.error.message}`);

    let out: PollResult = { advisories: 0, changed: 0, jobs: 0, backlog: false };
    await deps.source.poll(async (batch) => {
      out = await handleBatch(batch, log);
    });
    return out;
  };
}
