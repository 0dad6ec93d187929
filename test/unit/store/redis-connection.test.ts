import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';
import { bullPrefix } from '../../../src/queue/names.ts';
import {
  hashTagOf, createRedisClient, credentialsFrom, describeRedisTarget, duplicateRedis, hashTagged, isRedisUnavailable, parseHostPort, redisTargetFrom,
} from '../../../src/store/redis-connection.ts';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('parseHostPort', () => {
  it.each([
    ['10.0.0.5:6379', { host: '10.0.0.5', port: 6379 }],
    ['redis-0.redis.svc:7000', { host: 'redis-0.redis.svc', port: 7000 }],
    ['[::1]:6380', { host: '::1', port: 6380 }],
    [' 127.0.0.1:1 ', { host: '127.0.0.1', port: 1 }],
    ['127.0.0.1', null],
    ['127.0.0.1:0', null],
    ['127.0.0.1:70000', null],
    ['redis://127.0.0.1:6379', null],
    [':6379', null],
  ])('%j → %j', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });
});

describe('redisTargetFrom', () => {
  it.each([
    ['no section, no REDIS_URL: the local default', undefined, {}, { kind: 'single', url: 'redis://127.0.0.1:6379' }],
    ['REDIS_URL', undefined, { REDIS_URL: 'rediss://redis.example:6380/2' }, { kind: 'single', url: 'rediss://redis.example:6380/2' }],
    ['cluster nodes', { cluster: { nodes: ['10.0.0.1:7000', '10.0.0.2:7000'] } }, { REDIS_URL: 'redis://ignored:1' },
      { kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }], tls: false }],
    ['sentinel with TLS', { sentinel: { name: 'mymaster', sentinels: ['s1:26379'] }, tls: true }, {},
      { kind: 'sentinel', name: 'mymaster', sentinels: [{ host: 's1', port: 26379 }], tls: true }],
  ] as const)('%s', (_label, section, env, expected) => {
    expect(redisTargetFrom(section as Parameters<typeof redisTargetFrom>[0], env)).toEqual(expected);
  });

  it.each([
    ['a URL that is not redis', undefined, { REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL: "http:\/\/127\.0\.0\.1:6379\/" is not a redis:\/\/ or rediss:\/\/ URL/],
    ['an unparseable URL, password hidden', undefined, { REDIS_URL: 'not a url' }, /REDIS_URL: "\(unparseable URL\)"/],
    ['a bad node', { cluster: { nodes: ['10.0.0.1:7000', 'nohost'] } }, {}, /redis\.cluster\.nodes\[1\]: "nohost" is not "host:port"/],
    ['a bad sentinel', { sentinel: { name: 'm', sentinels: ['s1'] } }, {}, /redis\.sentinel\.sentinels\[0\]: "s1" is not "host:port"/],
    ['both cluster and sentinel', { cluster: { nodes: ['a:1'] }, sentinel: { name: 'm', sentinels: ['b:2'] } }, {}, /either cluster or sentinel, not both/],
    ['tls for one server', { tls: true }, {}, /redis\.tls: applies to cluster and sentinel; for one server use a rediss:\/\/ REDIS_URL/],
  ] as const)('refuses %s, naming what to fix', (_label, section, env, message) => {
    expect(problemsOf(() => redisTargetFrom(section as Parameters<typeof redisTargetFrom>[0], env)).join('\n')).toMatch(message);
  });

  it('never shows a password', () => {
    expect(describeRedisTarget({ kind: 'single', url: 'redis://agent:s3cret@10.0.0.5:6379' })).toBe('redis://agent:***@10.0.0.5:6379');
    expect(problemsOf(() => redisTargetFrom(undefined, { REDIS_URL: 'http://u:s3cret@h:1' })).join('')).not.toContain('s3cret');
    expect(describeRedisTarget({ kind: 'cluster', nodes: [{ host: '::1', port: 7000 }], tls: false })).toBe('cluster [::1]:7000');
  });
});

describe('credentialsFrom', () => {
  it('takes REDIS_USERNAME, REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, ignoring empty ones', () => {
    expect(credentialsFrom({ REDIS_USERNAME: 'agent-prod-eu', REDIS_PASSWORD: 'pw', REDIS_SENTINEL_PASSWORD: '' }))
      .toEqual({ username: 'agent-prod-eu', password: 'pw' });
    expect(credentialsFrom({})).toEqual({});
  });
});

describe('hash-tagged prefix', () => {
  it.each([
    ['k8s-advisor', '{k8s-advisor}'],
    ['{k8s-advisor}', '{k8s-advisor}'],
    ['team-a:{k8s-advisor}', 'team-a:{k8s-advisor}'],
    // "{}" is no tag (empty); "{{}}" is, with tag "{", so it is kept as it is.
    ['{}', '{{}}'],
    ['{{}}', '{{}}'],
  ])('%s → %s', (prefix, expected) => {
    expect(hashTagged(prefix)).toBe(expected);
    // Stores and BullMQ agree: wrapping a tagged prefix again never moves keys to another slot.
    expect(bullPrefix(hashTagged(prefix))).toBe(expected);
  });
});

describe('hashTagOf', () => {
  it.each([
    ['{k8s-advisor}:post:CVE-2023-2727:C0PROD', 'k8s-advisor'],
    ['{k8s-advisor}:agent-{prod-eu}:wait', 'k8s-advisor'],
    ['k8s-advisor:post:x', null],
    ['{}x{y}', null],
    ['a{b}c', 'b'],
  ])('%s → %s', (key, tag) => {
    expect(hashTagOf(key)).toBe(tag);
  });
});

describe('clients', () => {
  it('builds a standalone, Sentinel or Cluster client with BullMQ-safe options, without connecting', () => {
    const single = createRedisClient({ kind: 'single', url: 'redis://127.0.0.1:6379' }, { password: 'pw' }, { lazyConnect: true, offlineQueue: false });
    expect(single).toBeInstanceOf(Redis);
    expect((single as Redis).options).toMatchObject({ maxRetriesPerRequest: null, enableOfflineQueue: false, password: 'pw' });
    const sentinel = createRedisClient({ kind: 'sentinel', name: 'mymaster', sentinels: [{ host: '127.0.0.1', port: 26379 }], tls: false }, { sentinelPassword: 'sp' }, { lazyConnect: true });
    expect((sentinel as Redis).options).toMatchObject({ name: 'mymaster', sentinelPassword: 'sp', maxRetriesPerRequest: null });
    const cluster = createRedisClient({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 7000 }], tls: false }, { password: 'pw' }, { lazyConnect: true, offlineQueue: false });
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as Cluster).options).toMatchObject({ enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: null, password: 'pw' } });
    const dup = duplicateRedis(cluster, { offlineQueue: true, lazyConnect: true });
    expect(dup).toBeInstanceOf(Cluster);
    expect((dup as Cluster).options).toMatchObject({ enableOfflineQueue: true, redisOptions: { maxRetriesPerRequest: null, password: 'pw' } });
    for (const c of [single, sentinel, cluster, dup]) c.disconnect();
  });
});

describe('isRedisUnavailable', () => {
  const coded = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code });
  it.each([
    [coded('ECONNREFUSED'), true],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), true],
    [new Error('Connection is closed.'), true],
    [Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }), true],
    [new Error('CLUSTERDOWN The cluster is down'), true],
    [new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), false],
    [new Error('CROSSSLOT Keys in request don\'t hash to the same slot'), false],
    ['ECONNREFUSED', false],
  ])('%s → %s', (err, expected) => {
    expect(isRedisUnavailable(err)).toBe(expected);
  });
});

describe('config redis section', () => {
  const base = `
environments: { prod: {} }
clusters: [ { name: a, environment: prod, versions: { kubernetes: v1.35.2 } } ]
`;
  it('accepts cluster nodes and sentinel, and refuses what is wrong by key', () => {
    expect(loadConfig(`${base}redis: { cluster: { nodes: ["10.0.0.1:7000"] } }\n`).redis).toEqual({ cluster: { nodes: ['10.0.0.1:7000'] }, tls: false });
    expect(loadConfig(`${base}redis: { sentinel: { name: mymaster, sentinels: ["s1:26379"] }, tls: true }\n`).redis)
      .toEqual({ sentinel: { name: 'mymaster', sentinels: ['s1:26379'] }, tls: true });
    expect(loadConfig(base).redis).toBeUndefined();
    const bad = (text: string) => problemsOf(() => loadConfig(`${base}${text}\n`, { file: 'fleet.yaml' })).join('\n');
    expect(bad('redis: { cluster: { nodes: ["nohost"] } }')).toMatch(/redis\.cluster\.nodes\[0\].*host:port/);
    expect(bad('redis: { cluster: { nodes: [] } }')).toMatch(/redis\.cluster\.nodes.*at least one node/);
    expect(bad('redis: { url: "redis://x" }')).toMatch(/redis.*url/);
    expect(bad('redis: { cluster: { nodes: ["a:1"] }, sentinel: { name: m, sentinels: ["b:2"] } }')).toMatch(/redis.*either cluster or sentinel/);
  });
});
