/**
 * Sign-off requests in Redis, changed only through the pure state machine under a short lock per
 * request (SET NX PX with a token; released by compare-and-delete): read, apply, then one MULTI
 * writes the request and appends the audit entries. Two approvers clicking at once on two replicas:
 * both votes land, in some order, and the approval transition is written once. Expiry likewise:
 * every replica may sweep, one wins. (A lock rather than WATCH: WATCH belongs to one connection,
 * and a Redis Cluster client spreads commands over several.)
 *
 * Keys (one prefix, so one hash slot under a hash-tagged prefix like `{k8s-advisor}`):
 *   <prefix>:signoff:req:<id>    JSON of the request
 *   <prefix>:signoff:pending     sorted set of pending request ids by expiry (ms; +inf = never)
 *   <prefix>:signoff:audit       append-only stream, never trimmed (the compliance record)
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient as Redis } from './redis-connection.ts';
import { z } from 'zod';
import { apply, openRequest, type OpenOptions, type Outcome } from '../signoff/machine.ts';
import type { SignoffAuditEntry, SignoffEvent, SignoffPolicy, SignoffRequest } from '../signoff/types.ts';
import { storeKey } from './keys.ts';

export interface SignoffStore {
  /** Opens the request unless one with that id exists; returns the stored one either way. */
  open(options: OpenOptions): Promise<{ request: SignoffRequest; created: boolean }>;
  get(id: string): Promise<SignoffRequest | null>;
  /** Applies an event atomically; null when no such request. */
  apply(id: string, event: SignoffEvent, policy: SignoffPolicy): Promise<Outcome | null>;
  /** Remember where the request is shown (channel, message ts, thread). */
  setMessage(id: string, message: NonNullable<SignoffRequest['message']>): Promise<void>;
  /** Expire every pending request past its deadline; returns the ones this call expired. */
  expireDue(policyOf: (request: SignoffRequest) => SignoffPolicy): Promise<SignoffRequest[]>;
  /** Append a free-text comment (a thread reply that is not a vote) to the audit record. */
  comment(id: string, user: string, text: string): Promise<void>;
  /** The audit record, oldest first, optionally of one window and/or since a time. */
  audit(filter?: { window?: string; since?: Date }): Promise<SignoffAuditEntry[]>;
  /** Every request of a window (plan and result). */
  ofWindow(window: string): Promise<SignoffRequest[]>;
  /** First caller wins the right to post the request message (held `ttlMs`, released by setMessage). */
  claimPost(id: string, ttlMs: number): Promise<boolean>;
  releasePost(id: string): Promise<void>;
  /** Requests by state (metrics). */
  countByState(): Promise<Record<string, number>>;
  /** Which window a Slack thread belongs to (for thread replies). */
  bindThread(channel: string, threadTs: string, window: string): Promise<void>;
  windowOfThread(channel: string, threadTs: string): Promise<string | null>;
}

export interface SignoffStoreOptions {
  redis: Redis;
  prefix: string;
  now?: () => Date;
  /** Lock attempts before giving up are 10 × this (default 20: about 2.5 s of contention). */
  maxRetries?: number;
}

const voteSchema = z.object({
  user: z.string(), decision: z.enum(['approve', 'reject']), roles: z.array(z.string()), at: z.string(),
  reason: z.string().optional(), via: z.enum(['button', 'thread', 'cli']),
});
const requestSchema = z.object({
  id: z.string(), window: z.string(), environment: z.string(), phase: z.enum(['plan', 'result']), requester: z.string(),
  state: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']), evidenceHash: z.string(),
  evidence: z.object({ title: z.string(), lines: z.array(z.string()) }), round: z.number().int(), votes: z.array(voteSchema),
  openedAt: z.string(), expiresAt: z.string().nullable(), decidedAt: z.string().nullable(), decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
  message: z.object({ channel: z.string(), ts: z.string(), threadTs: z.string() }).optional(),
});

const AUDIT_FIELDS = ['at', 'type', 'request', 'window', 'environment', 'phase', 'round', 'evidenceHash', 'user', 'decision', 'from', 'to', 'reason', 'detail'] as const;

export function createSignoffStore(options: SignoffStoreOptions): SignoffStore {
  const { redis, prefix } = options;
  const now = options.now ?? (() => new Date());
  const maxRetries = options.maxRetries ?? 20;
  const reqKey = (id: string) => storeKey(prefix, 'signoff', 'req', id);
  const pendingKey = storeKey(prefix, 'signoff', 'pending');
  const auditKey = storeKey(prefix, 'signoff', 'audit');
  const windowKey = (w: string) => storeKey(prefix, 'signoff', 'window', w);
  /** request id → state, for counts without reading every request. */
  const statesKey = storeKey(prefix, 'signoff', 'states');

  const parse = (raw: string | null): SignoffRequest | null => {
    if (raw === null) return null;
    const r = requestSchema.safeParse(JSON.parse(raw));
    if (!r.success) throw new Error(`stored sign-off request is malformed: ${r.error.issues[0]?.message ?? 'unknown'}`);
    const { message, ...rest } = r.data;
    return message ? { ...rest, message } : rest;
  };

  const auditArgs = (e: SignoffAuditEntry): string[] => {
    const flat: string[] = [];
    for (const f of AUDIT_FIELDS) {
      const v = e[f];
      if (v !== undefined) flat.push(f, String(v));
    }
    return flat;
  };

  const score = (r: SignoffRequest) => (r.expiresAt === null ? '+inf' : String(Date.parse(r.expiresAt)));

  const lockKey = (id: string) => storeKey(prefix, 'signoff', 'lock', id);
  const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

  /** Lock the request, read it, compute, write it with its audit entries in one MULTI, unlock. */
  async function update<T>(id: string, compute: (current: SignoffRequest | null) => { next: SignoffRequest | null; audit: SignoffAuditEntry[]; result: T }): Promise<T> {
    const key = reqKey(id);
    const token = randomUUID();
    for (let attempt = 0; ; attempt++) {
      if ((await redis.set(lockKey(id), token, 'PX', 5_000, 'NX')) === 'OK') break;
      if (attempt >= maxRetries * 10) throw new Error(`sign-off ${id}: busy (another replica holds it); try again`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
    try {
      const current = parse(await redis.get(key));
      const { next, audit, result } = compute(current);
      if (next === null && audit.length === 0) return result;
      const tx = redis.multi();
      if (next !== null) {
        tx.set(key, JSON.stringify(next));
        tx.sadd(windowKey(next.window), next.id);
        tx.hset(statesKey, next.id, next.state);
        if (next.state === 'pending') tx.zadd(pendingKey, score(next), next.id);
        else tx.zrem(pendingKey, next.id);
      }
      for (const e of audit) tx.xadd(auditKey, '*', ...auditArgs(e));
      const done = await tx.exec();
      const failed = done?.find(([err]) => err !== null);
      if (!done || failed) throw new Error(`sign-off ${id}: write failed${failed?.[0] ? `: ${failed[0].message}` : ''}`);
      return result;
    } finally {
      await redis.eval(RELEASE, 1, lockKey(id), token).catch(() => undefined);
    }
  }

  const store: SignoffStore = {
    async open(o) {
      const fresh = openRequest(o);
      return update<{ request: SignoffRequest; created: boolean }>(fresh.request.id, (current) => {
        if (current !== null) return { next: null, audit: [], result: { request: current, created: false } };
        return { next: fresh.request, audit: fresh.audit, result: { request: fresh.request, created: true } };
      });
    },
    async get(id) {
      return parse(await redis.get(reqKey(id)));
    },
    async apply(id, event, policy) {
      return update(id, (current) => {
        if (current === null) return { next: null, audit: [], result: null };
        const outcome = apply(current, event, policy, now());
        const changed = outcome.request !== current;
        return { next: changed ? outcome.request : null, audit: outcome.audit, result: outcome };
      });
    },
    async setMessage(id, message) {
      await update(id, (current) => {
        if (current === null) return { next: null, audit: [], result: undefined };
        return { next: { ...current, message }, audit: [], result: undefined };
      });
    },
    async expireDue(policyOf) {
      const due = await redis.zrangebyscore(pendingKey, '-inf', String(now().getTime()));
      const expired: SignoffRequest[] = [];
      for (const id of due) {
        const current = await store.get(id);
        if (current === null) {
          await redis.zrem(pendingKey, id);
          continue;
        }
        const outcome = await store.apply(id, { type: 'expire' }, policyOf(current));
        if (outcome && outcome.from === 'pending' && outcome.request.state === 'expired') expired.push(outcome.request);
      }
      return expired;
    },
    async comment(id, user, text) {
      const r = await store.get(id);
      if (r === null) return;
      const e: SignoffAuditEntry = {
        at: now().toISOString(), type: 'comment', request: r.id, window: r.window, environment: r.environment,
        phase: r.phase, round: r.round, evidenceHash: r.evidenceHash, user, detail: text.slice(0, 2000),
      };
      await redis.xadd(auditKey, '*', ...auditArgs(e));
    },
    async audit(filter = {}) {
      // Filtered on the recorded time (`at`), not the stream id: the record is what was said.
      const since = filter.since ? filter.since.toISOString() : null;
      const out: SignoffAuditEntry[] = [];
      let cursor = '-';
      for (;;) {
        const rows = await redis.xrange(auditKey, cursor, '+', 'COUNT', 1000);
        for (const [, flat] of rows) {
          const f: Record<string, string> = {};
          for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
          const e = auditEntryOf(f);
          if (e && (filter.window === undefined || e.window === filter.window) && (since === null || e.at >= since)) out.push(e);
        }
        if (rows.length < 1000) break;
        cursor = `(${rows[rows.length - 1]?.[0] ?? ''}`;
      }
      return out;
    },
    async ofWindow(window) {
      const ids = await redis.smembers(windowKey(window));
      const all = await Promise.all(ids.sort().map((id) => store.get(id)));
      return all.filter((r): r is SignoffRequest => r !== null);
    },
    async countByState() {
      const out: Record<string, number> = {};
      for (const state of Object.values(await redis.hgetall(statesKey))) out[state] = (out[state] ?? 0) + 1;
      return out;
    },
    async claimPost(id, ttlMs) {
      return (await redis.set(storeKey(prefix, 'signoff', 'posting', id), '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async releasePost(id) {
      await redis.del(storeKey(prefix, 'signoff', 'posting', id));
    },
    async bindThread(channel, threadTs, window) {
      await redis.hset(storeKey(prefix, 'signoff', 'threads'), `${channel}:${threadTs}`, window);
    },
    async windowOfThread(channel, threadTs) {
      return redis.hget(storeKey(prefix, 'signoff', 'threads'), `${channel}:${threadTs}`);
    },
  };
  return store;
}

function auditEntryOf(f: Record<string, string>): SignoffAuditEntry | null {
  const type = f.type;
  if (type !== 'request' && type !== 'vote' && type !== 'comment' && type !== 'transition' && type !== 'evidence' && type !== 'refused') return null;
  const phase = f.phase === 'result' ? 'result' : 'plan';
  const e: SignoffAuditEntry = {
    at: f.at ?? '', type, request: f.request ?? '', window: f.window ?? '', environment: f.environment ?? '', phase,
    round: Number(f.round ?? 1), evidenceHash: f.evidenceHash ?? '',
  };
  if (f.user !== undefined) e.user = f.user;
  if (f.decision === 'approve' || f.decision === 'reject') e.decision = f.decision;
  const states = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
  const st = (s: string | undefined) => states.find((x) => x === s);
  const from = st(f.from);
  const to = st(f.to);
  if (from) e.from = from;
  if (to) e.to = to;
  if (f.reason !== undefined) e.reason = f.reason;
  if (f.detail !== undefined) e.detail = f.detail;
  return e;
}
