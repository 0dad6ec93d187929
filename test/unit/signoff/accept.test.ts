import { describe, expect, it } from 'vitest';
import { acceptanceText, applyAcceptances, isActive, parseAccept, type RiskAcceptance } from '../../../src/signoff/accept.ts';
import type { Finding } from '../../../src/triage/types.ts';

const NOW = new Date('2026-12-01T12:00:00Z');

describe('parseAccept', () => {
  it.each([
    { args: 'CVE-2024-10220 prod-eu until 2027-01-15 no gitRepo volumes allowed by policy', want: { advisory: 'CVE-2024-10220', target: 'prod-eu', until: '2027-01-15', reason: 'no gitRepo volumes allowed by policy' } },
    { args: 'cve-2024-10220 prod UNTIL 2026-12-01 today only, patch tomorrow', want: { advisory: 'CVE-2024-10220', target: 'prod', until: '2026-12-01' } },
  ])('$args', ({ args, want }) => {
    expect(parseAccept(args.split(' '), NOW)).toMatchObject(want);
  });
  it.each([
    { args: 'prod-eu until 2027-01-15 x', error: /expected a CVE id/ },
    { args: 'CVE-2024-10220', error: /name the cluster or environment/ },
    { args: 'CVE-2024-10220 prod-eu 2027-01-15 reason', error: /expected `until YYYY-MM-DD`/ },
    { args: 'CVE-2024-10220 prod-eu until 2027-02-30 reason here', error: /not a date/ },
    { args: 'CVE-2024-10220 prod-eu until 2026-11-30 reason here', error: /in the past/ },
    { args: 'CVE-2024-10220 prod-eu until 2028-06-01 reason here', error: /at most 366 days/ },
    { args: 'CVE-2024-10220 prod-eu until 2027-01-15', error: /give a reason/ },
  ])('refuses $args', ({ args, error }) => {
    const r = parseAccept(args.split(' '), NOW);
    expect('error' in r && r.error).toMatch(error);
  });
});

describe('applyAcceptances', () => {
  const finding = (cluster: string, environment: string, verdict: Finding['verdict'] = 'affected', advisory = 'CVE-2024-10220'): Finding =>
    ({ advisory, cluster, environment, component: 'kubelet', version: 'v1.30.2', verdict, fixedTarget: null, upgradePath: [], reason: '' });
  const acc = (kind: 'cluster' | 'environment', name: string, until = '2027-01-15', advisory = 'CVE-2024-10220'): RiskAcceptance =>
    ({ advisory, target: { kind, name }, until, by: 'U01', reason: 'no gitRepo', at: NOW.toISOString() });

  it('marks by cluster or environment, keeps the verdict, skips not-affected', () => {
    const out = applyAcceptances([finding('prod-eu', 'prod'), finding('stage-1', 'staging'), finding('prod-us', 'prod', 'not-affected')], [acc('environment', 'prod'), acc('cluster', 'stage-1')], NOW);
    expect(out.map((f) => [f.cluster, f.verdict, f.accepted?.until ?? null])).toEqual([
      ['prod-eu', 'affected', '2027-01-15'], ['stage-1', 'affected', '2027-01-15'], ['prod-us', 'not-affected', null],
    ]);
  });
  it('expires by itself after the day', () => {
    const a = acc('cluster', 'prod-eu', '2026-12-01');
    expect(isActive(a, NOW)).toBe(true);
    expect(isActive(a, new Date('2026-12-02T00:00:00Z'))).toBe(false);
    expect(applyAcceptances([finding('prod-eu', 'prod')], [a], new Date('2026-12-02T00:00:01Z'))[0]?.accepted).toBeUndefined();
  });
  it('matches through aliases', () => {
    const out = applyAcceptances([finding('prod-eu', 'prod', 'affected', 'CVE-2023-2727')], [acc('cluster', 'prod-eu', '2027-01-15', 'CVE-2023-2728')], NOW, new Map([['CVE-2023-2727', ['CVE-2023-2728']]]));
    expect(out[0]?.accepted).toBeDefined();
  });
  it('says who accepted what until when', () => {
    expect(acceptanceText({ until: '2027-01-15', by: 'U0ALICE', reason: 'no gitRepo volumes allowed by policy' })).toBe('accepted until 2027-01-15 by <@U0ALICE>: no gitRepo volumes allowed by policy');
  });
});

describe('accepted risks in messages', () => {
  it('drop out of "needs attention" and show on the cluster line with who, until when and why', async () => {
    const { advisoryMessage, needsAttention } = await import('../../../src/slack/blocks/advisory.ts');
    const { advisory } = await import('../slack/fixtures.ts');
    const base = { advisory: 'CVE-2024-10220', environment: 'prod', component: 'kubelet', version: 'v1.30.2', fixedTarget: 'v1.30.3', upgradePath: [] as string[], reason: 'affected' };
    const findings: Finding[] = [
      { ...base, cluster: 'prod-eu', verdict: 'affected', accepted: { until: '2027-01-15', by: 'U0ALICE', reason: 'no gitRepo volumes allowed by policy' } },
      { ...base, cluster: 'prod-us', verdict: 'affected' },
    ];
    expect(needsAttention(findings)).toEqual(['prod-us']);
    const json = JSON.stringify(advisoryMessage({ advisory: advisory('CVE-2024-10220'), findings, releaseData: null }).blocks);
    expect(json).toContain('accepted until 2027-01-15 by <@U0ALICE>: no gitRepo volumes allowed by policy');
    expect(json).toContain('2 (1 accepted risk)');
  });
});

describe('unreadable clusters in messages', () => {
  it('are counted apart from affected ones, and do not top /k8s advisories', async () => {
    const { advisoryMessage, needsAttention, unknownClusters } = await import('../../../src/slack/blocks/advisory.ts');
    const { advisoryListMessage } = await import('../../../src/slack/blocks/replies.ts');
    const { attentionOf } = await import('../../../src/notify/attention.ts');
    const { advisory } = await import('../slack/fixtures.ts');
    const f = (cluster: string, verdict: Finding['verdict'], id = 'CVE-2024-10220'): Finding =>
      ({ advisory: id, cluster, environment: 'prod', component: 'kubelet', version: null, verdict, fixedTarget: null, upgradePath: [], reason: verdict === 'unknown' ? 'the cluster could not be read' : 'x' });
    const onlyUnreadable = [f('gone', 'unknown')];
    expect(needsAttention(onlyUnreadable)).toEqual([]);
    expect(unknownClusters(onlyUnreadable)).toEqual(['gone']);
    const msg = advisoryMessage({ advisory: advisory('CVE-2024-10220'), findings: onlyUnreadable, releaseData: null });
    expect(msg.text).toMatch(/0 affected clusters, 1 unknown$/);
    const list = JSON.stringify(advisoryListMessage([
      { advisory: advisory('CVE-2024-10220'), summary: attentionOf(onlyUnreadable) },
      { advisory: advisory('CVE-2023-2727'), summary: attentionOf([f('prod-eu', 'affected', 'CVE-2023-2727')]) },
    ], null).blocks);
    expect(list.indexOf('CVE-2023-2727')).toBeLessThan(list.indexOf('CVE-2024-10220'));
    expect(list).toContain('no cluster affected · 1 unknown: gone');
  });
});
