/**
 * Triage throughput: the real feed (parsed, when src/advisory/parse.ts exists; else our fixture
 * advisories with real version facts) against a generated fleet of 10,000 clusters, each with
 * 3–50 nodes on mixed kubelet versions. Prints wall time, CPU time and peak RSS of each run
 * and their medians, and whether the targets are met.
 *
 *   node bench/triage.ts [--clusters 10000] [--seed 42] [--runs 5] [--fleet eager|lazy] [--omit-not-affected]
 *   node bench/triage.ts --base /tmp/triage-base [--runs 7]
 *
 * Each run is a fresh process (`--child`), as a CLI triage is. CPU time is reported beside wall
 * time because the machine is shared. Peak RSS is the whole process's high-water mark — Node,
 * modules, advisories, the fleet and triage — taken as the larger of a 5 ms sampler and the
 * kernel's max RSS (triage is synchronous, so only the kernel sees its peak).
 *
 * Target: under 1 s (wall and CPU) and 300 MB peak RSS on 2 cores.
 *
 * Before/after (`--base DIR`): DIR is another checkout of this repository, e.g. the commit before
 * exposure and remediation (issue 8), made read-only outside the repo:
 *
 *   mkdir /tmp/triage-base && git archive bb29b9d | tar -x -C /tmp/triage-base
 *   ln -s "$PWD/node_modules" /tmp/triage-base/node_modules
 *
 * Its bench child and ours run in alternation (ABBA: each round swaps which goes first, so drift in
 * the machine's load falls on both), with the same fleet arguments and feed; both medians and ranges,
 * and the ratio ours / base per round (median and range), are printed. On a shared machine the
 * ratio within a round is the number to read, not either absolute time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Advisory } from '../src/advisory/types.ts';
import type { FeedItem } from '../src/feed/item.ts';
import type { ClusterInventory, ClusterProvider, NodeVersions } from '../src/inventory/types.ts';
import { loadBundledCalendar } from '../src/releases/bundled.ts';
import type { ReleaseCalendar } from '../src/releases/calendar.ts';
import { parseItem } from '../src/advisory/parse.ts';
import { triage } from '../src/triage/triage.ts';
import { ALL_FIXTURE_ADVISORIES } from '../test/fixtures/triage/advisories.ts';
import { median, rng } from './_lib.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const FEED = resolve(SHARED, 'feeds/official-cve-feed.2023-07-01.json');

async function loadAdvisories(): Promise<{ advisories: Advisory[]; source: string }> {
  if (existsSync(FEED)) {
    const feed = JSON.parse(readFileSync(FEED, 'utf8')) as { items: FeedItem[] };
    return { advisories: feed.items.flatMap((i) => parseItem(i)), source: `real feed parsed by src/advisory/parse.ts (${FEED})` };
  }
  return { advisories: ALL_FIXTURE_ADVISORIES, source: `fixture advisories with real version facts (${FEED} not found)` };
}

const PROVIDERS: [ClusterProvider, (v: string, r: () => number) => string][] = [
  ['kubeadm', (v) => `v${v}`],
  ['eks', (v, r) => `v${v}-eks-${Math.floor(r() * 0xfffffff).toString(16).padStart(7, '0')}`],
  ['gke', (v, r) => `v${v}-gke.${1000000 + Math.floor(r() * 99) * 1000}`],
  ['k3s', (v) => `v${v}+k3s1`],
];
const MANAGED = PROVIDERS.slice(1);

/**
 * Node lists of the fleet. Eager: built once and kept, as a fully loaded inventory would be.
 * Lazy: each cluster keeps its node count, its kubelet versions (shared strings) and a byte per
 * node; `nodes` builds the same list on every read, so a consumer that reads a cluster's nodes
 * once (triage does) holds one cluster's node objects at a time, as with an inventory streamed
 * from a store. Both give the very same inventories.
 */
type FleetMode = 'eager' | 'lazy';

function lazyNodes(
  base: Pick<ClusterInventory, 'cluster' | 'environment' | 'provider' | 'source' | 'collectedAt' | 'server'>,
  components: Record<string, string>, versions: string[], picks: Uint8Array,
): ClusterInventory {
  const prefix = `${base.cluster}-node-`;
  // Declared in place first, so the keys keep the eager fleet's order.
  const inv: ClusterInventory = { ...base, nodes: [], components, error: null };
  return Object.defineProperty(inv, 'nodes', {
    enumerable: true,
    get(): NodeVersions[] {
      const nodes: NodeVersions[] = new Array<NodeVersions>(picks.length);
      for (let n = 0; n < picks.length; n++) nodes[n] = { name: [prefix, n].join(''), kubelet: versions[picks[n] as number] as string, kubeProxy: null };
      return nodes;
    },
  });
}

/**
 * The fleet, built lean: it counts toward peak RSS, so it should weigh what parsed inventories
 * weigh. Node names are joined (flat strings, as JSON.parse makes them) instead of template-
 * concatenated (a cons string per name, twice the memory), version strings are shared the way
 * they are in a real inventory (one per node pool version), and node lists may be lazy (above).
 * The random sequence, and so the fleet, is the same as before.
 */
function generateFleet(count: number, seed: number, calendar: ReleaseCalendar, now: Date, mode: FleetMode): { fleet: ClusterInventory[]; nodes: number } {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const minors = calendar.minors().map((m) => m.minor).filter((m) => Number(m.split('.')[1]) >= 18);
  const patchesOf = new Map(minors.map((m) => [m, calendar.patches(m).map((p) => p.version)]));
  const version = (minor: string) => pick(patchesOf.get(minor) ?? [`${minor}.0`]);
  const envs = ['prod', 'staging', 'dev'];
  const collectedAt = now.toISOString();
  const fleet: ClusterInventory[] = new Array<ClusterInventory>(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const name = `c${String(i).padStart(5, '0')}`;
    const [provider, build] = r() < 0.55 ? PROVIDERS[0]! : pick(MANAGED);
    // Newer minors more likely; some clusters far behind.
    const mi = Math.min(minors.length - 1, Math.floor(Math.sqrt(r()) * minors.length));
    const serverMinor = minors[mi] as string;
    const server = build(version(serverMinor), r);
    // 1–4 kubelet versions per cluster, within 0–3 minors below the server.
    const kubeletVersions: string[] = new Array<string>(1 + Math.floor(r() * 4));
    for (let k = 0; k < kubeletVersions.length; k++) {
      const lag = Math.floor(r() * 4);
      kubeletVersions[k] = build(version(minors[Math.max(0, mi - lag)] as string), r);
    }
    const nodeCount = 3 + Math.floor(r() * 48);
    total += nodeCount;
    // pick(kubeletVersions), as an index.
    const picks = new Uint8Array(nodeCount);
    for (let n = 0; n < nodeCount; n++) picks[n] = Math.floor(r() * kubeletVersions.length);
    const components: Record<string, string> = {};
    if (r() < 0.3) components['ingress-nginx'] = `v1.${9 + Math.floor(r() * 4)}.${Math.floor(r() * 6)}`;
    if (r() < 0.1) components['secrets-store-csi-driver'] = `v1.${2 + Math.floor(r() * 3)}.${Math.floor(r() * 4)}`;
    const base = { cluster: name, environment: pick(envs), provider, source: 'live' as const, collectedAt, server };
    if (mode === 'lazy') {
      fleet[i] = lazyNodes(base, components, kubeletVersions, picks);
    } else {
      const nodes: NodeVersions[] = new Array<NodeVersions>(nodeCount);
      for (let n = 0; n < nodeCount; n++) nodes[n] = { name: [name, '-node-', n].join(''), kubelet: kubeletVersions[picks[n] as number] as string, kubeProxy: null };
      fleet[i] = { ...base, nodes, components, error: null };
    }
  }
  return { fleet, nodes: total };
}

interface RunResult {
  advisories: number;
  source: string;
  clusters: number;
  nodes: number;
  findings: number;
  verdicts: Record<string, number>;
  wallMs: number;
  cpuMs: number;
  /** Process high-water mark: the larger of the sampled RSS and the kernel's max RSS. */
  peakRssMb: number;
  sampledPeakRssMb: number;
  rssBeforeTriageMb: number;
  rssBeforeFleetMb: number;
  loadAverage: number;
}

const mb = (b: number) => Math.round(b / 1024 / 1024);

/** One measured triage in this process. */
async function once(clusters: number, seed: number, omit: boolean, mode: FleetMode): Promise<RunResult> {
  const now = new Date('2026-11-22T10:00:00Z');
  // Sampled high-water mark (only between synchronous steps: triage itself is synchronous, so the
  // kernel's max RSS, which sees every page ever resident, is taken as well).
  let sampled = process.memoryUsage().rss;
  const sample = () => { sampled = Math.max(sampled, process.memoryUsage().rss); };
  const sampler = setInterval(sample, 5);

  const { advisories, source } = await loadAdvisories();
  const calendar = loadBundledCalendar();
  sample();
  const rssBeforeFleet = process.memoryUsage().rss;
  const { fleet, nodes } = generateFleet(clusters, seed, calendar, now, mode);
  await new Promise((res) => setTimeout(res, 10)); // let the sampler see the fleet
  sample();
  const rssBefore = process.memoryUsage().rss;

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = triage({ advisories, inventories: fleet, calendar, now, omitNotAffected: omit });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  sample();
  clearInterval(sampler);

  const verdicts: Record<string, number> = {};
  for (const f of result.findings) verdicts[f.verdict] = (verdicts[f.verdict] ?? 0) + 1;
  const osMax = process.resourceUsage().maxRSS * 1024;
  return {
    advisories: advisories.length, source, clusters: fleet.length, nodes, findings: result.findings.length, verdicts,
    wallMs: wall, cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: mb(Math.max(sampled, osMax)), sampledPeakRssMb: mb(sampled),
    rssBeforeTriageMb: mb(rssBefore), rssBeforeFleetMb: mb(rssBeforeFleet), loadAverage: os.loadavg()[0] ?? 0,
  };
}

/** One bench child (`script --child …`) in a fresh process; the shared data directory is passed on. */
function child(script: string, args: readonly string[]): RunResult {
  const out = execFileSync(process.execPath, [...process.execArgv, script, ...args], {
    encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, K8S_ADVISOR_SHARED_DATA: SHARED },
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as RunResult;
}

const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

/** `--base DIR`: its bench child and ours alternately (ABBA), both medians and the per-round ratios. */
function compareWithBase(baseDir: string, rounds: number, args: readonly string[]): void {
  const baseScript = resolve(baseDir, 'bench/triage.ts');
  if (!existsSync(baseScript)) throw new Error(`--base ${baseDir}: no bench/triage.ts there (make it with git archive, see the comment at the top of this file)`);
  const ours = fileURLToPath(import.meta.url);
  const base: RunResult[] = [];
  const now: RunResult[] = [];
  for (let i = 0; i < rounds; i++) {
    const order: [string, RunResult[]][] = i % 2 === 0 ? [[baseScript, base], [ours, now]] : [[ours, now], [baseScript, base]];
    for (const [script, list] of order) list.push(child(script, args));
    const b = base[i] as RunResult;
    const o = now[i] as RunResult;
    process.stdout.write(`round ${i + 1}: base ${b.cpuMs.toFixed(0)} ms CPU ${b.wallMs.toFixed(0)} ms wall ${b.peakRssMb} MB | ours ${o.cpuMs.toFixed(0)} ms CPU ${o.wallMs.toFixed(0)} ms wall ${o.peakRssMb} MB — load ${o.loadAverage.toFixed(1)}\n`);
  }
  const ratio = (pick: (r: RunResult) => number) => now.map((o, i) => pick(o) / pick(base[i] as RunResult));
  const line = (name: string, pick: (r: RunResult) => number, unit: string) => {
    const b = base.map(pick);
    const o = now.map(pick);
    const q = ratio(pick);
    return `${name.padEnd(9)} base median ${median(b).toFixed(0)} ${unit} (${range(b)}), ours median ${median(o).toFixed(0)} ${unit} (${range(o)}); ours/base per round: median ${median(q).toFixed(3)} (${range(q, 3)})`;
  };
  const first = now[0] as RunResult;
  const firstBase = base[0] as RunResult;
  const lines = [
    `base:     ${baseDir}: ${firstBase.advisories} advisories, ${firstBase.findings} findings (${Object.entries(firstBase.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `ours:     ${first.advisories} advisories, ${first.findings} findings (${Object.entries(first.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `fleet:    ${first.clusters} clusters, ${first.nodes} nodes; ${rounds} rounds, each a fresh process per side, order alternating`,
    line('CPU', (r) => r.cpuMs, 'ms'),
    line('wall', (r) => r.wallMs, 'ms'),
    line('peak RSS', (r) => r.peakRssMb, 'MB'),
    `load:     ${range(now.map((r) => r.loadAverage), 1)} during the rounds (${os.availableParallelism()} cores)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '42' },
      runs: { type: 'string', default: '5' },
      child: { type: 'boolean', default: false },
      'omit-not-affected': { type: 'boolean', default: false },
      fleet: { type: 'string', default: 'eager' },
      base: { type: 'string' },
    },
  });
  const clusters = Number(values.clusters);
  const seed = Number(values.seed);
  const omit = values['omit-not-affected'] === true;
  const mode: FleetMode = values.fleet === 'lazy' ? 'lazy' : 'eager';
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await once(clusters, seed, omit, mode))}\n`);
    return;
  }
  // Every run in a fresh process: a one-shot CLI triage is what we measure (cold JIT, own peak RSS).
  const runs = Math.max(1, Number(values.runs));
  const childArgs = ['--child', '--clusters', String(clusters), '--seed', String(seed), '--fleet', mode, ...(omit ? ['--omit-not-affected'] : [])];
  if (values.base !== undefined) {
    compareWithBase(resolve(values.base), runs, childArgs);
    return;
  }
  const results: RunResult[] = [];
  const script = fileURLToPath(import.meta.url);
  for (let i = 0; i < runs; i++) {
    const r = child(script, childArgs);
    results.push(r);
    process.stdout.write(`run ${i + 1}: ${r.wallMs.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, peak RSS ${r.peakRssMb} MB (sampled ${r.sampledPeakRssMb} MB; ${r.rssBeforeTriageMb} MB before triage, fleet ${r.rssBeforeTriageMb - r.rssBeforeFleetMb} MB) — load ${r.loadAverage.toFixed(1)}\n`);
  }
  const first = results[0] as RunResult;
  const wall = median(results.map((r) => r.wallMs));
  const cpu = median(results.map((r) => r.cpuMs));
  const peak = median(results.map((r) => r.peakRssMb));
  const met = wall < 1000 && cpu < 1000 && peak < 300;
  const lines = [
    `advisories: ${first.advisories} — ${first.source}`,
    `fleet:      ${first.clusters} clusters, ${first.nodes} nodes (seed ${seed}; node lists ${mode === 'lazy' ? 'built on read, one cluster at a time' : 'all built up front and kept (--fleet lazy builds them on read)'})`,
    ...(omit ? ['mode:       omitNotAffected (not-affected findings left out)'] : []),
    `findings:   ${first.findings} (${Object.entries(first.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `triage:     median of ${runs} fresh processes: ${wall.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU (${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(1)})`,
    `memory:     median peak RSS ${peak} MB for the whole process (modules, advisories, fleet and triage; sampled and kernel high-water mark), ${median(results.map((r) => r.rssBeforeTriageMb))} MB before triage`,
    `target:     < 1000 ms wall and CPU, < 300 MB peak RSS → ${met ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
