/**
 * Slash-command ack latency under an OPEN-LOOP burst: signed `/k8s` commands at a fixed rate
 * (default 200 a second for 10 s), each sent at its scheduled time whatever earlier requests are
 * doing, latency measured from that scheduled time — so a slow server cannot slow the generator
 * down and hide its own slowness (coordinated omission). The same generator runs, in the same
 * run, against
 *   (a) the real hub HTTP receiver (Bolt, the guard, queue + audit on real Redis at REDIS_URL,
 *       workers answering through a fake Slack that runs in its own process), and
 *   (b) a bare server that verifies the signature and does one Redis write (XADD),
 * each in its own process. Prints p50/p90/p99/max for both and the p99 ratio (target: within 3×),
 * the server processes' CPU per command and event-loop stalls, and "late sends": requests the
 * generator itself sent more than 5 ms after their slot (a starved machine; still timed from the slot).
 * Loopback only, bounded in count and time, stops by itself, deletes its Redis keys.
 *
 *   node bench/slack-ack.ts [--rate 200] [--seconds 10] [--text advisories] [--rounds 1] [--no-workers | --split]
 *
 * --rounds N repeats the pair N times, alternating which server goes first, and prints each round
 * and the median ratio: on a shared machine one burst can land on someone else's CPU spike.
 * --split runs the deployment recommended for high command rates: the Slack-facing replica with no
 * workers, and a second hub process (no Slack endpoint) whose workers deliver the answers.
 * (`--serve`, `--bare` and `--fake-slack` are the server sides, started by the bench itself.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createHub, staticSource } from '../src/hub/hub.ts';
import { createLogger } from '../src/log.ts';
import { startFakeSlack } from '../test/helpers/fake-slack.ts';
import { deleteKeysContaining } from '../test/helpers/redis.ts';
import { commandBody, signedHeaders } from '../test/helpers/slack-sign.ts';
import { fakeTriage, manyAdvisories, testConfig } from '../test/unit/slack/fixtures.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    text: { type: 'string', default: 'advisories' },
    rounds: { type: 'string', default: '1' },
    'no-workers': { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    'fake-slack': { type: 'boolean', default: false },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SELF = fileURLToPath(import.meta.url);
/** A request with no answer by then counts as an error (and its latency as this long). */
const REQUEST_TIMEOUT_MS = 10_000;
const WARMUP_S = 1;

// ---------------------------------------------------------------- server sides (child processes)

/** What a server process spent since the last ask: CPU and its worst event-loop stalls (answered over IPC). */
interface ServerStats { cpuMs: number; loopP99Ms: number; loopMaxMs: number }

function answerStats(): void {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let last = process.cpuUsage();
  process.on('message', (m) => {
    if (m !== 'stats') return;
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    const stats: ServerStats = { cpuMs: (used.user + used.system) / 1000, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 };
    loop.reset();
    process.send?.(stats);
  });
}

async function serveHub(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const workersOnly = process.env.BENCH_ROLE === 'workers';
  const hub = createHub({
    config: testConfig(),
    logger: createLogger({ level: 'warn' }),
    redis,
    prefix: process.env.BENCH_PREFIX ?? 'bench',
    slack: {
      botToken: 'xoxb-bench', apiUrl: process.env.SLACK_API_URL ?? '',
      mode: workersOnly ? { kind: 'none' } : { kind: 'http', signingSecret: process.env.BENCH_SECRET ?? '', port: 0, host: '127.0.0.1' },
    },
    source: staticSource(manyAdvisories(20)),
    triage: async (list) => fakeTriage(list),
    pollEveryMs: 24 * 3600_000,
    roles: workersOnly ? { slack: false, workers: true, schedule: false } : { workers: process.env.BENCH_NO_WORKERS !== '1' },
  });
  const { port } = await hub.start();
  await hub.pollNow();
  answerStats();
  process.stdout.write(`port ${port}\n`);
  process.on('SIGTERM', () => {
    void hub.stop().then(() => redis.quit()).then(() => process.exit(0));
  });
}

/** The baseline: what any Slack endpoint must do at least — read, verify the signature, one Redis write, answer. */
async function serveBare(): Promise<void> {
  const secret = process.env.BENCH_SECRET ?? '';
  const key = `${process.env.BENCH_PREFIX ?? 'bench'}:bare`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-slack-request-timestamp'] ?? '');
      const sig = String(req.headers['x-slack-signature'] ?? '');
      const expected = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
      const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
      if (!fresh || sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) {
        res.writeHead(401).end();
        return;
      }
      const user = new URLSearchParams(body).get('user_id') ?? '';
      redis.xadd(key, 'MAXLEN', '~', '10000', '*', 'user', user).then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"response_type":"ephemeral","text":"ok"}');
      }, () => { res.writeHead(500).end(); });
    });
  });
  answerStats();
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`port ${(server.address() as { port: number }).port}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    void redis.quit().then(() => process.exit(0));
  });
}

/**
 * The fake Slack Web API in its own process: receiving the answers in the generator's event loop
 * would delay the generator's own sends and timings.
 */
async function serveFakeSlack(): Promise<void> {
  const fake = await startFakeSlack();
  process.stdout.write(`fake ${fake.apiUrl} ${fake.origin}\n`);
  let reported = -1;
  const timer = setInterval(() => {
    if (fake.responses.length === reported) return;
    reported = fake.responses.length;
    process.stdout.write(`responses ${reported}\n`);
  }, 50);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void fake.close().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------- generator

interface Child { proc: ChildProcess; lines: (kind: string) => string[]; stats: () => Promise<ServerStats> }

/** Starts this file in another role; resolves once it printed a line starting with `readyKind`. */
function child(args: string[], env: NodeJS.ProcessEnv, readyKind: string): Promise<Child & { ready: string[] }> {
  // BENCH_PROFILE=DIR: CPU profiles of the hub processes (--cpu-prof), to see where an ack's time goes.
  const profile = process.env.BENCH_PROFILE && args[0] === '--serve' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const proc = spawn(process.execPath, [...profile, SELF, ...args], { env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const stats = () => new Promise<ServerStats>((res) => {
    proc.once('message', (m) => res(m as ServerStats));
    proc.send('stats');
  });
  const seen = new Map<string, string[]>();
  return new Promise((resolve, reject) => {
    let buffered = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [kind = '', ...rest] = line.split(' ');
        seen.set(kind, rest);
        if (kind === readyKind) resolve({ proc, ready: rest, lines: (k) => seen.get(k) ?? [], stats });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready`)));
  });
}

async function stopChild(c: Child | null): Promise<void> {
  if (!c || c.proc.exitCode !== null) return;
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await exited;
}

interface RunResult { latencies: number[]; errors: number; lateSends: number }

/**
 * Sends `rate × seconds` signed commands to `port`, request i at start + i/rate, and resolves with
 * each one's latency from its scheduled time (an answer that never comes counts as an error).
 */
async function openLoop(port: number, opts: { rate: number; seconds: number; secret: string; text: string; responseBase: string; tag: string }): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(opts.rate * opts.seconds);
  const interval = 1000 / opts.rate;
  const latencies: number[] = [];
  let errors = 0;
  let lateSends = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => { finish = r; });
  const settle = (latency: number | null) => {
    if (latency === null) errors++;
    else latencies.push(latency);
    if (++done === total) finish();
  };

  const send = (i: number, scheduled: number) => {
    const body = commandBody({ text: opts.text, response_url: `${opts.responseBase}/response/${opts.tag}${i}` });
    const headers = signedHeaders({ secret: opts.secret, body });
    let settled = false;
    const once = (latency: number | null) => {
      if (settled) return;
      settled = true;
      settle(latency);
    };
    const req = request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => once(res.statusCode === 200 ? performance.now() - scheduled : null));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => { req.destroy(); once(null); });
    req.on('error', () => once(null));
    req.end(body);
  };

  const start = performance.now() + 20;
  let next = 0;
  const tick = () => {
    const now = performance.now();
    // Everything due is sent now, each timed from its own slot: a late generator shows up as latency.
    while (next < total && start + next * interval <= now) {
      const scheduled = start + next * interval;
      if (now - scheduled > 5) lateSends++;
      send(next, scheduled);
      next++;
    }
    if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
  };
  setTimeout(tick, 20);
  await finished;
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), errors, lateSends };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function line(label: string, r: RunResult): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const l = r.latencies;
  return `  ${label.padEnd(46)} p50 ${ms(pct(l, 50))}  p90 ${ms(pct(l, 90))}  p99 ${ms(pct(l, 99))}  max ${ms(l.at(-1) ?? Number.NaN)}  errors ${r.errors}${r.lateSends ? `  (late sends ${r.lateSends})` : ''}`;
}

async function bench(): Promise<void> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  if (!(rate > 0 && rate <= 2000) || !(seconds > 0 && seconds <= 60)) throw new Error('--rate must be in (0, 2000] and --seconds in (0, 60]');
  const text = values.text;
  const split = values.split === true;
  const noWorkers = values['no-workers'] === true || split;
  // These subcommands are answered from the queue (the rest in the ack itself).
  const queued = !noWorkers && /^(advisories|clusters|triage)\b/.test(text);
  const secret = `bench-${randomUUID()}`;
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const fake = await child(['--fake-slack'], process.env, 'fake');
  const [apiUrl = '', origin = ''] = fake.ready;
  const env = { ...process.env, BENCH_SECRET: secret, BENCH_PREFIX: prefix, SLACK_API_URL: apiUrl };
  let bare: Child | null = null;
  let hub: Child | null = null;
  let workers: Child | null = null;
  try {
    bare = await child(['--bare'], env, 'port');
    hub = await child(['--serve'], { ...env, BENCH_NO_WORKERS: noWorkers ? '1' : '0' }, 'port');
    workers = split ? await child(['--serve'], { ...env, BENCH_ROLE: 'workers' }, 'port').catch(() => null) : null;
    const run = (c: Child & { ready: string[] }, tag: string, s: number) =>
      openLoop(Number(c.ready[0]), { rate, seconds: s, secret, text, responseBase: origin, tag });

    // Warm-up at the same rate (JIT, keep-alive connections), not measured; then the measured runs.
    const bareReady = bare as Child & { ready: string[] };
    const hubReady = hub as Child & { ready: string[] };
    await run(bareReady, 'wb', WARMUP_S);
    await run(hubReady, 'wh', WARMUP_S);
    const answered = () => Number(fake.lines('responses')[0] ?? 0);
    const drain = async (expected: number) => {
      const by = Date.now() + 20_000;
      while (queued && answered() < expected && Date.now() < by) await new Promise((r) => setTimeout(r, 50));
    };
    await drain(rate * WARMUP_S);
    const rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 5) throw new Error('--rounds must be 1 to 5');
    const variant = noWorkers ? (split ? 'Slack replica without workers + a worker replica' : 'no workers') : 'workers in the same process';
    console.log(`slack-ack: open loop, ${rate} signed "/k8s ${text}" a second for ${seconds} s (${Math.round(rate * seconds)} per server per round), loopback, latency from the scheduled send time`);
    const ratios: number[] = [];
    let expected = Math.round(rate * WARMUP_S);
    const serverSide = [hubReady, ...(workers ? [workers] : [])];
    /** One measured run, with the server processes' CPU (answers delivered included) and event-loop stalls. */
    const measure = async (isHub: boolean, tag: string): Promise<RunResult & { stats: ServerStats }> => {
      const procs = isHub ? serverSide : [bareReady];
      await Promise.all(procs.map((p) => p.stats()));
      const result = await run(isHub ? hubReady : bareReady, tag, seconds);
      if (isHub) await drain(expected + Math.round(rate * seconds));
      const all = await Promise.all(procs.map((p) => p.stats()));
      const stats = all.reduce((a, b) => ({ cpuMs: a.cpuMs + b.cpuMs, loopP99Ms: Math.max(a.loopP99Ms, b.loopP99Ms), loopMaxMs: Math.max(a.loopMaxMs, b.loopMaxMs) }));
      return { ...result, stats };
    };
    const serverLine = (r: { stats: ServerStats; latencies: number[]; errors: number }) =>
      `      server CPU ${(r.stats.cpuMs / (r.latencies.length + r.errors)).toFixed(2)} ms per command, event loop p99 ${r.stats.loopP99Ms.toFixed(1)} ms, max ${r.stats.loopMaxMs.toFixed(1)} ms`;
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order, so neither server always runs on the other's leftovers.
      const bareFirst = round % 2 === 1;
      const first = await measure(!bareFirst, `r${round}a`);
      const second = await measure(bareFirst, `r${round}b`);
      expected += Math.round(rate * seconds);
      const [bareResult, hubResult] = bareFirst ? [first, second] : [second, first];
      if (rounds > 1) console.log(` round ${round}${bareFirst ? ' (bare first)' : ' (hub first)'}`);
      console.log(line('bare (verify signature + one Redis XADD)', bareResult));
      console.log(serverLine(bareResult));
      console.log(line(`hub HTTP receiver (${variant})`, hubResult));
      console.log(serverLine(hubResult));
      const ratio = pct(hubResult.latencies, 99) / pct(bareResult.latencies, 99);
      ratios.push(ratio);
      console.log(`  p99 ratio hub/bare: ${ratio.toFixed(2)}×`);
    }
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? Number.NaN;
    console.log(`  ${rounds > 1 ? 'median ' : ''}p99 ratio hub/bare: ${median.toFixed(2)}× (target within 3×): ${median <= 3 ? 'met' : 'NOT met'}`);
    if (queued) console.log(`  queued answers delivered via response_url: ${answered()}/${expected}`);
  } finally {
    await Promise.all([stopChild(bare), stopChild(hub), stopChild(workers)]);
    await stopChild(fake);
    const redis = new Redis(REDIS_URL);
    await deleteKeysContaining(redis, prefix);
    await redis.quit();
  }
}

await (values.serve ? serveHub() : values.bare ? serveBare() : values['fake-slack'] ? serveFakeSlack() : bench());
