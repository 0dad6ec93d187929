/**
 * Post records rebuilt from Slack: every message the bot posts carries a metadata marker
 * (`ADVISORY/CHANNEL/parent`, `ADVISORY/CHANNEL/REPLY-KEY`, `first-run-digest/CHANNEL/digest`),
 * so when Redis has lost the records (a restart without persistence, a failover to an empty
 * replica) reading a channel's history tells what was already posted, before anything is posted
 * again. Parents and digests come from the channel history, replies from each parent's thread.
 *
 * A recovered record is `posted` with its ts and no render hash or summary: the next delivery
 * refreshes the message quietly (no "updated" reply for a change nobody can tell happened).
 * Records that exist are left alone. A channel the bot cannot read is joined first (like
 * reconciliation); when that fails the error says what to do.
 */
import type { Logger } from '../../log.ts';
import type { SlackApi } from '../../slack/web.ts';
import type { PostKey, PostStore } from '../../store/posts.ts';

export interface RecoverPostsDeps {
  slack: Pick<SlackApi, 'listMarkers' | 'join'>;
  posts: PostStore;
  logger?: Logger;
}

export interface RecoveredPosts {
  channel: string;
  /** Parent posts and digests found in the channel history. */
  parents: number;
  /** Thread replies found under those parents. */
  replies: number;
  /** Of those, records that were missing and were written. */
  restored: number;
}

const OWNER = 'recovered-from-slack';
const SAFE = /^[A-Za-z0-9._-]+$/;

/** `ADVISORY/CHANNEL/REPLY` → a post key, or null for a marker that is not ours for this channel. */
export function keyOfMarker(marker: string, channel: string): PostKey | null {
  const parts = marker.split('/');
  if (parts.length !== 3) return null;
  const [advisory, ch, reply] = parts as [string, string, string];
  if (ch !== channel || !SAFE.test(advisory) || !SAFE.test(reply)) return null;
  return reply === 'parent' ? { advisory, channel } : { advisory, channel, reply };
}

async function listChannel(deps: RecoverPostsDeps, channel: string) {
  try {
    return await deps.slack.listMarkers({ channel });
  } catch (err) {
    if ((err as { code?: string }).code !== 'SLACK_API_not_in_channel') throw err;
    await deps.slack.join(channel);
    return deps.slack.listMarkers({ channel });
  }
}

export async function recoverPostsFromSlack(deps: RecoverPostsDeps, channel: string): Promise<RecoveredPosts> {
  const out: RecoveredPosts = { channel, parents: 0, replies: 0, restored: 0 };
  const restore = async (key: PostKey, ts: string) => {
    if ((await deps.posts.get(key))?.state === 'posted') return;
    await deps.posts.markPosted(key, OWNER, ts);
    out.restored++;
  };
  const top = await listChannel(deps, channel);
  // Oldest first: when a crash left two parents for one key, the first one is the thread people saw.
  for (const { ts, marker } of [...top].reverse()) {
    const key = keyOfMarker(marker, channel);
    if (key === null) continue;
    out.parents++;
    await restore(key, ts);
    if (key.reply !== undefined) continue;
    const replies = await deps.slack.listMarkers({ channel, threadTs: ts });
    for (const r of replies) {
      const rk = keyOfMarker(r.marker, channel);
      if (rk === null || rk.reply === undefined || rk.advisory !== key.advisory) continue;
      out.replies++;
      await restore(rk, r.ts);
    }
  }
  deps.logger?.info(out, 'post records recovered from Slack');
  return out;
}
