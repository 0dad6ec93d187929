/**
 * Ack latency of the HTTP-mode hub: 500 signed `/k8s advisories` requests, 50 in flight, on
 * loopback. The hub runs in its own process (as it would in production: Slack is not in its
 * event loop), with real Redis at REDIS_URL and the fake Slack Web API in this process receiving
 * the queued answers. Prints p50/p90/p99/max; target p99 < 100 ms.
 *
 *   node bench/slack-ack.ts [--requests 500] [--concurrency 50] [--no-workers | --split]
 *
 * --split runs the deployment recommended for high command rates: the Slack-facing replica with
 * no workers, and a second hub process (no Slack endpoint) whose workers deliver the answers.
 *
 * (`--serve` is the hub side, started by the bench itself; BENCH_DEBUG=1 lists the slow requests as start-ms:latency-ms.)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
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
    requests: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '50' },
    'no-workers': { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
    'fake-slack': { type: 'boolean', default: false },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function serve(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const hub = createHub({
    config: testConfig(),
    logger: createLogger({ level: 'warn' }),
    redis,
    prefix: process.env.BENCH_PREFIX ?? 'bench',
    slack: {
      botToken: 'xoxb-bench', apiUrl: process.env.SLACK_API_URL ?? '',
      mode: process.env.BENCH_ROLE === 'workers'
        ? { kind: 'none' }
        : { kind: 'http', signingSecret: process.env.BENCH_SECRET ?? '', port: 0, host: '127.0.0.1' },
    },
    source: staticSource(manyAdvisories(20)),
    triage: async (list) => fakeTriage(list),
    pollEveryMs: 24 * 3600_000,
    roles: process.env.BENCH_ROLE === 'workers'
      ? { slack: false, workers: true, schedule: false }
      : { workers: process.env.BENCH_NO_WORKERS !== '1' },
  });
  const { port } = await hub.start();
  await hub.pollNow();
  process.stdout.write(`port ${port}\n`);
  process.on('SIGTERM', () => {
    void hub.stop().then(() => redis.quit()).then(() => process.exit(0));
  });
}

/**
 * The fake Slack Web API runs in its own process: receiving 700 answers in the load generator's
 * event loop would delay the generator's own timing of acks and inflate the latencies it reports.
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

interface FakeSlackProcess { apiUrl: string; origin: string; responses: () => number; close: () => Promise<void> }

async function startFakeSlackProcess(): Promise<FakeSlackProcess> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--fake-slack'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let responses = 0;
  const ready = new Promise<{ apiUrl: string; origin: string }>((resolve, reject) => {
    let buffered = '';
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, a = '', b = ''] = line.split(' ');
        if (kind === 'fake') resolve({ apiUrl: a, origin: b });
        if (kind === 'responses') responses = Number(a);
      }
    });
    proc.once('exit', (code) => reject(new Error(`fake Slack exited (${code})`)));
  });
  const { apiUrl, origin } = await ready;
  return {
    apiUrl, origin,
    responses: () => responses,
    close: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

async function bench(): Promise<void> {
  const total = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const secret = `bench-${randomUUID()}`;
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const fake = await startFakeSlackProcess();
  let responseCounter = 0;
  const split = values.split === true;
  const env = { ...process.env, BENCH_SECRET: secret, BENCH_PREFIX: prefix, SLACK_API_URL: fake.apiUrl };
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], {
    env: { ...env, BENCH_NO_WORKERS: values['no-workers'] || split ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const workers = split
    ? spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], { env: { ...env, BENCH_ROLE: 'workers' }, stdio: ['ignore', 'ignore', 'inherit'] })
    : null;
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`hub exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}/slack/events`;

  const one = async (): Promise<number> => {
    const body = commandBody({ text: 'advisories', response_url: `${fake.origin}/response/b${++responseCounter}` });
    const headers = signedHeaders({ secret, body });
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return ms;
  };

  // Warm-up: JIT, and one keep-alive connection per concurrent client (Slack reuses connections too),
  // so the numbers measure acks rather than TCP connection set-up.
  for (let i = 0; i < 20; i++) await one();
  for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: concurrency }, one));
  // ...and let the warm-up's queued answers drain, so the run measures acks, not a warm-up backlog.
  const warm = 20 + 4 * concurrency;
  const drainBy = Date.now() + 20_000;
  while (!values['no-workers'] && fake.responses() < warm && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 20));
  const latencies: number[] = [];
  const timeline: [number, number][] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < total) {
      started++;
      const at = performance.now() - t0;
      const ms = await one();
      latencies.push(ms);
      timeline.push([at, ms]);
    }
  }));
  if (process.env.BENCH_DEBUG) {
    console.log(timeline.filter(([, ms]) => ms > 150).map(([at, ms]) => `${at.toFixed(0)}:${ms.toFixed(0)}`).join(' '));
  }
  const wall = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
  const fmt = (n: number) => `${n.toFixed(1)} ms`;
  const variant = values['no-workers'] ? ' (no workers)' : split ? ' (Slack replica without workers + a worker replica)' : ' (workers in the same process)';
  console.log(`slack-ack: ${latencies.length} signed /k8s advisories, ${concurrency} concurrent, HTTP mode on loopback${variant}`);
  console.log(`  p50 ${fmt(pct(50))}  p90 ${fmt(pct(90))}  p99 ${fmt(pct(99))}  max ${fmt(latencies.at(-1) ?? Number.NaN)}  (${(latencies.length / (wall / 1000)).toFixed(0)} req/s)`);
  console.log(`  target p99 < 100 ms: ${pct(99) < 100 ? 'met' : 'NOT met'}`);

  if (!values['no-workers']) {
    const expected = latencies.length + 20 + 4 * concurrency;
    const deadline = Date.now() + 20_000;
    while (fake.responses() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    console.log(`  queued answers delivered via response_url: ${fake.responses()}/${expected}`);
  }
  for (const proc of [child, workers]) {
    if (!proc) continue;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
  const redis = new Redis(REDIS_URL);
  await deleteKeysContaining(redis, prefix);
  await redis.quit();
  await fake.close();
}

await (values.serve ? serve() : values['fake-slack'] ? serveFakeSlack() : bench());
