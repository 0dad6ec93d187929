/**
 * Window scheduling and cancelling over the store, shared by the Slack command, the emergency button
 * and the CLI, so all three refuse the same things with the same words. Permission checks stay with
 * the callers (they know who is asking: a Slack user, or `--user` on the CLI).
 */
import type { Config } from '../config/schema.ts';
import type { SnapshotStore } from '../store/advisory-snapshots.ts';
import type { StoredWindow, WindowStore } from '../store/windows.ts';
import { WINDOW_ID_RE } from '../store/windows.ts';
import { environmentWindows } from './occurrences.ts';
import { buildPlan, type WindowPlan } from './plan.ts';
import { scheduleWindow, type ScheduleConfig, type ScheduleRequest } from './schedule.ts';

export type ServiceResult = { ok: true; window: StoredWindow; warnings: string[] } | { ok: false; error: string };

export interface WindowService {
  schedule(request: ScheduleRequest, by: string): Promise<ServiceResult>;
  cancel(id: string, by: string, reason?: string | null): Promise<ServiceResult>;
  get(id: string): Promise<StoredWindow | null>;
  /** Stored windows not over at `fromMs`, optionally one environment's. */
  list(fromMs: number, environment?: string): Promise<StoredWindow[]>;
  /** Records who confirmed the backup for a window, once: later presses get the first confirmation back. */
  confirmBackup(id: string, by: string): Promise<{ ok: true; first: boolean; backup: { by: string; at: string }; window: StoredWindow } | { ok: false; error: string }>;
  /** Lets a scheduled or blocked window open without its gate; the reason is recorded (and said when it opens). */
  override(id: string, by: string, reason: string): Promise<ServiceResult>;
  /** Stores the config's next `count` windows per environment (idempotent across replicas). */
  syncRecurring(count: number): Promise<StoredWindow[]>;
}

/** Builds the plan for a window from the latest triage; null when there is none yet. */
export type PlanFor = (window: Pick<StoredWindow, 'id' | 'environment' | 'after' | 'advisory'>) => Promise<WindowPlan | null>;

export interface WindowServiceOptions {
  store: WindowStore;
  config: ScheduleConfig;
  now: () => Date;
  /** Builds the plan for a new window (triage available); null leaves the plan for later. */
  planFor?: PlanFor;
}

const ACTIVE = new Set(['scheduled', 'blocked', 'open']);

export function createWindowService(options: WindowServiceOptions): WindowService {
  const { store, config } = options;

  const attachPlan = async (w: StoredWindow): Promise<StoredWindow> => {
    if (options.planFor === undefined) return w;
    const plan = await options.planFor(w);
    if (plan === null) return w;
    await store.setPlan(w.id, plan);
    return { ...w, plan };
  };

  return {
    async schedule(request, by) {
      const now = options.now();
      const result = scheduleWindow(request, config, now);
      if (!result.ok) return result;
      const spec = result.window;
      const startMs = Date.parse(spec.startUtc);
      const endMs = Date.parse(spec.endUtc);
      const existing = await store.list({ environment: spec.environment, fromMs: now.getTime() });
      const clash = existing.find((w) => ACTIVE.has(w.state) && Date.parse(w.startUtc) < endMs && startMs < Date.parse(w.endUtc));
      if (clash !== undefined) return { ok: false, error: `that overlaps ${clash.id} (${clash.state}, ${clash.start} – ${clash.end}); cancel it first or pick another time` };
      const { warnings, ...fields } = spec;
      const created = await store.create({ ...fields, createdBy: by, createdAt: now.toISOString(), after: null });
      if (!created.created) return { ok: false, error: `${spec.id} is already stored (${created.window.state})` };
      return { ok: true, window: await attachPlan(created.window), warnings };
    },

    async cancel(id, by, reason) {
      if (!WINDOW_ID_RE.test(id)) return { ok: false, error: `"${id.slice(0, 60)}" is not a window id like prod-2026-12-10 or staging-emergency-2026-12-03T14:00` };
      const res = await store.transition(id, 'cancelled', { by, at: options.now().toISOString(), reason: reason ?? null });
      if (res.ok) return { ok: true, window: res.window, warnings: [] };
      if (res.error === 'not-found') return { ok: false, error: `no window ${id} is stored (see \`windows\` for the ids)` };
      if (res.state === 'open') return { ok: false, error: `${id} is open: an open window is not cancelled, it closes at its end` };
      return { ok: false, error: `${id} is already ${res.state}` };
    },

    get: (id) => (WINDOW_ID_RE.test(id) ? store.get(id) : Promise.resolve(null)),
    list: (fromMs, environment) => store.list({ fromMs, ...(environment === undefined ? {} : { environment }) }),

    async confirmBackup(id, by) {
      if (!WINDOW_ID_RE.test(id)) return { ok: false, error: `"${id.slice(0, 60)}" is not a window id` };
      const w = await store.get(id);
      if (w === null) return { ok: false, error: `no window ${id} is stored` };
      if (w.state === 'closed' || w.state === 'cancelled') return { ok: false, error: `${id} is ${w.state}: nothing to confirm any more` };
      const at = options.now().toISOString();
      const first = await store.confirmBackup(id, by, at);
      const backup = first ? { by, at } : ((await store.get(id))?.backup ?? { by, at });
      return { ok: true, first, backup, window: { ...w, backup } };
    },

    async override(id, by, reason) {
      if (!WINDOW_ID_RE.test(id)) return { ok: false, error: `"${id.slice(0, 60)}" is not a window id like prod-2026-12-10` };
      const w = await store.get(id);
      if (w === null) return { ok: false, error: `no window ${id} is stored (see \`windows\` for the ids)` };
      if (w.state !== 'scheduled' && w.state !== 'blocked') return { ok: false, error: `${id} is ${w.state}: only a scheduled or blocked window can be overridden` };
      if (reason.trim().length < 3) return { ok: false, error: 'say why: the reason is recorded' };
      const override = { by, reason: reason.trim(), at: options.now().toISOString() };
      await store.setOverride(id, override);
      return { ok: true, window: { ...w, override }, warnings: [] };
    },

    async syncRecurring(count) {
      const now = options.now();
      const out: StoredWindow[] = [];
      for (const w of environmentWindows(config, { from: now, count })) {
        const created = await store.create({
          id: w.id, environment: w.environment, kind: 'recurring', start: w.start, end: w.end, startUtc: w.startUtc, endUtc: w.endUtc,
          timezone: w.timezone, durationMs: w.durationMs, advisory: null, createdBy: 'config', createdAt: now.toISOString(),
          after: w.after?.windowId ?? null,
        });
        out.push(created.created ? await attachPlan(created.window) : created.window);
      }
      return out;
    },
  };
}

/**
 * Plans from the hub's latest triage (the snapshot store): the fleet posture (remediation per cluster)
 * and the findings; an emergency window's plan is limited to its advisory.
 */
export function planFromSnapshots(
  snapshots: Pick<SnapshotStore, 'get' | 'list' | 'getFleet'>,
  config: Pick<Config, 'clusters'>,
  now: () => Date,
): PlanFor {
  return async (w) => {
    const fleet = await snapshots.getFleet();
    const findings = w.advisory !== null
      ? ((await snapshots.get(w.advisory))?.findings ?? [])
      : (await snapshots.list()).flatMap((s) => s.findings);
    if (fleet === null && findings.length === 0) return null;
    return buildPlan({
      window: { id: w.id, environment: w.environment }, after: w.after, clusters: config.clusters,
      triage: { clusters: fleet?.clusters ?? [], findings }, advisory: w.advisory, now: now(),
    });
  };
}
