import { describe, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { nextChunk, triageFleet } from '../../../src/hub/pipeline.ts';
import { advisoriesOf, createWatcherSource, staticSource } from '../../../src/hub/source.ts';
import { staticInventory } from '../../../src/inventory/static.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/index.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { ALL_FIXTURE_ADVISORIES } from '../../fixtures/triage/advisories.ts';
import type { FeedItem } from '../../../src/feed/item.ts';

const calendar = loadBundledCalendar();
const now = new Date('2026-08-21T12:00:00Z');

/** 37 static clusters over several minors and providers, two environments. */
function fleet() {
  const versions = ['v1.27.1', 'v1.28.2', 'v1.29.4-eks-036c24b', 'v1.30.5-gke.1014001', 'v1.26.3+k3s1', 'v1.31.0'];
  const lines = ['environments:', '  staging: {}', '  prod: {}', 'clusters:'];
  for (let i = 0; i < 37; i++) {
    // Names out of order on purpose: triage sorts them.
    const name = `c-${String((i * 17) % 37).padStart(2, '0')}`;
    lines.push(`  - { name: ${name}, environment: ${i % 2 ? 'prod' : 'staging'}, versions: { kubernetes: ${versions[i % versions.length]}${i % 3 === 0 ? ', ingress-nginx: v1.9.4' : ''} } }`);
  }
  return loadConfig(lines.join('\n'));
}

describe('triageFleet', () => {
  const config = fleet();
  const advisories = ALL_FIXTURE_ADVISORIES;
  const whole = triage({ advisories, inventories: config.clusters.map((c) => staticInventory(c, now)), calendar, now });

  it.each([1, 5, 36, 100])('in chunks of %i clusters gives what one triage() of the whole fleet gives', async (chunkClusters) => {
    const chunked = await triageFleet({ config, advisories, calendar, now, chunkClusters });
    expect(chunked.findings).toEqual(whole.findings);
    expect(chunked.clusters).toEqual(whole.clusters);
    expect(chunked.warnings).toEqual(whole.warnings);
    expect(chunked.advisories).toEqual(whole.advisories);
  });

  it('streams findings chunk by chunk in cluster order, per advisory the same as the whole run', async () => {
    const chunks: Finding[][] = [];
    // A budget no chunk exceeds: the sizes stay at chunkClusters.
    const streamed = await triageFleet({ config, advisories, calendar, now, chunkClusters: 4, chunkBudgetMs: 60_000, onFindings: (f) => chunks.push(f) });
    expect(streamed.findings).toEqual([]);
    expect(chunks.length).toBe(Math.ceil(37 / 4));
    const perAdvisory = (list: Finding[]) => {
      const m = new Map<string, Finding[]>();
      for (const f of list) m.set(f.advisory, [...(m.get(f.advisory) ?? []), f]);
      return m;
    };
    expect(perAdvisory(chunks.flat())).toEqual(perAdvisory(whole.findings));
  });

  it('makes chunks smaller when one takes longer than its budget, with the same result', async () => {
    // 111 clusters: the fixture fleet three times under other names.
    const inventories = [0, 1, 2].flatMap((k) => config.clusters.map((c) => ({ ...staticInventory(c, now), cluster: `${c.name}-${k}` })));
    const once = triage({ advisories, inventories, calendar, now });
    const sizes: number[] = [];
    const chunked: Finding[] = [];
    const r = await triageFleet({
      config, advisories, calendar, now, inventories, chunkClusters: 60, chunkBudgetMs: 1,
      onFindings: (f) => {
        sizes.push(new Set(f.map((x) => x.cluster)).size);
        chunked.push(...f);
        // A slow consumer: 3 ms per chunk against a 1 ms budget.
        const end = performance.now() + 3;
        while (performance.now() < end) { /* busy */ }
      },
    });
    // 60 at first, then the smallest chunk (20) for the rest.
    expect(sizes).toEqual([60, 20, 20, 11]);
    expect(r.clusters).toEqual(once.clusters);
    const key = (f: Finding) => `${f.advisory}/${f.cluster}/${f.component}`;
    expect(chunked.map(key).sort()).toEqual(once.findings.map(key).sort());
  });

  it.each<[number, number, number, number, number]>([
    // size, spent ms, budget ms, max → next
    [100, 30, 15, 100, 50],
    [100, 50, 15, 100, 30],
    [100, 3000, 15, 100, 20],
    [20, 5, 15, 100, 60],
    [50, 1, 15, 100, 100],
    [100, 0, 15, 100, 100],
    [3, 100, 15, 3, 3],
  ])('nextChunk(%i clusters took %i ms, budget %i ms, at most %i) = %i', (size, spent, budget, max, next) => {
    expect(nextChunk(size, spent, budget, max)).toBe(next);
  });

  it('reports a duplicated cluster once, whichever chunks its copies fall in', async () => {
    const inventories = config.clusters.map((c) => staticInventory(c, now));
    const dup = [...inventories, { ...(inventories[0] as (typeof inventories)[number]) }];
    const r = await triageFleet({ config, advisories, calendar, now, inventories: dup, chunkClusters: 3 });
    expect(r.warnings.filter((w) => w.includes('appears more than once'))).toEqual([`cluster ${inventories[0]?.cluster} appears more than once in the inventory`]);
  });

  it('keeps the last good inventory per cluster in `previous`', async () => {
    const previous = new Map();
    await triageFleet({ config, advisories: [], calendar, now, previous });
    expect(previous.size).toBe(37);
  });
});

describe('advisory sources', () => {
  const item = (id: string): FeedItem => ({ id, url: `https://github.com/kubernetes/kubernetes/issues/${id.slice(-4)}`, summary: 's', content_text: 'b', status: 'fixed' });

  it('parses a combined item once and keeps only the ids the diff reported', async () => {
    const combined = item('CVE-2031-0001, CVE-2031-0002');
    let parses = 0;
    const parse = (i: FeedItem): Advisory[] => {
      parses++;
      return i.id.split(', ').map((id) => ({ ...(ALL_FIXTURE_ADVISORIES[0] as Advisory), id }));
    };
    const got = await advisoriesOf({ firstRun: false, newItems: [{ id: 'CVE-2031-0002', item: combined }], changedItems: [{ id: 'CVE-2031-0001', item: combined }] }, parse);
    expect(got.map((a) => a.id).sort()).toEqual(['CVE-2031-0001', 'CVE-2031-0002']);
    expect(parses).toBe(1);
    expect(await advisoriesOf({ firstRun: false, newItems: [{ id: 'CVE-2031-0002', item: combined }], changedItems: [] }, parse)).toHaveLength(1);
  });

  it('commits only a batch it polled', async () => {
    const source = createWatcherSource({
      parseItem: () => [],
      watcher: {
        poll: async () => ({ source: 's', notModified: true, firstRun: false, meta: null, newItems: [], changedItems: [], recoveredItems: [], removedIds: [], warnings: [], knownIds: 0, pending: null }),
        commit: async () => undefined,
      },
    });
    await expect(source.commit({ advisories: [] })).rejects.toThrow('commit of a batch this source did not poll');
    const batch = await source.poll();
    await expect(source.commit(batch)).resolves.toBeUndefined();
    expect(batch).toMatchObject({ advisories: [], firstRun: false, known: 0 });
  });

  it('a static source repeats its list and has nothing to commit', async () => {
    const s = staticSource([ALL_FIXTURE_ADVISORIES[0] as Advisory]);
    expect((await s.poll()).advisories).toHaveLength(1);
    expect((await s.poll()).advisories).toHaveLength(1);
    await expect(s.commit({ advisories: [] })).resolves.toBeUndefined();
  });
});
