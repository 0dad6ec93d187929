/**
 * Real Redis for tests (REDIS_URL, default redis://127.0.0.1:6379), isolated per test by a
 * unique key prefix. `cleanup()` deletes every key under the prefix and closes connections.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** Unique per call, e.g. "test-3f2a9c1e". Use as key prefix and in queue names. */
  prefix: string;
  /** A connection suitable for BullMQ too (maxRetriesPerRequest: null). */
  redis: Redis;
  /** Another connection with the same settings (BullMQ workers need their own). */
  connect(): Redis;
  cleanup(): Promise<void>;
}

export async function testRedis(label = 'test'): Promise<TestRedis> {
  const prefix = `${label}-${randomUUID().slice(0, 8)}`;
  const opened: Redis[] = [];
  const connect = () => {
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
    opened.push(r);
    return r;
  };
  const redis = connect();
  await redis.ping();
  return {
    prefix,
    redis,
    connect,
    async cleanup() {
      await deleteKeysContaining(redis, prefix);
      await Promise.all(opened.map((r) => r.quit().catch(() => r.disconnect())));
    },
  };
}

/** Deletes every key whose name contains `fragment` (a test's or bench's unique prefix). */
export async function deleteKeysContaining(redis: Redis, fragment: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${fragment}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
