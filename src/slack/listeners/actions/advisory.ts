/**
 * What the three advisory buttons (Verify, Schedule emergency window, Acknowledge) share: reading
 * the block_actions payload into a request naming the advisory and channel, and which
 * environments a channel carries. Each button's listener is its own file beside this one.
 */
import { channelFor } from '../../../hub/routing.ts';
import type { Finding } from '../../../triage/types.ts';
import { affectedClusterNames } from '../../blocks/advisory.ts';
import { CVE_ID_RE } from '../../command.ts';
import { blockActionBodySchema, type BlockActionBody } from '../../payloads.ts';
import { describeIssues } from '../../request.ts';
import type { GuardedRequest, ListenerDeps, ReadResult } from '../types.ts';

export interface AdvisoryActionRequest extends GuardedRequest {
  advisory: string;
  channel: string;
  actionId: string;
  /** The message the button is on (its thread is where answers go). */
  message: BlockActionBody['message'];
  containerTs: string | undefined;
}

/** Environments whose clusters this channel carries (the buttons act on those). */
export function environmentsForChannel(deps: Pick<ListenerDeps, 'config'>, channel: string): string[] {
  return Object.keys(deps.config.environments).filter((env) => channelFor(deps.config, env) === channel);
}

/**
 * What the Verify button verifies: the clusters of the channel's environments that the advisory
 * affects (any verdict but not-affected), as the config knows them, in config order.
 */
export function clustersToVerify(deps: Pick<ListenerDeps, 'config'>, channel: string, findings: readonly Finding[]): { clusters: string[]; environments: string[] } {
  const envs = new Set(environmentsForChannel(deps, channel));
  const affected = new Set(affectedClusterNames(findings));
  const clusters = deps.config.clusters.filter((c) => envs.has(c.environment) && affected.has(c.name));
  return { clusters: clusters.map((c) => c.name), environments: [...new Set(clusters.map((c) => c.environment))] };
}

/** A button press on an advisory message: the advisory id is the button's value. */
export function readAdvisoryAction(body: unknown): ReadResult<AdvisoryActionRequest> {
  const parsed = blockActionBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, invalid: { what: 'action', detail: describeIssues(parsed.error.issues) } };
  const b = parsed.data;
  const [action] = b.actions;
  const user = b.user.id;
  const channel = b.channel?.id ?? b.container?.channel_id;
  const actionId = action?.action_id ?? 'unknown';
  const advisory = action?.value ?? '';
  if (channel === undefined) return { ok: false, invalid: { user, what: actionId, detail: 'the button is not in a channel' } };
  if (!CVE_ID_RE.test(advisory)) return { ok: false, invalid: { user, channel, what: actionId, detail: 'the button value is not a CVE id' } };
  return {
    ok: true,
    request: {
      user, channel, advisory, actionId, what: `${actionId} ${advisory}`, message: b.message, containerTs: b.container?.message_ts,
      ...(b.response_url !== undefined ? { responseUrl: b.response_url } : {}),
    },
  };
}
