/** Typed job payloads, with zod schemas the workers check before acting (a malformed job fails for good). */
import { z } from 'zod';
import { verifyReportSchema } from '../agent/results-store.ts';
import type { Command } from '../slack/command.ts';
import type { VerifyReport } from '../verify/types.ts';

const cve = z.string().regex(/^CVE-\d{4}-\d{4,7}$/);
const channel = z.string().regex(/^[CGD][A-Z0-9]+$/);
const user = z.string().regex(/^[UW][A-Z0-9]+$/);

export const feedPollJobSchema = z.object({ reason: z.enum(['schedule', 'manual']).default('schedule') });
export type FeedPollJob = z.infer<typeof feedPollJobSchema>;

/** Triage every known advisory again against the fleet as it is now (schedule or `retriageNow`). */
export const retriageJobSchema = z.object({ reason: z.enum(['schedule', 'manual']).default('schedule') });
export type RetriageJob = z.infer<typeof retriageJobSchema>;

export const slackJobSchema = z.discriminatedUnion('kind', [
  /** Post the advisory in the channel, or bring an existing post up to date (reply + update). */
  z.object({ kind: z.literal('deliver'), advisory: cve, channel, hash: z.string().regex(/^[a-f0-9]{16,64}$/) }),
  /** Someone pressed Acknowledge: say so in the thread and on the parent. */
  z.object({ kind: z.literal('acknowledged'), advisory: cve, channel, user }),
  /** The first-run digest of a channel (notify/digest.ts). */
  z.object({
    kind: z.literal('digest'),
    channel,
    digest: z.object({
      known: z.number().int().nonnegative(),
      entries: z.array(z.object({
        id: cve, title: z.string(), url: z.string(), rating: z.string().nullable(), score: z.number().nullable(),
        status: z.string(), clusters: z.number().int().nonnegative(), unfixed: z.boolean(),
      })).max(5_000),
    }),
  }),
]);
export type SlackJob = z.infer<typeof slackJobSchema>;

/** A slash command answered from the stores, via response_url. */
export interface AnswerJob {
  kind: 'answer';
  command: Command;
  user: string;
  channel: string;
  responseUrl: string;
}

/**
 * Verify clusters and report in Slack: a progress message (updated as probes finish) that the
 * summary replaces, details per cluster in its thread. The worker records its steps in the job
 * (`progressTs`, `reports`, `repliesPosted`), so a retried or stalled job resumes: it neither
 * probes again nor posts twice.
 */
export interface VerifyJob {
  kind: 'verify';
  /** Shown in the messages: a cluster or environment name, or "CVE-… in ENV" for a button. */
  target: string;
  /** Cluster names from the config, validated when queued and again by the worker. */
  clusters: string[];
  user: string;
  channel: string;
  /** Post into this thread (an advisory's) instead of at the top of the channel. */
  threadTs?: string;
  /** For an ephemeral note when the channel cannot be posted to. */
  responseUrl?: string;
  /** Audit: where it came from and what was asked ("verify prod", "advisory_verify CVE-…"). */
  origin: { kind: 'command' | 'action'; what: string };
  /** Set by the worker: when it started posting the progress message (ms), and the message's ts. */
  postingSince?: number;
  progressTs?: string;
  reports?: VerifyReport[];
  repliesPosted?: number;
}

export type CommandJob = AnswerJob | VerifyJob;

const clusterName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const slackTs = z.string().regex(/^\d{6,}\.\d{1,10}$/);

export const commandJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('answer'),
    // The command was parsed and validated before it was queued; workers re-check the fields they use.
    command: z.looseObject({ kind: z.string() }),
    user,
    channel: z.string(),
    responseUrl: z.url(),
  }),
  z.object({
    kind: z.literal('verify'),
    target: z.string().min(1).max(200).regex(/^[A-Za-z0-9 ._,-]+$/),
    clusters: z.array(clusterName).min(1).max(500),
    user,
    channel,
    threadTs: slackTs.optional(),
    responseUrl: z.url().optional(),
    origin: z.object({ kind: z.enum(['command', 'action']), what: z.string().max(200) }),
    postingSince: z.number().optional(),
    progressTs: slackTs.optional(),
    reports: z.array(verifyReportSchema).optional(),
    repliesPosted: z.number().int().nonnegative().optional(),
  }),
]);
