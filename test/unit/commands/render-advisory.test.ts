/** `feed --format text`: the parser's conditions, fix state, guessed components and placeholders are shown. */
import { describe, expect, it } from 'vitest';
import { parseItem } from '../../../src/advisory/parse.ts';
import { formatAdvisoryText } from '../../../src/commands/render-advisory.ts';

const item = (content: string, status: string | null, summary: string) => ({
  id: 'CVE-2099-0100',
  url: 'https://github.com/kubernetes/kubernetes/issues/100',
  summary,
  status,
  content_text: content,
});

const text = (content: string, status: string | null = 'fixed', summary = 'kubelet flaw'): string => {
  const [a] = parseItem(item(content, status, summary));
  if (!a) throw new Error('no advisory');
  return formatAdvisoryText(a);
};

describe('formatAdvisoryText', () => {
  it('shows a Windows-only condition with its sentence', () => {
    const out = text('This CVE affects only Windows worker nodes.\n\n#### Affected Versions\n\n- kubelet v1.33.0 - v1.33.2\n\n#### Fixed Versions\n\n- kubelet v1.33.3\n');
    expect(out).toContain('only if Windows nodes: "This CVE affects only Windows worker nodes."');
    expect(out).not.toMatch(/no fix/);
  });

  it('says "no fix will be released: mitigate" apart from "no fix yet"', () => {
    const wont = text('Affected Components\nkubelet\n\n**Affected Versions**\nAll versions of Kubernetes\n\nThe in-tree plugin is deprecated and no fix will be released.\n');
    const yet = text('#### Affected Versions\n\n- kubelet v1.33.0 - v1.33.2\n\nNo fix is available yet.\n', 'open');
    expect(wont).toContain('no fix will be released: mitigate');
    expect(wont).not.toContain('no fix yet');
    expect(yet).toContain('no fix yet');
    expect(yet).not.toContain('will be released');
  });

  it('labels assumed components and placeholder issues', () => {
    expect(text('#### Affected Versions\n\n- Kubernetes v1.30.0 - v1.30.2\n\n#### Fixed Versions\n\n- v1.30.3\n', 'fixed', 'log leak')).toContain('(assumed: the advisory names none)');
    expect(text('Placeholder. Details to follow.', 'open')).toContain('placeholder issue: no details yet');
  });
});
