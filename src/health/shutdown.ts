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

export type StopOutcome = { kind: 'clean' } | { kind: 'forced'; released: string[] };

/**
 * Runs `stop` within `graceMs`. When the deadline comes first, `release` runs (with a small
 * reserve of the period left for it) and the outcome says which jobs were handed back.
 */
export async function stopWithin(stop: () => Promise<void>, graceMs: number, release: () => Promise<string[]>): Promise<StopOutcome> {
  const reserve = Math.min(2_000, Math.floor(graceMs / 5));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => { timer = setTimeout(() => resolve('deadline'), graceMs - reserve); });
  const stopped = stop().then(() => 'stopped' as const, () => 'stopped' as const);
  const first = await Promise.race([stopped, deadline]);
  clearTimeout(timer);
  if (first === 'stopped') return { kind: 'clean' };
  return { kind: 'forced', released: await release() };
}
