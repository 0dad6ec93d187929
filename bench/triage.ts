/**
 * Triage throughput: the real feed (parsed, when src/advisory/parse.ts exists; else our fixture
 * advisories with real version facts) against a generated fleet of 10,000 clusters, each with
 * 3–50 nodes on mixed kubelet versions. Prints wall time and peak memory.
 *
 *   node bench/triage.ts [--clusters 10000] [--seed 42] [--omit-not-affected]
 *
 * Target: under 1 s and 300 MB RSS on 2 cores.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Advisory } from '../src/advisory/types.ts';
import type { ClusterInventory, ClusterProvider, NodeVersions } from '../src/inventory/types.ts';
import { loadBundledCalendar } from '../src/releases/bundled.ts';
import type { ReleaseCalendar } from '../src/releases/calendar.ts';
import { triage } from '../src/triage/triage.ts';
import { ALL_FIXTURE_ADVISORIES } from '../test/fixtures/triage/advisories.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const FEED = resolve(SHARED, 'feeds/official-cve-feed.2023-07-01.json');
const PARSER = resolve(ROOT, 'src/advisory/parse.ts');

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function loadAdvisories(): Promise<{ advisories: Advisory[]; source: string }> {
  if (existsSync(PARSER) && existsSync(FEED)) {
    const mod = await import(pathToFileURL(PARSER).href) as { parseItem: (item: unknown) => Advisory[] };
    const feed = JSON.parse(readFileSync(FEED, 'utf8')) as { items: unknown[] };
    return { advisories: feed.items.flatMap((i) => mod.parseItem(i)), source: `real feed parsed by src/advisory/parse.ts (${FEED})` };
  }
  const why = existsSync(PARSER) ? `${FEED} not found` : 'src/advisory/parse.ts not written yet';
  return { advisories: ALL_FIXTURE_ADVISORIES, source: `fixture advisories with real version facts (${why})` };
}

const PROVIDERS: [ClusterProvider, (v: string, r: () => number) => string][] = [
  ['kubeadm', (v) => `v${v}`],
  ['eks', (v, r) => `v${v}-eks-${Math.floor(r() * 0xfffffff).toString(16).padStart(7, '0')}`],
  ['gke', (v, r) => `v${v}-gke.${1000000 + Math.floor(r() * 99) * 1000}`],
  ['k3s', (v) => `v${v}+k3s1`],
];

function generateFleet(count: number, seed: number, calendar: ReleaseCalendar, now: Date): ClusterInventory[] {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const minors = calendar.minors().map((m) => m.minor).filter((m) => Number(m.split('.')[1]) >= 18);
  const patchesOf = new Map(minors.map((m) => [m, calendar.patches(m).map((p) => p.version)]));
  const version = (minor: string) => pick(patchesOf.get(minor) ?? [`${minor}.0`]);
  const envs = ['prod', 'staging', 'dev'];
  const fleet: ClusterInventory[] = [];
  for (let i = 0; i < count; i++) {
    const name = `c${String(i).padStart(5, '0')}`;
    const [provider, build] = r() < 0.55 ? PROVIDERS[0]! : pick(PROVIDERS.slice(1));
    // Newer minors more likely; some clusters far behind.
    const mi = Math.min(minors.length - 1, Math.floor(Math.sqrt(r()) * minors.length));
    const serverMinor = minors[mi] as string;
    const server = build(version(serverMinor), r);
    // 1–4 kubelet versions per cluster, within 0–3 minors below the server.
    const kubeletVersions = Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
      const lag = Math.floor(r() * 4);
      return build(version(minors[Math.max(0, mi - lag)] as string), r);
    });
    const nodeCount = 3 + Math.floor(r() * 48);
    const nodes: NodeVersions[] = Array.from({ length: nodeCount }, (_, n) => ({
      name: `${name}-node-${n}`, kubelet: pick(kubeletVersions), kubeProxy: null,
    }));
    const components: Record<string, string> = {};
    if (r() < 0.3) components['ingress-nginx'] = `v1.${9 + Math.floor(r() * 4)}.${Math.floor(r() * 6)}`;
    if (r() < 0.1) components['secrets-store-csi-driver'] = `v1.${2 + Math.floor(r() * 3)}.${Math.floor(r() * 4)}`;
    fleet.push({
      cluster: name, environment: pick(envs), provider, source: 'live', collectedAt: now.toISOString(),
      server, nodes, components, error: null,
    });
  }
  return fleet;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { clusters: { type: 'string', default: '10000' }, seed: { type: 'string', default: '42' }, 'omit-not-affected': { type: 'boolean', default: false } } });
  const clusters = Number(values.clusters);
  const now = new Date('2026-11-22T10:00:00Z');

  let peakRss = process.memoryUsage().rss;
  const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
  const sampler = setInterval(sample, 5);

  const { advisories, source } = await loadAdvisories();
  const calendar = loadBundledCalendar();
  const fleet = generateFleet(clusters, Number(values.seed), calendar, now);
  const nodes = fleet.reduce((n, c) => n + c.nodes.length, 0);
  sample();
  const rssBefore = process.memoryUsage().rss;

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = triage({ advisories, inventories: fleet, calendar, now, omitNotAffected: values['omit-not-affected'] === true });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  sample();
  clearInterval(sampler);

  const verdicts: Record<string, number> = {};
  for (const f of result.findings) verdicts[f.verdict] = (verdicts[f.verdict] ?? 0) + 1;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  const lines = [
    `advisories: ${advisories.length} — ${source}`,
    `fleet:      ${fleet.length} clusters, ${nodes} nodes (seed ${values.seed})`,
    `findings:   ${result.findings.length} (${Object.entries(verdicts).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `triage:     ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores)`,
    `memory:     peak RSS ${mb(peakRss)} sampled (${mb(rssBefore)} before triage); OS max RSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
    `target:     < 1000 ms and < 300 MB → ${wall < 1000 && peakRss < 300 * 1024 * 1024 ? 'met' : 'NOT met'}`,
  ];
  if (values['omit-not-affected']) lines.splice(2, 0, 'mode:       omitNotAffected (not-affected findings left out)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
