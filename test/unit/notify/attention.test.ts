import { describe, expect, it } from 'vitest';
import {
  TALLY_NAMES, attentionOf, createAttentionCounter, mergeAttention, needsAttention, tallyNames, unknownClusters,
} from '../../../src/notify/attention.ts';
import { planDeliveries } from '../../../src/notify/plan.ts';
import { createRouting } from '../../../src/notify/routing.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { truncate } from '../../../src/slack/blocks/text.ts';
import { advisory, finding, testConfig } from '../slack/fixtures.ts';

const A = 'CVE-2099-30001';
const f = (cluster: string, verdict: Finding['verdict'], accepted = false): Finding => finding(A, cluster, 'prod', {
  verdict, ...(accepted ? { accepted: { until: '2099-01-01', by: 'U1', reason: 'r' } } : {}),
});

describe('who needs attention', () => {
  it.each<[string, Finding[], string[], string[]]>([
    ['affected and unfixed need attention', [f('a', 'affected'), f('b', 'unfixed'), f('c', 'not-affected')], ['a', 'b'], []],
    ['an accepted risk does not, and is not unknown either', [f('a', 'affected', true)], [], []],
    ['one open finding is enough when another is accepted', [f('a', 'affected', true), f('a', 'unfixed')], ['a'], []],
    ['unknown only: counted apart', [f('a', 'unknown'), f('b', 'unknown'), f('b', 'affected')], ['b'], ['a']],
    ['unknown beside an accepted hit is not unknown', [f('a', 'unknown'), f('a', 'affected', true)], [], []],
    ['nothing', [f('a', 'not-affected')], [], []],
    ['duplicates and order do not matter', [f('z', 'affected'), f('m', 'affected'), f('z', 'unfixed')], ['m', 'z'], []],
  ])('%s', (_name, findings, attention, unknown) => {
    expect(needsAttention(findings)).toEqual(attention);
    expect(unknownClusters(findings)).toEqual(unknown);
    const counter = createAttentionCounter();
    for (const x of findings) counter.add(x);
    expect(counter.summary()).toEqual(attentionOf(findings));
    expect(attentionOf(findings).attention).toEqual({ count: attention.length, names: attention });
    expect(attentionOf(findings).unknown).toEqual({ count: unknown.length, names: unknown });
  });

  it('merging per-channel summaries gives the summary of all their findings', () => {
    const verdicts: Finding['verdict'][] = ['affected', 'unfixed', 'unknown', 'not-affected'];
    const parts = [0, 1, 2].map((p) => Array.from({ length: 300 }, (_, i) =>
      f(`c${p}-${String((i * 7919) % 1000).padStart(4, '0')}`, verdicts[(i * 31 + p) % 4] as Finding['verdict'], i % 13 === 0)));
    expect(mergeAttention(parts.map(attentionOf))).toEqual(attentionOf(parts.flat()));
    expect(mergeAttention([])).toEqual(attentionOf([]));
  });

  it('keeps enough names that the shown list is the same as from every name', () => {
    // The shortest names (one and two characters) pack the most into a cut list.
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
    const names = [...chars, ...chars.flatMap((a) => chars.map((b) => a + b))];
    const findings = names.map((n) => f(n, 'affected'));
    const full = needsAttention(findings).join(', ');
    const t = attentionOf(findings).attention;
    expect(t.count).toBe(names.length);
    expect(t.names.length).toBe(TALLY_NAMES);
    for (const width of [120, 200, 300]) expect(truncate(tallyNames(t), width)).toEqual(truncate(full, width));
  });

  it('is planned per channel with the view, so the store can answer from heads', () => {
    const config = testConfig();
    const findings = [
      finding(A, 'prod-eu', 'prod'),
      finding(A, 'prod-us', 'prod', { verdict: 'unknown', fixedTarget: null }),
      finding(A, 'stage-1', 'staging', { verdict: 'unfixed', fixedTarget: null }),
    ];
    const plan = planDeliveries(new Map(), { advisories: [advisory(A)], findings }, createRouting(config));
    const view = plan.advisories[0]?.view;
    const parts = [...(view?.channels.values() ?? [])].map((c) => c.attention);
    expect(mergeAttention(parts)).toEqual(attentionOf(findings));
    expect(view?.channels.get('C0PROD')?.attention).toEqual({ attention: { count: 1, names: ['prod-eu'] }, unknown: { count: 1, names: ['prod-us'] } });
  });
});
