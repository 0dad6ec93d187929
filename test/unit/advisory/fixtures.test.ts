/**
 * Our own advisory bodies (test/fixtures/advisories, written by us in the shapes real issues use:
 * the SRC template with CRLF, bold headings, OSV blocks, add-ons, malformed text).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBody } from '../../../src/advisory/parse.ts';
import type { Confidence, FixState, ParseSource, SeverityRating } from '../../../src/advisory/types.ts';
import { CORE_COMPONENTS } from '../../../src/advisory/types.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

type Row = [component: string, introduced: string | null, lastAffected: string | null, fixed: string | null];

interface Case {
  file: string;
  id?: string;
  source: ParseSource;
  confidence: Confidence;
  ranges: Row[];
  components?: string[];
  unfixed?: boolean;
  rating?: SeverityRating | null;
  score?: number | null;
  /** Substrings that must appear among the warnings. */
  warn?: string[];
  fixState?: FixState;
  /** "kind=value" of every condition (default: none). */
  conditions?: string[];
  placeholder?: boolean;
}

const CASES: Case[] = [
  {
    file: 'src-template-crlf.md', source: 'prose', confidence: 'high', rating: 'high', score: 8.1,
    ranges: [['kube-apiserver', null, '1.29.11', '1.29.12'], ['kube-apiserver', '1.30.0', '1.30.7', '1.30.8'], ['kube-apiserver', '1.31.0', '1.31.3', '1.31.4']],
  },
  {
    file: 'osv-block.md', source: 'osv-block', confidence: 'high', rating: 'critical', score: 9.8,
    ranges: [['kubelet', '1.34.0', null, '1.34.3'], ['kubelet', null, null, '1.33.7'], ['kube-proxy', '1.34.0', '1.34.2', null]],
  },
  {
    file: 'osv-invalid.md', source: 'prose', confidence: 'medium', warn: ['OSV block is not valid JSON'],
    ranges: [['kube-scheduler', '1.33.0', '1.33.1', '1.33.2']],
  },
  {
    file: 'bold-headings.md', source: 'prose', confidence: 'high', rating: 'high', score: 8.8,
    ranges: [['kubelet', null, '1.24.13', '1.24.14'], ['kubelet', '1.26.0', '1.26.4', '1.26.5'], ['kubelet', '1.27.0', '1.27.1', '1.27.2']],
  },
  {
    // Two CVSS statements: the worse one is reported.
    file: 'kubelet-proxy.md', source: 'prose', confidence: 'high', rating: 'high', score: 7.1,
    ranges: ['kubelet', 'kube-proxy'].flatMap((c): Row[] => [[c, null, '1.16.10', '1.16.11'], [c, '1.17.0', '1.17.6', '1.17.7'], [c, '1.18.0', '1.18.3', '1.18.4']]),
  },
  {
    file: 'colon-component.md', source: 'prose', confidence: 'high', rating: 'medium', score: 4.4,
    ranges: [['kube-apiserver', null, '1.30.13', '1.30.14'], ['kube-apiserver', '1.31.0', '1.31.9', '1.31.10'], ['kube-apiserver', '1.32.0', '1.32.5', '1.32.6']],
  },
  {
    file: 'wildcard-inline.md', source: 'prose', confidence: 'high', rating: 'critical', score: 9.8,
    ranges: [['kube-apiserver', '1.0.0', '1.9.x', null], ['kube-apiserver', '1.10.0-beta.3', '1.10.10', '1.10.11'], ['kube-apiserver', '1.11.0', '1.11.4', '1.11.5']],
  },
  {
    file: 'all-versions-unfixed.md', source: 'prose', confidence: 'high', unfixed: true, rating: 'medium', fixState: 'none',
    ranges: [['kube-proxy', null, null, null]],
  },
  {
    file: 'addon-escaped.md', source: 'prose', confidence: 'medium', rating: 'high', score: 8.8, warn: ['fixed versions taken from a sentence'],
    ranges: [['ingress-nginx', null, '1.10.x', null], ['ingress-nginx', '1.11.0', '1.11.4', '1.11.5'], ['ingress-nginx', '1.12.0', '1.12.0', '1.12.1']],
  },
  {
    file: 'sentence-only.md', source: 'prose', confidence: 'medium', warn: ['versions taken from a sentence'],
    ranges: [['kubectl', '1.29.1', '1.29.1', '1.29.2'], ['kubectl', '1.30.2', '1.30.2', '1.30.3'], ['kubectl', '1.31.0', '1.31.0', '1.31.1']],
  },
  {
    file: 'open-ended.md', source: 'prose', confidence: 'medium', warn: ['open-ended affected range from 1.8.0'],
    ranges: [['kubelet', '1.8.0', '1.26.x', null], ['kubelet', '1.27.0', null, '1.27.8'], ['kubelet', '1.28.0', null, '1.28.4']],
  },
  {
    file: 'missing-fix.md', source: 'prose', confidence: 'medium', warn: ['fixed version for 1.26 not listed'],
    ranges: [['kube-controller-manager', null, '1.25.12', '1.25.13'], ['kube-controller-manager', '1.26.0', '1.26.7', null], ['kube-controller-manager', '1.27.0', '1.27.4', '1.27.5']],
  },
  { file: 'no-impact.md', source: 'none', confidence: 'medium', components: [], warn: ['not affected'], ranges: [] },
  {
    file: 'feature-gated.md', source: 'prose', confidence: 'medium', rating: 'low', score: 2.6, warn: ['feature gate', 'versions taken from a sentence'],
    ranges: [['kube-apiserver', null, '1.13.x', '1.14.0']],
  },
  {
    file: 'combined.md', id: 'CVE-2099-1111', source: 'prose', confidence: 'high', rating: 'medium', score: 6.5,
    ranges: [['kube-apiserver', null, '1.32.6', '1.32.7'], ['kube-apiserver', '1.33.0', '1.33.2', '1.33.3']],
  },
  {
    file: 'combined.md', id: 'CVE-2099-2222', source: 'prose', confidence: 'high', rating: 'low', score: 3.3,
    ranges: [['kubelet', '1.33.0', '1.33.1', '1.33.2']],
  },
  { file: 'malformed.md', source: 'none', confidence: 'low', components: ['kube-apiserver'], warn: ['could not read affected line', 'no affected versions stated'], ranges: [] },
  {
    file: 'csharp-client.md', source: 'prose', confidence: 'high',
    ranges: [['kubernetes-client-csharp', null, '13.0.11', '13.0.12'], ['kubernetes-client-csharp', '14.0.0', '14.0.8', '14.0.9']],
  },
  { file: 'empty.md', source: 'none', confidence: 'low', components: [], warn: ['empty body'], ranges: [], fixState: 'pending', placeholder: true },
  {
    file: 'ingress-admission.md', source: 'prose', confidence: 'medium', rating: 'critical', score: 9.8, fixState: 'available', conditions: ['admission-webhook=ingress-nginx'],
    ranges: [['ingress-nginx', null, '1.10.x', null], ['ingress-nginx', '1.11.0', '1.11.4', '1.11.5'], ['ingress-nginx', '1.12.0', '1.12.0', '1.12.1']],
  },
  {
    file: 'contradiction.md', source: 'prose', confidence: 'medium', rating: 'high', score: 8.8, warn: ['sections contradict'],
    ranges: [['ingress-nginx', null, null, '1.11.5'], ['ingress-nginx', '1.12.0', null, '1.12.1']],
  },
  {
    file: 'wont-fix.md', source: 'prose', confidence: 'high', unfixed: true, rating: 'medium', score: 6.5, fixState: 'none', conditions: ['volume=gitRepo'],
    ranges: [['kubelet', null, null, null]],
  },
  {
    file: 'no-fix-yet.md', source: 'prose', confidence: 'high', unfixed: true, rating: 'high', score: 7.5, fixState: 'pending',
    ranges: [['kube-scheduler', null, '1.33.6', null], ['kube-scheduler', '1.34.0', '1.34.2', null]],
  },
  {
    file: 'windows-only.md', source: 'prose', confidence: 'high', rating: 'high', score: 8.8, conditions: ['os=windows'],
    ranges: [['kubelet', null, '1.33.5', '1.33.6'], ['kubelet', '1.34.0', '1.34.1', '1.34.2']],
  },
  {
    file: 'feature-gate-enabled.md', source: 'prose', confidence: 'high', rating: 'medium', score: 6.3, conditions: ['feature-gate=InPlacePodVerticalScaling'],
    ranges: [['kube-apiserver', '1.33.0', '1.33.3', '1.33.4']],
  },
  {
    file: 'prior-to.md', source: 'prose', confidence: 'medium', rating: 'medium', score: 5.4, warn: ['versions taken from a sentence'],
    ranges: [['kubelet', null, null, '1.30.12'], ['kubelet', '1.31.0', null, '1.31.8'], ['kubelet', '1.32.0', null, '1.32.4']],
  },
  { file: 'placeholder.md', source: 'none', confidence: 'low', components: ['kubelet'], warn: ['placeholder issue'], ranges: [], fixState: 'pending', placeholder: true },
  { file: 'template-unfilled.md', source: 'none', confidence: 'low', components: [], warn: ['placeholder issue'], ranges: [], fixState: 'pending', placeholder: true },
];

const read = (file: string): string => readFileSync(resolve(REPO_ROOT, 'test/fixtures/advisories', file), 'utf8');
const key = (r: Row): string => JSON.stringify(r);

describe('parseBody on our fixtures', () => {
  it.each(CASES.map((c) => [`${c.file}${c.id ? ` ${c.id}` : ''}`, c] as const))('%s', (_name, c) => {
    const result = parseBody(read(c.file), c.id ? { id: c.id } : {});
    const rows = result.ranges.map((r): Row => [r.component, r.introduced, r.lastAffected, r.fixed]);
    expect(rows.map(key).sort()).toEqual(c.ranges.map(key).sort());
    expect([...result.components].sort()).toEqual([...(c.components ?? new Set(c.ranges.map((r) => r[0])))].sort());
    expect(result.parse.source).toBe(c.source);
    expect(result.parse.confidence).toBe(c.confidence);
    if (c.confidence === 'high') expect(result.parse.warnings).toEqual([]);
    for (const w of c.warn ?? []) expect(result.parse.warnings.join('\n')).toContain(w);
    expect(result.unfixed).toBe(c.unfixed ?? false);
    if (c.rating !== undefined) expect(result.severity.rating).toBe(c.rating);
    if (c.score !== undefined) expect(result.severity.score).toBe(c.score);
    expect(result.fixState).toBe(c.fixState ?? (result.ranges.some((r) => r.fixed !== null) ? 'available' : 'pending'));
    expect(result.conditions.map((x) => `${x.kind}=${x.value}`).sort()).toEqual([...(c.conditions ?? [])].sort());
    expect(result.placeholder).toBe(c.placeholder ?? false);
  });

  it('keeps the "am I vulnerable" and mitigation sections as markdown, CRLF removed', () => {
    const result = parseBody(read('src-template-crlf.md'));
    expect(result.vulnerableIf).toMatch(/^A cluster is exposed when both of these hold:\n- aggregated discovery/);
    expect(result.vulnerableIf).not.toContain('\r');
    expect(result.mitigation).toMatch(/^\*\*ACTION REQUIRED:\*\*/);
    // The template nests "#### Fixed Versions" under the mitigation heading: a version list, not advice.
    expect(result.mitigation).not.toContain('Fixed Versions');
  });

  it('keeps shell snippets fenced in section text and drops the OSV block', () => {
    const body = [
      '### How do I mitigate this vulnerability?', '', 'Restrict the volume type:', '```sh', 'kubectl get pods -A', '```', '',
      '```json osv', '{ "schema_version": "1.6.0", "affected": [] }', '```', '', '### Detection', 'Audit logs.',
    ].join('\r\n');
    expect(parseBody(body).mitigation).toBe('Restrict the volume type:\n```\nkubectl get pods -A\n```');
  });

  it('caps long sections', () => {
    const body = `### Am I vulnerable?\n\n${'- a long condition line that repeats\n'.repeat(200)}`;
    const result = parseBody(body);
    expect(result.vulnerableIf?.length).toBeLessThanOrEqual(1502);
    expect(result.vulnerableIf?.endsWith('…')).toBe(true);
  });

  it('falls back to every core component, with a warning, when no component is named anywhere', () => {
    const result = parseBody('#### Affected Versions\n\n- Kubernetes v1.30.0 - v1.30.2\n\n#### Fixed Versions\n\n- v1.30.3\n');
    expect(result.components).toEqual([...CORE_COMPONENTS]);
    expect(result.parse.confidence).toBe('medium');
    expect(result.parse.warnings.join()).toContain('assuming every core component');
  });

  it('takes the component from the summary when the lines name none', () => {
    const result = parseBody('#### Affected Versions\n\n- v1.30.0 - v1.30.2\n\n#### Fixed Versions\n\n- v1.30.3\n', { summary: 'kube-scheduler crash on crafted pod' });
    expect(result.ranges).toEqual([{ component: 'kube-scheduler', introduced: '1.30.0', lastAffected: '1.30.2', fixed: '1.30.3' }]);
    expect(result.parse.confidence).toBe('high');
  });

  it('reads a component named after the versions', () => {
    const result = parseBody('#### Affected Versions\n\n- v1.30.0 - v1.30.2 of kube-controller-manager\n\n#### Fixed Versions\n\n- v1.30.3\n');
    expect(result.ranges).toEqual([{ component: 'kube-controller-manager', introduced: '1.30.0', lastAffected: '1.30.2', fixed: '1.30.3' }]);
  });

  it('ignores versions inside code blocks and after "original description follows"', () => {
    const body = [
      '#### Affected Versions', '', '- kubelet v1.30.0 - v1.30.2', '', '#### Fixed Versions', '', '- kubelet v1.30.3', '',
      '```', 'kubelet v1.29.0 - v1.29.9', '```', '', '**original issue description follows**', '', '#### Affected Versions', '- kubelet v1.28.0 - v1.28.1',
    ].join('\n');
    expect(parseBody(body).ranges).toEqual([{ component: 'kubelet', introduced: '1.30.0', lastAffected: '1.30.2', fixed: '1.30.3' }]);
  });
});
