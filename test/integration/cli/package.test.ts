/**
 * The npm package as users get it: built once (tsc), listed by `npm pack --dry-run --json`, its
 * entry points present, its dependencies used, its scripts pointing at files that exist, and the
 * installed CLI and `npm run demo` telling an old Node.js (the machine's /usr/bin/node is v20)
 * what to install instead of crashing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { minimumOf, nodeProblem } from '../../../scripts/check-node.js';
import { benchNames, selectBenches } from '../../../bench/run-all.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

interface Pkg {
  bin: Record<string, string>;
  main?: string;
  exports?: Record<string, string>;
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as Pkg;
const npm = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync('npm', args, { cwd: REPO_ROOT, encoding: 'utf8', env });

/** An old Node.js to test against for real: the machine's own (v20), when it is older than engines. */
const OLD_NODE = ['/usr/bin/node', '/bin/node'].find((p) => existsSync(p) && nodeProblem(execFileSync(p, ['-v'], { encoding: 'utf8' }).trim(), pkg.engines.node) !== null);

describe('check-node', () => {
  it.each([
    ['20.20.2', '>=22.19', false],
    ['22.18.9', '>=22.19', false],
    ['22.19.0', '>=22.19', true],
    ['v22.19.0', '>=22.19', true],
    ['23.0.0', '>=22.19', true],
    ['24.22.3', '>=22.19', true],
    ['24.22.3', '>=24.22.4', false],
    ['18.0.0', '>= 22', false],
  ])('Node.js %s against %s → supported %s', (version, range, ok) => {
    const problem = nodeProblem(version, range);
    expect(problem === null).toBe(ok);
    if (!ok) expect(problem).toContain(`needs Node.js ${range}; this is Node.js v${version.replace(/^v/, '')}`);
  });

  it.each(['^22.19', '22', '>=22.19 <25', ''])('rejects an engines range it cannot check: %j', (range) => {
    expect(() => minimumOf(range)).toThrow(/engines.node must look like ">=22.19"/);
  });
});

describe('npm package', () => {
  beforeAll(() => {
    // The real build, as prepack runs it.
    execFileSync(process.execPath, [resolve(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'pipe' });
  }, 300_000);

  it('packs the CLI, its data, examples, manifest and README; no tests, benches or sources', () => {
    const res = npm(['pack', '--dry-run', '--json', '--ignore-scripts']);
    expect(res.status, res.stderr).toBe(0);
    const [info] = JSON.parse(res.stdout) as { files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path).sort();
    for (const must of ['README.md', 'package.json', 'manifest.yml', 'bin/k8s-advisor.js', 'scripts/check-node.js', 'dist/cli.js', 'dist/main.js', 'data/releases.json', 'data/sample-feed.json', 'examples/fleet.yaml']) {
      expect(files, must).toContain(must);
    }
    for (const f of files) {
      expect(f).not.toMatch(/^(test|bench|src|helm|node_modules|\.git)\//);
      expect(f).not.toMatch(/\.(ts|map)$/);
    }
    // Every compiled module of the CLI is in the package (nothing left behind by `files`).
    const compiled = (dir: string): string[] => readdirSync(dir).flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? compiled(p) : p.endsWith('.js') ? [relative(REPO_ROOT, p)] : [];
    });
    for (const js of compiled(resolve(REPO_ROOT, 'dist'))) expect(files).toContain(js);
  });

  it('points bin, main and exports at files that exist', () => {
    const targets = [...Object.values(pkg.bin), ...(pkg.main ? [pkg.main] : []), ...Object.values(pkg.exports ?? {})];
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(existsSync(resolve(REPO_ROOT, t)), t).toBe(true);
  });

  it('runs the installed CLI entry on a supported Node.js', () => {
    const res = spawnSync(process.execPath, [resolve(REPO_ROOT, pkg.bin['k8s-advisor']!), '--version'], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe((JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it.skipIf(OLD_NODE === undefined)('tells an old Node.js which version is needed: installed CLI', () => {
    const res = spawnSync(OLD_NODE!, [resolve(REPO_ROOT, pkg.bin['k8s-advisor']!), 'feed', '--offline'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^error: k8s-advisor needs Node\\.js ${pkg.engines.node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; this is Node\\.js v20\\.`));
    expect(res.stderr).toContain('Install Node.js 24 LTS');
    expect(res.stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|internal error|TypeError/);
  });

  it.skipIf(OLD_NODE === undefined)('tells an old Node.js which version is needed: npm run demo', () => {
    // npm runs scripts with the `node` found first on PATH: put the old one there.
    const dir = resolve(OLD_NODE!, '..');
    const res = npm(['run', '--silent', 'demo'], { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(`k8s-advisor needs Node.js ${pkg.engines.node}; this is Node.js v20.`);
    expect(res.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
  });

  it('uses every runtime dependency it declares', () => {
    const sources = (dir: string): string[] => readdirSync(dir).flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
    });
    const text = sources(resolve(REPO_ROOT, 'src')).join('\n');
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(text, `${dep} is a dependency but nothing in src/ imports it`).toMatch(new RegExp(`from '${dep.replace('/', '\\/')}(/[^']*)?'`));
    }
    expect(pkg.dependencies).not.toHaveProperty('node-cron');
    expect(pkg.dependencies).toHaveProperty('prom-client');
  });

  it('has scripts that point at files that exist, and a bench script that finds every bench', () => {
    for (const [name, script] of Object.entries(pkg.scripts)) {
      for (const [, file] of script.matchAll(/\bnode (\S+\.(?:ts|js))/g)) expect(existsSync(resolve(REPO_ROOT, file!)), `npm run ${name}: ${file}`).toBe(true);
    }
    const names = benchNames(resolve(REPO_ROOT, 'bench'));
    expect(names).toEqual(expect.arrayContaining(['parse', 'slack-ack', 'triage', 'verify']));
    expect(names).not.toContain('run-all');
    const listed = spawnSync(process.execPath, [resolve(REPO_ROOT, 'bench/run-all.ts'), '--list'], { encoding: 'utf8' });
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual(names);
    expect(selectBenches(['parse'], names)).toEqual({ names: ['parse'], list: false });
    expect(() => selectBenches(['nope'], names)).toThrow(/unknown bench nope; known: .*parse/);
    const bad = spawnSync(process.execPath, [resolve(REPO_ROOT, 'bench/run-all.ts'), 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
