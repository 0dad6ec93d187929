/**
 * A real 3-master Redis Cluster on loopback, started by the vitest global setup
 * (test/global-setup.ts) and shared by the tests in test/integration/redis-cluster/:
 * `redis-server --cluster-enabled yes` on three free ports in a temporary directory, then
 * `redis-cli --cluster create … --cluster-yes`. Tests get the nodes with `inject('redisCluster')`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { hashTagged } from '../../src/store/redis-connection.ts';

const run = promisify(execFile);

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
export const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';

declare module 'vitest' {
  export interface ProvidedContext {
    /** "127.0.0.1:PORT" of each master, or null when redis-server/redis-cli are missing. */
    redisCluster: string[] | null;
    /** Why there is no cluster (shown by the skipped tests). */
    redisClusterSkip: string;
  }
}

export function clusterToolsAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0
    && spawnSync(REDIS_CLI, ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisClusterProcess {
  nodes: string[];
  stop(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

/**
 * Start three masters (cluster bus on port + 10000, so the ports come from a free range below
 * 55535) and join them. `ports` (e.g. 7101-7103 from REDIS_CLUSTER_PORTS) picks them by hand.
 */
export async function startRedisCluster(ports?: number[]): Promise<RedisClusterProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-advisor-cluster-'));
  const chosen: number[] = ports ?? [];
  while (chosen.length < 3) {
    const p = await freePort();
    if (p + 10_000 <= 65_535 && !chosen.includes(p)) chosen.push(p);
  }
  const started: number[] = [];
  const stop = async () => {
    for (const port of started) {
      await cli(port, 'shutdown', 'nosave').catch(() => undefined);
    }
    // SHUTDOWN answers before the process is gone; the pid files say when it is.
    for (const port of started) {
      const pid = Number(await readFile(join(dir, `redis-${port}.pid`), 'utf8').catch(() => '0'));
      for (let i = 0; pid > 0 && i < 50; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await pause(100);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of chosen) {
      await run(REDIS_SERVER, [
        '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
        '--pidfile', join(dir, `redis-${port}.pid`), '--logfile', join(dir, `redis-${port}.log`),
      ]);
      started.push(port);
    }
    for (const port of chosen) {
      for (let i = 0; ; i++) {
        if ((await cli(port, 'ping').catch(() => '')).trim() === 'PONG') break;
        if (i > 100) throw new Error(`redis-server on ${port} did not answer PING`);
        await pause(50);
      }
    }
    await run(REDIS_CLI, ['--cluster', 'create', ...chosen.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (const port of chosen) {
      for (let i = 0; ; i++) {
        if (/cluster_state:ok/.test(await cli(port, 'cluster', 'info').catch(() => ''))) break;
        if (i > 200) throw new Error(`cluster node ${port} never reached cluster_state:ok`);
        await pause(50);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: chosen.map((p) => `127.0.0.1:${p}`), stop };
}

export interface ClusterTestRedis {
  /** Hash-tagged and unique per call, e.g. "{cluster-3f2a9c1e}". */
  prefix: string;
  /** A Cluster client as main.ts builds one (maxRetriesPerRequest: null for BullMQ). */
  redis: Cluster;
  /** Another client to the same cluster. */
  connect(): Cluster;
  /** Deletes the test's keys on every master, closes the clients. */
  cleanup(): Promise<void>;
}

export async function clusterTestRedis(nodes: string[], label = 'cluster'): Promise<ClusterTestRedis> {
  const prefix = hashTagged(`${label}-${randomUUID().slice(0, 8)}`);
  const startup = nodes.map((n) => {
    const [host, port] = n.split(':');
    return { host: host ?? '127.0.0.1', port: Number(port) };
  });
  const opened: Cluster[] = [];
  const connect = () => {
    const c = new Cluster(startup, { redisOptions: { maxRetriesPerRequest: null } });
    opened.push(c);
    return c;
  };
  const redis = connect();
  await redis.ping();
  return {
    prefix,
    redis,
    connect,
    async cleanup() {
      const fragment = prefix.slice(1, -1);
      for (const node of redis.nodes('master')) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `*${fragment}*`, 'COUNT', 500);
          cursor = next;
          for (const key of keys) await node.del(key);
        } while (cursor !== '0');
      }
      await Promise.all(opened.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
