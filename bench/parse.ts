/**
 * Advisory parser throughput: parses the real 2023 feed (43 items, 44 advisories) many times and
 * prints the median time per full-feed parse and per advisory.
 *
 *   node bench/parse.ts [--runs 1000]
 *
 * Reads ../shared/data (never copied into the repository); skips with a message when absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { feedItemSchema } from '../src/feed/item.ts';
import { parseItem } from '../src/advisory/parse.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const FEED = resolve(SHARED, 'feeds/official-cve-feed.2023-07-01.json');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' } } });
const runs = Math.max(1, Number(values.runs) || 1000);

if (!existsSync(FEED)) {
  console.log(`bench/parse: skipped, ${FEED} not found (set K8S_ADVISOR_SHARED_DATA)`);
} else {
  const raw = JSON.parse(readFileSync(FEED, 'utf8')) as { items: unknown[] };
  const items = raw.items.map((i) => feedItemSchema.parse(i));
  // Warm up so the JIT has compiled the hot regular expressions before timing.
  let advisories = 0;
  for (let i = 0; i < 20; i++) advisories = items.flatMap(parseItem).length;

  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    items.flatMap(parseItem);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  const p95 = samples[Math.floor(samples.length * 0.95)] ?? 0;
  console.log(`bench/parse: ${items.length} items → ${advisories} advisories, ${runs} runs`);
  console.log(`  median ${median.toFixed(3)} ms per full-feed parse (p95 ${p95.toFixed(3)} ms)`);
  console.log(`  median ${((median * 1000) / advisories).toFixed(1)} µs per advisory`);
}
