/**
 * Verify reports per cluster in Redis: the latest few runs, newest first, so each run is compared
 * with the one before it. Unreadable entries are skipped (they come from an older format).
 */
import type { RedisClient as Redis } from '../store/redis-connection.ts';
import { z } from 'zod';
import { storeKey } from '../store/keys.ts';
import { PROBE_IDS, PROBE_STATUSES, type VerifyReport } from '../verify/types.ts';

export const DEFAULT_HISTORY = 20;

const probeSchema = z.object({
  id: z.enum(PROBE_IDS),
  status: z.enum(PROBE_STATUSES),
  summary: z.string(),
  evidence: z.array(z.string()),
  durationMs: z.number(),
  facts: z.record(z.string(), z.string()).optional(),
  needs: z.array(z.string()).optional(),
});

const changeSchema = z.object({ probe: z.enum(PROBE_IDS), subject: z.string(), from: z.string(), to: z.string(), text: z.string() });

export const verifyReportSchema = z.object({
  cluster: z.string(),
  environment: z.string().optional(),
  provider: z.enum(['eks', 'gke', 'aks', 'k3s', 'rke2', 'openshift', 'kubeadm', 'other', 'unknown']).optional(),
  server: z.string().nullable().optional(),
  startedAt: z.string(),
  durationMs: z.number(),
  probes: z.array(probeSchema),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  comparison: z.object({
    previousStartedAt: z.string(),
    regressions: z.array(changeSchema),
    improvements: z.array(changeSchema),
    changes: z.array(changeSchema),
  }).optional(),
});

export interface VerifyResultsStore {
  /** The newest stored run, or null. */
  latest(cluster: string): Promise<VerifyReport | null>;
  /** The newest run that reached the cluster (no report-level error): what the next run is compared with. */
  baseline(cluster: string): Promise<VerifyReport | null>;
  /** Newest first, at most `limit`. */
  history(cluster: string, limit?: number): Promise<VerifyReport[]>;
  save(report: VerifyReport): Promise<void>;
}

export function verifyResultsKey(prefix: string, cluster: string): string {
  return storeKey(prefix, 'verify', `{${cluster}}`, 'runs');
}

export function createVerifyResultsStore(options: { redis: Redis; prefix: string; keep?: number }): VerifyResultsStore {
  const keep = options.keep ?? DEFAULT_HISTORY;
  const key = (cluster: string) => verifyResultsKey(options.prefix, cluster);
  const parse = (text: string): VerifyReport | null => {
    try {
      const r = verifyReportSchema.safeParse(JSON.parse(text));
      return r.success ? (r.data as VerifyReport) : null;
    } catch {
      return null;
    }
  };
  return {
    async latest(cluster) {
      const [first] = await options.redis.lrange(key(cluster), 0, 0);
      return first === undefined ? null : parse(first);
    },
    async history(cluster, limit = keep) {
      const items = await options.redis.lrange(key(cluster), 0, Math.max(0, limit - 1));
      return items.map(parse).filter((r): r is VerifyReport => r !== null);
    },
    async baseline(cluster) {
      const runs = await this.history(cluster);
      return runs.find((r) => r.error === undefined) ?? null;
    },
    async save(report) {
      await options.redis.multi().lpush(key(report.cluster), JSON.stringify(report)).ltrim(key(report.cluster), 0, keep - 1).exec();
    },
  };
}
