/**
 * zod schemas for the Slack payloads we read: only the fields we use. The HTTP receiver checks
 * every signed request against these before Bolt sees it (a wrong shape is answered 400, naming
 * the field); listeners parse again for the typed fields they read (Socket Mode has no receiver
 * check).
 */
import { z } from 'zod';

const USER_ID = /^[UW][A-Z0-9]+$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]+$/;

export const commandBodySchema = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]+$/, 'must be a slash command like /k8s'),
  text: z.string().default(''),
  user_id: z.string().regex(USER_ID, 'must be a Slack user id (U…/W…)'),
  channel_id: z.string().regex(CHANNEL_ID, 'must be a Slack channel id (C…/G…/D…)'),
  response_url: z.string().min(1),
  trigger_id: z.string().optional(),
  team_id: z.string().optional(),
});
export type CommandBody = z.infer<typeof commandBodySchema>;

export const blockActionBodySchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(USER_ID, 'must be a Slack user id (U…/W…)') }),
  channel: z.object({ id: z.string().regex(CHANNEL_ID, 'must be a Slack channel id (C…/G…/D…)') }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
  response_url: z.string().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});
export type BlockActionBody = z.infer<typeof blockActionBodySchema>;

export const appHomeOpenedSchema = z.object({
  type: z.literal('app_home_opened'),
  user: z.string().regex(USER_ID),
  tab: z.string().optional(),
});

/** The Events API envelope (JSON); the event itself is checked by its listener. */
export const eventEnvelopeSchema = z.object({
  type: z.literal('event_callback'),
  team_id: z.string().optional(),
  event: z.looseObject({ type: z.string().min(1) }),
});

/** Slack's one-time check of the events URL. */
export const urlVerificationSchema = z.object({
  type: z.literal('url_verification'),
  challenge: z.string().min(1),
});

/** Slack telling the app it is over the Events API limit (30,000 events per workspace per hour). */
export const appRateLimitedSchema = z.object({
  type: z.literal('app_rate_limited'),
  minute_rate_limited: z.number(),
});

/** A modal submission (the sign-off reject reason); the view's fields are checked by its listener. */
export const viewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().regex(USER_ID, 'must be a Slack user id (U…/W…)') }),
  view: z.looseObject({ callback_id: z.string().min(1), private_metadata: z.string().default('') }),
});
