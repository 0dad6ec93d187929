/**
 * Opening Redis: one standalone server (REDIS_URL, `rediss://` for TLS), a Sentinel-managed
 * master (`redis.sentinel` in the config) or a Redis Cluster (`redis.cluster`). Every store and
 * every BullMQ queue of a deployment share one hash-tagged prefix (`{k8s-advisor}`), so all keys
 * land in one Cluster slot and MULTI/Lua never cross slots.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from '../errors.ts';

/** What the stores and queues take: a standalone/Sentinel client or a Cluster client (same commands). */
export type RedisClient = Redis | Cluster;

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; name: string; sentinels: HostPort[]; tls: boolean }
  | { kind: 'cluster'; nodes: HostPort[]; tls: boolean };

/** The config file's `redis:` section (see src/config/schema.ts). */
export interface RedisSection {
  cluster?: { nodes: string[] } | undefined;
  sentinel?: { name: string; sentinels: string[] } | undefined;
  tls?: boolean | undefined;
}

export interface RedisCredentials {
  username?: string;
  password?: string;
  /** Sentinels' own password (REDIS_SENTINEL_PASSWORD), when they have one. */
  sentinelPassword?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** "host:port" or "[v6]:port" → HostPort; null when it is neither. */
export function parseHostPort(text: string): HostPort | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * Where to connect: the config's `redis.cluster` or `redis.sentinel` when given, else REDIS_URL.
 * Problems name the key or variable to fix (all at once).
 */
export function redisTargetFrom(section: RedisSection | undefined, env: NodeJS.ProcessEnv): RedisTarget {
  const problems: string[] = [];
  const list = (key: string, items: string[]): HostPort[] => items.flatMap((item, i) => {
    const hp = parseHostPort(item);
    if (hp === null) problems.push(`${key}[${i}]: "${item}" is not "host:port" (like "10.0.0.5:6379")`);
    return hp === null ? [] : [hp];
  });
  const tls = section?.tls === true;
  let target: RedisTarget;
  if (section?.cluster && section.sentinel) {
    problems.push('redis: give either cluster or sentinel, not both');
    target = { kind: 'single', url: DEFAULT_REDIS_URL };
  } else if (section?.cluster) {
    target = { kind: 'cluster', nodes: list('redis.cluster.nodes', section.cluster.nodes), tls };
  } else if (section?.sentinel) {
    target = { kind: 'sentinel', name: section.sentinel.name, sentinels: list('redis.sentinel.sentinels', section.sentinel.sentinels), tls };
  } else {
    const url = env.REDIS_URL ?? DEFAULT_REDIS_URL;
    let parsed: URL | null;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if (parsed === null || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
      problems.push(`REDIS_URL: "${redactRedisUrl(url)}" is not a redis:// or rediss:// URL (like redis://127.0.0.1:6379)`);
    }
    if (tls) problems.push('redis.tls: applies to cluster and sentinel; for one server use a rediss:// REDIS_URL');
    target = { kind: 'single', url };
  }
  if (problems.length > 0) throw new ConfigError(problems, 'Redis settings (config "redis:" and REDIS_URL)');
  return target;
}

export function credentialsFrom(env: NodeJS.ProcessEnv): RedisCredentials {
  return {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
  };
}

/** For logs and errors: never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  switch (target.kind) {
    case 'single': return redactRedisUrl(target.url);
    case 'sentinel': return `sentinel "${target.name}" via ${target.sentinels.map(hostPortText).join(', ')}`;
    case 'cluster': return `cluster ${target.nodes.map(hostPortText).join(', ')}`;
  }
}

const hostPortText = (hp: HostPort) => (hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);

export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export interface ClientOptions {
  /**
   * false for producers: a command during an outage fails at once ("Stream isn't writeable")
   * instead of waiting in memory, so a slash command can answer that Redis is down.
   */
  offlineQueue?: boolean;
  autoPipelining?: boolean;
  lazyConnect?: boolean;
}

/** One client for the target. `maxRetriesPerRequest: null` as BullMQ workers require. */
export function createRedisClient(target: RedisTarget, credentials: RedisCredentials = {}, options: ClientOptions = {}): RedisClient {
  const common: RedisOptions = {
    maxRetriesPerRequest: null,
    enableOfflineQueue: options.offlineQueue ?? true,
    enableAutoPipelining: options.autoPipelining ?? false,
    lazyConnect: options.lazyConnect ?? false,
    ...(credentials.username ? { username: credentials.username } : {}),
    ...(credentials.password ? { password: credentials.password } : {}),
  };
  switch (target.kind) {
    case 'single':
      // URL credentials win over REDIS_USERNAME/REDIS_PASSWORD only when the URL carries some.
      return new Redis(target.url, common);
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        ...(credentials.sentinelPassword ? { sentinelPassword: credentials.sentinelPassword } : {}),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      });
    case 'cluster': {
      const { enableOfflineQueue, enableAutoPipelining, lazyConnect, ...redisOptions } = common;
      const clusterOptions: ClusterOptions = {
        enableOfflineQueue: enableOfflineQueue ?? true,
        enableAutoPipelining: enableAutoPipelining ?? false,
        lazyConnect: lazyConnect ?? false,
        redisOptions: { ...redisOptions, ...(target.tls ? { tls: {} } : {}) },
        // TLS certificates name the hosts given, not the addresses the nodes announce.
        ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

/** Another client to the same place with other queueing options (BullMQ workers need their own). */
export function duplicateRedis(client: RedisClient, options: ClientOptions = {}): RedisClient {
  if (client instanceof Cluster) {
    return client.duplicate(undefined, {
      ...(options.offlineQueue !== undefined ? { enableOfflineQueue: options.offlineQueue } : {}),
      ...(options.autoPipelining !== undefined ? { enableAutoPipelining: options.autoPipelining } : {}),
      lazyConnect: options.lazyConnect ?? false,
      redisOptions: { ...client.options.redisOptions, maxRetriesPerRequest: null },
    });
  }
  return client.duplicate({
    maxRetriesPerRequest: null,
    ...(options.offlineQueue !== undefined ? { enableOfflineQueue: options.offlineQueue } : {}),
    ...(options.autoPipelining !== undefined ? { enableAutoPipelining: options.autoPipelining } : {}),
    lazyConnect: options.lazyConnect ?? false,
  });
}

/**
 * The deployment prefix as a hash tag: "k8s-advisor" → "{k8s-advisor}". A prefix that already
 * holds a non-empty tag is kept, so wrapping twice never moves keys to another slot.
 */
export function hashTagged(prefix: string): string {
  return hashTagOf(prefix) !== null ? prefix : `{${prefix}}`;
}

/** Redis Cluster's rule: the text between the first "{" and the first "}" after it, when not empty. */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/** Errors that mean "Redis cannot be reached right now" (not a bad command). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  return /enableOfflineQueue|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ClusterAllFailedError|Failed to refresh slots cache|CLUSTERDOWN|All sentinels are unreachable|LOADING/.test(err.message)
    || err.name === 'MaxRetriesPerRequestError' || err.name === 'ClusterAllFailedError';
}
