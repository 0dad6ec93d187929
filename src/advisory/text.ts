/**
 * Markdown clean-up shared by the prose parsers. Issue bodies arrive with CRLF, HTML comments
 * from the issue template, GitHub-escaped punctuation (`\-`, `` \` ``) and links whose URLs are
 * full of digits ("CHANGELOG-1.11.md", "pull/87640") that must never be read as versions.
 */

export interface BodyLine {
  /** The line as written (CRLF removed). */
  raw: string;
  /** Inside a fenced code block (fence lines themselves are dropped). */
  code: boolean;
  /** The fence's info string for code lines ("json osv", "sh", ""), else null. */
  codeInfo?: string | null;
  /** A list item ("- ", "* ", "1. "). */
  bullet: boolean;
  /** Plain text without the list marker (see `cleanLine`); computed once, read by every pass. */
  clean: string;
}

export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Drops closed HTML comments: the template's instructions are not part of the advisory. */
export function stripHtmlComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, '');
}

const FENCE_RE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;

/** Lines with a flag for fenced code; the fences themselves are removed. */
export function toLines(text: string): BodyLine[] {
  const out: BodyLine[] = [];
  let fence: string | null = null;
  let info = '';
  for (const raw of text.split('\n')) {
    const m = FENCE_RE.exec(raw);
    if (m) {
      const marker = m[1] ?? '';
      if (fence === null) {
        fence = marker;
        info = (m[2] ?? '').trim();
        continue;
      }
      if (marker[0] === fence[0] && marker.length >= fence.length && (m[2] ?? '').trim() === '') {
        fence = null;
        continue;
      }
    }
    const { text, bullet } = stripBullet(raw);
    out.push({ raw, code: fence !== null, codeInfo: fence === null ? null : info, bullet, clean: fence === null ? cleanLine(text) : '' });
  }
  return out;
}

/**
 * Plain text of one markdown line for reading versions: link text kept, URLs dropped,
 * emphasis and escapes removed, PR references ("#92916") dropped, whitespace collapsed.
 */
export function cleanLine(line: string): string {
  // Each step runs only when its trigger character is present: this runs on every line of every body.
  let s = line;
  if (s.includes('](')) {
    s = s.replace(/!?\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*\)/g, '$1').replace(/\]\((?:https?:)?[^)\s]*\)/g, ' ');
  }
  if (s.includes('http')) s = s.replace(/<?https?:\/\/[^\s)\]>]+>?/g, ' ');
  if (s.includes('\\')) s = s.replace(/\\([-`_*#.<>![\]()])/g, '$1');
  if (/[*_`]/.test(s)) s = s.replace(/\*\*|__|`/g, '').replace(/(^|\s)[*_](?=\S)|(?<=\S)[*_](?=\s|$|[.,;:])/g, '$1');
  if (s.includes('#')) s = s.replace(/(^|[\s(,])#\d+\b/g, '$1');
  return s.replace(/\s+/g, ' ').trim();
}

/** "- foo", "* foo", "1. foo", "> foo" → "foo"; reports whether it was a list item. */
export function stripBullet(line: string): { text: string; bullet: boolean } {
  const m = /^\s*(?:[-*+•]|\d{1,2}[.)])\s+(.*)$/.exec(line);
  if (m) return { text: m[1] ?? '', bullet: true };
  return { text: line.replace(/^\s*>\s?/, ''), bullet: false };
}

/** Splits prose into sentences without breaking version numbers ("1.27.3") apart. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?;])\s+(?=[A-Z*_`[(])|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Trims and caps a markdown excerpt at a line boundary so Slack messages stay readable. */
export function capText(text: string, max = 1500): string {
  const trimmed = text.replace(/\n{3,}/g, '\n\n').trim();
  if (trimmed.length <= max) return trimmed;
  const cut = trimmed.slice(0, max);
  const lastBreak = cut.lastIndexOf('\n');
  const body = lastBreak > max * 0.6 ? cut.slice(0, lastBreak) : cut;
  return `${body.trimEnd()}\n…`;
}
