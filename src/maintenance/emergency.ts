/**
 * The advisory's "Schedule emergency window" button and the confirmation it asks for. Pure Block Kit
 * builders; the listener (src/slack/listeners/actions/window-emergency.ts) sends them. The button
 * keeps the action id the advisory message always had, so old messages keep working.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { formatDuration } from '../config/duration.ts';
import type { SlackMessage } from '../slack/blocks/advisory.ts';
import { type Block, LIMITS, context, esc, section, truncate } from '../slack/blocks/text.ts';
import type { ProposedSlot } from './schedule.ts';

export const EMERGENCY_ACTIONS = {
  /** On the advisory message: propose a slot. */
  propose: 'advisory_schedule_emergency',
  /** On the proposal: schedule it. */
  confirm: 'window_emergency_confirm',
} as const;

/** The button for the advisory message's actions block (value: the advisory id). */
export function emergencyWindowButton(advisory: string): { type: 'button'; text: { type: 'plain_text'; text: string }; action_id: string; value: string; style: 'danger' } {
  return {
    type: 'button',
    text: { type: 'plain_text', text: truncate('Schedule emergency window', LIMITS.buttonText) },
    action_id: EMERGENCY_ACTIONS.propose,
    value: advisory,
    style: 'danger',
  };
}

const LOCAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const ENV_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What the Confirm button carries back (Slack returns it verbatim; it is still checked on return). */
export const confirmValueSchema = z.object({
  a: z.string().regex(/^CVE-\d{4}-\d{4,7}$/),
  s: z.array(z.tuple([z.string().regex(ENV_RE), z.string().regex(LOCAL_RE), z.number().int().positive()])).min(1).max(10),
});
export type ConfirmValue = z.infer<typeof confirmValueSchema>;

export function encodeConfirm(advisory: string, slots: readonly ProposedSlot[]): string {
  const value: ConfirmValue = { a: advisory, s: slots.map((s) => [s.environment, s.when, s.durationMs]) };
  return JSON.stringify(value);
}

export function decodeConfirm(value: string | undefined): ConfirmValue | null {
  if (value === undefined || value.length > 2000) return null;
  try {
    const parsed = confirmValueSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function slotLine(s: ProposedSlot): string {
  const start = DateTime.fromISO(s.startUtc, { zone: s.timezone }).setLocale('en-US');
  const unix = Math.floor(Date.parse(s.startUtc) / 1000);
  return `• *${esc(s.environment)}*: ${start.toFormat('ccc yyyy-MM-dd HH:mm')} (${esc(s.timezone)}), ${formatDuration(s.durationMs)} · your time <!date^${unix}^{date_short_pretty} {time}|${s.startUtc}>`;
}

/** The ephemeral proposal: the earliest sensible slots, staging first, and a Confirm button. */
export function emergencyProposalMessage(advisory: string, slots: readonly ProposedSlot[], notes: readonly string[] = []): SlackMessage {
  const lines = slots.map(slotLine);
  const blocks: Block[] = [
    section(`*Emergency window for ${esc(advisory)}?* The earliest sensible slots:\n${lines.join('\n')}`),
    ...(notes.length > 0 ? [context(...notes.map(esc))] : []),
    context('Emergency windows skip the monthly cadence, not the staging gate: prod opens after staging\'s window passed verification (or an override with a reason).'),
    {
      type: 'actions',
      block_id: 'window_emergency',
      elements: [{
        type: 'button', text: { type: 'plain_text', text: 'Schedule it' }, style: 'primary',
        action_id: EMERGENCY_ACTIONS.confirm, value: encodeConfirm(advisory, slots),
      }],
    },
  ];
  return { text: `Emergency window for ${advisory}: ${slots.map((s) => `${s.environment} ${s.when}`).join(', ')}`, blocks };
}
