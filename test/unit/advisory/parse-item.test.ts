import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash, parseBody, parseItem } from '../../../src/advisory/parse.ts';
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
    expect(a).toMatchObject({ title: '', ranges: [], status: 'unknown', parse: { source: 'none', confidence: 'low', warnings: ['empty body (placeholder issue)'] } });
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
