/**
 * No Docker engine on these machines: the Dockerfile's properties are checked on its text.
 * Multi-stage, one exact Node.js 24 slim base that satisfies engines, production dependencies
 * only in the image, non-root, tini as init, the files the entry point needs, and a
 * .dockerignore that keeps tests, benches and .git out of the build context.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeProblem } from '../../../scripts/check-node.js';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

interface Instruction { op: string; args: string }
interface Stage { from: string; name: string | null; instructions: Instruction[] }

/** Joins continuation lines, drops comments, splits into stages at each FROM. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k!] = v ?? '';
    } else if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      stages.push({ from: f[1]!.replace(/^\$\{(\w+)\}$/, (_, a: string) => args[a] ?? ''), name: f[2] ?? null, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(resolve(REPO_ROOT, 'Dockerfile'), 'utf8'));
const final = dockerfile.stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
const engines = (JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

describe('Dockerfile', () => {
  it('is multi-stage on one exact Node.js 24 slim tag that satisfies engines', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const bases = new Set(dockerfile.stages.map((s) => s.from));
    expect(bases.size).toBe(1);
    const [base] = [...bases];
    const m = /^node:(24\.\d+\.\d+)-(bookworm|trixie)-slim$/.exec(base!);
    expect(m, `base image ${base} must be node:24.X.Y-<debian>-slim`).not.toBeNull();
    expect(nodeProblem(m![1]!, engines)).toBeNull();
  });

  it('puts only production dependencies and the compiled code in the image', () => {
    const copies = ops(final, 'COPY');
    const modules = copies.find((c) => /node_modules/.test(c));
    const from = /--from=(\S+)/.exec(modules ?? '')?.[1];
    const depsStage = dockerfile.stages.find((s) => s.name === from);
    expect(depsStage, 'node_modules comes from a named stage').toBeDefined();
    expect(ops(depsStage!, 'RUN').join(' ')).toMatch(/npm ci [^&]*--omit=dev/);
    for (const c of copies) {
      expect(c).not.toMatch(/(^|\s)\.\s+\.?\/?$/); // no "COPY . ."
      expect(c).not.toMatch(/\b(test|bench|src|helm)\b/);
    }
    // The entry point and everything it loads at run time.
    const copied = copies.join('\n');
    for (const path of ['dist', 'bin', 'scripts/check-node.js', 'package.json', 'data', 'examples', 'manifest.yml']) expect(copied).toContain(path);
  });

  it('runs as a non-root user with tini from Debian as init', () => {
    const user = ops(final, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const run = ops(final, 'RUN').join(' ');
    expect(run).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(run).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    const entry = JSON.parse(ops(final, 'ENTRYPOINT').at(-1)!) as string[];
    expect(entry.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(entry.slice(2)).toEqual(['node', '/app/bin/k8s-advisor.js']);
  });

  it('writes nothing into the image at run time: no VOLUME, no writable app directory', () => {
    expect(ops(final, 'VOLUME')).toEqual([]);
    // Files are copied as root (no --chown): the app user can read them, never change them.
    for (const c of ops(final, 'COPY')) expect(c).not.toMatch(/--chown/);
    expect(ops(final, 'RUN').join(' ')).not.toMatch(/chmod|chown|mkdir/);
  });
});

describe('.dockerignore', () => {
  const entries = readFileSync(resolve(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  it.each(['.git', 'node_modules', 'test', 'bench', 'dist', 'coverage', '.env'])('keeps %s out of the build context', (entry) => {
    expect(entries).toContain(entry);
  });
  it.each(['src', 'bin', 'scripts', 'data', 'examples', 'package.json', 'package-lock.json', 'manifest.yml'])('does not hide %s, which the build copies', (path) => {
    expect(entries.some((e) => e === path || e === `${path}/` || path.startsWith(`${e}/`))).toBe(false);
  });
});
