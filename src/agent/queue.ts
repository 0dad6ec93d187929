/**
 * Names shared by the hub and the agents. One BullMQ queue per cluster; the cluster name is the
 * hash tag so every key of one queue lands in one Redis Cluster slot.
 */
import { z } from 'zod';
import { storeKey } from '../store/keys.ts';
import { UsageError } from '../errors.ts';

const CLUSTER_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function assertClusterName(cluster: string): string {
  if (!CLUSTER_RE.test(cluster)) {
    throw new UsageError(`"${cluster}" is not a valid cluster name`, 'cluster names are lowercase letters, digits and "-" (like "prod-eu")');
  }
  return cluster;
}

/** "agent-{prod-us}": no ":" (BullMQ refuses it), braces make the cluster the hash tag. */
export function agentQueueName(cluster: string): string {
  return `agent-{${assertClusterName(cluster)}}`;
}

/** Live heartbeat (expires with its TTL) and last-seen record (kept) of a cluster's agent. */
export function heartbeatKey(prefix: string, cluster: string): string {
  return storeKey(prefix, 'agent', `{${assertClusterName(cluster)}}`, 'heartbeat');
}

export function lastSeenKey(prefix: string, cluster: string): string {
  return storeKey(prefix, 'agent', `{${assertClusterName(cluster)}}`, 'last-seen');
}

export const JOB_NAMES = ['verify', 'inventory'] as const;
export type AgentJobName = (typeof JOB_NAMES)[number];

export const agentJobSchema = z.object({
  cluster: z.string(),
  /** Who asked (Slack user id, "cli", "scheduler"), for logs. */
  requestedBy: z.string().optional(),
  requestedAt: z.string(),
});
export type AgentJobData = z.infer<typeof agentJobSchema>;

/** Job ids: no ":" and never all digits (BullMQ rules); unique per request. */
export function agentJobId(kind: AgentJobName, cluster: string, requestId: string): string {
  const id = `${kind}-${assertClusterName(cluster)}-${requestId}`.replace(/:/g, '-');
  return /^\d+$/.test(id) ? `j-${id}` : id;
}
