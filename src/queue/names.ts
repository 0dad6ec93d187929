/**
 * Queue names and job ids. All queues of one deployment live under one BullMQ prefix wrapped in a
 * hash tag (`{k8s-advisor}`), so every key of every queue lands in one Redis Cluster slot.
 * Job ids never contain ":" and are never all digits (BullMQ reserves both).
 */
import { hashTagged } from '../store/redis-connection.ts';

export const QUEUE_NAMES = {
  /** Feed polls: one job per scheduler tick, run by one replica. */
  feed: 'feed',
  /** Fleet re-triage runs: one job per scheduler tick (or `retriageNow`), run by one replica. */
  retriage: 'retriage',
  /** Posts, thread replies and message updates in Slack. */
  slack: 'slack',
  /** Slow slash-command answers (via response_url). */
  commands: 'commands',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** The one job scheduler id for feed polling: upserting it from every replica keeps one schedule. */
export const FEED_SCHEDULER_ID = 'feed-poll';

/**
 * The one job scheduler id (on the retriage queue) for re-triaging every known advisory against
 * the fleet as it is now: upgrades, lagging node pools, new or end-of-life clusters.
 */
export const RETRIAGE_SCHEDULER_ID = 'fleet-retriage';

/** The BullMQ prefix: the key prefix as a hash tag (kept when it is one already, so stores and queues share a slot). */
export function bullPrefix(prefix: string): string {
  return hashTagged(prefix);
}

/** A BullMQ-safe job id from parts: unsafe characters become "_", parts joined by "-". */
export function jobId(...parts: string[]): string {
  const id = parts.map((p) => p.replace(/[^A-Za-z0-9._-]/g, '_')).join('-');
  return /^\d+$/.test(id) ? `j-${id}` : id;
}
