/**
 * The slack queue: post an advisory once per channel, keep it up to date in its thread, show
 * acknowledgements. Every post goes through the claim in store/posts.ts (see there for the states);
 * this file decides *what* to post from the newest snapshot.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Config } from '../../config/schema.ts';
import { SlackError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { describeChanges, findingsForChannel, summarize, type MessageSummary } from '../../hub/routing.ts';
import { advisoryChangeReply, advisoryMessage, type SlackMessage } from '../../slack/blocks/advisory.ts';
import { section } from '../../slack/blocks/text.ts';
import { type SlackApi, slackRejected } from '../../slack/web.ts';
import { snapshotHash, type SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { Lock, PostKey, PostStore } from '../../store/posts.ts';
import { slackJobSchema, type SlackJob } from '../payloads.ts';
import { deliverFrom } from '../producers.ts';
import { withSlackSemantics } from './slack-semantics.ts';

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

export type SlackJobResult = 'posted' | 'updated' | 'up-to-date' | 'not-relevant' | 'acknowledged';

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
    const found = await deps.slack.findByMarker({ channel: key.channel, since: claim.since, marker, ...(options.threadTs ? { threadTs: options.threadTs } : {}) });
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

export function createSlackProcessor(deps: SlackProcessorDeps) {
  const deliver = async (job: Job, data: Extract<SlackJob, { kind: 'deliver' }>, log: Logger): Promise<SlackJobResult> => {
    const snap = await deps.snapshots.get(data.advisory);
    if (snap === null) throw new UnrecoverableError(`no snapshot for ${data.advisory}`);
    const fleet = await deps.snapshots.getFleet();
    const findings = findingsForChannel(deps.config, snap.findings, data.channel);
    const parentKey: PostKey = { advisory: data.advisory, channel: data.channel };
    const owner = job.id ?? `job-${data.advisory}`;
    const summary = summarize(snap.advisory, findings);
    // What this channel's message shows: a change in another environment's clusters leaves it alone.
    const hash = snapshotHash(snap.advisory, findings);
    const hash16 = hash.slice(0, 16);
    // Records written before channel hashes carry the whole snapshot's hash.
    const current = (h: string | null | undefined) => h === hash || h === snap.hash;

    const record = await deps.posts.get(parentKey);
    const render = (ack: { user: string; at: string } | null) => advisoryMessage({
      advisory: snap.advisory, findings, releaseData: fleet?.releaseData ?? null, acknowledged: ack,
      ...(deps.maxClusterRows ? { maxClusterRows: deps.maxClusterRows } : {}),
    });

    if (record === null || record.state === 'posting') {
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
      // A record rebuilt from Slack after Redis lost its data does not know what the message said:
      // refresh it quietly rather than announce "details updated" in every thread.
      if (fresh?.recovered === true || sameAsLegacy(prevSummary, summary)) {
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
    const snap = await deps.snapshots.get(data.advisory);
    if (snap === null) throw new UnrecoverableError(`no snapshot for ${data.advisory}`);
    const owner = job.id ?? `ack-${data.advisory}`;
    const user = record.ackUser ?? data.user;
    await postOnce(deps, { ...parentKey, reply: 'ack' }, owner, {
      text: `Acknowledged by <@${user}>`, blocks: [section(`:white_check_mark: Acknowledged by <@${user}>`)],
    }, { threadTs: record.ts });
    const fleet = await deps.snapshots.getFleet();
    const message = advisoryMessage({
      advisory: snap.advisory, findings: findingsForChannel(deps.config, snap.findings, data.channel),
      releaseData: fleet?.releaseData ?? null, acknowledged: { user, at: record.ackAt ?? '' },
      ...(deps.maxClusterRows ? { maxClusterRows: deps.maxClusterRows } : {}),
    });
    await deps.slack.update({ channel: data.channel, ts: record.ts, text: message.text, blocks: message.blocks });
    return 'acknowledged';
  };

  return async (job: Job, token?: string): Promise<SlackJobResult> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = slackJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed slack job: ${parsed.error.message}`);
    const data = parsed.data;
    return withSlackSemantics(job, token, log, () => (data.kind === 'deliver' ? deliver(job, data, log) : acknowledged(job, data)));
  };
}
