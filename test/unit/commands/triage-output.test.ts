/**
 * The streamed JSON of `triage --format json` is byte for byte JSON.stringify of the whole result
 * (written in pieces so 10,000 clusters never become one string), and NDJSON carries the same records.
 */
import { describe, expect, it } from 'vitest';
import { writeTriageJson, writeTriageNdjson } from '../../../src/commands/triage.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import { ALL_FIXTURE_ADVISORIES } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

const fleet = Array.from({ length: 400 }, (_, i) => inventory({
  cluster: `c${String(i).padStart(3, '0')}`, server: `v1.${27 + (i % 9)}.${i % 7}`,
  nodes: [`v1.${27 + (i % 9)}.${i % 7}`, `v1.${26 + (i % 9)}.${i % 5}`], components: i % 3 === 0 ? { 'ingress-nginx': 'v1.11.4' } : {},
}));
const result = triage({ advisories: ALL_FIXTURE_ADVISORIES, inventories: fleet, calendar: loadBundledCalendar(), now: DAY.today });
const out = { feed: { source: 'test', updatedAt: null, items: ALL_FIXTURE_ADVISORIES.length }, include: 'all' as const, ...result };

function collect(write: (w: (s: string) => void) => void): { text: string; pieces: number } {
  const pieces: string[] = [];
  write((s) => { pieces.push(s); });
  return { text: pieces.join(''), pieces: pieces.length };
}

describe('triage output', () => {
  it('json: the same bytes as JSON.stringify, in pieces', () => {
    expect(result.findings.length).toBeGreaterThan(4_000); // more than one batch
    const { text, pieces } = collect((w) => writeTriageJson(w, out, { pretty: false }));
    expect(text).toBe(`${JSON.stringify(out)}\n`);
    expect(pieces).toBeGreaterThan(3);
  });

  it('json on a terminal is indented', () => {
    expect(collect((w) => writeTriageJson(w, out, { pretty: true })).text).toBe(`${JSON.stringify(out, null, 2)}\n`);
  });

  it('ndjson: a run line, then every advisory (with counts), finding, client and cluster', () => {
    const lines = collect((w) => writeTriageNdjson(w, out)).text.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
    expect(lines[0]).toEqual({ type: 'run', feed: out.feed, include: 'all', releaseData: out.releaseData, warnings: out.warnings, generatedAt: out.generatedAt });
    const strip = (type: string) => lines.filter((l) => l.type === type).map(({ type: _t, ...rest }) => rest);
    expect(strip('finding')).toEqual(result.findings);
    expect(strip('cluster')).toEqual(result.clusters);
    expect(strip('client')).toEqual(result.clients);
    expect(strip('advisory')).toEqual(result.advisories.map((a) => ({ ...a, counts: result.counts?.[a.id] })));
  });
});
