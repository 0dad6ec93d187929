/** Producers: the only way jobs are added, each with a deterministic id so re-adding is a no-op. */
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import { jobId } from './names.ts';
import type { AnswerJob, CommandJob, FeedPollJob, SlackJob, VerifyJob } from './payloads.ts';

export interface Queues {
  feed: Queue<FeedPollJob>;
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

export interface Producers {
  deliver(advisory: string, channel: string, hash: string): Promise<void>;
  acknowledged(advisory: string, channel: string, user: string): Promise<void>;
  answer(job: AnswerJob): Promise<void>;
  /** One verification request: its own job, so two requests are two runs. */
  verify(job: VerifyJob): Promise<void>;
  pollNow(): Promise<void>;
}

export function createProducers(queues: Queues, retry: RetryPolicy = DEFAULT_RETRY): Producers {
  const opts = jobOptions(retry);
  return {
    async deliver(advisory, channel, hash) {
      await queues.slack.add('deliver', { kind: 'deliver', advisory, channel, hash }, { ...opts, jobId: jobId('deliver', advisory, channel, hash.slice(0, 16)) });
    },
    async acknowledged(advisory, channel, user) {
      await queues.slack.add('acknowledged', { kind: 'acknowledged', advisory, channel, user }, { ...opts, jobId: jobId('ack', advisory, channel) });
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
  };
}
