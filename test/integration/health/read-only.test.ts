/**
 * "Works with a read-only root filesystem" checked on the real processes instead of trusting the
 * Dockerfile: the hub and an agent run under strace (when installed) through start-up, real work
 * (a feed poll and posts; a verification) and SIGTERM, and no file is opened for writing, created,
 * renamed or removed anywhere but /tmp (and /dev, /proc).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentQueueName } from '../../../src/agent/queue.ts';
import { hashTagged } from '../../../src/store/redis-connection.ts';
import { createFakeApiServer, scenarios } from '../../helpers/fake-apiserver.ts';
import { startFakeSlack } from '../../helpers/fake-slack.ts';
import { startFeedServer } from '../../helpers/feed-server.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const STRACE = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

let dir: string;
let r: TestRedis;
let tracer: ChildProcess | null = null;

/** The traced role: strace's own child process. */
const roleOf = (p: ChildProcess): number[] => spawnSync('pgrep', ['-P', String(p.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);

beforeEach(async () => {
  // Under /tmp on purpose: the only place the processes may write (and strace's own output).
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-ro-'));
  r = await testRedis('readonly');
});
afterEach(async () => {
  // A failed test must not leave a role running against the shared Redis.
  if (tracer && tracer.exitCode === null) {
    for (const pid of roleOf(tracer)) process.kill(pid, 'SIGKILL');
    tracer.kill('SIGKILL');
  }
  tracer = null;
  await r.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Paths the traced process changed: opened for writing or created, renamed, removed, truncated. */
export function writesOf(trace: string): string[] {
  const out: string[] = [];
  for (const line of trace.split('\n')) {
    const call = /(openat|open|creat|mkdirat|mkdir|renameat2|renameat|rename|unlinkat|unlink|truncate)\((?:AT_FDCWD, |\d+, )?"([^"]+)"(.*)$/.exec(line);
    if (!call) continue;
    const [, name, path, rest] = call;
    const writes = name!.startsWith('open') ? /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(rest!) : true;
    if (writes) out.push(path!);
  }
  return out;
}

const allowed = (p: string) => /^\/(tmp|dev|proc)\//.test(p) || p === '/dev/null';

async function traced(args: string[], env: Record<string, string>, work: (lines: Record<string, unknown>[]) => Promise<void>): Promise<string> {
  const traceFile = join(dir, 'trace.out');
  // --seccomp-bpf: only the traced calls stop the process (a full trace makes Node crawl).
  const proc = spawn('strace', ['--seccomp-bpf', '-f', '-qq', '-e', 'trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,truncate', '-e', 'status=successful', '-o', traceFile,
    process.execPath, resolve(REPO_ROOT, 'src/cli.ts'), ...args], {
    cwd: dir, env: { ...process.env, REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, HEALTH_PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  tracer = proc;
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      try { lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>); } catch { /* not a log line */ }
      buffer = buffer.slice(nl + 1);
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const exit = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  try {
    await work(lines);
  } finally {
    // SIGTERM the traced role itself (strace's child), as Kubernetes would; strace ends with it.
    const role = roleOf(proc);
    for (const pid of role) process.kill(pid, 'SIGTERM');
    if (role.length === 0) proc.kill('SIGTERM');
  }
  expect(await exit, stderr).toBe(0);
  return readFileSync(traceFile, 'utf8');
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe.skipIf(!STRACE)('read-only root filesystem (strace)', { timeout: 120_000 }, () => {
  it('reads a trace: writes are opens for writing, creations, renames and removals', () => {
    expect(writesOf([
      '123 openat(AT_FDCWD, "/app/dist/cli.js", O_RDONLY|O_CLOEXEC) = 21',
      '123 openat(AT_FDCWD, "/app/state.json", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 22',
      '124 mkdir("/home/node/.cache", 0777) = 0',
      '124 unlinkat(AT_FDCWD, "/tmp/x", 0) = 0',
    ].join('\n'))).toEqual(['/app/state.json', '/home/node/.cache', '/tmp/x']);
  });

  it('the hub writes nothing outside /tmp while it polls, posts and stops', async () => {
    const slack = await startFakeSlack();
    const feed = await startFeedServer({ body: readFileSync(resolve(REPO_ROOT, 'data/sample-feed.json'), 'utf8') });
    const config = join(dir, 'fleet.yaml');
    writeFileSync(config, `
feed: { url: "${feed.url}", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD }, announceBacklog: true }
environments: { prod: {} }
clusters:
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
`);
    try {
      const trace = await traced(['hub', '--config', config], {
        SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', SLACK_API_URL: slack.apiUrl,
      }, async () => {
        await until(() => slack.messages.some((m) => m.channel === 'C0PROD'), 'a post');
      });
      expect(trace).toContain('src/cli.ts'); // the trace saw the process start
      expect(writesOf(trace).filter((p) => !allowed(p))).toEqual([]);
    } finally {
      await feed.close();
      await slack.close();
    }
  });

  it('an agent writes nothing outside /tmp while it verifies and stops', async () => {
    const api = await createFakeApiServer({ scenario: scenarios.eks() });
    const config = join(dir, 'fleet.yaml');
    writeFileSync(config, 'environments: { prod: {} }\nclusters:\n  - { name: remote, environment: prod, agent: true }\n');
    const queue = new Queue(agentQueueName('remote'), { connection: r.connect(), prefix: hashTagged(r.prefix) });
    try {
      const trace = await traced(['agent', '--config', config, '--cluster', 'remote', '--kubeconfig', await api.writeKubeconfig()], {}, async (lines) => {
        await until(() => lines.some((l) => l.msg === 'agent started'), 'the agent to start');
        await queue.add('verify', { cluster: 'remote', requestedBy: 'test', requestedAt: new Date().toISOString() }, { jobId: 'verify-remote-ro', attempts: 1 });
        let state = '';
        await until(() => { void queue.getJobState('verify-remote-ro').then((s) => { state = s; }); return state === 'completed'; }, 'the verification');
      });
      expect(trace).toContain('src/cli.ts');
      expect(writesOf(trace).filter((p) => !allowed(p))).toEqual([]);
    } finally {
      await queue.close();
      await api.close();
    }
  });
});
