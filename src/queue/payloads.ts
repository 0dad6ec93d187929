/** Typed job payloads, with zod schemas the workers check before acting (a malformed job fails for good). */
import { z } from 'zod';
import type { Command } from '../slack/command.ts';

const cve = z.string().regex(/^CVE-\d{4}-\d{4,7}$/);
const channel = z.string().regex(/^[CGD][A-Z0-9]+$/);
const user = z.string().regex(/^[UW][A-Z0-9]+$/);

export const feedPollJobSchema = z.object({ reason: z.enum(['schedule', 'manual']).default('schedule') });
export type FeedPollJob = z.infer<typeof feedPollJobSchema>;

export const slackJobSchema = z.discriminatedUnion('kind', [
  /** Post the advisory in the channel, or bring an existing post up to date (reply + update). */
  z.object({ kind: z.literal('deliver'), advisory: cve, channel, hash: z.string().regex(/^[a-f0-9]{16,64}$/) }),
  /** Someone pressed Acknowledge: say so in the thread and on the parent. */
  z.object({ kind: z.literal('acknowledged'), advisory: cve, channel, user }),
]);
export type SlackJob = z.infer<typeof slackJobSchema>;

export interface CommandJob {
  kind: 'answer';
  command: Command;
  user: string;
  channel: string;
  responseUrl: string;
}

export const commandJobSchema = z.object({
  kind: z.literal('answer'),
  // The command was parsed and validated before it was queued; workers re-check the fields they use.
  command: z.looseObject({ kind: z.string() }),
  user,
  channel: z.string(),
  responseUrl: z.url(),
});
