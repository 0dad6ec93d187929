/** Producers: the only way jobs are added, each with a deterministic id so re-adding is a no-op. */
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import { jobId } from './names.ts';
import type { DigestInput } from '../notify/digest.ts';
import type { AnswerJob, CommandJob, FeedPollJob, RetriageJob, SlackJob, VerifyJob } from './payloads.ts';

export interface Queues {
  feed: Queue<FeedPollJob>;
  retriage: Queue<RetriageJob>;
  slack: Queue<SlackJob>;
  commands: Queue<CommandJob>;
}

export interface RetryPolicy {
  attempts: number;
  /** First backoff delay in ms (exponential). */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, backoffMs: 2_000 };

export function jobOptions(retry: RetryPolicy): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 5_000 },
    // Failed jobs stay for an operator to see (and retry) for a week.
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export { deliverFrom } from '../notify/plan.ts';

export interface Producers {
  /**
   * Bring the advisory's message in `channel` to the state `hash` (the channel's render hash).
   * `from` names the message as it is now (`deliverFrom`; null: not posted): the job id names the
   * transition, so replicas and retries computing the same change add one job, and a later return
   * to an earlier state (an upgrade rolled back, then redone) is a new job, not a completed duplicate.
   */
  deliver(advisory: string, channel: string, hash: string, from?: string | null): Promise<void>;
  acknowledged(advisory: string, channel: string, user: string): Promise<void>;
  /** The first-run digest of `channel`: one job per channel, ever (its post is claimed like an advisory's). */
  digest(channel: string, digest: DigestInput): Promise<void>;
  answer(job: AnswerJob): Promise<void>;
  /** One verification request: its own job, so two requests are two runs. */
  verify(job: VerifyJob): Promise<void>;
  pollNow(): Promise<void>;
  /** One fleet re-triage now (besides the `fleet-retriage` schedule). */
  retriageNow(): Promise<void>;
}

export function createProducers(queues: Queues, retry: RetryPolicy = DEFAULT_RETRY): Producers {
  const opts = jobOptions(retry);
  return {
    async deliver(advisory, channel, hash, from) {
      const parts = ['deliver', advisory, channel, hash.slice(0, 16), ...(from === undefined ? [] : [from ?? 'new'])];
      await queues.slack.add('deliver', { kind: 'deliver', advisory, channel, hash }, { ...opts, jobId: jobId(...parts) });
    },
    async acknowledged(advisory, channel, user) {
      await queues.slack.add('acknowledged', { kind: 'acknowledged', advisory, channel, user }, { ...opts, jobId: jobId('ack', advisory, channel) });
    },
    async digest(channel, digest) {
      await queues.slack.add('digest', { kind: 'digest', channel, digest }, { ...opts, jobId: jobId('digest', channel) });
    },
    async answer(job) {
      // Each command invocation is its own job: two people asking the same thing get two answers.
      await queues.commands.add('answer', job, { ...opts, attempts: 3, jobId: jobId('answer', job.command.kind, randomUUID()) });
    },
    async verify(job) {
      await queues.commands.add('verify', job, { ...opts, attempts: 3, jobId: jobId('verify', randomUUID()) });
    },
    async pollNow() {
      await queues.feed.add('poll', { reason: 'manual' }, { ...opts, attempts: 3, jobId: jobId('poll', 'manual', randomUUID()) });
    },
    async retriageNow() {
      // Two requests are two runs; what they deliver is deduplicated by the deliver job ids.
      await queues.retriage.add('retriage', { reason: 'manual' }, { ...opts, attempts: 3, jobId: jobId('retriage', 'manual', randomUUID()) });
    },
  };
}
