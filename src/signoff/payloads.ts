/** zod schemas for the Slack payloads sign-off reads: only the fields used. */
import { z } from 'zod';

const userId = z.string().regex(/^[UW][A-Z0-9]+$/);
const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/);

export const signoffActionSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: userId }),
  trigger_id: z.string().optional(),
  channel: z.object({ id: channelId }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional(), thread_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string() })).min(1),
});

export const rejectViewSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: userId }),
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({ values: z.object({ reason: z.object({ reason: z.object({ value: z.string().nullable().optional() }) }) }) }),
  }),
});

/** A message event in a channel: a human's thread reply (no subtype, not a bot). */
export const threadMessageSchema = z.object({
  type: z.literal('message'),
  subtype: z.undefined().optional(),
  bot_id: z.undefined().optional(),
  user: userId,
  channel: channelId,
  text: z.string().default(''),
  ts: z.string(),
  thread_ts: z.string(),
});
