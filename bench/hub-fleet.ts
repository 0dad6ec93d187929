/**
 * Fleet scale of the hub: one hub, 10,000 static clusters in two environments (prod, staging:
 * one channel each), the real 2023 feed, the backlog announced (`slack.announceBacklog: true`).
 * Measured in the same run against a bare program that loads the same fleet file and does one
 * semver comparison per cluster × range.
 *
 *   node bench/hub-fleet.ts [--clusters 10000] [--seed 7] [--timeout 600]
 *
 * The hub is the real pipeline: config file → feed watcher over Redis (the feed file) → parser →
 * triage in chunks → notify plan → BullMQ → Slack worker → the fake Slack Web API, which runs in
 * its own process (`--fake-slack`) so its work is not in the hub's event loop. Real Redis at
 * REDIS_URL under a unique prefix, deleted at the end.
 *
 * Prints the bare time, the time from hub start to the last advisory post (and to the last
 * thread reply), their ratio, the event loop's longest delay during the run
 * (perf_hooks.monitorEventLoopDelay), and checks: every channel × advisory expected (from an
 * untimed triage of the same fleet) posted exactly once, no marker posted twice, every message
 * within Slack's limits (50 blocks, 3,000 characters per section text, 40,000 per message
 * text), and the peak posting rate per channel. Targets: ratio ≤ 10, event loop delay ≤ 100 ms.
 *
 * To tell our own blocking from a busy machine it also prints, measured in-process: the GC pauses
 * (PerformanceObserver), each long stall with the GC time and the main thread's own CPU time
 * inside it (process.threadCpuUsage), the event loop from hub.start() on (start-up apart), and
 * a control process doing 1 ms of work every 10 ms beside the hub (the machine's floor).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import semver from 'semver';
import { parseItem } from '../src/advisory/parse.ts';
import type { Advisory } from '../src/advisory/types.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { fetchFeed } from '../src/feed/fetch.ts';
import type { FeedItem } from '../src/feed/item.ts';
import { createFeedWatcher } from '../src/feed/watcher.ts';
import { createHub } from '../src/hub/hub.ts';
import { triageFleet } from '../src/hub/pipeline.ts';
import { createWatcherSource } from '../src/hub/source.ts';
import { createLogger } from '../src/log.ts';
import { createRouting } from '../src/notify/routing.ts';
import { loadBundledCalendar } from '../src/releases/bundled.ts';
import { createRedisFeedStateStore } from '../src/store/feed-state.ts';
import { startFakeSlack } from '../test/helpers/fake-slack.ts';
import { deleteKeysContaining } from '../test/helpers/redis.ts';
import { rng } from './_lib.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const FEED = resolve(SHARED, 'feeds/official-cve-feed.2023-07-01.json');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANNELS = { prod: 'C0PROD', staging: 'C0STAGE' } as const;

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '7' },
    timeout: { type: 'string', default: '600' },
    'fake-slack': { type: 'boolean', default: false },
    control: { type: 'boolean', default: false },
  },
});

/** One post as the fake Slack saw it. */
interface Seen {
  at: number;
  method: string;
  channel: string;
  thread: boolean;
  marker: string;
  blocks: number;
  maxSection: number;
  text: number;
}

/** The fake Slack side: reports every chat.postMessage as one JSON line on stdout. */
async function serveFakeSlack(): Promise<void> {
  const fake = await startFakeSlack();
  process.stdout.write(`fake ${fake.apiUrl}\n`);
  let reported = 0;
  const flush = () => {
    for (; reported < fake.messages.length; reported++) {
      const m = fake.messages[reported] as (typeof fake.messages)[number];
      let maxSection = 0;
      for (const b of m.blocks as { text?: { text?: string }; fields?: { text?: string }[]; elements?: { text?: string }[] }[]) {
        for (const t of [b.text?.text, ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text)]) {
          if (typeof t === 'string') maxSection = Math.max(maxSection, t.length);
        }
      }
      const seen: Seen = {
        at: Date.now(), method: 'chat.postMessage', channel: m.channel, thread: m.threadTs !== null,
        marker: String(m.metadata?.event_payload.marker ?? ''), blocks: m.blocks.length, maxSection, text: m.text.length,
      };
      process.stdout.write(`${JSON.stringify(seen)}\n`);
    }
  };
  const timer = setInterval(flush, 5);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    flush();
    void fake.close().then(() => process.exit(0));
  });
}

/**
 * The control: a process doing what an ack handler does (1 ms of work every 10 ms) for as long
 * as the hub runs, measuring its own event-loop delay. On a shared machine this is the floor:
 * stalls the control sees too come from CPU contention, not from the hub's code.
 */
function serveControl(): void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let running = true;
  const spin = () => {
    const end = performance.now() + 1;
    while (performance.now() < end) { /* busy */ }
    if (running) setTimeout(spin, 9);
  };
  spin();
  process.on('SIGTERM', () => {
    running = false;
    h.disable();
    process.stdout.write(`${JSON.stringify({ max: h.max / 1e6, p99: h.percentile(99) / 1e6 })}\n`);
    process.exit(0);
  });
}

function startControl(): { stop(): Promise<{ max: number; p99: number }> } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--control'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  return {
    stop: () => new Promise((resolvePromise) => {
      child.once('exit', () => resolvePromise(JSON.parse(out.trim() || '{"max":-1,"p99":-1}') as { max: number; p99: number }));
      child.kill('SIGTERM');
    }),
  };
}

/** Versions a 2023 fleet runs: 1.22 … 1.27, any patch that existed; some clusters with ingress-nginx. */
function fleetYaml(count: number, seed: number): string {
  const r = rng(seed);
  const latest: Record<number, number> = { 22: 17, 23: 17, 24: 15, 25: 11, 26: 6, 27: 3 };
  const lines = [
    'feed: { url: FEED }',
    `slack: { announceBacklog: true, channels: { prod: ${CHANNELS.prod}, staging: ${CHANNELS.staging} } }`,
    'environments:',
    '  staging: {}',
    '  prod: { after: staging }',
    'clusters:',
  ];
  for (let i = 0; i < count; i++) {
    const minor = 22 + Math.floor(r() * 6);
    const patch = Math.floor(r() * ((latest[minor] ?? 0) + 1));
    const env = i % 2 === 0 ? 'prod' : 'staging';
    const ingress = r() < 0.2 ? `, ingress-nginx: v1.${Math.floor(r() * 9)}.${Math.floor(r() * 4)}` : '';
    lines.push(`  - { name: c-${String(i).padStart(5, '0')}, environment: ${env}, versions: { kubernetes: v1.${minor}.${patch}${ingress} } }`);
  }
  return `${lines.join('\n')}\n`;
}

/** The bare program: load the fleet file, one semver comparison per cluster × range. */
async function bare(file: string, advisories: Advisory[]): Promise<{ ms: number; comparisons: number; hits: number }> {
  const t0 = performance.now();
  const config = await loadConfigFile(file);
  const ranges = advisories.flatMap((a) => a.ranges).filter((r) => r.lastAffected !== null && semver.valid(r.lastAffected.replace(/\.x$/, '.999')) !== null);
  let comparisons = 0;
  let hits = 0;
  for (const cluster of config.clusters) {
    const v = semver.coerce(cluster.versions?.kubernetes ?? '')?.version;
    if (v === undefined) continue;
    for (const range of ranges) {
      comparisons++;
      if (semver.lte(v, (range.lastAffected as string).replace(/\.x$/, '.999'))) hits++;
    }
  }
  return { ms: performance.now() - t0, comparisons, hits };
}

/**
 * Untimed: what must be posted (advisory × channel with an affected, unfixed or unknown cluster).
 * A function of its own so the whole fleet's findings are garbage before the hub starts: kept in
 * main()'s frame they would sit in the heap measured as the hub's.
 */
async function expectedPosts(file: string, advisories: Advisory[], calendar: ReturnType<typeof loadBundledCalendar>): Promise<Set<string>> {
  const config = await loadConfigFile(file);
  const result = await triageFleet({ config, advisories, calendar, now: new Date() });
  const routing = createRouting(config);
  const expected = new Set<string>();
  for (const f of result.findings) {
    if (f.verdict === 'not-affected') continue;
    const channel = routing.channelOf(f);
    if (channel !== null) expected.add(`${f.advisory}/${channel}`);
  }
  return expected;
}

function startFakeSlackProcess(): Promise<{ child: ChildProcess; apiUrl: string; seen: Seen[] }> {
  // No execArgv: profiling or GC-tracing flags of this process are not the fake's.
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--fake-slack'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen: Seen[] = [];
  return new Promise((resolvePromise, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      if (line.startsWith('fake ')) {
        resolvePromise({ child, apiUrl: line.slice(5), seen });
        return;
      }
      if (line.startsWith('{')) seen.push(JSON.parse(line) as Seen);
    });
    child.once('exit', (code) => reject(new Error(`fake Slack exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  if (values['fake-slack']) return serveFakeSlack();
  if (values.control) return serveControl();
  if (!existsSync(FEED)) throw new Error(`the real 2023 feed is needed at ${FEED} (set K8S_ADVISOR_SHARED_DATA)`);
  const count = Number(values.clusters);
  const seed = Number(values.seed);
  const timeoutMs = Number(values.timeout) * 1000;
  const dir = mkdtempSync(join(os.tmpdir(), 'hub-fleet-'));
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, fleetYaml(count, seed).replace('FEED', FEED));
  const advisories = (JSON.parse(readFileSync(FEED, 'utf8')) as { items: FeedItem[] }).items.flatMap((i) => parseItem(i));
  const calendar = loadBundledCalendar();
  const prefix = `bench-fleet-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const fake = await startFakeSlackProcess();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });

  const expected = await expectedPosts(file, advisories, calendar);

  const base = await bare(file, advisories);

  let hub: ReturnType<typeof createHub> | null = null;
  const deadline = setTimeout(() => {
    process.stderr.write(`hub-fleet: not done within ${timeoutMs / 1000} s; giving up\n`);
    process.exitCode = 3;
    void cleanup().then(() => process.exit(3));
  }, timeoutMs);
  const cleanup = async () => {
    clearTimeout(deadline);
    await hub?.stop().catch(() => undefined);
    await deleteKeysContaining(redis, prefix);
    await redis.quit().catch(() => redis.disconnect());
    fake.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };

  const control = startControl();
  const startEpoch = Date.now();
  if (process.env.BENCH_TRACE) process.stderr.write(`t0 monotonic ${process.hrtime.bigint() / 1000n} us\n`);
  const t0 = performance.now();
  const config = await loadConfigFile(file);
  // Measured from here: the poll (config loading is start-up, before any poll or Slack traffic).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // The longest stalls with when they happened (ms after start), to tell which stage holds the loop.
  // Each with the main thread's own CPU time inside it (process.threadCpuUsage): a stall our code
  // filled is mostly CPU; one the machine gave to other processes is mostly not.
  const stalls: [number, number, number][] = [];
  const threadCpuMs = () => {
    const u = process.threadCpuUsage();
    return (u.user + u.system) / 1000;
  };
  let cpuAt = threadCpuMs();
  let tick = performance.now();
  let heapMax = 0;
  // Garbage-collection pauses in this process, to tell our own blocking (a long synchronous step)
  // from a collector pause inside a stall.
  const gcs: { at: number; ms: number; kind: string }[] = [];
  const gcKind = (k: number | undefined) => (k === perfConstants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : k === perfConstants.NODE_PERFORMANCE_GC_MINOR ? 'minor'
    : k === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL ? 'incremental' : 'weak');
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ at: e.startTime - t0, ms: e.duration, kind: gcKind((e as unknown as { detail?: { kind?: number } }).detail?.kind) });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const sampler = setInterval(() => {
    const t = performance.now();
    heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
    const cpu = threadCpuMs();
    if (t - tick > 60) stalls.push([Math.round(tick - t0), Math.round(t - tick - 5), Math.round(cpu - cpuAt)]);
    tick = t;
    cpuAt = cpu;
  }, 5);
  hub = createHub({
    config, logger, redis, prefix,
    slack: { botToken: 'xoxb-bench', apiUrl: fake.apiUrl, mode: { kind: 'none' } },
    source: createWatcherSource({
      parseItem,
      watcher: createFeedWatcher({
        store: createRedisFeedStateStore({ redis, prefix }), source: config.feed.url, logger,
        fetchFeed: (src, o) => fetchFeed(src, { ...o, timeoutMs: config.feed.timeout, maxBytes: config.feed.maxBytes, logger }),
      }),
    }),
    triage: (list, onFindings) => triageFleet({ config, advisories: list, calendar, now: new Date(), logger, ...(onFindings ? { onFindings } : {}) }),
    announceBacklog: config.slack.announceBacklog,
    pollEveryMs: 24 * 3600_000,
    retriageEveryMs: 24 * 3600_000,
  });
  await hub.start();
  // From here on the hub serves (its HTTP endpoint would be up): building it is start-up, before any poll.
  const serving = monitorEventLoopDelay({ resolution: 10 });
  serving.enable();
  const servingFrom = performance.now() - t0;
  await hub.pollNow();

  const parents = () => fake.seen.filter((s) => !s.thread && !s.marker.startsWith('first-run-digest/'));
  const key = (s: Seen) => s.marker.split('/').slice(0, 2).join('/');
  for (;;) {
    const got = new Set(parents().map(key));
    if ([...expected].every((k) => got.has(k))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const lastParentAt = Math.max(...parents().map((s) => s.at));
  const parentMs = lastParentAt - startEpoch;
  // Then the thread replies (full cluster lists of large channels): the queue drains.
  for (;;) {
    const c = await hub.queues.slack.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(c).every((n) => n === 0)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100));
  const allMs = Math.max(...fake.seen.map((s) => s.at)) - startEpoch;
  const hubWallMs = performance.now() - t0;
  loop.disable();
  serving.disable();
  clearInterval(sampler);
  const floor = await control.stop();

  const feedJobs = await hub.queues.feed.getCompleted();
  const failed = await hub.queues.slack.getFailedCount();
  const markers = new Map<string, number>();
  for (const s of fake.seen) markers.set(s.marker, (markers.get(s.marker) ?? 0) + 1);
  const duplicates = [...markers].filter(([, n]) => n > 1).map(([m]) => m);
  const unexpected = parents().filter((s) => !expected.has(key(s))).map(key);
  const overLimit = fake.seen.filter((s) => s.blocks > 50 || s.maxSection > 3000 || s.text > 40_000);
  const perSecond = new Map<string, number>();
  for (const s of fake.seen) perSecond.set(`${s.channel}@${Math.floor(s.at / 1000)}`, (perSecond.get(`${s.channel}@${Math.floor(s.at / 1000)}`) ?? 0) + 1);
  const peakRate = Math.max(0, ...perSecond.values());
  const ratio = parentMs / base.ms;
  const maxDelayMs = loop.max / 1e6;

  gcObserver.disconnect();
  const gcIn = (at: number, ms: number) => gcs.filter((g) => g.at + g.ms >= at && g.at <= at + ms + 5).reduce((sum, g) => sum + g.ms, 0);
  const longestGc = gcs.reduce((m, g) => (g.ms > m.ms ? g : m), { at: 0, ms: 0, kind: 'none' });
  // A stall less the collector pauses inside it: the longest stretch of our own code (or of the machine taking the CPU away).
  const ownMax = Math.max(0, ...stalls.map(([at, ms]) => ms - gcIn(at, ms)));
  // The most CPU the main thread itself used inside one stall (GC included): our own blocking, whatever the machine did.
  const cpuMax = Math.max(0, ...stalls.map(([, , cpu]) => cpu));
  const lines = [
    `fleet:      ${count} static clusters (prod ${CHANNELS.prod}, staging ${CHANNELS.staging}), ${advisories.length} advisories of the real 2023 feed, backlog announced`,
    `bare:       ${base.ms.toFixed(0)} ms (load the fleet file, ${base.comparisons} semver comparisons)`,
    `hub:        last advisory post ${parentMs} ms after start; last thread reply ${allMs} ms (${fake.seen.length} messages: ${parents().length} advisory posts, ${fake.seen.filter((s) => s.thread).length} replies)`,
    `ratio:      ${ratio.toFixed(1)}× the bare program (target ≤ 10×)`,
    `event loop: max delay ${maxDelayMs.toFixed(1)} ms during the run (target ≤ 100 ms); p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
    `  serving:  from hub.start() resolved (+${servingFrom.toFixed(0)} ms) on, the poll and the posting: max delay ${(serving.max / 1e6).toFixed(1)} ms, p99 ${(serving.percentile(99) / 1e6).toFixed(1)} ms`,
    `control:    a process doing 1 ms of work every 10 ms, run alongside: max delay ${floor.max.toFixed(1)} ms, p99 ${floor.p99.toFixed(1)} ms (the machine's floor)`,
    `checks:     expected channel × advisory ${expected.size}, unexpected ${unexpected.length}, duplicate markers ${duplicates.length}, over Slack limits ${overLimit.length}, failed jobs ${failed}, feed job attempts ${feedJobs.map((j) => j.attemptsMade).join(',')}`,
    ...(process.env.BENCH_TRACE ? [`stall list: ${JSON.stringify(stalls)}`] : []),
    `stalls:     ${stalls.length} over 60 ms; longest ${[...stalls].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([at, ms, cpu]) => `${ms} ms at +${at} ms (gc ${gcIn(at, ms).toFixed(0)}, cpu ${cpu})`).join(', ') || 'none'}`,
    `gc:         ${gcs.length} pauses, longest ${longestGc.ms.toFixed(1)} ms (${longestGc.kind}) at +${longestGc.at.toFixed(0)} ms, total ${gcs.reduce((s, g) => s + g.ms, 0).toFixed(0)} ms, ${gcs.filter((g) => g.ms > 50).length} over 50 ms`,
    `own:        longest stall less the GC pauses inside it ${ownMax.toFixed(0)} ms; most main-thread CPU inside one stall ${cpuMax.toFixed(0)} ms (our own blocking, GC included; the rest of a stall is the CPU other processes had)`,
    `slack rate: peak ${peakRate} messages per channel in one second`,
    `machine:    ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}; hub wall ${hubWallMs.toFixed(0)} ms, main-thread heap up to ${(heapMax / 2 ** 20).toFixed(0)} MB`,
    `result:     ${ratio <= 10 && maxDelayMs <= 100 && duplicates.length === 0 && unexpected.length === 0 && overLimit.length === 0 ? 'targets met' : 'targets NOT met'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await cleanup();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
