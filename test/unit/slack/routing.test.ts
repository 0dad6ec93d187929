import { describe, expect, it } from 'vitest';
import { channelFor, describeChanges, routeFindings, summarize } from '../../../src/hub/routing.ts';
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
      'newly affected: prod-us',
      'prod-eu/kube-apiserver: fixed target unfixed → v1.27.4',
    ]);
    expect(describeChanges(after, after)).toEqual(['advisory details updated']);
  });

  it.each([
    [['deliver', 'CVE-2023-2727', 'C0PROD', 'abc'], 'deliver-CVE-2023-2727-C0PROD-abc'],
    [['a:b', 'c d'], 'a_b-c_d'],
    [['123'], 'j-123'],
  ])('job id %j → %s (no ":" and never all digits)', (parts, id) => {
    expect(jobId(...parts)).toBe(id);
  });
});
