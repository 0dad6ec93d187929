/**
 * `npm run bench`: every benchmark in bench/ (each `*.ts` here but this one), one after the other,
 * each in its own Node.js process with its default arguments, so one bench's heap and timers
 * never skew the next. A new bench file is picked up without editing this list.
 *
 *   npm run bench                       # all of them
 *   npm run bench -- parse triage       # only these (names without .ts)
 *   npm run bench -- --list             # what would run
 *
 * Exits non-zero when a bench fails (and names it); the numbers are each bench's own output.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SELF = basename(fileURLToPath(import.meta.url));

/** Bench names (file names without .ts) in `dir`, sorted; helpers named `_*.ts` are not benches. */
export function benchNames(dir: string = HERE): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== SELF && !f.startsWith('_') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

/** The benches to run for `args`; unknown names are an error naming the known ones. */
export function selectBenches(args: readonly string[], known: readonly string[]): { names: string[]; list: boolean } {
  const list = args.includes('--list');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return { names: wanted.length > 0 ? wanted : [...known], list };
}

function main(): number {
  let selection: { names: string[]; list: boolean };
  try {
    selection = selectBenches(process.argv.slice(2), benchNames());
  } catch (err) {
    process.stderr.write(`bench/run-all: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (selection.list) {
    process.stdout.write(`${selection.names.join('\n')}\n`);
    return 0;
  }
  const failed: string[] = [];
  for (const name of selection.names) {
    process.stdout.write(`\n=== bench/${name}.ts ===\n`);
    const res = spawnSync(process.execPath, [resolve(HERE, `${name}.ts`)], { stdio: 'inherit', env: process.env });
    if (res.status !== 0) failed.push(`${name} (${res.signal ?? `exit ${res.status}`})`);
  }
  process.stdout.write(`\n${selection.names.length - failed.length}/${selection.names.length} benches finished${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}\n`);
  return failed.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
