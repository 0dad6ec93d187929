import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash, parseBody, parseItem } from '../../../src/advisory/parse.ts';
import { isClientComponent } from '../../../src/advisory/types.ts';
import type { FeedItem } from '../../../src/feed/item.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const fixture = (file: string): string => readFileSync(resolve(REPO_ROOT, 'test/fixtures/advisories', file), 'utf8');

function item(over: Partial<FeedItem> = {}): FeedItem {
  return {
    id: 'CVE-2099-0001',
    url: 'https://github.com/kubernetes/kubernetes/issues/1',
    external_url: 'https://www.cve.org/cverecord?id=CVE-2099-0001',
    summary: 'kube-apiserver reads too much ',
    content_text: fixture('src-template-crlf.md'),
    date_published: '2099-01-01T00:00:00Z',
    status: null,
    ...over,
  };
}

describe('parseItem', () => {
  it('maps the feed fields and infers the status from the fixed versions', () => {
    const [a] = parseItem(item());
    expect(a).toMatchObject({
      id: 'CVE-2099-0001',
      aliases: [],
      title: 'kube-apiserver reads too much',
      url: 'https://github.com/kubernetes/kubernetes/issues/1',
      externalUrl: 'https://www.cve.org/cverecord?id=CVE-2099-0001',
      published: '2099-01-01T00:00:00Z',
      status: 'fixed',
      components: ['kube-apiserver'],
      parse: { source: 'prose', confidence: 'high', warnings: [] },
    });
  });

  it.each([
    ['open', 'src-template-crlf.md', 'open'],
    ['FIXED', 'src-template-crlf.md', 'fixed'],
    [null, 'all-versions-unfixed.md', 'unfixed'],
    [null, 'empty.md', 'unknown'],
    ['weird', 'empty.md', 'unknown'],
  ] as const)('status %s with %s → %s', (given, file, status) => {
    const [a] = parseItem(item({ status: given, content_text: fixture(file) }));
    expect(a?.status).toBe(status);
  });

  it('keeps the feed status fixed but says no fix will be released when the text says so', () => {
    const [a] = parseItem(item({ status: 'fixed', content_text: fixture('all-versions-unfixed.md') }));
    expect(a?.unfixed).toBe(true);
    expect(a?.status).toBe('fixed');
    expect(a?.fixState).toBe('none');
    expect(a?.parse.confidence).toBe('medium');
    expect(a?.parse.warnings.join()).toContain('feed status is fixed but the text says no fix will be released');
  });

  it('splits combined ids into advisories that share the body and name each other', () => {
    const raw = 'CVE-2099-1111, CVE-2099-2222';
    const list = parseItem(item({ id: raw, external_url: `https://www.cve.org/cverecord?id=${raw}`, content_text: fixture('combined.md') }));
    expect(list.map((a) => [a.id, a.aliases, a.title, a.externalUrl, a.components])).toEqual([
      ['CVE-2099-1111', ['CVE-2099-2222'], 'First problem in admission', 'https://www.cve.org/cverecord?id=CVE-2099-1111', ['kube-apiserver']],
      ['CVE-2099-2222', ['CVE-2099-1111'], 'Second problem, in the kubelet', 'https://www.cve.org/cverecord?id=CVE-2099-2222', ['kubelet']],
    ]);
    expect(list[0]?.contentHash).toBe(list[1]?.contentHash);
  });

  it('gives a placeholder issue a low-confidence advisory', () => {
    const [a] = parseItem(item({ content_text: null, summary: null }));
    expect(a).toMatchObject({ title: '', ranges: [], status: 'unknown', placeholder: true, fixState: 'pending', parse: { source: 'none', confidence: 'low', warnings: ['empty body (placeholder issue)'] } });
  });

  it.each([
    ['placeholder.md', /placeholder issue \("placeholder"\)/],
    ['template-unfilled.md', /placeholder issue/],
    ['empty.md', /empty body/],
  ])('%s is a placeholder: no ranges, low confidence, components only from the title', (file, why) => {
    const [a] = parseItem(item({ status: 'open', summary: 'kubelet: details under embargo', content_text: fixture(file) }));
    expect(a).toMatchObject({ placeholder: true, ranges: [], fixState: 'pending', conditions: [], status: 'open', parse: { source: 'none', confidence: 'low' } });
    expect(a?.parse.warnings.join('\n')).toMatch(why);
    expect(a?.componentSource).not.toBe('assumed');
  });

  it.each([
    ['  \r\n\r\n  '],
    ['<!-- template instructions only -->\n/area security\n/kind bug'],
    ['Placeholder'],
    ['CVE-2099-0001: details to follow.'],
    ['More details will be published after the embargo.'],
  ])('placeholder body %j', (body) => {
    const [a] = parseItem(item({ content_text: body }));
    expect(a?.placeholder).toBe(true);
    expect(a?.ranges).toEqual([]);
  });

  it('an edited placeholder re-parses into a real advisory (the content hash changes)', () => {
    const [before] = parseItem(item({ status: 'open', content_text: fixture('placeholder.md') }));
    const [after] = parseItem(item({ status: 'open', content_text: fixture('src-template-crlf.md') }));
    expect(before?.placeholder).toBe(true);
    expect(after?.placeholder).toBe(false);
    expect(after?.ranges.length).toBeGreaterThan(0);
    expect(after?.fixState).toBe('available');
    expect(after?.contentHash).not.toBe(before?.contentHash);
  });

  it('a full advisory that says "details to follow" keeps its versions, at medium confidence', () => {
    const body = `${fixture('src-template-crlf.md')}\n\nMore details to follow once the embargo ends.\n`;
    const [a] = parseItem(item({ content_text: body }));
    expect(a?.placeholder).toBe(false);
    expect(a?.ranges.length).toBeGreaterThan(0);
    expect(a?.parse.confidence).toBe('medium');
    expect(a?.parse.warnings.join()).toMatch(/versions stated may still change/);
  });

  it.each([
    ['stated', '#### Affected Versions\n\n- kube-proxy v1.30.0 - v1.30.2\n\n#### Fixed Versions\n\n- kube-proxy v1.30.3\n', 'node trouble', ['kube-proxy']],
    ['stated', 'Affected Components\nkubelet\n\n#### Affected Versions\n\n- v1.30.0 - v1.30.2\n', 'node trouble', ['kubelet']],
    ['inferred', '#### Affected Versions\n\n- v1.30.0 - v1.30.2\n', 'kube-scheduler crash on crafted pod', ['kube-scheduler']],
    ['inferred', 'This bug affects kube-proxy.\n\n#### Affected Versions\n\n- v1.30.0 - v1.30.2\n', 'node trouble', ['kube-proxy']],
    ['assumed', '#### Affected Versions\n\n- Kubernetes v1.30.0 - v1.30.2\n', 'log leak', null],
    ['assumed', '### Affected Components and Configurations\n\nAll Kubernetes versions are affected.\n', 'design flaw', null],
  ] as const)('componentSource %s: %j', (source, body, summary, components) => {
    const [a] = parseItem(item({ summary, content_text: body }));
    expect(a?.componentSource).toBe(source);
    if (components) expect(a?.components).toEqual(components);
    if (source === 'assumed') expect(a?.parse.warnings.join()).toContain('assuming every core component');
  });

  it('an OSV package that is Kubernetes as a whole is an assumption, not a statement', () => {
    const block = JSON.stringify({ id: 'CVE-2099-0001', affected: [{ package: { ecosystem: 'Kubernetes', name: 'k8s.io/kubernetes' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.30.3' }] }] }] });
    const [a] = parseItem(item({ content_text: `\`\`\`json osv\n${block}\n\`\`\`` }));
    expect(a?.parse.source).toBe('osv-block');
    expect(a?.componentSource).toBe('assumed');
    expect(a?.parse.confidence).toBe('medium');
  });

  it.each([
    ['kubectl', 'kubectl cp writes outside the target directory', '#### Affected Versions\n\n- kubectl v1.30.0 - v1.30.2\n\n#### Fixed Versions\n\n- kubectl v1.30.3\n'],
    ['client-go', 'client-go leaks credentials', '#### Affected Versions\n\n- k8s.io/client-go v0.30.0 - v0.30.2\n\n#### Fixed Versions\n\n- k8s.io/client-go v0.30.3\n'],
    ['kubernetes-client-csharp', 'C# client skips certificate validation', '#### Affected Versions\n\n- kubernetes-client/csharp <= v13.0.11\n\n#### Fixed Versions\n\n- kubernetes-client/csharp v13.0.12\n'],
    ['kubernetes-client-python', 'Python client logs tokens', '#### Affected Versions\n\n- kubernetes-client/python v30.0.0 - v30.1.2\n\n#### Fixed Versions\n\n- kubernetes-client/python v30.1.3\n'],
    ['kubernetes-client-java', 'Java client follows redirects', '#### Affected Versions\n\n- kubernetes-client-java v20.0.0 - v20.0.1\n\n#### Fixed Versions\n\n- kubernetes-client-java v20.0.2\n'],
    ['kubernetes-client-javascript', 'JavaScript client leaks tokens', '#### Affected Versions\n\n- @kubernetes/client-node v0.20.0 - v0.20.1\n\n#### Fixed Versions\n\n- @kubernetes/client-node v0.20.2\n'],
  ] as const)('client and library components: %s', (component, summary, body) => {
    const [a] = parseItem(item({ summary, content_text: body }));
    expect(a?.components).toEqual([component]);
    expect(isClientComponent(component)).toBe(true);
    expect(a?.ranges.every((r) => r.fixed !== null)).toBe(true);
  });

  it.each([
    ['binary noise', '\u0000\u0001\u0002 v1. v. 1.. ### ** ``` ~~~'],
    ['unbalanced markup', '**Affected Versions\n- <= \n- v1.2.3 - \n- - - \n```json osv\n{"affected": 5}\n```'],
    ['OSV of the wrong shape', '```json osv\n{"affected":[{"package":{"name":"kubelet"},"ranges":[{"type":"GIT","events":[{"introduced":"abc"}]}]}]}\n```'],
    ['huge body', `#### Affected Versions\n${'- kubelet v1.2.3 - v1.2.4 (fixed in v1.2.5)\n'.repeat(5000)}`],
    ['only headings', '### Am I vulnerable?\n### How do I mitigate this vulnerability?\n#### Fixed Versions\n'],
  ])('never throws on %s', (_name, body) => {
    const list = parseItem(item({ content_text: body }));
    expect(list).toHaveLength(1);
    const parse = list[0]?.parse;
    expect(parse?.warnings.length === 0).toBe(parse?.confidence === 'high');
  });

  it('reads an OSV block with a GIT range as a warning, not a crash', () => {
    const result = parseBody('```json osv\n{"affected":[{"package":{"ecosystem":"Kubernetes","name":"kubelet"},"ranges":[{"type":"GIT","events":[{"introduced":"abc"}]}]}]}\n```');
    expect(result.parse.confidence).not.toBe('high');
    expect(result.parse.warnings.join()).toContain('GIT');
  });

  it('prefers the OSV block and picks the one for the CVE id', () => {
    const block = (id: string, fixed: string): string =>
      `\`\`\`json osv\n${JSON.stringify({ id, affected: [{ package: { ecosystem: 'Kubernetes', name: 'kubelet' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }] })}\n\`\`\``;
    const body = `${block('CVE-2099-1', '1.30.1')}\n\n${block('CVE-2099-2', '1.30.2')}`;
    expect(parseBody(body, { id: 'CVE-2099-2' }).ranges).toEqual([{ component: 'kubelet', introduced: null, lastAffected: null, fixed: '1.30.2' }]);
  });
});

describe('contentHash', () => {
  it('ignores CRLF versus LF and trailing spaces', () => {
    const lf = item({ content_text: 'line one  \nline two\n', summary: 'title ' });
    const crlf = item({ content_text: 'line one\r\nline two\r\n', summary: 'title' });
    expect(contentHash(lf)).toBe(contentHash(crlf));
  });

  it.each([
    ['summary', { summary: 'other title' }],
    ['body', { content_text: 'line one\nline 2\n' }],
    ['status', { status: 'fixed' }],
  ])('changes with the %s', (_what, over) => {
    const base = item({ content_text: 'line one\nline two\n', summary: 'title', status: 'open' });
    expect(contentHash({ ...base, ...over })).not.toBe(contentHash(base));
  });
});
