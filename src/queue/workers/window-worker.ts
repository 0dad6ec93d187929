/**
 * Maintenance windows at run time: one BullMQ job scheduler ("windows-tick", upserted by every
 * replica, so one schedule per deployment) runs a tick on one replica at a time. A tick stores the
 * config's next windows, rebuilds plans, moves windows through their states (gate → open or blocked,
 * end → closed with verification and versions) and queues one post job per thread message due.
 *
 * Exactly once across replicas: a post job's id is deterministic (`win-<window>-<key>`), so ticks on
 * several replicas queue it once; the post itself is claimed in the window store before it is sent
 * and recorded with its ts after. A worker killed between Slack accepting a post and recording it
 * leaves a claim that the retried job reconciles by looking for the message's metadata
 * (`k8s_advisor_window`, `key`) in the thread, instead of posting twice.
 */
import type { webApi } from '@slack/bolt';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient as Redis } from '../../store/redis-connection.ts';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { errorMessage, SlackError } from '../../errors.ts';
import { channelFor } from '../../hub/routing.ts';
import type { Logger } from '../../log.ts';
import { blockedText, evaluateGate, judgeVerification, summarizeVerification, type Readiness, type VerificationSummary } from '../../maintenance/gate.ts';
import {
  WINDOW_EVENT_TYPE, blockedKey, blockedMessage, cancelledMessage, closedMessage, dueAnnouncements, openMessage, planKey, planMessage,
  reminderKey, reminderMessage, scheduledMessage, type ClusterOutcome, type WindowMessage,
} from '../../maintenance/messages.ts';
import { environmentWindows } from '../../maintenance/occurrences.ts';
import { diffPlans } from '../../maintenance/plan.ts';
import type { PlanFor, WindowService } from '../../maintenance/service.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { StoredWindow, WindowStore } from '../../store/windows.ts';
import { planEvidence, resultEvidence } from '../../signoff/evidence.ts';
import { requestId } from '../../signoff/machine.ts';
import type { SignoffService } from '../../signoff/service.ts';
import { compareRuns } from '../../verify/rules/compare.ts';
import type { VerifyReport } from '../../verify/types.ts';
import { bullPrefix, jobId } from '../names.ts';

export const WINDOW_QUEUE = 'windows';
export const WINDOW_TICK_SCHEDULER_ID = 'windows-tick';
const DEFAULT_REMINDERS = [7 * 86_400_000, 86_400_000, 3_600_000];
const DEFAULT_ANNOUNCE = 7 * 86_400_000;
/** Recurring windows stored ahead per environment. */
const RECURRING_AHEAD = 2;

const windowJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tick') }),
  z.object({ kind: z.literal('post'), window: z.string().max(120), key: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,60}$/) }),
]);
type WindowJob = z.infer<typeof windowJobSchema>;

/** The two Slack calls window threads need; metadata carries the window event. */
export interface WindowSlack {
  post(args: { channel: string; threadTs?: string; message: WindowMessage }): Promise<{ ts: string }>;
  /** A message of this window with this key posted at or after `since` (ms), or null. */
  find(args: { channel: string; threadTs?: string; since: number; window: string; key: string }): Promise<string | null>;
}

const historySchema = z.array(z.looseObject({
  ts: z.string().optional(),
  metadata: z.looseObject({ event_type: z.string().optional(), event_payload: z.record(z.string(), z.unknown()).optional() }).optional(),
}));

export function createWindowSlack(web: webApi.WebClient, toError: (err: unknown, method: string) => SlackError): WindowSlack {
  const call = async <T>(method: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toError(err, method);
    }
  };
  return {
    async post({ channel, threadTs, message }) {
      const res = await call('chat.postMessage', () => web.chat.postMessage({
        channel, text: message.text, blocks: message.blocks, metadata: { event_type: message.metadata.event_type, event_payload: { ...message.metadata.event_payload } },
        unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}),
      }));
      if (typeof res.ts !== 'string') throw new SlackError('SLACK_BAD_RESPONSE', 'chat.postMessage: no ts in the answer', { retryable: true });
      return { ts: res.ts };
    },
    async find({ channel, threadTs, since, window, key }) {
      const oldest = (Math.floor(since / 1000) - 60).toString();
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const page = { oldest, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
        const res = threadTs
          ? await call('conversations.replies', () => web.conversations.replies({ channel, ts: threadTs, ...page }))
          : await call('conversations.history', () => web.conversations.history({ channel, ...page }));
        const parsed = historySchema.safeParse(res.messages ?? []);
        const hit = parsed.success
          ? parsed.data.find((m) => m.metadata?.event_type === WINDOW_EVENT_TYPE && m.metadata.event_payload?.window === window && m.metadata.event_payload.key === key)
          : undefined;
        if (hit?.ts) return hit.ts;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) return null;
      }
      return null;
    },
  };
}

export interface WindowRuntimeOptions {
  config: Config;
  logger: Logger;
  prefix: string;
  /** A new BullMQ-ready connection (maxRetriesPerRequest: null) each call. */
  connection: () => Redis;
  store: WindowStore;
  service: WindowService;
  slack: WindowSlack;
  snapshots: Pick<SnapshotStore, 'getFleet'>;
  planFor: PlanFor;
  now: () => Date;
  /** Runs the verify suite on a cluster (the hub's dispatcher); without it windows close unverified. */
  verify?: (cluster: string) => Promise<VerifyReport>;
  tickEveryMs?: number;
  /** How often a failed earlier-environment verification is run again while a window waits on it. */
  reverifyEveryMs?: number;
  lockDurationMs?: number;
  /** A claim older than this is taken over (default 2 × lock duration). */
  staleClaimMs?: number;
  /** Real time for claim ages and Slack history searches (default Date.now); `now` is the schedule's clock. */
  wallClock?: () => number;
  retry?: { attempts: number; backoffMs: number };
  /**
   * Sign-off (issue 10): with a policy for the environment, the plan is put up for sign-off in the
   * window's thread, the window opens only with the plan approved, and after its end it closes only
   * once the verification result is accepted (a rejection keeps it open, the reason in the thread).
   */
  signoff?: Pick<SignoffService, 'required' | 'request' | 'evidenceChanged' | 'gateReason' | 'stateOf'>;
  /** True when the error is Redis being away (counted and logged once by the process's Redis health). */
  redisDown?: (err: unknown) => boolean;
}

export interface WindowRuntime {
  queue: Queue<WindowJob>;
  /** Upsert the tick scheduler (every replica may; one schedule results). */
  schedule(): Promise<void>;
  /** Start this replica's worker. */
  work(): void;
  /** Queue one tick now (runs on whichever replica's worker picks it up). */
  tickNow(): Promise<Job<WindowJob>>;
  close(): Promise<void>;
}

export function createWindowRuntime(options: WindowRuntimeOptions): WindowRuntime {
  const { config, store, slack } = options;
  const log = options.logger.child({ subsystem: 'windows' });
  const connections: Redis[] = [];
  const conn = () => {
    const c = options.connection();
    c.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
    connections.push(c);
    return c;
  };
  const retry = options.retry ?? { attempts: 8, backoffMs: 1_000 };
  const lockDuration = options.lockDurationMs ?? 30_000;
  const staleMs = options.staleClaimMs ?? 2 * lockDuration;
  const reverifyMs = options.reverifyEveryMs ?? 15 * 60_000;
  const wallClock = options.wallClock ?? Date.now;
  const queue = new Queue<WindowJob>(WINDOW_QUEUE, { connection: conn(), prefix: bullPrefix(options.prefix) });
  const redisDown = options.redisDown ?? (() => false);
  queue.on('error', (err: Error) => { if (!redisDown(err)) log.error({ err: err.message }, 'queue error'); });
  const jobOpts = {
    attempts: retry.attempts, backoff: { type: 'exponential' as const, delay: retry.backoffMs },
    // Kept a week: a tick re-queuing a post that is done finds its id and adds nothing.
    removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
  };
  let worker: Worker<WindowJob> | null = null;

  const enqueuePost = async (w: StoredWindow, key: string, posted: Record<string, string>) => {
    if (posted[key] !== undefined) return;
    const id = jobId('win', w.id, key);
    // A post that failed for good (Slack down for long) keeps its id: retry it rather than add nothing.
    const existing = await queue.getJob(id);
    if (existing !== undefined && await existing.isFailed()) {
      await existing.retry('failed');
      return;
    }
    await queue.add('post', { kind: 'post', window: w.id, key }, { ...jobOpts, jobId: id });
  };

  const previousWindow = async (w: StoredWindow, afterEnv: string): Promise<{ id: string | null; window: StoredWindow | null }> => {
    if (w.after !== null) return { id: w.after, window: await store.get(w.after) };
    // Scheduled (one-off, emergency) windows: the latest earlier-environment window ended before this one starts.
    const startMs = Date.parse(w.startUtc);
    const candidates = (await store.list({ environment: afterEnv, fromMs: startMs - 62 * 86_400_000 }))
      .filter((c) => c.state !== 'cancelled' && Date.parse(c.endUtc) <= startMs);
    const last = candidates[candidates.length - 1] ?? null;
    return { id: last?.id ?? null, window: last };
  };

  /** Each report compared with the run taken when the window opened (regressions first), when there is one. */
  const againstBaseline = (w: StoredWindow, reports: readonly VerifyReport[]): VerifyReport[] => reports.map((r) => {
    const before = w.baseline?.find((b) => b.cluster === r.cluster);
    return before === undefined ? r : { ...r, comparison: compareRuns(before, r) };
  });

  const verifyEnvironment = async (environment: string): Promise<VerifyReport[] | null> => {
    if (options.verify === undefined) return null;
    const verify = options.verify;
    const clusters = config.clusters.filter((c) => c.environment === environment).map((c) => c.name);
    return Promise.all(clusters.map((c) => verify(c)));
  };

  const gate = async (w: StoredWindow, now: Date) => {
    const env = config.environments[w.environment];
    const wc = env?.window;
    const afterEnv = env?.after ?? null;
    let prev = afterEnv === null ? { id: null, window: null } : await previousWindow(w, afterEnv);
    // The reason can go away: an earlier window that closed with a failed verification is verified
    // again (at most every `reverifyEveryMs`), and the new run replaces the recorded one.
    const earlier = prev.window;
    if (afterEnv !== null && earlier !== null && earlier.state === 'closed' && options.verify !== undefined && !judgeVerification(earlier.verification).passed) {
      const lastMs = earlier.verification ? Date.parse(earlier.verification.at) : 0;
      if (now.getTime() - lastMs >= reverifyMs) {
        const reports = await verifyEnvironment(afterEnv);
        if (reports !== null) {
          const summary = summarizeVerification(againstBaseline(earlier, reports), now.toISOString());
          await store.setVerification(earlier.id, summary);
          prev = { id: earlier.id, window: { ...earlier, verification: summary } };
        }
      }
    }
    const mode = (w.plan?.change ?? 'minor') === 'minor' ? (wc?.gate.minor ?? 'after-staging') : (wc?.gate.patch ?? 'after-staging');
    let disruption: Readiness['disruptionReadiness'] = [];
    if (mode === 'readiness') {
      const reports = await verifyEnvironment(w.environment);
      disruption = (reports ?? []).flatMap((r) => r.probes.filter((p) => p.id === 'disruption-readiness').map((p) => ({ cluster: r.cluster, status: p.status, summary: p.summary })));
    }
    return evaluateGate({
      window: { id: w.id, environment: w.environment }, after: afterEnv, previousId: prev.id,
      previous: prev.window === null ? null : { id: prev.window.id, state: prev.window.state, closedAt: prev.window.closedAt, verification: prev.window.verification },
      change: w.plan?.change ?? 'minor', gate: wc?.gate ?? { minor: 'after-staging', patch: 'after-staging' }, gapMs: wc?.gap ?? 0,
      readiness: { backupConfirmed: w.backup, disruptionReadiness: disruption }, override: w.override, now,
    });
  };

  /** Verify, compare with the baseline, re-read versions, store the summary; then close unless told not to. */
  const close = async (w: StoredWindow, now: Date, opts: { transition?: boolean } = {}): Promise<StoredWindow | null> => {
    const reports = await verifyEnvironment(w.environment).catch((err: unknown) => {
      log.warn({ window: w.id, err: errorMessage(err) }, 'post-window verification failed to run');
      return null;
    });
    const compared = reports === null ? null : againstBaseline(w, reports);
    const verification: VerificationSummary | null = compared === null ? null : summarizeVerification(compared, now.toISOString());
    const fleet = await options.snapshots.getFleet();
    const names = config.clusters.filter((c) => c.environment === w.environment).map((c) => c.name);
    const outcomes: ClusterOutcome[] = names.map((cluster) => {
      const planned = w.plan?.clusters.find((c) => c.cluster === cluster);
      // Re-read: the verification's API server version first, else the latest fleet inventory.
      const fresh = compared?.find((r) => r.cluster === cluster)?.server ?? fleet?.clusters.find((p) => p.cluster === cluster)?.server ?? null;
      return { cluster, before: planned?.current ?? null, now: fresh, target: planned?.target ?? null };
    });
    if (verification !== null) await store.setVerification(w.id, verification);
    await store.setClosing(w.id, { at: now.toISOString(), outcomes });
    if (opts.transition !== false) await store.transition(w.id, 'closed', { by: 'hub', at: now.toISOString() });
    return store.get(w.id);
  };

  const step = async (initial: StoredWindow, now: Date, owner: string): Promise<void> => {
    let w = initial;
    const nowMs = now.getTime();
    const startMs = Date.parse(w.startUtc);
    const endMs = Date.parse(w.endUtc);
    const wc = config.environments[w.environment]?.window;
    const posted = await store.postedEvents(w.id);
    const announceMs = wc?.announce ?? DEFAULT_ANNOUNCE;

    if (w.state === 'cancelled') {
      if (w.thread !== null) await enqueuePost(w, 'cancelled', posted);
      return;
    }
    if (w.state === 'closed') {
      await enqueuePost(w, 'closed', posted);
      return;
    }
    // Plans follow triage until the window ends; a changed plan is a new post with what changed.
    if (nowMs < endMs && w.state !== 'open') {
      const fresh = await options.planFor(w);
      if (fresh !== null && (w.plan === null || planKey(fresh) !== planKey(w.plan))) {
        await store.setPlan(w.id, fresh);
        w = { ...w, plan: fresh };
        // Votes were given on the old plan: they are void, and the thread says what changed.
        if (options.signoff?.required(w.environment)) await options.signoff.evidenceChanged(requestId(w.id, 'plan'), planEvidence(w, fresh));
      }
    }
    const due = dueAnnouncements(w, { now, reminders: wc?.reminders ?? DEFAULT_REMINDERS, announceMs });
    // The thread's parent is posted by the tick itself: every reply job then finds its thread.
    if (due.includes('scheduled') || nowMs >= startMs) w = await ensureThread(w, owner);
    for (const key of due) if (key !== 'scheduled') await enqueuePost(w, key, posted);
    if (w.plan !== null && nowMs >= startMs - announceMs) {
      await enqueuePost(w, planKey(w.plan), posted);
      if (options.signoff?.required(w.environment) && w.thread !== null && nowMs < endMs) {
        await options.signoff.request({
          window: w.id, environment: w.environment, phase: 'plan', requester: w.kind === 'recurring' ? 'k8s-advisor' : w.createdBy,
          evidence: planEvidence(w, w.plan), thread: { channel: w.thread.channel, threadTs: w.thread.ts },
        });
      }
    }

    if ((w.state === 'scheduled' || w.state === 'blocked') && nowMs >= endMs) {
      const res = await store.transition(w.id, 'cancelled', { by: 'hub', at: now.toISOString(), reason: `did not open before its end${w.reason ? ` (${w.reason})` : ''}` });
      if (res.ok && res.window.thread !== null) await enqueuePost(res.window, 'cancelled', posted);
      return;
    }
    if ((w.state === 'scheduled' || w.state === 'blocked') && nowMs >= startMs) {
      // No override opens a window whose plan is not signed off: that is what sign-off is for.
      const waiting = options.signoff ? await options.signoff.gateReason(w.id, w.environment, 'plan') : null;
      const decision = waiting === null ? await gate(w, now) : null;
      if (decision !== null && decision.open) {
        const res = await store.transition(w.id, 'open', { by: 'hub', at: now.toISOString(), reason: decision.overridden ? `override by ${decision.overridden.by}: ${decision.overridden.reason}` : null });
        if (res.ok) {
          // The run at the window's start, before anyone touches the cluster: the closing run is compared with it.
          const baseline = await verifyEnvironment(w.environment).catch((err: unknown) => {
            log.warn({ window: w.id, err: errorMessage(err) }, 'verification at the window start failed to run');
            return null;
          });
          if (baseline !== null) await store.setBaseline(w.id, baseline, now.toISOString());
          await enqueuePost(res.window, 'open', posted);
        }
        return;
      }
      const reason = decision === null ? (waiting as string) : blockedText(decision);
      if (w.state !== 'blocked' || w.reason !== reason) {
        const res = await store.transition(w.id, 'blocked', { by: 'hub', at: now.toISOString(), reason });
        if (!res.ok) return;
      }
      await enqueuePost(w, blockedKey(reason), posted);
      return;
    }
    if (w.state === 'open' && nowMs >= endMs) {
      if (options.signoff?.required(w.environment)) {
        // Verified and summarised once; it closes as done only when the result is accepted.
        if (w.closing === null) w = (await close(w, now, { transition: false })) ?? w;
        if (w.thread !== null) {
          await options.signoff.request({
            window: w.id, environment: w.environment, phase: 'result', requester: 'k8s-advisor',
            evidence: resultEvidence(w, w.verification), thread: { channel: w.thread.channel, threadTs: w.thread.ts },
          });
        }
        if ((await options.signoff.stateOf(w.id, w.environment, 'result')) !== 'approved') return;
        const res = await store.transition(w.id, 'closed', { by: 'hub', at: now.toISOString(), reason: 'verification result accepted' });
        if (res.ok) await enqueuePost(res.window, 'closed', posted);
        return;
      }
      await close(w, now);
      await enqueuePost(w, 'closed', posted);
    }
  };

  const tick = async (job: Job<WindowJob>): Promise<void> => {
    const now = options.now();
    const owner = job.id ?? `tick-${now.getTime()}`;
    await options.service.syncRecurring(RECURRING_AHEAD);
    for (const w of await store.list({ fromMs: now.getTime() - 2 * 86_400_000 })) {
      try {
        await step(w, now, owner);
      } catch (err) {
        // One broken window must not hold up the others; the next tick tries it again.
        log.error({ window: w.id, err: errorMessage(err) }, 'window step failed');
      }
    }
  };

  const skippedNotes = (w: StoredWindow): string[] => {
    if (w.kind !== 'recurring') return [];
    const [again] = environmentWindows(config, { from: new Date(Date.parse(w.startUtc) - 60_000), count: 1, environment: w.environment });
    if (again?.id !== w.id) return [];
    return [...(again.skipped ?? []).map((s) => `Skipped ${s.id}: ${s.reason}`), ...(again.warning ? [again.warning] : [])];
  };

  /** The window's thread, posting its parent ("scheduled") once if it has none yet. */
  const ensureThread = async (w: StoredWindow, owner: string): Promise<StoredWindow> => {
    if (w.thread !== null) return w;
    const channel = channelFor(config, w.environment);
    if (channel === null) {
      log.warn({ window: w.id, environment: w.environment }, 'no channel for this environment (slack.channels); window messages are not posted');
      return w;
    }
    const ts = await exactlyOnce(w, 'scheduled', owner, channel, undefined, scheduledMessage(w, skippedNotes(w)));
    return { ...w, thread: await store.setThread(w.id, { channel, ts }) };
  };

  const messageFor = (w: StoredWindow, key: string): WindowMessage | null => {
    if (key === 'scheduled') return scheduledMessage(w, skippedNotes(w));
    if (key === 'open') return w.state === 'open' || w.state === 'closed' ? openMessage(w, w.override) : null;
    if (key === 'closed') return w.state === 'closed' ? closedMessage(w, w.closing?.outcomes ?? [], w.verification) : null;
    if (key === 'cancelled') return w.state === 'cancelled' ? cancelledMessage(w, w.reason) : null;
    if (key.startsWith('blocked-')) return w.state === 'blocked' && w.reason !== null && blockedKey(w.reason) === key ? blockedMessage(w, w.reason) : null;
    if (key.startsWith('plan-')) return w.plan !== null && planKey(w.plan) === key ? planMessage(w, w.plan, w.previousPlan ? diffPlans(w.previousPlan, w.plan) : []) : null;
    if (key.startsWith('reminder-')) {
      const offset = (config.environments[w.environment]?.window?.reminders ?? DEFAULT_REMINDERS).find((o) => reminderKey(o) === key);
      return offset !== undefined && (w.state === 'scheduled' || w.state === 'blocked') ? reminderMessage(w, offset) : null;
    }
    return null;
  };

  const exactlyOnce = async (w: StoredWindow, key: string, owner: string, channel: string, threadTs: string | undefined, message: WindowMessage): Promise<string> => {
    // Claims age in wall-clock time (is the claimant still alive?), not in the schedule's clock.
    const claim = await store.claimEvent(w.id, key, owner, wallClock(), staleMs);
    if (claim.result === 'posted') return claim.ts;
    if (claim.result === 'busy') throw new Error(`${w.id} ${key}: another worker is posting it`);
    if (claim.result === 'reconcile') {
      const found = await slack.find({ channel, since: claim.since, window: w.id, key, ...(threadTs ? { threadTs } : {}) });
      if (found !== null) {
        await store.markEventPosted(w.id, key, owner, found);
        return found;
      }
    }
    let ts: string;
    try {
      ({ ts } = await slack.post({ channel, message, ...(threadTs ? { threadTs } : {}) }));
    } catch (err) {
      // Slack answered "no": nothing was posted, so the claim can go.
      if (err instanceof SlackError && (err.code === 'SLACK_RATE_LIMITED' || err.code.startsWith('SLACK_API_'))) await store.releaseEvent(w.id, key, owner);
      throw err;
    }
    await store.markEventPosted(w.id, key, owner, ts);
    return ts;
  };

  const post = async (job: Job<WindowJob>, windowId: string, key: string): Promise<void> => {
    const stored = await store.get(windowId);
    if (stored === null) return;
    const channel = channelFor(config, stored.environment);
    if (channel === null) return;
    if (messageFor(stored, key) === null) return; // stale: the window moved on (a reminder after the start, an old blocked reason)
    const owner = job.id ?? jobId('win', windowId, key);
    const w = await ensureThread(stored, owner);
    const message = messageFor(w, key);
    if (message === null || w.thread === null) return;
    await exactlyOnce(w, key, owner, channel, w.thread.ts, message);
  };

  return {
    queue,
    async schedule() {
      const every = options.tickEveryMs ?? 60_000;
      await queue.upsertJobScheduler(WINDOW_TICK_SCHEDULER_ID, { every }, { name: 'tick', data: { kind: 'tick' }, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } });
      log.info({ every }, 'window ticks scheduled');
    },
    work() {
      if (worker !== null) return;
      worker = new Worker<WindowJob>(WINDOW_QUEUE, async (job) => {
        const parsed = windowJobSchema.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`malformed window job: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
        if (parsed.data.kind === 'tick') await tick(job);
        else await post(job, parsed.data.window, parsed.data.key);
      }, { connection: conn(), prefix: bullPrefix(options.prefix), concurrency: 4, lockDuration, stalledInterval: Math.max(500, lockDuration / 2), maxStalledCount: 3 });
      worker.on('error', (err) => { if (!redisDown(err)) log.error({ err: err.message }, 'window worker error'); });
      worker.on('failed', (job, err) => log.warn({ jobId: job?.id, attempts: job?.attemptsMade, reason: err.message }, 'window job failed'));
    },
    async tickNow() {
      return queue.add('tick', { kind: 'tick' }, { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } });
    },
    async close() {
      if (worker !== null) await worker.close();
      await queue.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
