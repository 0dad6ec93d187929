/**
 * `k8s-advisor triage --format json` end to end on a generated fleet of static clusters, against
 * a floor: a bare program that loads the same fleet file and feed and does one semver comparison
 * per cluster × range. Both run as child processes in the same run, one after the other; the
 * ratios of their wall and CPU times and each one's peak RSS are printed (on a shared machine the
 * CPU ratio is the steadier one: a longer process is preempted more).
 *
 *   node bench/triage-cli.ts [--clusters 10000] [--seed 7] [--runs 3] [--all] [--format json|ndjson]
 *
 * The fleet file is YAML as a person writes it: `versions` per cluster (kubernetes, sometimes
 * kubelet, ingress-nginx), a third of the clusters with a `nodes` list on two or three versions.
 * The floor parses the YAML with the same library the CLI uses (js-yaml) and the feed with the same
 * parser, and parses each range bound once: it is the least any triage of this file has to do. Peak RSS is each child's own high-water mark (VmHWM).
 *
 * Target (issue 9): the CLI within 4× the floor's wall time, peak RSS under 500 MB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import semver from 'semver';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { parseItem } from '../src/advisory/parse.ts';
import type { FeedItem } from '../src/feed/item.ts';
import { median, rng } from './_lib.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const REAL_FEED = resolve(SHARED, 'feeds/official-cve-feed.2023-07-01.json');
const FEED = existsSync(REAL_FEED) ? REAL_FEED : resolve(ROOT, 'data/sample-feed.json');
const CLI = resolve(ROOT, 'src/cli.ts');

function fleetYaml(count: number, seed: number): string {
  const r = rng(seed);
  const minor = () => 18 + Math.floor(Math.sqrt(r()) * 19); // 1.18 … 1.36, newer more likely
  const patch = () => Math.floor(r() * 15);
  const lines = [
    'releases: { refresh: false }',
    'environments: { prod: {}, staging: {}, dev: {} }',
    'clusters:',
  ];
  const envs = ['prod', 'staging', 'dev'];
  for (let i = 0; i < count; i++) {
    const m = minor();
    const server = `v1.${m}.${patch()}`;
    const versions = [`kubernetes: ${server}`];
    if (r() < 0.2) versions.push(`kubelet: v1.${Math.max(18, m - Math.floor(r() * 3))}.${patch()}`);
    if (r() < 0.3) versions.push(`ingress-nginx: v1.${9 + Math.floor(r() * 4)}.${Math.floor(r() * 6)}`);
    lines.push(`  - name: c${String(i).padStart(5, '0')}`, `    environment: ${envs[i % 3]}`, `    versions: { ${versions.join(', ')} }`);
    if (r() < 0.33) {
      lines.push('    nodes:');
      const pools = 2 + Math.floor(r() * 2);
      for (let n = 0; n < pools; n++) lines.push(`      - { name: pool${n}, kubelet: v1.${Math.max(18, m - Math.floor(r() * 3))}.${patch()} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The floor, run as `--floor FLEET`: load the fleet and the feed, one semver comparison per cluster × range. */
function floor(fleetFile: string): void {
  const fleet = loadYaml(readFileSync(fleetFile, 'utf8'), { schema: CORE_SCHEMA }) as { clusters: { versions: Record<string, string> }[] };
  const feed = JSON.parse(readFileSync(FEED, 'utf8')) as { items: FeedItem[] };
  const ranges = feed.items.flatMap((i) => parseItem(i)).flatMap((a) => a.ranges);
  const bounds = ranges.map((rg) => semver.coerce(rg.fixed ?? rg.lastAffected ?? rg.introduced ?? '')).filter((b) => b !== null);
  let below = 0;
  for (const c of fleet.clusters) {
    const v = semver.coerce(c.versions.kubernetes ?? '0.0.0') ?? new semver.SemVer('0.0.0');
    for (const b of bounds) if (v.compare(b) < 0) below++;
  }
  process.stdout.write(`${JSON.stringify({ clusters: fleet.clusters.length, ranges: ranges.length, below })}\n`);
}

interface Measured {
  wallMs: number;
  /** user + system CPU time, sampled from /proc every 2 ms (USER_HZ 100: 10 ms resolution). */
  cpuMs: number;
  peakRssMb: number;
  status: number | null;
  stdoutBytes: number;
  stderr: string;
}

/**
 * Runs one child under a small watcher process that reads the child's own high-water mark
 * (VmHWM in /proc/<pid>/status, Linux) until it exits, and times it from spawn to exit. stdout
 * goes to a file, as `triage > out.json` would.
 */
function measure(args: string[], out: string): Measured {
  const watcher = `
    const { spawn } = require('node:child_process');
    const fs = require('node:fs');
    const t0 = performance.now();
    const fd = fs.openSync(${JSON.stringify(out)}, 'w');
    const child = spawn(process.execPath, ${JSON.stringify(args)}, { stdio: ['ignore', fd, 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { if (err.length < 2000) err += d; });
    let peak = 0;
    let ticks = 0;
    const read = () => {
      try {
        const m = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/' + child.pid + '/status', 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
        // utime + stime (fields 14 and 15, after the parenthesised command name), in clock ticks.
        const stat = fs.readFileSync('/proc/' + child.pid + '/stat', 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Math.max(ticks, Number(f[11]) + Number(f[12]));
      } catch {}
    };
    const timer = setInterval(read, 2);
    child.on('exit', (status) => {
      clearInterval(timer);
      const wallMs = performance.now() - t0;
      fs.closeSync(fd);
      process.stdout.write(JSON.stringify({ wallMs, status, stderr: err, peak, cpuMs: ticks * 10 }));
    });
  `;
  const r = spawnSync(process.execPath, ['-e', watcher], { encoding: 'utf8', maxBuffer: 1 << 22 });
  const res = JSON.parse(r.stdout) as { wallMs: number; status: number | null; stderr: string; peak: number; cpuMs: number };
  return { wallMs: res.wallMs, cpuMs: res.cpuMs, peakRssMb: Math.round(res.peak / 1024 / 1024), status: res.status, stdoutBytes: statSync(out).size, stderr: res.stderr };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '7' },
      runs: { type: 'string', default: '3' },
      all: { type: 'boolean', default: false },
      format: { type: 'string', default: 'json' },
      floor: { type: 'string' },
    },
  });
  if (values.floor !== undefined) {
    floor(values.floor);
    return;
  }
  const clusters = Number(values.clusters);
  const dir = mkdtempSync(join(os.tmpdir(), 'k8s-advisor-triage-cli-'));
  try {
    const fleet = join(dir, 'fleet.yaml');
    writeFileSync(fleet, fleetYaml(clusters, Number(values.seed)));
    const script = fileURLToPath(import.meta.url);
    const cliArgs = [CLI, 'triage', '--config', fleet, '--feed', FEED, '--format', String(values.format), ...(values.all ? ['--all'] : [])];
    const floors: Measured[] = [];
    const clis: Measured[] = [];
    const runs = Math.max(1, Number(values.runs));
    for (let i = 0; i < runs; i++) {
      const f = measure([script, '--floor', fleet], join(dir, 'floor.out'));
      const c = measure(cliArgs, join(dir, 'cli.out'));
      if (f.status !== 0) throw new Error(`floor failed (${f.status}): ${f.stderr}`);
      if (c.status !== 0 && c.status !== 1) throw new Error(`CLI failed (${c.status}): ${c.stderr}`);
      floors.push(f);
      clis.push(c);
      process.stdout.write(`run ${i + 1}: floor ${f.wallMs.toFixed(0)} ms (CPU ${f.cpuMs}), ${f.peakRssMb} MB · CLI ${c.wallMs.toFixed(0)} ms (CPU ${c.cpuMs}), ${c.peakRssMb} MB, ${(c.stdoutBytes / 1e6).toFixed(1)} MB of output, exit ${c.status} · ratio ${(c.wallMs / f.wallMs).toFixed(2)}× wall, ${(c.cpuMs / f.cpuMs).toFixed(2)}× CPU — load ${os.loadavg()[0]?.toFixed(1)}\n`);
    }
    const ratio = median(clis.map((c, i) => c.wallMs / (floors[i] as Measured).wallMs));
    const cpuRatio = median(clis.map((c, i) => c.cpuMs / (floors[i] as Measured).cpuMs));
    const peak = median(clis.map((c) => c.peakRssMb));
    const lines = [
      `fleet:  ${clusters} static clusters (${(readFileSync(fleet).length / 1e6).toFixed(1)} MB of YAML), feed ${FEED}`,
      `floor:  median ${median(floors.map((f) => f.wallMs)).toFixed(0)} ms wall, ${median(floors.map((f) => f.peakRssMb))} MB peak RSS (parse the fleet YAML and the feed, one semver comparison per cluster × range bound)`,
      `CLI:    median ${median(clis.map((c) => c.wallMs)).toFixed(0)} ms wall, ${peak} MB peak RSS (triage --format ${String(values.format)}${values.all ? ' --all' : ''}, stdout to a file)`,
      `ratio:  median ${ratio.toFixed(2)}× the floor's wall time, ${cpuRatio.toFixed(2)}× its CPU time (${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(1)}; CPU time is steadier on a shared machine)`,
      `target: ≤ 4× the floor and < 500 MB peak RSS → wall ${ratio <= 4 && peak < 500 ? 'met' : 'NOT met'}, CPU ${cpuRatio <= 4 && peak < 500 ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
