/**
 * Once per `npm test`: (1) ping REDIS_URL and stop at once, with one message saying how to start
 * a Redis, instead of every test hanging on ECONNREFUSED; (2) start the 3-master Redis Cluster
 * the test/integration/redis-cluster tests use (free ports, or REDIS_CLUSTER_PORTS=7101,7102,7103)
 * and tear it down afterwards.
 */
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { clusterToolsAvailable, REDIS_CLI, REDIS_SERVER, startRedisCluster, type RedisClusterProcess } from './helpers/redis-cluster.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One PING with a short timeout and no retries; null when it answered. */
export async function pingOnce(url: string, timeoutMs = 2_000): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  // connect() rejects with "Connection is closed"; the 'error' event has the cause (ECONNREFUSED …).
  let cause = '';
  client.on('error', (err: Error) => { cause = err.message; });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    return cause || (err instanceof Error ? err.message : String(err));
  } finally {
    client.disconnect();
  }
}

export function noRedisMessage(url: string, reason: string): string {
  let port = '6379';
  try {
    port = new URL(url).port || '6379';
  } catch {
    // keep the default port in the hint
  }
  return [
    `The tests need a real Redis at REDIS_URL=${url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@')}, and it does not answer (${reason}).`,
    `Start one:  redis-server --daemonize yes --port ${port} --save "" --appendonly no`,
    '(Debian/Ubuntu: apt-get install redis-server), or point REDIS_URL at a reachable Redis.',
  ].join('\n');
}

let cluster: RedisClusterProcess | null = null;

export async function setup(project: TestProject): Promise<void> {
  const reason = await pingOnce(REDIS_URL);
  if (reason !== null) {
    const err = new Error(noRedisMessage(REDIS_URL, reason));
    // The message is the whole story: no stack or code frame under it.
    err.stack = err.message;
    throw err;
  }

  if (!clusterToolsAvailable()) {
    project.provide('redisCluster', null);
    project.provide('redisClusterSkip', `${REDIS_SERVER} or ${REDIS_CLI} not found on PATH: the Redis Cluster tests need them (.ci/run installs redis-server)`);
    return;
  }
  const ports = process.env.REDIS_CLUSTER_PORTS?.split(',').map((p) => Number(p.trim())).filter((p) => Number.isInteger(p) && p > 0);
  cluster = await startRedisCluster(ports && ports.length === 3 ? ports : undefined);
  project.provide('redisCluster', cluster.nodes);
  project.provide('redisClusterSkip', '');
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
  cluster = null;
}
