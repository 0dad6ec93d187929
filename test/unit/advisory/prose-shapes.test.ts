/**
 * Prose shapes real advisories use for "everything before X is affected". Read the wrong way round
 * ("X affected, no fix") they invert the verdict: every phrasing, with and without "v", in a
 * sentence and in an Affected Versions list, with several versions meaning one fix per minor.
 * Also: sections that contradict each other, and fix states.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBody, parseItem } from '../../../src/advisory/parse.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const fixture = (file: string): string => readFileSync(resolve(REPO_ROOT, 'test/fixtures/advisories', file), 'utf8');

type Row = [component: string, introduced: string | null, lastAffected: string | null, fixed: string | null];

const sortRows = (list: readonly (readonly [string, string | null, string | null, string | null])[]): Row[] =>
  list.map((r): Row => [r[0], r[1], r[2], r[3]]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const rows = (text: string, summary = 'kubelet leaks a token'): Row[] =>
  sortRows(parseBody(text, { summary }).ranges.map((r): Row => [r.component, r.introduced, r.lastAffected, r.fixed]));

const BEFORE_1_30_3: Row[] = [['kubelet', null, null, '1.30.3']];

describe('"everything before X": introduced 0, fixed X', () => {
  const phrasings = [
    'All versions prior to {v}1.30.3 are affected',
    'kubelet versions before {v}1.30.3 are affected',
    'kubelet versions earlier than {v}1.30.3 are affected',
    'kubelet versions up to but not including {v}1.30.3 are affected',
    'kubelet versions up to, but not including, {v}1.30.3 are affected',
    'kubelet versions up to (but not including) {v}1.30.3 are affected',
    'kubelet versions up to {v}1.30.3 (exclusive) are affected',
    'kubelet versions older than {v}1.30.3 are vulnerable',
    'kubelet versions lower than {v}1.30.3 are vulnerable',
    'kubelet versions below {v}1.30.3 are impacted',
    'The kubelet is affected in versions < {v}1.30.3',
  ];
  const cases = phrasings.flatMap((p) => [p.replace('{v}', 'v'), p.replace('{v}', '')]);

  it.each(cases)('sentence: %s', (sentence) => {
    expect(rows(`A security issue was discovered in the kubelet. ${sentence}.`)).toEqual(BEFORE_1_30_3);
  });

  it.each(cases)('Affected Versions list: %s', (line) => {
    expect(rows(`#### Affected Versions\n\n- ${line}\n`)).toEqual(BEFORE_1_30_3);
  });

  it.each([
    'All versions prior to v1.30.3, v1.29.7 and v1.28.12 are affected.',
    'All versions prior to 1.30.3, 1.29.7 and 1.28.12 are affected.',
    'kubelet versions before v1.30.3, v1.29.7, or v1.28.12 are affected.',
    'kubelet versions earlier than v1.30.3 / v1.29.7 / v1.28.12 are affected.',
    'The kubelet is affected in versions < v1.30.3, < v1.29.7 and < v1.28.12.',
  ])('several versions in one sentence are per-minor fixes: %s', (sentence) => {
    expect(rows(`A security issue was discovered in the kubelet. ${sentence}`)).toEqual(
      sortRows([
        ['kubelet', null, null, '1.28.12'],
        ['kubelet', '1.29.0', null, '1.29.7'],
        ['kubelet', '1.30.0', null, '1.30.3'],
      ]),
    );
  });

  it.each([
    ['All versions prior to v1.30.0 are affected.', [['kubelet', null, '1.29.x', '1.30.0']]],
    ['kubelet versions before 1.30.0 are affected.', [['kubelet', null, '1.29.x', '1.30.0']]],
  ] as const)('a .0 bound alone names the fix: %s', (sentence, expected) => {
    expect(rows(`A security issue was discovered in the kubelet. ${sentence}`)).toEqual(sortRows(expected));
  });

  it('beside lines for its own minor, "< v1.11.0" bounds the older minors only (no fix of their own)', () => {
    const text = '#### Affected Versions\n\n- < v1.11.0\n- v1.11.0 - 1.11.4\n\n#### Fixed Versions\n\n- v1.11.5\n';
    expect(rows(text, 'ingress-nginx flaw')).toEqual(
      sortRows([
        ['ingress-nginx', '1.11.0', '1.11.4', '1.11.5'],
        ['ingress-nginx', null, '1.10.x', null],
      ]),
    );
  });

  it.each([
    ['- kubelet v1.30.0 up to but not including v1.30.3', [['kubelet', '1.30.0', null, '1.30.3']]],
    ['- kubelet >= v1.30.0, < v1.30.3', [['kubelet', '1.30.0', null, '1.30.3']]],
    ['- kubelet >=1.30.0 <1.30.3', [['kubelet', '1.30.0', null, '1.30.3']]],
    ['- kubelet >= v1.30.0, <= v1.30.2', [['kubelet', '1.30.0', '1.30.2', null]]],
  ] as const)('half-open branch: %s', (line, expected) => {
    expect(rows(`#### Affected Versions\n\n${line}\n`)).toEqual(sortRows(expected));
  });

  it('a prerelease upper bound starts at its minor\'s first prerelease, not above itself', () => {
    const text = '#### Affected Versions\n\n- kubernetes-csi-proxy <= v2.0.0-alpha.0\n- kubernetes-csi-proxy <= v1.1.2\n\n#### Fixed Versions\n\n- kubernetes-csi-proxy v2.0.0-alpha.1\n- kubernetes-csi-proxy v1.1.3\n';
    expect(rows(text, 'csi-proxy flaw')).toEqual(sortRows([['csi-proxy', null, '1.1.2', '1.1.3'], ['csi-proxy', '2.0.0-0', '2.0.0-alpha.0', '2.0.0-alpha.1']]));
  });

  it('"up to and including" stays inclusive', () => {
    expect(rows('#### Affected Versions\n\n- kubelet up to and including v1.30.2\n')).toEqual([['kubelet', null, '1.30.2', null]]);
  });

  it('a branch without a fix beside branches with one is flagged', () => {
    const result = parseBody('#### Affected Versions\n\n- kubelet v1.30.0 - v1.30.2\n- kubelet < v1.29.7\n', { summary: 'kubelet' });
    expect(result.parse.warnings).toContain('fixed version for 1.30 not listed');
    expect(result.parse.confidence).toBe('medium');
  });

  it('reads our prior-to fixture (sentence only, upgrade sentence agrees)', () => {
    const result = parseBody(fixture('prior-to.md'));
    expect(result.ranges).toEqual([
      { component: 'kubelet', introduced: null, lastAffected: null, fixed: '1.30.12' },
      { component: 'kubelet', introduced: '1.31.0', lastAffected: null, fixed: '1.31.8' },
      { component: 'kubelet', introduced: '1.32.0', lastAffected: null, fixed: '1.32.4' },
    ]);
    expect(result.severity).toEqual({ rating: 'medium', score: 5.4, vector: null });
  });
});

describe('contradicting sections', () => {
  it('an Affected list naming exactly the upgrade-to versions follows the remediation sentence, at medium confidence', () => {
    const result = parseBody(fixture('contradiction.md'));
    expect(result.ranges).toEqual([
      { component: 'ingress-nginx', introduced: null, lastAffected: null, fixed: '1.11.5' },
      { component: 'ingress-nginx', introduced: '1.12.0', lastAffected: null, fixed: '1.12.1' },
    ]);
    expect(result.parse.confidence).toBe('medium');
    expect(result.parse.warnings.join('\n')).toMatch(/sections contradict: v1\.11\.5, v1\.12\.1 are listed as affected and as the version to upgrade to/);
  });

  it.each([
    ['a Fixed list', '#### Affected Versions\n\n- kubelet v1.30.0 - v1.30.3\n\n#### Fixed Versions\n\n- kubelet v1.30.3\n', [['kubelet', '1.30.0', null, '1.30.3']]],
    ['an upgrade sentence', '#### Affected Versions\n\n- kubelet v1.30.3\n\n### How do I mitigate this vulnerability?\n\nUpgrade the kubelet to v1.30.3 or later.\n', [['kubelet', null, null, '1.30.3']]],
  ] as const)('the same contradiction with %s', (_what, text, expected) => {
    const result = parseBody(text);
    expect(rows(text)).toEqual(sortRows(expected));
    expect(result.parse.warnings.join('\n')).toContain('sections contradict');
  });

  it.each([
    // Affected and fixed differ: nothing to resolve.
    ['#### Affected Versions\n\n- v1.11.0 - 1.11.4\n- v1.12.0\n\n### How do I mitigate this vulnerability?\n\nUpgrade ingress-nginx to v1.11.5, v1.12.1, or any later version.\n'],
    // The upgrade-to version fixes another component.
    ['#### Affected Versions\n\n- external-provisioner: v0.4.1-0.4.2\n- external-snapshotter: v0.4.0-0.4.1\n\n#### Fixed Versions\n\nexternal-provisioner:\n- v0.4.3\n\nexternal-snapshotter:\n- v0.4.2\n'],
  ])('no contradiction: %s', (text) => {
    expect(parseBody(text, { summary: 'ingress-nginx flaw' }).parse.warnings.join('\n')).not.toContain('sections contradict');
  });
});

describe('fix state', () => {
  it.each([
    ['wont-fix.md', null, 'none'],
    ['all-versions-unfixed.md', null, 'none'],
    ['no-fix-yet.md', null, 'pending'],
    ['placeholder.md', 'open', 'pending'],
    ['src-template-crlf.md', 'fixed', 'available'],
    ['open-ended.md', null, 'available'],
  ] as const)('%s (feed status %s) → %s', (file, status, fixState) => {
    const [a] = parseItem({ id: 'CVE-2099-0020', url: 'https://github.com/kubernetes/kubernetes/issues/20', summary: 'kubelet flaw', status, content_text: fixture(file) });
    expect(a?.fixState).toBe(fixState);
  });

  it.each([
    ['No fix will be released for the deprecated in-tree plugin.', 'none'],
    ['This will not be fixed: the behaviour is by design.', 'none'],
    ["This won't be patched in any release.", 'none'],
    ['The maintainers do not plan to fix this.', 'none'],
    ['No fix is available yet.', 'pending'],
    ['A fix has not yet been released.', 'pending'],
    ['A patch is in progress.', 'pending'],
    ['This will be fixed in a future release.', 'pending'],
  ] as const)('%s → %s', (sentence, fixState) => {
    const text = `A security issue was discovered in the kubelet.\n\n#### Affected Versions\n\n- kubelet v1.33.0 - v1.33.2\n\n### How do I mitigate this vulnerability?\n\n${sentence}\n`;
    expect(parseBody(text).fixState).toBe(fixState);
  });

  it('a feed status "fixed" is kept, but the conflict with "no fix will be released" is explained', () => {
    const [a] = parseItem({ id: 'CVE-2099-0021', url: 'https://github.com/kubernetes/kubernetes/issues/21', summary: 'gitRepo volume flaw', status: 'fixed', content_text: fixture('wont-fix.md') });
    expect(a).toMatchObject({ status: 'fixed', fixState: 'none', unfixed: true });
    expect(a?.parse.confidence).toBe('medium');
    expect(a?.parse.warnings.join('\n')).toMatch(/feed status is fixed but the text says no fix will be released \("no fix will be released"\): mitigate/);
    expect(a?.conditions.map((c) => `${c.kind}=${c.value}`)).toEqual(['volume=gitRepo']);
  });

  it('a feed status "fixed" with ranges but no fixed version is flagged', () => {
    const [a] = parseItem({ id: 'CVE-2099-0022', url: 'https://github.com/kubernetes/kubernetes/issues/22', summary: 'kube-scheduler crash', status: 'fixed', content_text: '#### Affected Versions\n\n- kube-scheduler v1.34.0 - v1.34.2\n' });
    expect(a?.fixState).toBe('pending');
    expect(a?.parse.warnings).toContain('feed status is fixed but the text names no fixed version');
  });
});
