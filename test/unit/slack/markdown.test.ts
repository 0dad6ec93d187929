import { describe, expect, it } from 'vitest';
import { markdownToMrkdwn } from '../../../src/slack/blocks/markdown.ts';

describe('markdownToMrkdwn', () => {
  it.each([
    ['bold', 'Upgrade **now** or __soon__', 'Upgrade *now* or *soon*'],
    ['italic', 'This is *important* and _this_ too', 'This is _important_ and _this_ too'],
    ['strikethrough', '~~v1.2.3~~ v1.2.4', '~v1.2.3~ v1.2.4'],
    ['link', 'See [the issue](https://github.com/kubernetes/kubernetes/issues/1) now', 'See <https://github.com/kubernetes/kubernetes/issues/1|the issue> now'],
    ['link with a title', '[docs](https://kubernetes.io/docs "Docs")', '<https://kubernetes.io/docs|docs>'],
    ['link label with a pipe', '[a|b](https://x.example/)', '<https://x.example/|a b>'],
    ['non-http link keeps the text', '[click](javascript:alert(1))', 'click'],
    ['autolink', 'at <https://kubernetes.io/x>', 'at <https://kubernetes.io/x>'],
    ['code span kept verbatim', 'set `controller.admissionWebhooks.enabled=false` in **Helm**', 'set `controller.admissionWebhooks.enabled=false` in *Helm*'],
    ['code span is not formatted inside', '`**not bold**`', '`**not bold**`'],
    ['heading', '### Mitigation', '*Mitigation*'],
    ['list items', '- one\n* two\n+ three', '• one\n• two\n• three'],
    ['escapes control characters', '<!channel> & <@U123> <b>', '&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;b&gt;'],
    ['CRLF and HTML comments', 'a\r\n<!-- hidden -->b', 'a\nb'],
    ['fenced block kept and escaped', '```yaml\nkind: <Pod>\n```', '```\nkind: &lt;Pod&gt;\n```'],
  ])('%s', (_name, md, mrkdwn) => {
    expect(markdownToMrkdwn(md)).toBe(mrkdwn);
  });

  it.each([
    ['a dangling "listed below" sentence is dropped', 'Upgrade to a fixed version. The fixed versions are listed below.', 'Upgrade to a fixed version.'],
    ['a trailing "the following:" with nothing after is dropped', 'Restrict access. Apply the following:', 'Restrict access.'],
    ['a reference with its list shown stays', 'Apply the policy below:\n- deny gitRepo', 'Apply the policy below:\n• deny gitRepo'],
    ['a line that is only the reference disappears', 'See the mitigations below.', ''],
  ])('%s', (_name, md, mrkdwn) => {
    expect(markdownToMrkdwn(md)).toBe(mrkdwn);
  });

  it('cuts long sources on a word boundary, never inside a link', () => {
    const md = `${'word '.repeat(50)}[a link](https://example.invalid/a/very/long/path)`;
    const out = markdownToMrkdwn(md, { maxSource: 260 });
    expect(out.endsWith(' …')).toBe(true);
    expect(out).not.toContain('<https');
    expect(out).not.toContain('[a');
  });
});

describe('markdownToMrkdwn: odd input stays readable and safe', () => {
  it.each([
    ['unmatched bold marks', 'a ** b', 'a ** b'],
    ['unclosed code span', 'run `kubectl get', 'run `kubectl get'],
    ['empty link text', '[](https://example.invalid/)', '[](https://example.invalid/)'],
    ['only whitespace', '  \n \n', ''],
    ['an unclosed fence keeps its lines as code', 'Steps:\n```\nkubectl apply -f x.yaml', 'Steps:\n```\nkubectl apply -f x.yaml\n```'],
  ])('%s', (_name, md, mrkdwn) => {
    expect(markdownToMrkdwn(md)).toBe(mrkdwn);
  });
});
