/**
 * Exactly-once Slack posts. One record per advisory × channel (the parent message, whose ts is the
 * thread) and one per thread reply. Posting goes through a claim:
 *
 *   (none | released) --claim--> posting{owner, since} --markPosted--> posted{ts}
 *                                  posting --release--> released{releases + 1}
 *
 * The owner is the BullMQ job id, which BullMQ runs on one worker at a time. A claim found in
 * `posting` by its own owner (a retry, or the job recovered after its worker died) or older than
 * `staleMs` means an earlier attempt may or may not have reached Slack: the caller must reconcile
 * (look for the message's metadata marker in the channel history since `since`) before posting.
 * A definite "Slack did not post" (an error response), or a reconciliation that cannot read the
 * channel, releases the claim: the record stays as `released` with a count, so the next delivery
 * of the same state is a new job (its id names the release). After a definite "not posted" that
 * job claims afresh; after an unchecked one (`uncertain`) it reconciles first, keeping `since`.
 */
import type { RedisClient as Redis } from './redis-connection.ts';

export type PostState = 'posting' | 'posted' | 'released';

export interface PostRecord {
  state: PostState;
  owner: string;
  /** First claim time (ms): where a reconciling history search starts. */
  since: number;
  ts: string | null;
  /** Hash of the snapshot last rendered into the message. */
  hash: string | null;
  /** JSON summary of what the message last said (for change replies). */
  summary: string | null;
  /** Times the message was re-rendered after posting: names each update, so a state seen before is still a new update. */
  rev: number;
  /** Times a claim on it was released without a post. */
  releases: number;
  ackUser: string | null;
  ackAt: string | null;
  /** Rebuilt from the channel history after Redis lost its data: what the message showed is unknown. */
  recovered: boolean;
}

export type ClaimResult =
  | { result: 'claimed' }
  | { result: 'posted'; ts: string }
  | { result: 'reconcile'; since: number }
  | { result: 'busy' };

/** advisory × channel (parent), or advisory × channel × reply key. */
export interface PostKey {
  advisory: string;
  channel: string;
  reply?: string;
}

export interface PostStore {
  claim(key: PostKey, owner: string): Promise<ClaimResult>;
  markPosted(key: PostKey, owner: string, ts: string, extra?: { hash?: string; summary?: string }): Promise<void>;
  /**
   * Give the claim up without a post. `uncertain`: an earlier attempt may have posted (it could
   * not be checked), so the next claim reconciles first instead of posting straight away.
   */
  release(key: PostKey, owner: string, options?: { uncertain?: boolean }): Promise<void>;
  get(key: PostKey): Promise<PostRecord | null>;
  setRendered(key: PostKey, hash: string, summary: string): Promise<void>;
  acknowledge(key: PostKey, user: string, at: string): Promise<boolean>;
  /** Channels where this advisory has a parent post record. */
  channels(advisory: string): Promise<string[]>;
  /**
   * A post found in Slack (its metadata marker) after Redis lost its data: recorded as posted
   * unless a record exists already. True when recorded.
   */
  restore(key: PostKey, ts: string): Promise<boolean>;
}

export interface PostStoreOptions {
  redis: Redis;
  prefix: string;
  /** A `posting` claim older than this is treated as abandoned (default 60 s, above the job lock). */
  staleMs?: number;
  now?: () => number;
}

/** The post key of a channel's first-run digest (not an advisory: no thread, never updated); its marker is `first-run-digest/CHANNEL/digest`. */
export const DIGEST_POST_KEY = { advisory: 'first-run-digest', reply: 'digest' } as const;

const SAFE_PART = /^[A-Za-z0-9._-]+$/;

const CLAIM = `
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'released' and redis.call('HGET', KEYS[1], 'uncertain') == '1' then
  redis.call('HSET', KEYS[1], 'state', 'posting', 'owner', ARGV[1], 'claimedAt', ARGV[2])
  return {'reconcile', redis.call('HGET', KEYS[1], 'since')}
end
if (not state) or state == 'released' then
  redis.call('HSET', KEYS[1], 'state', 'posting', 'owner', ARGV[1], 'claimedAt', ARGV[2], 'since', ARGV[2])
  return {'claimed'}
end
if state == 'posted' then return {'posted', redis.call('HGET', KEYS[1], 'ts')} end
local owner = redis.call('HGET', KEYS[1], 'owner')
local at = tonumber(redis.call('HGET', KEYS[1], 'claimedAt'))
if owner == ARGV[1] or (tonumber(ARGV[2]) - at) > tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'claimedAt', ARGV[2])
  return {'reconcile', redis.call('HGET', KEYS[1], 'since')}
end
return {'busy'}
`;

const MARK_POSTED = `
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'posted' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'posted', 'ts', ARGV[1], 'owner', ARGV[2], 'postedAt', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'hash', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'summary', ARGV[5]) end
return 1
`;

const RESTORE = `
if redis.call('HGET', KEYS[1], 'state') == 'posted' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'posted', 'ts', ARGV[1], 'owner', 'recovered', 'since', ARGV[2], 'postedAt', ARGV[2], 'recovered', '1')
return 1
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'state') == 'posting' and redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'released', 'owner', '', 'uncertain', ARGV[2])
  return redis.call('HINCRBY', KEYS[1], 'releases', 1)
end
return 0
`;

export function createPostStore(options: PostStoreOptions): PostStore {
  const { redis, prefix } = options;
  const staleMs = options.staleMs ?? 60_000;
  const now = options.now ?? Date.now;

  const keyOf = (k: PostKey): string => {
    for (const part of [k.advisory, k.channel, k.reply ?? 'x']) {
      // Parts come from validated ids (CVE regex, config channel ids, our own hashes); refuse anything else.
      if (!SAFE_PART.test(part)) throw new Error(`unsafe post key part ${JSON.stringify(part)}`);
    }
    return k.reply === undefined ? `${prefix}:post:${k.advisory}:${k.channel}` : `${prefix}:reply:${k.advisory}:${k.channel}:${k.reply}`;
  };
  const indexKey = (advisory: string) => `${prefix}:post-channels:${advisory}`;

  return {
    async claim(key, owner) {
      const res = (await redis.eval(CLAIM, 1, keyOf(key), owner, String(now()), String(staleMs))) as string[];
      if (key.reply === undefined) await redis.sadd(indexKey(key.advisory), key.channel);
      switch (res[0]) {
        case 'claimed': return { result: 'claimed' };
        case 'posted': return { result: 'posted', ts: res[1] ?? '' };
        case 'reconcile': return { result: 'reconcile', since: Number(res[1] ?? 0) };
        default: return { result: 'busy' };
      }
    },
    async markPosted(key, owner, ts, extra = {}) {
      await redis.eval(MARK_POSTED, 1, keyOf(key), ts, owner, String(now()), extra.hash ?? '', extra.summary ?? '');
      // A record rebuilt from Slack was never claimed here: index its channel too.
      if (key.reply === undefined) await redis.sadd(indexKey(key.advisory), key.channel);
    },
    async release(key, owner, opts = {}) {
      await redis.eval(RELEASE, 1, keyOf(key), owner, opts.uncertain ? '1' : '0');
    },
    async get(key) {
      const h = await redis.hgetall(keyOf(key));
      if (h.state !== 'posting' && h.state !== 'posted' && h.state !== 'released') return null;
      return {
        state: h.state,
        owner: h.owner ?? '',
        since: Number(h.since ?? 0),
        ts: h.ts ?? null,
        hash: h.hash ?? null,
        summary: h.summary ?? null,
        rev: Number(h.rev ?? 0),
        releases: Number(h.releases ?? 0),
        ackUser: h.ackUser ?? null,
        ackAt: h.ackAt ?? null,
        recovered: h.recovered === '1',
      };
    },
    async setRendered(key, hash, summary) {
      // Once rendered by us again, a recovered record knows what its message shows.
      await redis.multi().hset(keyOf(key), 'hash', hash, 'summary', summary).hincrby(keyOf(key), 'rev', 1).hdel(keyOf(key), 'recovered').exec();
    },
    async acknowledge(key, user, at) {
      // Only the first acknowledgement counts; HSETNX keeps it.
      const set = await redis.hsetnx(keyOf(key), 'ackUser', user);
      if (set === 1) await redis.hset(keyOf(key), 'ackAt', at);
      return set === 1;
    },
    async channels(advisory) {
      return (await redis.smembers(indexKey(advisory))).sort();
    },
    async restore(key, ts) {
      const res = await redis.eval(RESTORE, 1, keyOf(key), ts, String(now()));
      if (key.reply === undefined) await redis.sadd(indexKey(key.advisory), key.channel);
      return res === 1;
    },
  };
}

/** A short mutual-exclusion lock (SET NX PX) so two jobs never edit the same message at once. */
export interface Lock {
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
}

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function createLock(options: { redis: Redis; prefix: string }): Lock {
  const keyOf = (name: string) => {
    if (!SAFE_PART.test(name)) throw new Error(`unsafe lock name ${JSON.stringify(name)}`);
    return `${options.prefix}:lock:${name}`;
  };
  return {
    async acquire(name, owner, ttlMs) {
      return (await options.redis.set(keyOf(name), owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async release(name, owner) {
      await options.redis.eval(UNLOCK, 1, keyOf(name), owner);
    },
  };
}
