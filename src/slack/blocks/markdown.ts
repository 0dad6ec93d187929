/**
 * GitHub Markdown (advisory bodies are GitHub issues) → Slack mrkdwn. Pure.
 *
 * - `**bold**` / `__bold__` → `*bold*`; `*italic*` / `_italic_` → `_italic_`; `~~x~~` → `~x~`;
 * - `[text](https://…)` → `<https://…|text>`, `<https://…>` stays a link, other link targets keep the text;
 * - `` `code` `` and fenced blocks are kept verbatim (escaped, never reformatted);
 * - `### Heading` → `*Heading*`; `-`/`*`/`+` list items → `•`; HTML comments dropped;
 * - everything else is escaped (`& < >`), so feed text can never ping (`<!channel>`) or inject links;
 * - a sentence pointing at a list or block "below" is dropped when nothing of the kind follows in
 *   the text shown (the list was cut off or lives in a part of the issue we do not carry).
 */
import { esc } from './text.ts';

const HTTP_URL = /^https?:\/\/[^\s<>|]+$/;

/** Private-use placeholders: never in advisory text, never touched by the inline rules. */
const PH_OPEN = '\uE000';
const PH_CLOSE = '\uE001';

interface Protected {
  keep: string[];
  text: string;
}

function protect(p: Protected, mrkdwn: string): string {
  p.keep.push(mrkdwn);
  return `${PH_OPEN}${p.keep.length - 1}${PH_CLOSE}`;
}

function restore(p: Protected, text: string): string {
  return text.replace(new RegExp(`${PH_OPEN}(\\d+)${PH_CLOSE}`, 'g'), (_m, i: string) => p.keep[Number(i)] ?? '');
}

function linkLabel(label: string): string {
  // `|` and `>` end a Slack link label early.
  return esc(label.replace(/[|>]/g, ' ').trim());
}

function inline(p: Protected, line: string): string {
  let s = line;
  // Code spans first: their content is never formatted.
  s = s.replace(/`([^`\n]+)`/g, (_m, code: string) => protect(p, `\`${esc(code)}\``));
  // [text](url "title")
  s = s.replace(/\[([^\]\n]+)\]\(\s*([^()\s]+(?:\([^()\s]*\))?)(?:\s+"[^"]*")?\s*\)/g, (_m, label: string, url: string) =>
    HTTP_URL.test(url) ? protect(p, `<${url}|${linkLabel(label)}>`) : label);
  // <https://…> autolinks
  s = s.replace(/<(https?:\/\/[^\s<>|]+)>/g, (_m, url: string) => protect(p, `<${url}>`));
  s = esc(s);
  // Bold before italic: **x** and __x__ become placeholders so the italic rules do not see them.
  s = s.replace(/\*\*(?=\S)([^*\n]+?)\*\*|__(?=\S)([^_\n]+?)__/g, (_m, a?: string, b?: string) => protect(p, `*${a ?? b ?? ''}*`));
  s = s.replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)\*(?!\w)/g, (_m, pre: string, t: string) => `${pre}${protect(p, `_${t}_`)}`);
  s = s.replace(/~~(?=\S)([^~\n]+?)~~/g, (_m, t: string) => protect(p, `~${t}~`));
  return s;
}

const BELOW = /\b(below|the following)\b/i;

interface Line {
  /** Converted text with links and code still as placeholders (no "." or ":" of a URL to split on). */
  text: string;
  /** A fenced code block. */
  block: boolean;
}

/** A line that a "below" reference could point at: a list item, a table row or a code block. */
function isListOrBlock(line: Line): boolean {
  return line.block || /^\s*([-*+•]|\d+[.)])\s+\S/.test(line.text) || /^\s*\|.*\|\s*$/.test(line.text);
}

/** Drop sentences pointing at a list or block below when no such line follows. */
function dropDanglingBelow(lines: Line[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as Line).text;
    if (!BELOW.test(line) || lines.slice(i + 1).some(isListOrBlock)) {
      out.push(line);
      continue;
    }
    // Sentences end at . ! ? or a trailing colon; keep the ones without the reference.
    const sentences = line.match(/[^.!?:]+(?:[.!?]+|:\s*$|$)\s*/g) ?? [line];
    const kept = sentences.filter((sentence) => !BELOW.test(sentence)).join('').trim();
    if (kept !== '') out.push(kept);
  }
  return out;
}

/** Cut at `max` characters on a line or word boundary, never inside a construct. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const slice = text.slice(0, max);
  const boundary = Math.max(slice.lastIndexOf('\n'), slice.lastIndexOf(' '));
  let kept = slice.slice(0, boundary > max / 2 ? boundary : max);
  // Never end inside a link or a code span: cut before an unclosed "[" or an odd backtick.
  const open = kept.lastIndexOf('[');
  if (open > kept.lastIndexOf(')')) kept = kept.slice(0, open);
  if ((kept.match(/`/g)?.length ?? 0) % 2 === 1) kept = kept.slice(0, kept.lastIndexOf('`'));
  return `${kept.trimEnd()} …`;
}

export interface MarkdownOptions {
  /** Source characters to convert (the rest is cut on a word boundary with " …"); default unlimited. */
  maxSource?: number;
}

export function markdownToMrkdwn(markdown: string, options: MarkdownOptions = {}): string {
  let source = markdown.replace(/\r\n?/g, '\n').replace(/<!--[\s\S]*?-->/g, '');
  if (options.maxSource !== undefined) source = cut(source, options.maxSource);
  const p: Protected = { keep: [], text: '' };
  const lines = source.split('\n');
  const out: Line[] = [];
  let fence: string[] | null = null;
  for (const line of lines) {
    if (/^\s*```/.test(line)) {
      if (fence === null) {
        fence = [];
      } else {
        out.push({ text: protect(p, `\`\`\`\n${esc(fence.join('\n'))}\n\`\`\``), block: true });
        fence = null;
      }
      continue;
    }
    if (fence !== null) {
      fence.push(line);
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push({ text: `*${inline(p, heading[1] ?? '')}*`, block: false });
      continue;
    }
    const item = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (item) {
      out.push({ text: `${item[1] ?? ''}• ${inline(p, item[2] ?? '')}`, block: false });
      continue;
    }
    out.push({ text: inline(p, line), block: false });
  }
  // An unclosed fence (cut off): keep its lines as code.
  if (fence !== null && fence.length > 0) out.push({ text: protect(p, `\`\`\`\n${esc(fence.join('\n'))}\n\`\`\``), block: true });
  const visible = dropDanglingBelow(out).map((l) => restore(p, l));
  return visible.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
