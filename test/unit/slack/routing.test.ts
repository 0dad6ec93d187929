import { describe, expect, it } from 'vitest';
import { channelFor, describeChanges, findingsForChannel, routeFindings, summarize } from '../../../src/hub/routing.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { jobId } from '../../../src/queue/names.ts';
import { advisory, finding, testConfig } from './fixtures.ts';

const config = testConfig();

describe('routing', () => {
  it('maps environments to channels with the default as fallback', () => {
    expect(channelFor(config, 'prod')).toBe('C0PROD');
    expect(channelFor(config, 'staging')).toBe('C0STAGE');
    expect(channelFor(config, 'qa')).toBe('C0SEC');
    expect(channelFor({ slack: { channels: {} } }, 'qa')).toBeNull();
  });

  it('posts in each relevant channel with that channel\'s clusters', () => {
    const a = 'CVE-2023-2727';
    const routes = routeFindings(config, [
      finding(a, 'prod-eu', 'prod'),
      finding(a, 'prod-us', 'prod', { verdict: 'not-affected' }),
      finding(a, 'stage-1', 'staging', { verdict: 'not-affected' }),
    ]);
    expect([...routes.keys()]).toEqual(['C0PROD']);
    expect(routes.get('C0PROD')?.map((f) => f.cluster)).toEqual(['prod-eu', 'prod-us']);
    const both = routeFindings(config, [finding(a, 'prod-eu', 'prod'), finding(a, 'stage-1', 'staging', { verdict: 'unknown' })]);
    expect([...both.keys()].sort()).toEqual(['C0PROD', 'C0STAGE']);
  });

  it('describes what changed', () => {
    const a = advisory('CVE-2023-2727', { status: 'open' });
    const before = summarize(a, [finding(a.id, 'prod-eu', 'prod', { fixedTarget: null, verdict: 'unfixed' })]);
    const b = advisory('CVE-2023-2727', { status: 'fixed', ranges: [{ component: 'kube-apiserver', introduced: '1.27.0', lastAffected: null, fixed: '1.27.4' }] });
    const after = summarize(b, [finding(b.id, 'prod-eu', 'prod', { fixedTarget: 'v1.27.4' }), finding(b.id, 'prod-us', 'prod')]);
    expect(describeChanges(before, after)).toEqual([
      'status: open → fixed',
      'affected / fixed version ranges changed',
      'new affected cluster: prod-us (kube-apiserver v1.27.1)',
      'prod-eu/kube-apiserver: fixed target unfixed → v1.27.4',
    ]);
    expect(describeChanges(after, after)).toEqual(['advisory details updated']);
  });

  it('summaries stored before per-component versions still describe changes', () => {
    const a = advisory('CVE-2023-2727');
    const { components: _dropped, ...legacy } = summarize(a, [finding(a.id, 'prod-eu', 'prod')]);
    const after = summarize(a, [finding(a.id, 'prod-eu', 'prod'), finding(a.id, 'prod-us', 'prod')]);
    expect(describeChanges(legacy, after)).toEqual(['newly affected: prod-us']);
  });

  it('keeps the findings of one channel', () => {
    const a = 'CVE-2023-2727';
    const all = [finding(a, 'prod-eu', 'prod'), finding(a, 'stage-1', 'staging'), finding(a, 'dev-1', 'dev')];
    expect(findingsForChannel(config, all, 'C0PROD').map((f) => f.cluster)).toEqual(['prod-eu']);
    expect(findingsForChannel(config, all, 'C0SEC').map((f) => f.cluster)).toEqual(['dev-1']);
  });

  const a = 'CVE-2024-0001';
  const kubelet = (cluster: string, version: string, over: Partial<Finding> = {}) =>
    finding(a, cluster, 'prod', { component: 'kubelet', version, verdict: 'affected', fixedTarget: 'v1.29.5', ...over });
  const ok = { verdict: 'not-affected' as const, fixedTarget: null };
  it.each<[string, Finding[], Finding[], string[]]>([
    ['upgraded out of the range', [kubelet('prod-eu', 'v1.29.4')], [kubelet('prod-eu', 'v1.29.5', ok)],
      ['prod-eu: kubelet v1.29.4 → v1.29.5, now not affected']],
    ['a node pool still lags', [kubelet('prod-eu', 'v1.29.2')], [kubelet('prod-eu', 'v1.29.4')],
      ['prod-eu: kubelet v1.29.2 → v1.29.4, still affected']],
    ['rolled back into the range', [kubelet('prod-eu', 'v1.29.5', ok)], [kubelet('prod-eu', 'v1.29.4')],
      ['prod-eu: kubelet v1.29.5 → v1.29.4, now affected']],
    ['a new affected cluster', [kubelet('prod-eu', 'v1.29.4')], [kubelet('prod-eu', 'v1.29.4'), kubelet('prod-us', 'v1.29.1')],
      ['new affected cluster: prod-us (kubelet v1.29.1)']],
    ['a new cluster, not affected', [kubelet('prod-eu', 'v1.29.4')], [kubelet('prod-eu', 'v1.29.4'), kubelet('prod-us', 'v1.30.2', ok)],
      ['new cluster: prod-us, not affected']],
    ['a cluster gone', [kubelet('prod-eu', 'v1.29.4'), kubelet('old', 'v1.26.1')], [kubelet('prod-eu', 'v1.29.4')],
      ["old: no longer in this channel's fleet"]],
    ['end of life: the fix is now a minor upgrade', [kubelet('prod-eu', 'v1.27.4', { fixedTarget: 'v1.27.9' })],
      [kubelet('prod-eu', 'v1.27.4', { fixedTarget: 'v1.28.6', upgradePath: ['1.28'] })],
      ['prod-eu/kubelet: fixed target v1.27.9 → v1.28.6', 'prod-eu/kubelet: upgrade path now 1.28 (was a patch in its own minor)']],
  ])('fleet change: %s', (_what, before, after, lines) => {
    const adv = advisory(a);
    expect(describeChanges(summarize(adv, before), summarize(adv, after))).toEqual(lines);
  });

  it.each([
    [['deliver', 'CVE-2023-2727', 'C0PROD', 'abc'], 'deliver-CVE-2023-2727-C0PROD-abc'],
    [['a:b', 'c d'], 'a_b-c_d'],
    [['123'], 'j-123'],
  ])('job id %j → %s (no ":" and never all digits)', (parts, id) => {
    expect(jobId(...parts)).toBe(id);
  });
});
