/**
 * The slack queue (the deliver stage): post an advisory once per channel, keep it up to date in
 * its thread, show acknowledgements, post a channel's first-run digest. Every post goes through
 * the claim in store/posts.ts (see there for the states). What to deliver was planned by
 * src/notify/plan.ts; a job renders the newest stored view of its channel, so however late it
 * runs it shows the current state.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Config } from '../../config/schema.ts';
import { SlackError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { digestMessage } from '../../notify/digest.ts';
import { renderHash } from '../../notify/hash.ts';
import { deliverFrom } from '../../notify/plan.ts';
import { createRouting } from '../../notify/routing.ts';
import { describeChanges, summarize, type MessageSummary } from '../../notify/summary.ts';
import { advisoryChangeReply, advisoryMessage, type SlackMessage } from '../../slack/blocks/advisory.ts';
import { section } from '../../slack/blocks/text.ts';
import { type SlackApi, slackRejected } from '../../slack/web.ts';
import type { ChannelSnapshot, SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { Lock, PostKey, PostStore } from '../../store/posts.ts';
import { slackJobSchema, type SlackJob } from '../payloads.ts';
import { withSlackSemantics } from './slack-semantics.ts';

/** Bot scopes the deliver stage needs beyond posting: joining a public channel to read its history when reconciling. */
export const DELIVERY_BOT_SCOPES = ['channels:join'] as const;

/** The post key of a channel's first-run digest (not an advisory: no thread, never updated). */
export const DIGEST_KEY = { advisory: 'first-run-digest', reply: 'digest' } as const;

export interface SlackProcessorDeps {
  config: Pick<Config, 'slack' | 'clusters'>;
  slack: SlackApi;
  posts: PostStore;
  lock: Lock;
  snapshots: SnapshotStore;
  logger: Logger;
  /** Cluster rows in a parent message before it summarises (default 15). */
  maxClusterRows?: number;
}

export type SlackJobResult = 'posted' | 'updated' | 'up-to-date' | 'not-relevant' | 'acknowledged' | 'digest-posted';

/** Slack errors of reading a channel's history that joining the channel fixes. */
const NOT_A_MEMBER = 'SLACK_API_not_in_channel';

/**
 * Look for an earlier attempt's post by its marker. A channel the bot posts to through
 * chat:write.public without being a member cannot be read: join it (channels:join) and read
 * again. When that is not possible, the claim is released (nothing is known to be posted, and
 * keeping it would block this channel for good) and the delivery fails with what to do.
 */
async function reconcile(
  deps: Pick<SlackProcessorDeps, 'slack' | 'posts' | 'logger'>,
  key: PostKey, owner: string, args: { channel: string; since: number; marker: string; threadTs?: string },
): Promise<string | null> {
  try {
    return await deps.slack.findByMarker(args);
  } catch (err) {
    if (!(err instanceof SlackError) || err.code !== NOT_A_MEMBER) throw err;
  }
  try {
    await deps.slack.join(args.channel);
    deps.logger.info({ channel: args.channel }, 'joined the channel to read its history');
  } catch (err) {
    if (!(err instanceof SlackError) || err.retryable) throw err;
    await deps.posts.release(key, owner);
    throw new UnrecoverableError(
      `cannot check channel ${args.channel} for an earlier post of ${args.marker}: the app is not a member and could not join it (${err.code.replace(/^SLACK_API_/, '')}). `
      + 'Invite the app to the channel (/invite @k8s-advisor), or reinstall it from manifest.yml so it has channels:join (public channels only). '
      + 'The claim is released: the next feed poll or fleet re-triage delivers it again.',
    );
  }
  return deps.slack.findByMarker(args);
}

/** Post `message` exactly once under `key` (see PostStore); returns its ts. */
export async function postOnce(
  deps: Pick<SlackProcessorDeps, 'slack' | 'posts' | 'logger'>,
  key: PostKey,
  owner: string,
  message: SlackMessage,
  options: { threadTs?: string; hash?: string; summary?: string } = {},
): Promise<string> {
  const marker = [key.advisory, key.channel, key.reply ?? 'parent'].join('/');
  const claim = await deps.posts.claim(key, owner);
  if (claim.result === 'posted') return claim.ts;
  if (claim.result === 'busy') {
    throw new SlackError('POST_BUSY', `another job is posting ${marker}`, { retryable: true });
  }
  const extra = { ...(options.hash ? { hash: options.hash } : {}), ...(options.summary ? { summary: options.summary } : {}) };
  if (claim.result === 'reconcile') {
    // An earlier attempt claimed this post and may have reached Slack before dying: look before posting again.
    const found = await reconcile(deps, key, owner, { channel: key.channel, since: claim.since, marker, ...(options.threadTs ? { threadTs: options.threadTs } : {}) });
    deps.logger.info({ marker, found: found !== null }, 'reconciled an unfinished post');
    if (found !== null) {
      await deps.posts.markPosted(key, owner, found, extra);
      return found;
    }
  }
  let ts: string;
  try {
    ({ ts } = await deps.slack.postMessage({ channel: key.channel, text: message.text, blocks: message.blocks, marker, ...(options.threadTs ? { threadTs: options.threadTs } : {}) }));
  } catch (err) {
    if (slackRejected(err)) await deps.posts.release(key, owner);
    throw err;
  }
  await deps.posts.markPosted(key, owner, ts, extra);
  return ts;
}

function parseSummary(raw: string | null): MessageSummary | null {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as MessageSummary;
  } catch {
    return null;
  }
}

/**
 * A summary stored before summaries carried per-component versions, equal to the new one in
 * everything it knows: nothing a reader follows changed, so the parent is refreshed quietly
 * rather than with an "advisory details updated" reply.
 */
function sameAsLegacy(prev: MessageSummary | null, next: MessageSummary): boolean {
  if (prev === null || prev.components !== undefined) return false;
  const { components: _ignored, ...rest } = next;
  return JSON.stringify(prev) === JSON.stringify(rest);
}

/** Same summary: nothing a reader follows changed (e.g. only a note's wording), so no reply. */
function sameSummary(prev: MessageSummary | null, next: MessageSummary): boolean {
  return prev !== null && JSON.stringify(prev) === JSON.stringify(next);
}

export function createSlackProcessor(deps: SlackProcessorDeps) {
  const routing = createRouting(deps.config);

  /** This channel's findings and render hash, from a per-channel view or an older inline snapshot. */
  const channelView = (snap: ChannelSnapshot, channel: string) => {
    if (snap.split) return { findings: snap.findings, hash: snap.hash ?? renderHash(snap.advisory, []) };
    const findings = snap.findings.filter((f) => routing.channelOf(f) === channel);
    return { findings, hash: renderHash(snap.advisory, findings) };
  };

  const deliver = async (job: Job, data: Extract<SlackJob, { kind: 'deliver' }>, log: Logger): Promise<SlackJobResult> => {
    const snap = await deps.snapshots.getChannel(data.advisory, data.channel);
    if (snap === null) throw new UnrecoverableError(`no snapshot for ${data.advisory}`);
    const fleet = await deps.snapshots.getFleet();
    // What this channel's message shows: a change in another environment's clusters leaves it alone.
    const { findings, hash } = channelView(snap, data.channel);
    const parentKey: PostKey = { advisory: data.advisory, channel: data.channel };
    const owner = job.id ?? `job-${data.advisory}`;
    const summary = summarize(snap.advisory, findings);
    const hash16 = hash.slice(0, 16);
    const current = (h: string | null | undefined) => h === hash;

    const record = await deps.posts.get(parentKey);
    const render = (ack: { user: string; at: string } | null) => advisoryMessage({
      advisory: snap.advisory, findings, releaseData: fleet?.releaseData ?? null, acknowledged: ack,
      ...(deps.maxClusterRows ? { maxClusterRows: deps.maxClusterRows } : {}),
    });

    if (record === null || record.state !== 'posted') {
      if (record === null && summary.affected.length === 0) return 'not-relevant';
      const message = render(null);
      const ts = await postOnce(deps, parentKey, owner, message, { hash, summary: JSON.stringify(summary) });
      for (const [i, part] of message.overflow.entries()) {
        await postOnce(deps, { ...parentKey, reply: `list-${hash16}-${i}` }, owner, part, { threadTs: ts });
      }
      log.info({ advisory: data.advisory, channel: data.channel, ts }, 'advisory posted');
      return 'posted';
    }
    if (current(record.hash) || record.ts === null) return 'up-to-date';

    // One editor per message at a time; a second job waits for its retry.
    const lockName = `${data.advisory}-${data.channel}`;
    if (!(await deps.lock.acquire(lockName, owner, 60_000))) {
      throw new SlackError('POST_BUSY', `message ${lockName} is being updated`, { retryable: true });
    }
    try {
      const fresh = await deps.posts.get(parentKey);
      if (current(fresh?.hash)) return 'up-to-date';
      const prevSummary = parseSummary(fresh?.summary ?? null);
      const message = render(fresh?.ackUser ? { user: fresh.ackUser, at: fresh.ackAt ?? '' } : null);
      if (sameAsLegacy(prevSummary, summary) || sameSummary(prevSummary, summary)) {
        await deps.slack.update({ channel: data.channel, ts: record.ts, text: message.text, blocks: message.blocks });
        await deps.posts.setRendered(parentKey, hash, JSON.stringify(summary));
        log.info({ advisory: data.advisory, channel: data.channel }, 'advisory refreshed without a reply');
        return 'updated';
      }
      const changes = describeChanges(prevSummary, summary);
      // The reply is keyed by the transition (from → to, and the update count): a retry finds it
      // posted, and a return to an earlier state later (an upgrade rolled back) is told again.
      const from = deliverFrom(fresh ?? record);
      await postOnce(deps, { ...parentKey, reply: `upd-${hash16}-${from}` }, owner, advisoryChangeReply(snap.advisory, changes), { threadTs: record.ts });
      for (const [i, part] of message.overflow.entries()) {
        await postOnce(deps, { ...parentKey, reply: `list-${hash16}-${from}-${i}` }, owner, part, { threadTs: record.ts });
      }
      await deps.slack.update({ channel: data.channel, ts: record.ts, text: message.text, blocks: message.blocks });
      await deps.posts.setRendered(parentKey, hash, JSON.stringify(summary));
      log.info({ advisory: data.advisory, channel: data.channel, changes }, 'advisory updated in thread');
      return 'updated';
    } finally {
      await deps.lock.release(lockName, owner);
    }
  };

  const acknowledged = async (job: Job, data: Extract<SlackJob, { kind: 'acknowledged' }>): Promise<SlackJobResult> => {
    const parentKey: PostKey = { advisory: data.advisory, channel: data.channel };
    const record = await deps.posts.get(parentKey);
    if (record?.state !== 'posted' || record.ts === null) throw new SlackError('POST_BUSY', 'advisory not posted yet', { retryable: true });
    const snap = await deps.snapshots.getChannel(data.advisory, data.channel);
    if (snap === null) throw new UnrecoverableError(`no snapshot for ${data.advisory}`);
    const owner = job.id ?? `ack-${data.advisory}`;
    const user = record.ackUser ?? data.user;
    await postOnce(deps, { ...parentKey, reply: 'ack' }, owner, {
      text: `Acknowledged by <@${user}>`, blocks: [section(`:white_check_mark: Acknowledged by <@${user}>`)],
    }, { threadTs: record.ts });
    const fleet = await deps.snapshots.getFleet();
    const message = advisoryMessage({
      advisory: snap.advisory, findings: channelView(snap, data.channel).findings,
      releaseData: fleet?.releaseData ?? null, acknowledged: { user, at: record.ackAt ?? '' },
      ...(deps.maxClusterRows ? { maxClusterRows: deps.maxClusterRows } : {}),
    });
    await deps.slack.update({ channel: data.channel, ts: record.ts, text: message.text, blocks: message.blocks });
    return 'acknowledged';
  };

  const digest = async (job: Job, data: Extract<SlackJob, { kind: 'digest' }>, log: Logger): Promise<SlackJobResult> => {
    const ts = await postOnce(deps, { ...DIGEST_KEY, channel: data.channel }, job.id ?? `digest-${data.channel}`, digestMessage(data.digest));
    log.info({ channel: data.channel, ts, advisories: data.digest.entries.length }, 'first-run digest posted');
    return 'digest-posted';
  };

  return async (job: Job, token?: string): Promise<SlackJobResult> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = slackJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed slack job: ${parsed.error.message}`);
    const data = parsed.data;
    return withSlackSemantics(job, token, log, () => {
      if (data.kind === 'deliver') return deliver(job, data, log);
      if (data.kind === 'digest') return digest(job, data, log);
      return acknowledged(job, data);
    });
  };
}
