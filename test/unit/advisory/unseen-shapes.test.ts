/**
 * General rules added after scoring the held-out corpus (test/fixtures/unseen), each on text of its
 * own here: version tables, older fixes beside "before X" (backports), add-ons named only by their
 * repository name, bounds stated only in the title, and lines saying where a problem starts.
 */
import { describe, expect, it } from 'vitest';
import { parseBody } from '../../../src/advisory/parse.ts';
import { projectName } from '../../../src/advisory/prose.ts';
import type { Confidence } from '../../../src/advisory/types.ts';

type Row = [component: string, introduced: string | null, lastAffected: string | null, fixed: string | null];

const sorted = (rows: Row[]): Row[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

function read(text: string, summary = 'a problem'): { rows: Row[]; components: string[]; confidence: Confidence; warnings: string[] } {
  const r = parseBody(text, { summary });
  const rows = sorted(r.ranges.map((x): Row => [x.component, x.introduced, x.lastAffected, x.fixed]));
  return { rows, components: r.components, confidence: r.parse.confidence, warnings: r.parse.warnings };
}

describe('version tables', () => {
  it.each<[string, string, Row[]]>([
    [
      'component, affected and fixed columns',
      '| Component | Affected versions | Fixed version |\n|---|---|---|\n| kube-scheduler | v1.33.0 - v1.33.2 | v1.33.3 |\n| kube-scheduler | <= v1.32.6 | v1.32.7 |',
      [['kube-scheduler', '1.33.0', '1.33.2', '1.33.3'], ['kube-scheduler', null, '1.32.6', '1.32.7']],
    ],
    [
      'columns in another order, no component column (the title names it)',
      '| Fixed in | Vulnerable |\n| :-- | :-- |\n| 1.30.4 | 1.30.0 - 1.30.3 |\n| 1.29.8 | < 1.29.8 |',
      [['kubelet', '1.30.0', '1.30.3', '1.30.4'], ['kubelet', null, null, '1.29.8']],
    ],
    [
      'an add-on by its repository name',
      '| Project | Affected | Fixed |\n|---|---|---|\n| cluster-api-provider-vsphere | v1.9.0 - v1.9.2 | v1.9.3 |',
      [['cluster-api-provider-vsphere', '1.9.0', '1.9.2', '1.9.3']],
    ],
  ])('%s', (_name, table, want) => {
    const r = read(`### Am I vulnerable?\n\n${table}\n`, 'kubelet drops a check');
    expect(r.rows).toEqual(sorted(want));
    expect(r.confidence).toBe('high');
  });

  it('a table without an affected column (a timeline) gives no versions', () => {
    const r = read('### Timeline\n\n| Date | Release |\n|---|---|\n| 2030-01-02 | v1.33.3 |\n', 'kubelet drops a check');
    expect(r.rows).toEqual([]);
  });
});

describe('older fixes beside "before X" are backports, one branch each', () => {
  it.each<[string, Row[]]>([
    ['Versions before 1.32.3 are vulnerable. The fix is available in 1.32.3 and 1.31.7.', [['kube-scheduler', null, null, '1.31.7'], ['kube-scheduler', '1.32.0', null, '1.32.3']]],
    [
      'kube-scheduler versions prior to v1.32.3 are affected. Fixed in v1.32.3, v1.31.7 and v1.30.11.',
      [['kube-scheduler', null, null, '1.30.11'], ['kube-scheduler', '1.31.0', null, '1.31.7'], ['kube-scheduler', '1.32.0', null, '1.32.3']],
    ],
    // Without older fixes "before X" keeps meaning every older release too.
    ['kube-scheduler versions before v1.32.3 are affected. Fixed in v1.32.3.', [['kube-scheduler', null, null, '1.32.3']]],
  ])('%s', (text, want) => {
    expect(read(text, 'kube-scheduler crash').rows).toEqual(sorted(want));
  });
});

describe('add-ons named only by their repository name', () => {
  it.each<[string, string | null]>([
    ['cloud-provider-openstack ', 'cloud-provider-openstack'],
    ['cloud-provider-openstack <= ', 'cloud-provider-openstack'],
    ['cluster-api-provider-aws versions ', 'cluster-api-provider-aws'],
    ['kubernetes-sigs/aws-ebs-csi-driver: ', 'aws-ebs-csi-driver'],
    ['Kubernetes ', null],
    ['all versions up to ', null],
    ['Affected: ', null],
    ['Kube-Foo ', null],
  ])('projectName(%j) = %j', (prefix, want) => {
    expect(projectName(prefix)).toBe(want);
  });

  it('is the component of its lines, stated, not every core component assumed', () => {
    const text = '#### Affected Versions\n\n- cloud-provider-gcp v30.0.0 - v30.0.2\n- cloud-provider-gcp <= v29.0.5\n\n#### Fixed Versions\n\n- cloud-provider-gcp v30.0.3\n- cloud-provider-gcp v29.0.6\n';
    const r = parseBody(text, { summary: 'cloud provider leaks a token' });
    expect(r.components).toEqual(['cloud-provider-gcp']);
    expect(r.componentSource).toBe('stated');
    expect(r.ranges.map((x) => [x.introduced, x.lastAffected, x.fixed])).toEqual([[null, '29.0.5', '29.0.6'], ['30.0.0', '30.0.2', '30.0.3']]);
  });
});

describe('bounds stated only in the title', () => {
  it('"before A and B" in the title with an upgrade sentence: one fix per minor, medium confidence', () => {
    const r = read('A user can read names they should not. Upgrade to v1.34.4 or v1.33.9.', 'kube-apiserver before v1.34.4 and v1.33.9 leaks names');
    expect(r.rows).toEqual(sorted([['kube-apiserver', '1.34.0', null, '1.34.4'], ['kube-apiserver', null, null, '1.33.9']]));
    expect(r.confidence).toBe('medium');
    expect(r.warnings).toContain('versions taken from the title alone');
  });

  it('a bare version in the title is not a bound: no ranges, low confidence', () => {
    const r = read('A user can read names they should not.', 'kube-apiserver v1.34.4 leaks names');
    expect(r.rows).toEqual([]);
    expect(r.confidence).toBe('low');
  });
});

describe('lines saying where a problem starts are neither affected nor fixed', () => {
  const LIST = '#### Affected Versions\n\n- kubelet v1.34.0 - v1.34.4\n- kubelet v1.33.0 - v1.33.2\n{a}\n#### Fixed Versions\n\n- kubelet v1.34.5\n- kubelet v1.33.3\n{f}\n';
  const WANT = sorted([['kubelet', '1.33.0', '1.33.2', '1.33.3'], ['kubelet', '1.34.0', '1.34.4', '1.34.5']]);
  it.each([
    ['The bug was introduced in v1.33.0.', ''],
    ['The feature was not available before v1.33.0.', ''],
    ['Releases before v1.33.0 are not affected.', ''],
    ['Kubelet 1.32 and earlier do not have the code path.', ''],
    ['', 'The regression appeared in v1.33.0.'],
    ['', 'The check was added in v1.33.0 and fixed later.'],
  ])('affected: %j, fixed: %j', (a, f) => {
    const r = read(LIST.replace('{a}', a).replace('{f}', f), 'kubelet drops a check');
    expect(r.rows).toEqual(WANT);
    expect(r.confidence).toBe('high');
  });

  it('a bullet under Affected Versions is still read even with such words', () => {
    const r = read('#### Affected Versions\n\n- kubelet v1.34.0 - v1.34.4 (introduced in v1.34.0)\n\n#### Fixed Versions\n\n- kubelet v1.34.5\n', 'kubelet drops a check');
    expect(r.rows).toEqual([['kubelet', '1.34.0', '1.34.4', '1.34.5']]);
  });
});

describe('empty body', () => {
  it('keeps the component the title names, with no ranges', () => {
    const r = parseBody('', { summary: 'kube-proxy: details to follow' });
    expect(r.components).toEqual(['kube-proxy']);
    expect(r.ranges).toEqual([]);
    expect(r.placeholder).toBe(true);
    expect(r.parse.confidence).toBe('low');
  });
});

describe('found on batch 2 of the held-out corpus', () => {
  it.each<[string, Row[]]>([
    ['- kube-scheduler from v1.31.0 up to and including v1.31.8', [['kube-scheduler', '1.31.0', '1.31.8', '1.31.9']]],
    ['- kube-scheduler v1.31.0 up to v1.31.8', [['kube-scheduler', '1.31.0', '1.31.8', '1.31.9']]],
    ['- kube-scheduler v1.31.0 through and including v1.31.8', [['kube-scheduler', '1.31.0', '1.31.8', '1.31.9']]],
    // Still exclusive when it says so.
    ['- kube-scheduler v1.31.0 up to but not including v1.31.9', [['kube-scheduler', '1.31.0', null, '1.31.9']]],
  ])('an inclusive "up to" between two versions is one range: %s', (line, want) => {
    // A second, older line so the first is not the oldest (which would also cover older minors).
    const r = read(`#### Affected Versions\n\n${line}\n- kube-scheduler <= v1.30.4\n\n#### Fixed Versions\n\n- kube-scheduler v1.31.9\n- kube-scheduler v1.30.5\n`, 'kube-scheduler crash');
    expect(r.rows).toEqual(sorted([...want, ['kube-scheduler', null, '1.30.4', '1.30.5']]));
  });

  it.each<[string, Row[]]>([
    ['Kubernetes 1.32 before 1.32.6 and 1.33 before 1.33.2 are affected.', [['kube-apiserver', '1.32.0', null, '1.32.6'], ['kube-apiserver', '1.33.0', null, '1.33.2']]],
    ['kube-apiserver v1.32 prior to v1.32.6 is affected.', [['kube-apiserver', '1.32.0', null, '1.32.6']]],
    // A bare minor of another minor is not a start.
    ['kube-apiserver versions before 1.32.6 are affected (seen on 1.31 and older).', [['kube-apiserver', null, null, '1.32.6']]],
  ])('"1.32 before 1.32.6" is that minor only: %s', (sentence, want) => {
    expect(read(`A problem in kube-apiserver. ${sentence}`, 'kube-apiserver drops a check').rows).toEqual(sorted(want));
  });

  it.each([
    'Fixes will be included in the next patch releases of v1.33 and v1.32.',
    'A fix is planned for v1.33 and v1.32.',
    'Upcoming v1.33 and v1.32 patch releases will carry the fix.',
  ])('a Fixed line announcing future releases of whole minors names no fix: %s', (line) => {
    const r = parseBody(`#### Affected Versions\n\n- kubelet v1.33.0 - v1.33.6\n- kubelet <= v1.32.10\n\n#### Fixed Versions\n\n- ${line}\n`, { summary: 'kubelet drops a check' });
    expect(r.ranges.map((x) => x.fixed)).toEqual([null, null]);
    expect(r.fixState).toBe('pending');
  });

  it('a Fixed line naming a patch version counts even when it is still to be released', () => {
    const r = parseBody('#### Affected Versions\n\n- kubelet v1.33.0 - v1.33.6\n\n#### Fixed Versions\n\n- kubelet v1.33.7 (will be released on 2031-05-20)\n', { summary: 'kubelet drops a check' });
    expect(r.ranges.map((x) => x.fixed)).toEqual(['1.33.7']);
  });
});

describe('found on batch 3 of the held-out corpus', () => {
  it.each([
    '**Fixed in:** v1.35.3, v1.34.7',
    'Fixed versions: v1.35.3, v1.34.7',
    'Patched in: v1.35.3 and v1.34.7',
  ])('an inline Fixed label under Affected Versions is the fix list: %s', (line) => {
    const r = read(`**Affected versions:**\n\n- kube-apiserver v1.35.0 to v1.35.2\n- kube-apiserver v1.34.6 and below\n\n${line}\n`, 'kube-apiserver leaks');
    expect(r.rows).toEqual(sorted([['kube-apiserver', '1.35.0', '1.35.2', '1.35.3'], ['kube-apiserver', null, '1.34.6', '1.34.7']]));
    expect(r.confidence).toBe('high');
  });

  it('an inline Affected label is read as an affected line', () => {
    const r = read('### Am I vulnerable?\n\nAffected versions: kube-scheduler v1.34.0 - v1.34.2\n\n#### Fixed Versions\n\n- kube-scheduler v1.34.3\n', 'kube-scheduler crash');
    expect(r.rows).toEqual([['kube-scheduler', '1.34.0', '1.34.2', '1.34.3']]);
  });

  it('"all supported versions are affected" with only an upgrade sentence: one branch per fix, medium', () => {
    const r = read('### Am I vulnerable?\n\nAll supported versions of kube-scheduler are affected.\n\n### How do I mitigate this vulnerability?\n\nUpgrade kube-scheduler to v1.35.6, v1.34.10 or v1.33.13.\n', 'kube-scheduler over-allocates');
    expect(r.rows).toEqual(sorted([
      ['kube-scheduler', null, '1.32.x', null],
      ['kube-scheduler', '1.33.0', null, '1.33.13'],
      ['kube-scheduler', '1.34.0', null, '1.34.10'],
      ['kube-scheduler', '1.35.0', null, '1.35.6'],
    ]));
    expect(r.confidence).toBe('medium');
  });

  it('"all versions", no fix will be released, an upgrade sentence without versions: unfixed everywhere', () => {
    const r = parseBody('### Am I vulnerable?\n\nAll versions of the kubelet are affected.\n\n### How do I mitigate this vulnerability?\n\nNo fix will be released. Upgrade to a release that removes the volume type when one exists.\n', { summary: 'kubelet volume problem' });
    expect(r.ranges).toEqual([{ component: 'kubelet', introduced: null, lastAffected: null, fixed: null }]);
    expect(r.fixState).toBe('none');
  });

  const osv = (fixed134: string): string => [
    '#### Affected Versions', '', '- kube-apiserver v1.34.0 - v1.34.3', '- kube-apiserver <= v1.33.8', '',
    '#### Fixed Versions', '', '- kube-apiserver v1.34.4', '- kube-apiserver v1.33.9', '',
    '```json osv',
    JSON.stringify({ schema_version: '1.6.0', id: 'CVE-2030-49999', affected: [{ package: { ecosystem: 'Kubernetes', name: 'kube-apiserver' }, ranges: [
      { type: 'SEMVER', events: [{ introduced: '1.34.0' }, { fixed: fixed134 }] }, { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.33.9' }] }] }] }),
    '```', '',
  ].join('\n');

  it.each<[string, Confidence]>([['1.34.4', 'high'], ['1.34.5', 'medium']])('OSV block fixing 1.34 in %s, prose in 1.34.4: confidence %s', (fixed134, confidence) => {
    const r = parseBody(osv(fixed134), { summary: 'kube-apiserver accepts a patch' });
    expect(r.parse.source).toBe('osv-block');
    expect(r.ranges.find((x) => x.introduced === '1.34.0')?.fixed).toBe(fixed134);
    expect(r.parse.confidence).toBe(confidence);
    if (confidence === 'medium') expect(r.parse.warnings.join(' ')).toMatch(/OSV block and prose disagree on kube-apiserver/);
  });
});
