/**
 * Maintenance windows stored in Redis. One hash per window plus one sorted set (by start) as the
 * index, all under one hash tag so the Lua scripts touch a single Redis Cluster slot.
 *
 *   scheduled ──open──▶ open ──close──▶ closed
 *       │  ▲               (ends the window; terminal)
 *       ▼  │ reason changes / reason gone
 *    blocked{reason} ──open──▶ open          any of scheduled|blocked ──cancel──▶ cancelled (terminal)
 *
 * `blocked` carries a reason ("staging-2026-12-08: verify failed on staging-eu: …", and later
 * "awaiting sign-off"). Transitions are compare-and-set in Lua: two replicas racing to open a window
 * see one success and one `conflict` naming the state it found.
 */
import type { RedisClient as Redis } from './redis-connection.ts';
import { z } from 'zod';
import type { Override, VerificationSummary, WindowState } from '../maintenance/gate.ts';
import type { WindowPlan } from '../maintenance/plan.ts';
import type { VerifyReport } from '../verify/types.ts';
import { AdvisorError } from '../errors.ts';
import { storeKey } from './keys.ts';

export type WindowKind = 'recurring' | 'one-off' | 'emergency';

/** Which states each state may move to (`blocked → blocked` updates the reason). */
export const WINDOW_TRANSITIONS: Readonly<Record<WindowState, readonly WindowState[]>> = {
  scheduled: ['open', 'blocked', 'cancelled'],
  blocked: ['open', 'blocked', 'cancelled'],
  open: ['closed'],
  closed: [],
  cancelled: [],
};

export function canTransition(from: WindowState, to: WindowState): boolean {
  return WINDOW_TRANSITIONS[from].includes(to);
}

export interface NewWindow {
  id: string;
  environment: string;
  kind: WindowKind;
  /** ISO with the local offset, and in UTC. */
  start: string;
  end: string;
  startUtc: string;
  endUtc: string;
  timezone: string;
  durationMs: number;
  /** Emergency windows: the advisory they were scheduled for. */
  advisory: string | null;
  /** Slack user id, `config` for recurring windows, or `cli:<name>`. */
  createdBy: string;
  createdAt: string;
  /** Recurring windows: the earlier environment's window this one follows. */
  after: string | null;
}

export interface WindowTransition {
  from: WindowState;
  to: WindowState;
  by: string;
  at: string;
  reason: string | null;
}

export interface StoredWindow extends NewWindow {
  state: WindowState;
  reason: string | null;
  updatedAt: string;
  plan: WindowPlan | null;
  /** The plan before the last rebuild (the thread says what changed). */
  previousPlan: WindowPlan | null;
  thread: { channel: string; ts: string } | null;
  verification: VerificationSummary | null;
  override: Override | null;
  backup: { by: string; at: string } | null;
  openedAt: string | null;
  closedAt: string | null;
  closing: WindowClosing | null;
  /** The verify run taken when the window opened: the post-window run is compared with it. */
  baseline: VerifyReport[] | null;
}

export type TransitionResult =
  | { ok: true; window: StoredWindow }
  | { ok: false; error: 'not-found' }
  | { ok: false; error: 'conflict'; state: WindowState };

export interface WindowStore {
  /** Stores a window once: a second create of the same id returns the stored one (`created: false`). */
  create(window: NewWindow): Promise<{ created: boolean; window: StoredWindow }>;
  get(id: string): Promise<StoredWindow | null>;
  /** Windows by start, optionally one environment's, ending after `fromMs`. */
  list(options?: { environment?: string; fromMs?: number; limit?: number }): Promise<StoredWindow[]>;
  transition(id: string, to: WindowState, meta: { by: string; at: string; reason?: string | null }): Promise<TransitionResult>;
  history(id: string): Promise<WindowTransition[]>;
  setPlan(id: string, plan: WindowPlan): Promise<void>;
  /** Records the window's thread once; returns the thread that is stored (an earlier one wins). */
  setThread(id: string, thread: { channel: string; ts: string }): Promise<{ channel: string; ts: string }>;
  setVerification(id: string, verification: VerificationSummary): Promise<void>;
  setOverride(id: string, override: Override): Promise<void>;
  /** Records who confirmed the backup, once; false when already confirmed. */
  confirmBackup(id: string, by: string, at: string): Promise<boolean>;
  setBaseline(id: string, reports: readonly VerifyReport[], at: string): Promise<void>;
  /** The closing summary: each cluster's version before and after, and its target. */
  setClosing(id: string, closing: WindowClosing): Promise<void>;
  /**
   * Exactly-once thread posts: claim `key` (e.g. "reminder-1d") before posting it. `reconcile` means
   * an earlier attempt may have reached Slack: look for the message's metadata before posting again.
   */
  claimEvent(id: string, key: string, owner: string, nowMs: number, staleMs: number): Promise<EventClaim>;
  markEventPosted(id: string, key: string, owner: string, ts: string): Promise<void>;
  releaseEvent(id: string, key: string, owner: string): Promise<void>;
  /** Posted thread messages by key → ts. */
  postedEvents(id: string): Promise<Record<string, string>>;
}

export interface WindowClosing {
  at: string;
  outcomes: { cluster: string; before: string | null; now: string | null; target: string | null }[];
}

export type EventClaim =
  | { result: 'claimed' }
  | { result: 'posted'; ts: string }
  | { result: 'reconcile'; since: number }
  | { result: 'busy' };

export interface WindowStoreOptions {
  redis: Redis;
  prefix: string;
}

/** Window ids: `prod-2026-12-10`, `staging-emergency-2026-12-03T14:00`. */
export const WINDOW_ID_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?-(emergency-)?\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/;

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

// ARGV: to, allowed-from (comma list), by, at, reason ('' for none), history JSON template parts.
const TRANSITION = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not-found'} end
local allowed = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == state then allowed = true end end
if not allowed then return {'conflict', state} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'reason', ARGV[5], 'updatedAt', ARGV[4])
if ARGV[1] == 'open' then redis.call('HSET', KEYS[1], 'openedAt', ARGV[4]) end
if ARGV[1] == 'closed' then redis.call('HSET', KEYS[1], 'closedAt', ARGV[4]) end
redis.call('RPUSH', KEYS[2], cjson.encode({ from = state, to = ARGV[1], by = ARGV[3], at = ARGV[4], reason = ARGV[5] }))
return {'ok', state}
`;

const SET_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updatedAt', ARGV[3])
return 1
`;

const SET_PLAN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'plan')
if cur and cur ~= '' then redis.call('HSET', KEYS[1], 'previousPlan', cur) end
redis.call('HSET', KEYS[1], 'plan', ARGV[1], 'updatedAt', ARGV[2])
return 1
`;

const SET_ONCE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not-found'} end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cur ~= '' then return {'kept', cur} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updatedAt', ARGV[3])
return {'set', ARGV[2]}
`;

// Per event key in the window's events hash: <key>|state, <key>|owner, <key>|since, <key>|ts.
const CLAIM_EVENT = `
local f = ARGV[1]
local state = redis.call('HGET', KEYS[1], f .. '|state')
if not state then
  redis.call('HSET', KEYS[1], f .. '|state', 'posting', f .. '|owner', ARGV[2], f .. '|since', ARGV[3], f .. '|at', ARGV[3])
  return {'claimed'}
end
if state == 'posted' then return {'posted', redis.call('HGET', KEYS[1], f .. '|ts')} end
local owner = redis.call('HGET', KEYS[1], f .. '|owner')
local at = tonumber(redis.call('HGET', KEYS[1], f .. '|at'))
if owner == ARGV[2] or (tonumber(ARGV[3]) - at) > tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], f .. '|owner', ARGV[2], f .. '|at', ARGV[3])
  return {'reconcile', redis.call('HGET', KEYS[1], f .. '|since')}
end
return {'busy'}
`;

const MARK_EVENT = `
local f = ARGV[1]
if redis.call('HGET', KEYS[1], f .. '|state') == 'posted' then return 0 end
redis.call('HSET', KEYS[1], f .. '|state', 'posted', f .. '|ts', ARGV[3])
return 1
`;

const RELEASE_EVENT = `
local f = ARGV[1]
if redis.call('HGET', KEYS[1], f .. '|state') == 'posting' and redis.call('HGET', KEYS[1], f .. '|owner') == ARGV[2] then
  redis.call('HDEL', KEYS[1], f .. '|state', f .. '|owner', f .. '|since', f .. '|at')
end
return 1
`;

const EVENT_KEY_RE = /^[a-z0-9][a-z0-9.-]{0,60}$/;

const STATES = ['scheduled', 'open', 'closed', 'cancelled', 'blocked'] as const;
const json = <T extends z.ZodType>(schema: T) => z.string().transform((s, ctx) => {
  if (s === '') return null;
  try {
    return schema.parse(JSON.parse(s)) as z.infer<T>;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not the JSON this field holds' });
    return z.NEVER;
  }
});
const optionalText = z.string().optional().transform((s) => (s === undefined || s === '' ? null : s));

// The plan is our own structure, written by this module: checked for shape at its top level.
const planShape = z.looseObject({ window: z.string(), environment: z.string(), clusters: z.array(z.unknown()) });

const recordSchema = z.object({
  id: z.string(),
  environment: z.string(),
  kind: z.enum(['recurring', 'one-off', 'emergency']),
  start: z.string(),
  end: z.string(),
  startUtc: z.string(),
  endUtc: z.string(),
  timezone: z.string(),
  durationMs: z.coerce.number(),
  advisory: optionalText,
  createdBy: z.string(),
  createdAt: z.string(),
  after: optionalText,
  state: z.enum(STATES),
  reason: optionalText,
  updatedAt: z.string(),
  plan: json(planShape).optional().transform((p) => (p ?? null) as WindowPlan | null),
  previousPlan: json(planShape).optional().transform((p) => (p ?? null) as WindowPlan | null),
  thread: json(z.object({ channel: z.string(), ts: z.string() })).optional().transform((t) => t ?? null),
  verification: json(z.looseObject({ at: z.string(), clusters: z.array(z.unknown()) })).optional().transform((v) => (v ?? null) as VerificationSummary | null),
  override: json(z.object({ by: z.string(), reason: z.string(), at: z.string() })).optional().transform((o) => o ?? null),
  backup: json(z.object({ by: z.string(), at: z.string() })).optional().transform((b) => b ?? null),
  openedAt: optionalText,
  closedAt: optionalText,
  closing: json(z.object({
    at: z.string(),
    outcomes: z.array(z.object({ cluster: z.string(), before: z.string().nullable(), now: z.string().nullable(), target: z.string().nullable() })),
  })).optional().transform((c) => c ?? null),
  // Our own verify reports (src/verify/types.ts), written by this module: checked for their top level.
  baseline: json(z.array(z.looseObject({ cluster: z.string(), startedAt: z.string(), probes: z.array(z.looseObject({ id: z.string(), status: z.string() })) })))
    .optional().transform((b) => (b ?? null) as VerifyReport[] | null),
});

const transitionSchema = z.object({
  from: z.enum(STATES), to: z.enum(STATES), by: z.string(), at: z.string(),
  reason: z.string().transform((r) => (r === '' ? null : r)),
});

export class WindowStoreError extends AdvisorError {
  constructor(message: string) {
    super('WINDOW_STORE', message);
  }
}

export function createWindowStore(options: WindowStoreOptions): WindowStore {
  const { redis } = options;
  // One hash tag for every window key: the Lua scripts (window + index + history) stay in one slot.
  const tag = storeKey(options.prefix, '{windows}');
  const indexKey = storeKey(tag, 'index');
  const keyOf = (id: string): string => {
    if (!WINDOW_ID_RE.test(id)) throw new WindowStoreError(`unsafe window id ${JSON.stringify(id)}`);
    return storeKey(tag, 'w', id);
  };
  const historyKey = (id: string): string => `${keyOf(id)}:history`;
  const eventsKey = (id: string): string => `${keyOf(id)}:events`;
  const eventField = (key: string): string => {
    if (!EVENT_KEY_RE.test(key)) throw new WindowStoreError(`unsafe window event key ${JSON.stringify(key)}`);
    return key;
  };

  const read = async (id: string): Promise<StoredWindow | null> => {
    const h = await redis.hgetall(keyOf(id));
    if (Object.keys(h).length === 0) return null;
    const parsed = recordSchema.safeParse(h);
    if (!parsed.success) {
      throw new WindowStoreError(`window ${id} in Redis is not readable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return parsed.data;
  };

  const mustRead = async (id: string): Promise<StoredWindow> => {
    const w = await read(id);
    if (w === null) throw new WindowStoreError(`window ${id} vanished from Redis`);
    return w;
  };

  const setField = async (id: string, field: string, value: unknown, at: string): Promise<void> => {
    const done = await redis.eval(SET_IF_EXISTS, 1, keyOf(id), field, JSON.stringify(value), at);
    if (done !== 1) throw new WindowStoreError(`window ${id} is not stored`);
  };

  return {
    async create(w) {
      const fields: Record<string, string> = {
        id: w.id, environment: w.environment, kind: w.kind, start: w.start, end: w.end, startUtc: w.startUtc, endUtc: w.endUtc,
        timezone: w.timezone, durationMs: String(w.durationMs), advisory: w.advisory ?? '', createdBy: w.createdBy, createdAt: w.createdAt,
        after: w.after ?? '', state: 'scheduled', reason: '', updatedAt: w.createdAt,
      };
      const flat = Object.entries(fields).flat();
      const created = await redis.eval(CREATE, 2, keyOf(w.id), indexKey, String(Date.parse(w.startUtc)), w.id, ...flat);
      return { created: created === 1, window: await mustRead(w.id) };
    },
    get: read,
    async list(opts = {}) {
      const min = opts.fromMs === undefined ? '-inf' : String(opts.fromMs - 31 * 86_400_000);
      const ids = await redis.zrangebyscore(indexKey, min, '+inf');
      const out: StoredWindow[] = [];
      for (const id of ids) {
        const w = await read(id);
        if (w === null) continue;
        if (opts.environment !== undefined && w.environment !== opts.environment) continue;
        if (opts.fromMs !== undefined && Date.parse(w.endUtc) <= opts.fromMs) continue;
        out.push(w);
        if (opts.limit !== undefined && out.length >= opts.limit) break;
      }
      return out;
    },
    async transition(id, to, meta) {
      const allowedFrom = STATES.filter((s) => canTransition(s, to));
      const res = (await redis.eval(TRANSITION, 2, keyOf(id), historyKey(id), to, allowedFrom.join(','), meta.by, meta.at, meta.reason ?? '')) as string[];
      if (res[0] === 'not-found') return { ok: false, error: 'not-found' };
      if (res[0] === 'conflict') return { ok: false, error: 'conflict', state: z.enum(STATES).parse(res[1]) };
      return { ok: true, window: await mustRead(id) };
    },
    async history(id) {
      const list = await redis.lrange(historyKey(id), 0, -1);
      return list.map((s) => transitionSchema.parse(JSON.parse(s)));
    },
    async setPlan(id, plan) {
      const done = await redis.eval(SET_PLAN, 1, keyOf(id), JSON.stringify(plan), plan.builtAt);
      if (done !== 1) throw new WindowStoreError(`window ${id} is not stored`);
    },
    async setThread(id, thread) {
      const res = (await redis.eval(SET_ONCE, 1, keyOf(id), 'thread', JSON.stringify(thread), new Date().toISOString())) as string[];
      if (res[0] === 'not-found') throw new WindowStoreError(`window ${id} is not stored`);
      return z.object({ channel: z.string(), ts: z.string() }).parse(JSON.parse(res[1] ?? '{}'));
    },
    setVerification: (id, v) => setField(id, 'verification', v, v.at),
    setOverride: (id, o) => setField(id, 'override', o, o.at),
    async confirmBackup(id, by, at) {
      const res = (await redis.eval(SET_ONCE, 1, keyOf(id), 'backup', JSON.stringify({ by, at }), at)) as string[];
      if (res[0] === 'not-found') throw new WindowStoreError(`window ${id} is not stored`);
      return res[0] === 'set';
    },
    setClosing: (id, closing) => setField(id, 'closing', closing, closing.at),
    setBaseline: (id, reports, at) => setField(id, 'baseline', reports, at),
    async claimEvent(id, key, owner, nowMs, staleMs) {
      const res = (await redis.eval(CLAIM_EVENT, 1, eventsKey(id), eventField(key), owner, String(nowMs), String(staleMs))) as string[];
      if (res[0] === 'claimed') return { result: 'claimed' };
      if (res[0] === 'posted') return { result: 'posted', ts: res[1] ?? '' };
      if (res[0] === 'reconcile') return { result: 'reconcile', since: Number(res[1]) };
      return { result: 'busy' };
    },
    async markEventPosted(id, key, owner, ts) {
      await redis.eval(MARK_EVENT, 1, eventsKey(id), eventField(key), owner, ts);
    },
    async releaseEvent(id, key, owner) {
      await redis.eval(RELEASE_EVENT, 1, eventsKey(id), eventField(key), owner);
    },
    async postedEvents(id) {
      const h = await redis.hgetall(eventsKey(id));
      const out: Record<string, string> = {};
      for (const [field, value] of Object.entries(h)) {
        if (!field.endsWith('|state') || value !== 'posted') continue;
        const key = field.slice(0, -'|state'.length);
        out[key] = h[`${key}|ts`] ?? '';
      }
      return out;
    },
  };
}
