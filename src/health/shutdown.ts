/**
 * Graceful shutdown within a grace period (SHUTDOWN_GRACE, default 25 s: Kubernetes sends SIGKILL
 * 30 s after SIGTERM by default). The orderly stop (Slack, workers finishing their jobs, queues,
 * Redis) gets the period; when it runs out, the jobs still in flight are released, moved back
 * to waiting under the lock this process holds, so another replica (or the next start) runs
 * them at once instead of after the lock expires.
 */
import type { Job, Worker } from 'bullmq';
import { parseDuration } from '../config/duration.ts';
import { ConfigError } from '../errors.ts';

export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;

/** SHUTDOWN_GRACE: a duration ("25s", "1m", "500ms"); unset means the default. */
export function shutdownGraceFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_SHUTDOWN_GRACE_MS;
  const ms = parseDuration(value);
  if (ms === null) throw new ConfigError([`SHUTDOWN_GRACE: "${value}" is not a duration (use e.g. "25s"; units ms, s, m, h)`], 'environment variables');
  return ms;
}

export interface JobTracker {
  /** Follow a worker's jobs from 'active' to 'completed'/'failed'. */
  track(worker: Worker): void;
  inFlight(): number;
  /** Move every job still in flight back to waiting; resolves with the ids released. */
  releaseAll(): Promise<string[]>;
}

export function createJobTracker(): JobTracker {
  const active = new Map<string, Job>();
  const key = (worker: Worker, job: Job) => `${worker.name}/${job.id ?? ''}`;
  return {
    track(worker) {
      worker.on('active', (job: Job) => { active.set(key(worker, job), job); });
      worker.on('completed', (job: Job) => { active.delete(key(worker, job)); });
      worker.on('failed', (job: Job | undefined) => { if (job) active.delete(key(worker, job)); });
    },
    inFlight: () => active.size,
    async releaseAll() {
      const jobs = [...active.values()];
      active.clear();
      const released = await Promise.all(jobs.map(async (job) => {
        try {
          // Under our own lock token: a job another worker took over meanwhile is left alone.
          await job.moveToWait(job.token);
          return job.id ?? null;
        } catch {
          return null;
        }
      }));
      return released.filter((id): id is string => id !== null);
    },
  };
}

export type StopOutcome =
  /** `error`: the orderly stop ended, but one step of it failed (logged by the caller). */
  | { kind: 'clean'; error: string | null }
  /** `released` null: Redis did not answer in time either (an outage), the locks will lapse instead. */
  | { kind: 'forced'; released: string[] | null };

function after<T>(ms: number, value: T): { promise: Promise<T>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(value), ms); });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Runs `stop` within `graceMs`. When the deadline comes first, `release` runs in the reserve
 * left of the period (at most 2 s) and the outcome says which jobs were handed back. Neither
 * step can outlast the period, even when Redis itself is gone.
 */
export async function stopWithin(stop: () => Promise<void>, graceMs: number, release: () => Promise<string[]>): Promise<StopOutcome> {
  const reserve = Math.min(2_000, Math.floor(graceMs / 5));
  const deadline = after(graceMs - reserve, 'deadline' as const);
  let error: string | null = null;
  const stopped = stop().then(() => 'stopped' as const, (err: unknown) => {
    error = err instanceof Error ? err.message : String(err);
    return 'stopped' as const;
  });
  const first = await Promise.race([stopped, deadline.promise]);
  deadline.cancel();
  if (first === 'stopped') return { kind: 'clean', error };
  const limit = after(reserve, null);
  const released = await Promise.race([release().catch(() => null), limit.promise]);
  limit.cancel();
  return { kind: 'forced', released };
}
