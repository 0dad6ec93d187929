/**
 * Slack failures → BullMQ semantics, in one place:
 * - 429: the job goes back to `delayed` for Retry-After (not counted as an attempt);
 * - our own pace (SLACK_PACED, src/slack/pace.ts): likewise, until the slot it reserved;
 * - a permanent Slack error (bad token, unknown channel, invalid blocks): UnrecoverableError, the job
 *   fails at once and stays in the failed set for an operator, with the reason and a hint;
 * - anything else: rethrown, BullMQ retries with exponential backoff, then leaves it failed.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { AdvisorError, SlackError } from '../../errors.ts';
import type { Logger } from '../../log.ts';

export async function withSlackSemantics<T>(job: Job, token: string | undefined, logger: Logger, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const paced = err instanceof SlackError && err.code === 'SLACK_PACED';
    if (err instanceof SlackError && (paced || err.code === 'SLACK_RATE_LIMITED') && err.retryAfterMs !== undefined) {
      // Our own pace (src/slack/pace.ts) is routine while a backlog drains, so not a warning; a 429 is.
      if (paced) logger.debug({ code: err.code, retryAfterMs: err.retryAfterMs }, 'slack call paced; job delayed until its slot');
      else logger.warn({ code: err.code, retryAfterMs: err.retryAfterMs }, 'slack rate limited; job delayed by Retry-After');
      await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
      throw new DelayedError();
    }
    if (err instanceof AdvisorError) {
      const retryable = err instanceof SlackError ? err.retryable : false;
      logger.warn({ code: err.code, reason: err.message, hint: err.hint, retryable, attempt: job.attemptsMade + 1 }, 'job step failed');
      if (!retryable) throw new UnrecoverableError(`${err.code}: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
    } else {
      logger.warn({ err, attempt: job.attemptsMade + 1 }, 'job step failed');
    }
    throw err;
  }
}
