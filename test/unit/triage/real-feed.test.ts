/**
 * Real advisories (../shared/data/feeds, never copied here). Two things are checked:
 * 1. Our fixture advisories carry the real facts: every version in their ranges appears in the
 *    upstream issue body of that CVE.
 * 2. When the advisory parser exists (src/advisory/parse.ts), real feed items triage end to end.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import { ALL_FIXTURE_ADVISORIES } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';
import { describeShared, readShared, REPO_ROOT } from '../../helpers/shared-data.ts';

interface Item { id: string; content_text?: string | null; summary?: string | null }

function items(file: string): Item[] {
  const feed = JSON.parse(readShared(file)) as { items: Item[] };
  return feed.items;
}

describeShared('fixture advisories against the real feed', () => {
  const all = [...items('feeds/official-cve-feed.2023-07-01.json'), ...items('feeds/recent-sample.2023-2025.json')];
  const bodyOf = (id: string): string | null => {
    const item = all.find((i) => i.id.split(/,\s*/).includes(id));
    return item ? `${item.summary ?? ''}\n${item.content_text ?? ''}` : null;
  };

  it.each(ALL_FIXTURE_ADVISORIES.map((a) => [a.id, a] as const))('%s: every range version is in the upstream text', (_id, advisory) => {
    const body = bodyOf(advisory.id);
    expect(body, `${advisory.id} not found in the shared feeds`).not.toBeNull();
    // A branch start "x.y.0" is implied by a "<= x.y.z" line (it bounds its own minor), and a whole
    // minor "1.24.x" is derived (branches older than the oldest fix); every other version is written out upstream.
    const versions = advisory.ranges
      .flatMap((r) => [r.introduced?.endsWith('.0') ? null : r.introduced, r.lastAffected, r.fixed])
      .filter((v): v is string => v !== null && v !== '0' && !v.endsWith('.x'));
    for (const v of versions) expect(body?.toLowerCase(), `${advisory.id}: ${v}`).toContain(v);
    // Components are named upstream, except where the text gives nothing to go on (low confidence).
    if (advisory.parse.confidence !== 'low') {
      for (const c of advisory.components) expect(body?.toLowerCase(), `${advisory.id}: ${c}`).toContain(c.split('-').at(-1));
    }
  });
});

const PARSER = resolve(REPO_ROOT, 'src/advisory/parse.ts');

describeShared('real 2023 feed, parsed, triaged end to end', () => {
  it.skipIf(!existsSync(PARSER))('CVE-2023-2431 and CVE-2023-2727 parse and triage like the fixtures (skipped until src/advisory/parse.ts exists)', async () => {
    const mod = await import(pathToFileURL(PARSER).href) as { parseItem: (item: unknown) => Advisory[] };
    const feed = JSON.parse(readShared('feeds/official-cve-feed.2023-07-01.json')) as { items: unknown[] };
    const advisories = feed.items.flatMap((item) => mod.parseItem(item));
    const fleet = [
      inventory({ cluster: 'a-first', server: 'v1.27.0' }),
      inventory({ cluster: 'b-last', server: 'v1.26.4', nodes: ['v1.26.4', 'v1.24.13'] }),
      inventory({ cluster: 'c-fixed', server: 'v1.27.3' }),
    ];
    const result = triage({ advisories, inventories: fleet, calendar: loadBundledCalendar(), now: DAY.jun2023 });
    const pick = (advisory: string, cluster: string, component: string) =>
      result.findings.find((f) => f.advisory === advisory && f.cluster === cluster && f.component === component);
    expect(pick('CVE-2023-2431', 'a-first', 'kubelet')).toMatchObject({ verdict: 'affected', fixedTarget: 'v1.27.2' });
    // Nodes on two minors: the cluster target is the higher one needed (v1.24.14 would downgrade the 1.26 node); each group has its own.
    expect(pick('CVE-2023-2431', 'b-last', 'kubelet')).toMatchObject({
      verdict: 'affected', version: 'v1.24.13', fixedTarget: 'v1.26.5',
      groups: [{ version: 'v1.24.13', fixedTarget: 'v1.24.14' }, { version: 'v1.26.4', fixedTarget: 'v1.26.5' }],
    });
    expect(pick('CVE-2023-2431', 'c-fixed', 'kubelet')).toMatchObject({ verdict: 'not-affected' });
    expect(pick('CVE-2023-2727', 'b-last', 'kube-apiserver')).toMatchObject({ verdict: 'affected', fixedTarget: 'v1.26.6' });
    expect(pick('CVE-2023-2728', 'c-fixed', 'kube-apiserver')).toMatchObject({ verdict: 'not-affected' });
    expect(result.findings.length).toBeGreaterThan(advisories.length);
  });
});
