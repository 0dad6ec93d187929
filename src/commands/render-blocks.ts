/**
 * Renders Slack Block Kit messages as plain terminal text, so `demo` shows exactly what the
 * hub would post. Handles the blocks our builders use; anything else is shown by type.
 * Slack mrkdwn links `<url|label>` become `label (url)`; *bold* and _italic_ marks are kept.
 */
interface TextObject { type?: string; text?: string }
interface AnyBlock {
  type: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: Array<TextObject & { type: string; text?: TextObject | string; url?: string; style?: string }>;
  accessory?: { type: string; text?: TextObject };
}

export interface RenderableMessage {
  channel: string;
  text?: string;
  blocks?: readonly unknown[];
  /** Replies in this message's thread. */
  thread?: RenderableMessage[];
}

const RULE = '─'.repeat(72);

const EMOJI: Record<string, string> = {
  red_circle: '🔴', large_orange_circle: '🟠', large_yellow_circle: '🟡', white_circle: '⚪',
  white_check_mark: '✅', warning: '⚠️', x: '❌', hourglass_flowing_sand: '⏳', large_green_circle: '🟢',
  rotating_light: '🚨', heavy_minus_sign: '➖', exclamation: '❗', mag: '🔍',
};

export function mrkdwnToText(text: string): string {
  return text
    .replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<#(C[A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, name?: string) => `#${name ?? id}`)
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function textOf(t: TextObject | string | undefined): string {
  if (t === undefined) return '';
  return mrkdwnToText(typeof t === 'string' ? t : (t.text ?? ''));
}

export function renderBlocks(blocks: readonly unknown[]): string {
  const out: string[] = [];
  for (const raw of blocks) {
    const b = raw as AnyBlock;
    switch (b.type) {
      case 'header':
        out.push(textOf(b.text).toUpperCase());
        break;
      case 'section': {
        if (b.text) out.push(textOf(b.text));
        // Fields are "*Label*\nvalue": one line "Label: value · Label: value" reads best in a terminal.
        if (b.fields) out.push(b.fields.map((f) => textOf(f).replace(/^\*([^*\n]+)\*\n/, '$1: ').replace(/\n/g, ' ')).join('  ·  '));
        if (b.accessory?.type === 'button') out.push(`[ ${textOf(b.accessory.text)} ]`);
        break;
      }
      case 'context':
        out.push((b.elements ?? []).map((e) => textOf(e.text ?? e)).join('  ·  '));
        break;
      case 'divider':
        out.push('- - -');
        break;
      case 'actions':
        out.push((b.elements ?? []).map((e) => `[ ${textOf(e.text)} ]`).join(' '));
        break;
      default:
        out.push(`(${b.type} block)`);
    }
  }
  return out.join('\n');
}

export function renderMessage(m: RenderableMessage, channelName: (id: string) => string = (id) => id): string {
  const body = m.blocks && m.blocks.length > 0 ? renderBlocks(m.blocks) : mrkdwnToText(m.text ?? '');
  const lines = [RULE, `#${channelName(m.channel)}`, '', body];
  for (const reply of m.thread ?? []) {
    const replyBody = reply.blocks && reply.blocks.length > 0 ? renderBlocks(reply.blocks) : mrkdwnToText(reply.text ?? '');
    lines.push('', ...replyBody.split('\n').map((l) => `  ↳ ${l}`));
  }
  return lines.join('\n');
}
