/**
 * The channel render hash covers what an advisory post shows of each affected cluster's one
 * remediation: a recommendation changed by another advisory alone must update the post, while
 * an unrelated cluster or a time must not.
 */
import { describe, expect, it } from 'vitest';
import { renderHash, shownRemediation } from '../../../src/notify/hash.ts';
import { planDeliveries } from '../../../src/notify/plan.ts';
import { createRouting } from '../../../src/notify/routing.ts';
import { summarize, describeChanges } from '../../../src/notify/summary.ts';
import type { Remediation } from '../../../src/triage/types.ts';
import { POSTURE, advisory, finding, testConfig } from '../slack/fixtures.ts';

const A = 'CVE-2099-20001';
const B = 'CVE-2099-20002';
const C = 'CVE-2099-20003';
const adv = advisory(A);

/** prod-eu affected (C0PROD), prod-us not affected (C0PROD). */
const findings = [
  finding(A, 'prod-eu', 'prod'),
  finding(A, 'prod-us', 'prod', { verdict: 'not-affected', fixedTarget: null, version: 'v1.29.4-eks-036c24b' }),
];

function remediation(over: Partial<Remediation> = {}): Remediation {
  return { target: 'v1.27.16', path: [], clears: [A], remains: [], summary: 'v1.27.1 → v1.27.16 clears 1 advisory', ...over };
}

const base: [string, Remediation][] = [['prod-eu', remediation()], ['prod-us', remediation({ target: 'v1.29.9', clears: [B] })]];
const hashWith = (entries: [string, Remediation][]) => renderHash(adv, findings, new Map(entries));
const replace = (cluster: string, r: Remediation | null): [string, Remediation][] =>
  [...base.filter(([c]) => c !== cluster), ...(r === null ? [] : [[cluster, r] as [string, Remediation]])];

describe('render hash × remediations', () => {
  const h = hashWith(base);

  it.each<[string, [string, Remediation][], boolean]>([
    ['the affected cluster\'s target moves', replace('prod-eu', remediation({ target: 'v1.27.17' })), true],
    ['a second advisory joins what it clears', replace('prod-eu', remediation({ clears: [A, B] })), true],
    ['an advisory it cannot clear appears ("clears all" no longer true)', replace('prod-eu', remediation({ clears: [A, B], remains: [{ advisory: C, reason: 'no fix yet' }] })), true],
    ['it no longer clears this advisory (the recommendation is no longer shown)', replace('prod-eu', remediation({ clears: [B] })), true],
    ['the affected cluster loses its remediation', replace('prod-eu', null), true],
    ['the provider note shown under the cluster changes', replace('prod-eu', remediation({ provider: { name: 'eks', supported: true, note: 'look for 1.27-eks-9' } })), true],
    ['a cluster not affected by this advisory changes', replace('prod-us', remediation({ target: 'v1.29.12', clears: [B, C] })), false],
    ['a cluster not in the fleet gets one', [...base, ['elsewhere', remediation({ target: 'v1.30.1' })]], false],
    ['only the summary\'s wording (not shown in the post) changes', replace('prod-eu', remediation({ summary: 'reworded' })), false],
    ['only the minor path (not shown in the post) changes', replace('prod-eu', remediation({ path: [{ minor: '1.27', version: '1.27.16' }] })), false],
  ])('%s → changed %s', (_what, entries, changed) => {
    expect(hashWith(entries) !== h).toBe(changed);
  });

  it('ignores an instant inside the provider note (replicas a minute apart agree)', () => {
    const at = (t: string) => hashWith(replace('prod-eu', remediation({ provider: { name: 'eks', supported: true, note: `calendar read ${t}` } })));
    expect(at('2026-11-30T10:00:00Z')).toBe(at('2026-12-01T09:15:00Z'));
    expect(at('2026-11-30T10:00:00Z')).not.toBe(h);
  });

  it('is the findings-only hash when no affected cluster shows a remediation (posts without one keep their hash)', () => {
    expect(renderHash(adv, findings, new Map())).toBe(renderHash(adv, findings));
    expect(renderHash(adv, findings, new Map([['prod-eu', remediation({ clears: [B], target: 'v1.27.5' })]]))).toBe(renderHash(adv, findings));
  });

  it('shows the recommendation only for an advisory it clears', () => {
    expect(shownRemediation(A, remediation())).toEqual(['recommended v1.27.16 (clears 1 open advisory)', null]);
    expect(shownRemediation(A, remediation({ clears: [A, B] }))?.[0]).toBe('recommended v1.27.16 (clears all 2 open advisories)');
    expect(shownRemediation(B, remediation())).toBeNull();
    expect(shownRemediation(A, undefined)).toBeNull();
  });
});

describe('planning × remediations', () => {
  const routing = createRouting(testConfig());
  const plan = (entries: [string, Remediation][]) => planDeliveries(new Map(), {
    advisories: [adv], findings, clusters: POSTURE.map((p) => ({ ...p, ...(entries.find(([c]) => c === p.cluster) ? { remediation: entries.find(([c]) => c === p.cluster)?.[1] } : {}) })),
  }, routing);

  it('gives the channel of the changed cluster a new hash, the same to every replica computing it', () => {
    const before = plan(base).advisories[0]?.view.channels.get('C0PROD')?.hash;
    const after = plan(replace('prod-eu', remediation({ clears: [A, B] }))).advisories[0]?.view.channels.get('C0PROD')?.hash;
    expect(before).toBeDefined();
    expect(after).not.toBe(before);
    expect(plan(replace('prod-eu', remediation({ clears: [A, B] }))).advisories[0]?.view.channels.get('C0PROD')?.hash).toBe(after);
  });
});

describe('summary × remediations', () => {
  it('tells the changed recommendation in the thread reply', () => {
    const prev = summarize(adv, findings, new Map(base));
    const next = summarize(adv, findings, new Map(replace('prod-eu', remediation({ clears: [A, B] }))));
    expect(describeChanges(prev, next)).toEqual(['prod-eu: recommended v1.27.16 (clears all 2 open advisories) (was recommended v1.27.16 (clears 1 open advisory))']);
  });
});
