/**
 * Slack posting pace shared by every hub replica. Slack allows about one chat.postMessage per
 * second per channel (short bursts tolerated) and chat.update is Tier 3 (about 50 a minute per
 * workspace); beyond that it answers 429. Several replicas draining a backlog into one channel
 * would burst, so each call first takes a slot from a bucket in Redis, one Lua script per take:
 *
 * - the rule is GCRA (a token bucket in one number): a bucket stores the earliest time `tat` at
 *   which its next call conforms to the steady rate; a call conforms when `tat - now` is at
 *   most `(burst - 1) × interval`;
 * - a call that does not conform reserves the next slot (the bucket advances) and is told how
 *   long to wait; the worker moves its job to `delayed` for that long (no slot or lock held)
 *   and, when it runs again, the reservation (kept per job) lets it post without queueing anew.
 *   Reservations make a backlog of N jobs cost N delays, not N² retries;
 * - a job that comes back later than one interval after its slot lost it (another may be
 *   posting then): it asks afresh;
 * - time is Redis's (TIME), so replicas with skewed clocks share one schedule (a script may
 *   write after TIME since Redis 5, which replicates scripts by their effects).
 *
 * Keys sit under the deployment prefix (hash-tagged on a Redis Cluster: the bucket and the
 * reservation are in one slot). 429 handling with Retry-After stays as the backstop.
 */
import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import { SlackError } from '../errors.ts';
import type { RedisClient } from '../store/redis-connection.ts';
import { storeKey } from '../store/keys.ts';

export interface PaceRule {
  /** Least time between two calls at the steady rate (ms, whole). */
  intervalMs: number;
  /** Calls allowed at once before the steady rate applies (≥ 1). */
  burst: number;
}

/** A bucket's stored state: its theoretical arrival time, and this job's reservation if any (ms). */
export interface PaceState {
  tat: number | null;
  held: number | null;
}

export type PaceDecision =
  | { ok: true; tat: number | null; held: null }
  | { ok: false; waitMs: number; tat: number | null; held: number };

/** A rule from a rate (calls per `perMs`) and a burst. */
export function paceRule(calls: number, perMs: number, burst: number): PaceRule {
  if (!(calls > 0) || !(perMs > 0)) throw new Error(`pace rate must be positive (got ${calls} per ${perMs} ms)`);
  if (!Number.isInteger(burst) || burst < 1) throw new Error(`pace burst must be a whole number ≥ 1 (got ${burst})`);
  return { intervalMs: Math.max(1, Math.ceil(perMs / calls)), burst };
}

/**
 * Pure: may a call go at `now`, and the state after. The Lua script below is this function
 * (test/integration/slack/pace.test.ts runs the same table through both).
 */
export function decidePace(state: PaceState, now: number, rule: PaceRule): PaceDecision {
  const T = rule.intervalMs;
  if (state.held !== null) {
    if (now < state.held) return { ok: false, waitMs: state.held - now, tat: state.tat, held: state.held };
    // The slot is ours while it lasts; a job back much later asks again like any other.
    if (now <= state.held + T) return { ok: true, tat: state.tat, held: null };
  }
  const tat = Math.max(state.tat ?? 0, now);
  const next = tat + T;
  if (tat - now <= (rule.burst - 1) * T) return { ok: true, tat: next, held: null };
  const slot = tat - (rule.burst - 1) * T;
  return { ok: false, waitMs: slot - now, tat: next, held: slot };
}

/** decidePace on Redis: KEYS bucket, reservation; ARGV interval, burst, now ('' = Redis TIME). Returns {ok, waitMs}. */
const TAKE = `
local T = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local held = tonumber(redis.call('GET', KEYS[2]))
if held then
  if now < held then return {0, held - now} end
  redis.call('DEL', KEYS[2])
  if now <= held + T then return {1, 0} end
end
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
if tat < now then tat = now end
local nextTat = tat + T
redis.call('SET', KEYS[1], string.format('%d', nextTat), 'PX', math.max(1, nextTat - now) + 60000)
if tat - now <= (burst - 1) * T then return {1, 0} end
local slot = tat - (burst - 1) * T
redis.call('SET', KEYS[2], string.format('%d', slot), 'PX', slot - now + T + 600000)
return {0, slot - now}
`;

export type PaceBucket = { kind: 'post'; channel: string } | { kind: 'update' };

export interface SlackPacer {
  /** Take a slot for one call in `bucket` on behalf of `owner` (a job id): go now, or wait `waitMs` first. */
  take(bucket: PaceBucket, owner: string): Promise<{ ok: true } | { ok: false; waitMs: number }>;
}

export interface SlackPaceConfig {
  /** chat.postMessage per channel per second. */
  perChannel: number;
  /** Posts a channel may take at once. */
  burst: number;
  /** chat.update per minute across the workspace. */
  updatesPerMinute: number;
}

export interface SlackPacerOptions {
  redis: RedisClient;
  prefix: string;
  pace: SlackPaceConfig;
  /** For tests: the time the script decides at (default Redis TIME). */
  now?: () => number;
}

const SAFE = /^[A-Za-z0-9._-]+$/;

export function createSlackPacer(options: SlackPacerOptions): SlackPacer {
  const post = paceRule(options.pace.perChannel, 1000, options.pace.burst);
  // Updates are spread over the minute with a small burst of their own (the post burst + 2, at most 5).
  const update = paceRule(options.pace.updatesPerMinute, 60_000, Math.min(5, options.pace.burst + 2));
  return {
    async take(bucket, owner) {
      const name = bucket.kind === 'post' ? `post-${bucket.channel}` : 'update';
      // Channel ids come from the validated config and owners are our job ids; refuse anything else in a key.
      if (!SAFE.test(name) || !SAFE.test(owner)) throw new Error(`unsafe pace key part ${JSON.stringify(SAFE.test(name) ? owner : name)}`);
      const rule = bucket.kind === 'post' ? post : update;
      const key = storeKey(options.prefix, 'pace', name);
      const res = (await options.redis.eval(
        TAKE, 2, key, storeKey(options.prefix, 'pace', name, 'held', owner),
        String(rule.intervalMs), String(rule.burst), options.now ? String(options.now()) : '',
      )) as [number, number];
      return res[0] === 1 ? { ok: true } : { ok: false, waitMs: Math.max(1, Number(res[1])) };
    },
  };
}

/** Thrown when a call must wait for its slot: the worker delays the job (slack-semantics.ts), as for a 429. */
export function pacedError(what: string, waitMs: number): SlackError {
  return new SlackError('SLACK_PACED', `${what}: paced, next slot in ${waitMs} ms`, { retryable: true, retryAfterMs: waitMs });
}

/** Take a slot or throw pacedError. */
export async function awaitSlot(pacer: SlackPacer | undefined, bucket: PaceBucket, owner: string): Promise<void> {
  if (pacer === undefined) return;
  const slot = await pacer.take(bucket, owner);
  if (!slot.ok) throw pacedError(bucket.kind === 'post' ? `chat.postMessage in ${bucket.channel}` : 'chat.update', slot.waitMs);
}

export interface PacedWebOptions {
  pacer: SlackPacer;
  /** Longest a call waits for its slot in-process (default 30 s); longer, it fails with SLACK_PACED (retryable). */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A fresh owner id per call (default a random one). */
  ownerId?: () => string;
}

/**
 * A WebClient whose chat.postMessage and chat.update take a slot first, waiting for it in-process:
 * for the few messages outside the deliver queue (window threads and reminders, sign-off requests,
 * verification progress, replies in a thread), which share the advisory posts' buckets and so the
 * same per-channel and workspace limits. Every other method is the client's own.
 */
export function pacedWebClient(web: webApi.WebClient, options: PacedWebOptions): webApi.WebClient {
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const ownerId = options.ownerId ?? (() => `call-${randomUUID()}`);
  const waitFor = async (bucket: PaceBucket) => {
    const owner = ownerId();
    let waited = 0;
    for (;;) {
      const slot = await options.pacer.take(bucket, owner);
      if (slot.ok) return;
      if (waited + slot.waitMs > maxWaitMs) throw pacedError(bucket.kind === 'post' ? `chat.postMessage in ${bucket.channel}` : 'chat.update', slot.waitMs);
      await sleep(slot.waitMs);
      waited += slot.waitMs;
    }
  };
  // The client's own chat methods (bound to it) behind the slot; everything else is the client's.
  const chat = Object.create(web.chat) as webApi.WebClient['chat'];
  chat.postMessage = async (args) => {
    await waitFor({ kind: 'post', channel: args.channel });
    return web.chat.postMessage(args);
  };
  chat.update = async (args) => {
    await waitFor({ kind: 'update' });
    return web.chat.update(args);
  };
  const paced = Object.create(web) as webApi.WebClient;
  Object.defineProperty(paced, 'chat', { value: chat, enumerable: true });
  return paced;
}
