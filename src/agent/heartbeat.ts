/**
 * Agent liveness in Redis: a key with a TTL the agent refreshes (alive while it exists) and a
 * last-seen record without one, so the hub can say "no agent seen for prod-us since …".
 */
import type { RedisClient as Redis } from '../store/redis-connection.ts';
import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { heartbeatKey, lastSeenKey } from './queue.ts';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
/** Three missed beats and the agent counts as gone. */
export const DEFAULT_HEARTBEAT_TTL_MS = 30_000;

export const heartbeatSchema = z.object({
  cluster: z.string(),
  /** Hostname/pod name of the agent. */
  agent: z.string(),
  pid: z.number().optional(),
  version: z.string().optional(),
  at: z.string(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

export interface AgentStatus {
  cluster: string;
  alive: boolean;
  /** Last heartbeat ever seen (alive or not), or null when none was ever recorded. */
  lastSeen: Heartbeat | null;
}

export async function publishHeartbeat(redis: Redis, prefix: string, beat: Heartbeat, ttlMs = DEFAULT_HEARTBEAT_TTL_MS): Promise<void> {
  const value = JSON.stringify(beat);
  await redis.multi()
    .set(heartbeatKey(prefix, beat.cluster), value, 'PX', ttlMs)
    .set(lastSeenKey(prefix, beat.cluster), value)
    .exec();
}

function parse(text: string | null): Heartbeat | null {
  if (text === null) return null;
  try {
    const parsed = heartbeatSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function readAgentStatus(redis: Redis, prefix: string, cluster: string): Promise<AgentStatus> {
  const [live, seen] = await redis.mget(heartbeatKey(prefix, cluster), lastSeenKey(prefix, cluster));
  const alive = parse(live ?? null);
  return { cluster, alive: alive !== null, lastSeen: alive ?? parse(seen ?? null) };
}

/** "no agent seen for prod-us since 2025-01-02T03:04:05Z; is the agent running?" */
export function missingAgentMessage(status: AgentStatus): string {
  const since = status.lastSeen ? ` since ${status.lastSeen.at} (last: ${status.lastSeen.agent})` : ' ever';
  return `no agent seen for ${status.cluster}${since}; is the agent running? (k8s-advisor agent --cluster ${status.cluster})`;
}

export interface HeartbeatHandle {
  /** Stop beating; `forget` deletes the live key so the hub notices at once (graceful shutdown). */
  stop(options?: { forget?: boolean }): Promise<void>;
}

export interface StartHeartbeatOptions {
  redis: Redis;
  prefix: string;
  cluster: string;
  agent: string;
  version?: string;
  intervalMs?: number;
  ttlMs?: number;
  logger?: Logger;
  now?: () => Date;
}

/** Beat now, then every `intervalMs`. Failures are logged and retried on the next beat. */
export async function startHeartbeat(options: StartHeartbeatOptions): Promise<HeartbeatHandle> {
  const interval = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const ttl = options.ttlMs ?? Math.max(DEFAULT_HEARTBEAT_TTL_MS, interval * 3);
  const now = options.now ?? (() => new Date());
  const beat = () => publishHeartbeat(options.redis, options.prefix, {
    cluster: options.cluster,
    agent: options.agent,
    pid: process.pid,
    ...(options.version ? { version: options.version } : {}),
    at: now().toISOString(),
  }, ttl);
  await beat();
  const timer = setInterval(() => {
    beat().catch((err: unknown) => options.logger?.warn({ cluster: options.cluster, err: errorMessage(err) }, 'heartbeat failed'));
  }, interval);
  timer.unref();
  return {
    async stop(stopOptions = {}) {
      clearInterval(timer);
      if (stopOptions.forget) await options.redis.del(heartbeatKey(options.prefix, options.cluster)).catch(() => 0);
    },
  };
}
