/**
 * When the feed was last fetched successfully, by any replica. Only one replica runs each poll
 * (one BullMQ job scheduler), so an in-process time would make every other replica look stale:
 * the time lives in Redis, written by whoever polled, read by every replica's readiness check
 * and metrics.
 */
import type { Redis } from 'ioredis';
import { storeKey } from '../store/keys.ts';

export interface FeedSuccessStore {
  record(at: Date): Promise<void>;
  last(): Promise<Date | null>;
}

export function feedSuccessKey(prefix: string): string {
  return storeKey(prefix, 'health', 'feed-last-success');
}

export function createFeedSuccessStore(options: { redis: Pick<Redis, 'set' | 'get'>; prefix: string }): FeedSuccessStore {
  const key = feedSuccessKey(options.prefix);
  return {
    async record(at) {
      await options.redis.set(key, String(at.getTime()));
    },
    async last() {
      const raw = await options.redis.get(key);
      if (raw === null || !/^\d{1,16}$/.test(raw)) return null;
      return new Date(Number(raw));
    },
  };
}
