/**
 * Noticing that Redis lost its data (a restart without persistence, a failover to an empty
 * replica) and recovering before anything is posted. A marker key holds an epoch id: written at
 * start, checked every `checkEveryMs` and whenever Redis comes back. BullMQ job schedulers live
 * in Redis too, so a lost marker means the feed would never be polled again unless recreated.
 *
 * Recovery (one replica at a time, under a lock): rebuild the post records from Slack, seed the
 * feed state so the next poll is not mistaken for a first run (which would silently remember
 * everything as backlog, genuinely new advisories included), write a new marker, then recreate
 * the schedulers. Other replicas see the new epoch and recreate their schedulers (idempotent).
 *
 * A missing marker at start is either a first install or data lost while no hub ran; posts
 * found in Slack tell them apart.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { errorMessage } from '../errors.ts';
import { type FeedStateStore, SEED_ENTRY } from './feed-state.ts';
import { storeKey } from './keys.ts';
import type { RedisClient } from './redis-connection.ts';

/**
 * A known-entry id that is never a CVE id: seeded when data was lost but nothing could be
 * recovered, so the next poll still counts as a later poll. The poll forgets it (not in the feed).
 */
export const RECOVERY_SEED_ID = 'k8s-advisor-recovered';

export interface RecoveredPosts {
  posts: number;
  /** Thread replies and first-run digests recovered (recoverPostsFromSlack counts both; default 0). */
  replies?: number;
  digests?: number;
  advisories: string[];
}

export interface DataLossGuardOptions {
  redis: RedisClient;
  prefix: string;
  logger: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** Rebuild post records from Slack (recoverPostsFromSlack). */
  recoverPosts: () => Promise<RecoveredPosts>;
  /** Recreate the BullMQ job schedulers (an upsert: harmless when they exist). */
  recreateSchedulers: () => Promise<void>;
  feedState: Pick<FeedStateStore, 'getKnown' | 'saveKnown'>;
  /** While this says Redis is down, checks are skipped (no failed-check line every tick of an outage). */
  isUp?: () => boolean;
  /** How often the marker is checked (default 15 s). */
  checkEveryMs?: number;
  /** How long one replica may hold the recovery lock (default 5 min). */
  lockMs?: number;
  /** At start, recovery attempts before giving up (default 30) and the pause between them (default 2 s). */
  startAttempts?: number;
  retryMs?: number;
  now?: () => Date;
}

export type CheckResult = 'ok' | 'recovered' | 'adopted' | 'busy' | 'error';

export interface DataLossGuard {
  /** At start, before anything can post: write the marker, recovering first when it is missing. */
  start(): Promise<{ firstInstall: boolean; recovered: number }>;
  /** One check now (the timer and the "Redis is back" event call it). Never throws. */
  check(): Promise<CheckResult>;
  stop(): void;
}

export function markerKey(prefix: string): string {
  return storeKey(prefix, 'marker');
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export function createDataLossGuard(options: DataLossGuardOptions): DataLossGuard {
  const { redis, logger } = options;
  const now = options.now ?? (() => new Date());
  const key = markerKey(options.prefix);
  const lockKey = storeKey(options.prefix, 'lock', 'data-loss-recovery');
  const lockMs = options.lockMs ?? 5 * 60_000;
  let epoch: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<CheckResult> | null = null;

  const readMarker = async (): Promise<string | null> => {
    const raw = await redis.get(key);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as { epoch?: unknown };
      return typeof parsed.epoch === 'string' ? parsed.epoch : raw;
    } catch {
      return raw;
    }
  };

  /** Seed the feed state so the next poll is a later poll, not a first run; never overwrites entries. */
  const seedFeedState = async (advisories: string[]) => {
    const known = await options.feedState.getKnown();
    if (known.size > 0) return;
    const ids = advisories.length > 0 ? advisories : [RECOVERY_SEED_ID];
    await options.feedState.saveKnown({ upsert: ids.map((id) => [id, SEED_ENTRY] as const) });
  };

  /**
   * Recover under the lock. `lost`: the marker vanished while we ran (certainly a loss);
   * otherwise (start, no marker) posts found in Slack decide.
   */
  const recover = async (lost: boolean): Promise<{ result: 'recovered' | 'busy'; posts: number; firstInstall: boolean }> => {
    const owner = randomUUID();
    const got = await redis.set(lockKey, owner, 'PX', lockMs, 'NX');
    if (got !== 'OK') return { result: 'busy', posts: 0, firstInstall: false };
    // Reading every thread of a large install can outlast the lock (Tier 3 reads): keep it while we work.
    const keep = setInterval(() => { void redis.eval(EXTEND, 1, lockKey, owner, String(lockMs)).catch(() => 0); }, Math.max(50, Math.floor(lockMs / 3)));
    keep.unref();
    try {
      // Another replica may have finished between our read and the lock.
      const again = await readMarker();
      if (again !== null) {
        epoch = again;
        return { result: 'recovered', posts: 0, firstInstall: false };
      }
      const recovered = await options.recoverPosts();
      const replies = recovered.replies ?? 0;
      const digests = recovered.digests ?? 0;
      // A digest alone (a first run that only remembered the backlog) is proof of an earlier install too.
      const firstInstall = !lost && recovered.posts + replies + digests === 0;
      if (!firstInstall) await seedFeedState(recovered.advisories);
      const next = randomUUID();
      await redis.set(key, JSON.stringify({ epoch: next, at: now().toISOString() }));
      epoch = next;
      await options.recreateSchedulers();
      if (!firstInstall) {
        logger.warn(
          { posts: recovered.posts, replies, digests, advisories: recovered.advisories.length },
          `Redis lost its data; recovered ${recovered.posts} posts, ${replies} replies, ${digests} digests from Slack`,
        );
      }
      return { result: 'recovered', posts: recovered.posts, firstInstall };
    } finally {
      clearInterval(keep);
      await redis.eval(RELEASE, 1, lockKey, owner).catch(() => 0);
    }
  };

  const checkOnce = async (): Promise<CheckResult> => {
    if (options.isUp && !options.isUp()) return 'error';
    try {
      const seen = await readMarker();
      if (seen !== null && seen === epoch) return 'ok';
      if (seen !== null) {
        // Another replica recovered (or started first): its schedulers are ours too.
        epoch = seen;
        await options.recreateSchedulers();
        return 'adopted';
      }
      return (await recover(true)).result;
    } catch (err) {
      // Redis away again: the next check (or its return) tries again.
      logger.warn({ err: errorMessage(err) }, 'data-loss check failed; will retry');
      return 'error';
    }
  };

  return {
    async start() {
      const seen = await readMarker();
      let out = { firstInstall: false, recovered: 0 };
      if (seen !== null) {
        epoch = seen;
      } else {
        // Replicas starting together: one recovers, the others wait for its marker. A recovery
        // that could not read Slack (network, rate limits) is retried: posting without it could
        // post second parents.
        let failures = 0;
        for (let attempt = 0; ; attempt++) {
          let r: Awaited<ReturnType<typeof recover>>;
          try {
            r = await recover(false);
          } catch (err) {
            if (++failures >= (options.startAttempts ?? 30)) throw err;
            logger.warn({ err: errorMessage(err), attempt: failures }, 'could not check Slack for posts to recover; retrying');
            await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 2_000));
            continue;
          }
          if (r.result === 'recovered') {
            out = { firstInstall: r.firstInstall, recovered: r.posts };
            break;
          }
          if (attempt > lockMs / 500) throw new Error('another replica holds the data-loss recovery lock for too long');
          await new Promise((resolve) => setTimeout(resolve, 500));
          const now2 = await readMarker();
          if (now2 !== null) {
            epoch = now2;
            break;
          }
        }
      }
      timer = setInterval(() => { void this.check(); }, options.checkEveryMs ?? 15_000);
      timer.unref();
      return out;
    },
    check() {
      running ??= checkOnce().finally(() => { running = null; });
      return running;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
