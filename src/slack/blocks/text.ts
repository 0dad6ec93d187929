/** Block Kit limits and text helpers shared by the pure builders. */
import type { types } from '@slack/bolt';

export type Block = types.KnownBlock;

export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  buttonText: 75,
  headerText: 150,
  contextElements: 10,
} as const;

/** Escape the three characters mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** `<url|label>` with the label escaped; plain label when the url is not http(s). */
export function link(url: string, label: string): string {
  return /^https?:\/\/[^\s<>|]+$/.test(url) ? `<${url}|${esc(label)}>` : esc(label);
}

export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

export function context(...texts: string[]): Block {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn' as const, text: truncate(t, LIMITS.sectionText) })),
  };
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true } };
}

export const divider: Block = { type: 'divider' };

/**
 * Pack lines into as few texts as possible, each at most `max` characters (a line longer than
 * `max` is truncated). Keeps whole lines: a cluster row is never split across two sections.
 */
export function packLines(lines: readonly string[], max: number = LIMITS.sectionText): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (cur === '') cur = line;
    else if (cur.length + 1 + line.length <= max) cur += `\n${line}`;
    else {
      out.push(cur);
      cur = line;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}
