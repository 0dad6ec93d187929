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
import { digestListedIds, digestMessage } from '../../notify/digest.ts';
import { renderHash } from '../../notify/hash.ts';
import { deliverFrom } from '../../notify/plan.ts';
import { channelFor, createRouting } from '../../notify/routing.ts';
import { advisoryChangeReply, type SlackMessage } from '../../slack/blocks/advisory.ts';
import { section } from '../../slack/blocks/text.ts';
import { type SlackPacer, awaitSlot } from '../../slack/pace.ts';
import { type SlackApi, slackRejected } from '../../slack/web.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { Finding, Remediation } from '../../triage/types.ts';
import { type RenderPool, createRenderPool } from './render-pool.ts';
import { DIGEST_POST_KEY, type Lock, type PostKey, type PostStore } from '../../store/posts.ts';
import { slackJobSchema, type SlackJob } from '../payloads.ts';
import { withSlackSemantics } from './slack-semantics.ts';

/** Bot scopes the deliver stage needs beyond posting: joining a public channel to read its history when reconciling. */
export const DELIVERY_BOT_SCOPES = ['channels:join'] as const;

export interface SlackProcessorDeps {
  config: Pick<Config, 'slack' | 'clusters'>;
  slack: SlackApi;
  posts: PostStore;
  lock: Lock;
  snapshots: SnapshotStore;
  logger: Logger;
  /** Cluster rows in a parent message before it summarises (default 15). */
  maxClusterRows?: number;
  /** Where messages are rendered (default in-process; the hub gives it a render thread). */
  render?: RenderPool;
  /** Posting pace shared by the replicas (src/slack/pace.ts); without it only Slack's 429s pace us. */
  pace?: SlackPacer;
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
    // Whether the earlier attempt posted is still unknown: the next claim reconciles first.
    await deps.posts.release(key, owner, { uncertain: true });
    throw new UnrecoverableError(
      `cannot check channel ${args.channel} for an earlier post of ${args.marker}: the app is not a member and could not join it (${err.code.replace(/^SLACK_API_/, '')}). `
      + 'Invite the app to the channel (/invite @k8s-advisor), or reinstall it from manifest.yml so it has channels:join (public channels only). '
      + 'The claim is released: the next fleet re-triage (feed.retriage) checks again and delivers it.',
    );
  }
  return deps.slack.findByMarker(args);
}

/** Post `message` exactly once under `key` (see PostStore); returns its ts. */
export async function postOnce(
  deps: Pick<SlackProcessorDeps, 'slack' | 'posts' | 'logger' | 'pace'>,
  key: PostKey,
  owner: string,
  message: SlackMessage,
  options: { threadTs?: string; hash?: string; summary?: string; payload?: Record<string, string> } = {},
): Promise<string> {
  const marker = [key.advisory, key.channel, key.reply ?? 'parent'].join('/');
  if (deps.pace !== undefined) {
    // The slot before the claim: a job told to wait holds no claim meanwhile. One already posted needs no slot.
    const known = await deps.posts.get(key);
    if (known?.state !== 'posted') await awaitSlot(deps.pace, { kind: 'post', channel: key.channel }, owner);
  }
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
    ({ ts } = await deps.slack.postMessage({
      channel: key.channel, text: message.text, blocks: message.blocks, marker,
      ...(options.threadTs ? { threadTs: options.threadTs } : {}), ...(options.payload ? { payload: options.payload } : {}),
    }));
  } catch (err) {
    if (slackRejected(err)) await deps.posts.release(key, owner);
    throw err;
  }
  await deps.posts.markPosted(key, owner, ts, extra);
  return ts;
}

export function createSlackProcessor(deps: SlackProcessorDeps) {
  const routing = createRouting(deps.config);

  const renderer = deps.render ?? createRenderPool({ threads: 0 });

  /**
   * This channel's findings (encoded pages) and render hash, from a per-channel view or from an
   * older inline snapshot (small: filtered and hashed here).
   */
  /** The remediation of the clusters this channel carries (by config), for "recommended vX". */
  const channelRemediations = async (channel: string): Promise<[string, Remediation][]> => {
    const names = deps.config.clusters.filter((c) => channelFor(deps.config, c.environment) === channel).map((c) => c.name);
    return [...(await deps.snapshots.getRemediations(names))];
  };

  const channelPages = async (id: string, channel: string) => {
    const snap = await deps.snapshots.getChannelPages(id, channel);
    if (snap === null) throw new UnrecoverableError(`no snapshot for ${id}`);
    if (snap.split) return { advisory: snap.advisory, pages: snap.pages, hash: snap.hash ?? renderHash(snap.advisory, []) };
    const findings = (JSON.parse(snap.pages[0] ?? '[]') as Finding[]).filter((f) => routing.channelOf(f) === channel);
    return { advisory: snap.advisory, pages: [JSON.stringify(findings)], hash: renderHash(snap.advisory, findings) };
  };

  const deliver = async (job: Job, data: Extract<SlackJob, { kind: 'deliver' }>, log: Logger): Promise<SlackJobResult> => {
    // What this channel's message shows: a change in another environment's clusters leaves it alone.
    const view = await channelPages(data.advisory, data.channel);
    const releaseData = await deps.snapshots.getReleaseData();
    const remediations = await channelRemediations(data.channel);
    const { hash } = view;
    const parentKey: PostKey = { advisory: data.advisory, channel: data.channel };
    const owner = job.id ?? `job-${data.advisory}`;
    const hash16 = hash.slice(0, 16);
    const current = (h: string | null | undefined) => h === hash;
    const render = (ack: { user: string; at: string } | null, previousSummary: string | null) => renderer.render({
      advisory: view.advisory, pages: view.pages, releaseData, acknowledged: ack, previousSummary, remediations,
      ...(deps.maxClusterRows ? { maxClusterRows: deps.maxClusterRows } : {}),
    });

    const record = await deps.posts.get(parentKey);
    if (record === null || record.state !== 'posted') {
      const r = await render(null, null);
      if (record === null && r.affected === 0) return 'not-relevant';
      const ts = await postOnce(deps, parentKey, owner, r.message, { hash, summary: r.summary });
      for (const [i, part] of r.message.overflow.entries()) {
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
      // Every path below ends in chat.update: its slot first, so a job told to wait has rendered nothing.
      await awaitSlot(deps.pace, { kind: 'update' }, owner);
      const r = await render(fresh?.ackUser ? { user: fresh.ackUser, at: fresh.ackAt ?? '' } : null, fresh?.summary ?? null);
      // A record rebuilt from Slack after Redis lost its data does not know what the message said:
      // refresh it quietly rather than announce "details updated" in every thread.
      if (r.quiet || fresh?.recovered === true) {
        await deps.slack.update({ channel: data.channel, ts: record.ts, text: r.message.text, blocks: r.message.blocks });
        await deps.posts.setRendered(parentKey, hash, r.summary);
        log.info({ advisory: data.advisory, channel: data.channel }, 'advisory refreshed without a reply');
        return 'updated';
      }
      // The reply is keyed by the transition (from → to, and the update count): a retry finds it
      // posted, and a return to an earlier state later (an upgrade rolled back) is told again.
      const from = deliverFrom(fresh ?? record);
      await postOnce(deps, { ...parentKey, reply: `upd-${hash16}-${from}` }, owner, advisoryChangeReply(view.advisory, r.changes), { threadTs: record.ts });
      for (const [i, part] of r.message.overflow.entries()) {
        await postOnce(deps, { ...parentKey, reply: `list-${hash16}-${from}-${i}` }, owner, part, { threadTs: record.ts });
      }
      await deps.slack.update({ channel: data.channel, ts: record.ts, text: r.message.text, blocks: r.message.blocks });
      await deps.posts.setRendered(parentKey, hash, r.summary);
      log.info({ advisory: data.advisory, channel: data.channel, changes: r.changes.slice(0, 20) }, 'advisory updated in thread');
      return 'updated';
    } finally {
      await deps.lock.release(lockName, owner);
    }
  };

  const acknowledged = async (job: Job, data: Extract<SlackJob, { kind: 'acknowledged' }>): Promise<SlackJobResult> => {
    const parentKey: PostKey = { advisory: data.advisory, channel: data.channel };
    const record = await deps.posts.get(parentKey);
    if (record?.state !== 'posted' || record.ts === null) throw new SlackError('POST_BUSY', 'advisory not posted yet', { retryable: true });
    const view = await channelPages(data.advisory, data.channel);
    const owner = job.id ?? `ack-${data.advisory}`;
    const user = record.ackUser ?? data.user;
    await postOnce(deps, { ...parentKey, reply: 'ack' }, owner, {
      text: `Acknowledged by <@${user}>`, blocks: [section(`:white_check_mark: Acknowledged by <@${user}>`)],
    }, { threadTs: record.ts, payload: { user } });
    await awaitSlot(deps.pace, { kind: 'update' }, owner);
    const releaseData = await deps.snapshots.getReleaseData();
    const remediations = await channelRemediations(data.channel);
    const { message } = await renderer.render({
      advisory: view.advisory, pages: view.pages, releaseData, acknowledged: { user, at: record.ackAt ?? '' }, remediations,
      previousSummary: null, ...(deps.maxClusterRows ? { maxClusterRows: deps.maxClusterRows } : {}),
    });
    await deps.slack.update({ channel: data.channel, ts: record.ts, text: message.text, blocks: message.blocks });
    return 'acknowledged';
  };

  const digest = async (job: Job, data: Extract<SlackJob, { kind: 'digest' }>, log: Logger): Promise<SlackJobResult> => {
    // The ids it lists go into its metadata: after Redis lost its data, recovery reads them back so
    // these advisories count as known (not posted again as new threads). Bounded well under Slack's payload size.
    const listed = digestListedIds(data.digest);
    const ts = await postOnce(deps, { ...DIGEST_POST_KEY, channel: data.channel }, job.id ?? `digest-${data.channel}`, digestMessage(data.digest),
      listed === '' ? {} : { payload: { advisories: listed } });
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
