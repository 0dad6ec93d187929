/**
 * A Redis of the test's own (a `redis-server` child on a free loopback port) for tests that stop
 * and restart Redis — never the shared one. Persistence as in production: an append-only file
 * fsynced on every write, no RDB snapshots, in a temporary directory that survives `restart()`.
 *
 * Skip with `describe.skipIf(!redisServerAvailable())(...)` when redis-server is not installed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { TestRedis } from './redis.ts';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

let available: boolean | undefined;

/** True when `redis-server` runs (checked once per test file). */
export function redisServerAvailable(): boolean {
  available ??= spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

export const SKIP_REASON = `${REDIS_SERVER} not found on PATH: the Redis restart tests need their own Redis server`;

export interface PrivateRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly dir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** SIGTERM (Redis flushes the AOF and exits) and wait for the process to exit. */
  stop(): Promise<void>;
  /** Start again on the same port over the same data directory (stops first if running). */
  restart(): Promise<void>;
  /**
   * A restart that loses every key (a Redis without persistence, or a failover to an empty
   * replica): stop, delete the data files, start empty on the same port.
   */
  restartEmpty(): Promise<void>;
  /** Clients as the hub uses them (maxRetriesPerRequest: null), closed by `close()`. */
  connect(): Redis;
  /** A TestRedis over this server for the hub harness (unique prefix; cleanup closes its clients). */
  testRedis(label?: string): Promise<TestRedis>;
  /** Close clients, kill the server, remove the data directory. Idempotent. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once the server prints that it accepts connections; rejects if it exits first. */
function ready(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/Ready to accept connections/.test(out)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${out.slice(-2000)}`));
    };
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the pipe so a chatty server never blocks on a full stdout.
      child.stdout?.resume();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-advisor-redis-'));
  const clients: Redis[] = [];
  let port = 0;
  let child: ChildProcess | null = null;
  let closed = false;

  const spawnServer = async () => {
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no',
      '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--save', '',
      '--daemonize', 'no', '--loglevel', 'notice', '--logfile', '',
    ];
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    await ready(proc, port);
  };

  // The port is free when we ask; another process could take it before redis-server binds: retry.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await spawnServer();
      break;
    } catch (err) {
      if (attempt >= 5) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const stop = async () => {
    const proc = child;
    if (proc === null) return;
    child = null;
    const done = exited(proc);
    proc.kill('SIGTERM');
    await done;
  };

  const connect = () => {
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
    // A client of a server we stop on purpose: connection errors are expected, not fatal.
    r.on('error', () => undefined);
    clients.push(r);
    return r;
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return child !== null;
    },
    stop,
    async restart() {
      await stop();
      await spawnServer();
    },
    async restartEmpty() {
      await stop();
      for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
      await spawnServer();
    },
    connect,
    async testRedis(label = 'restart') {
      const prefix = `${label}-${randomUUID().slice(0, 8)}`;
      const own: Redis[] = [];
      const conn = () => {
        const r = connect();
        own.push(r);
        return r;
      };
      const redis = conn();
      await redis.ping();
      return {
        prefix,
        redis,
        connect: conn,
        // The whole server is thrown away by close(): only the connections need closing.
        async cleanup() {
          await Promise.all(own.map((r) => r.quit().catch(() => r.disconnect())));
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const r of clients) r.disconnect();
      const proc = child;
      child = null;
      if (proc !== null) {
        const done = exited(proc);
        proc.kill('SIGKILL');
        await done;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
