/** The advisory buttons: Verify, Schedule emergency window, Acknowledge. Ack first, then authorize. */
import { errorMessage } from '../../../errors.ts';
import { channelFor } from '../../../hub/routing.ts';
import type { Finding } from '../../../triage/types.ts';
import { ADVISORY_ACTIONS, affectedClusterNames } from '../../blocks/advisory.ts';
import { notice } from '../../blocks/replies.ts';
import { CVE_ID_RE } from '../../command.ts';
import { refusalText } from '../../middleware/authz.ts';
import { blockActionBodySchema } from '../../payloads.ts';
import type { ActionHandler, ListenerDeps, ListenerTarget } from '../types.ts';

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

export function createAdvisoryActionHandler(deps: ListenerDeps): ActionHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'action' });
  return async ({ body, ack }) => {
    await ack();
    const parsed = blockActionBodySchema.safeParse(body);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.length }, 'malformed block action payload');
      return;
    }
    const b = parsed.data;
    const action = b.actions[0];
    const channel = b.channel?.id ?? b.container?.channel_id;
    const advisory = action?.value ?? '';
    const user = b.user.id;
    const reply = async (text: string) => {
      if (b.response_url) await deps.respond(b.response_url, notice(text)).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'ephemeral reply failed'));
    };
    if (!action || channel === undefined || !CVE_ID_RE.test(advisory)) {
      await deps.audit.record({ user, kind: 'action', what: action?.action_id ?? 'unknown', result: 'invalid' });
      return;
    }
    const what = `${action.action_id} ${advisory}`;
    const audit = (result: 'ok' | 'queued' | 'refused' | 'unavailable' | 'error', detail?: string) =>
      deps.audit.record({ user, kind: 'action', what, result, channel, ...(detail ? { detail } : {}) });
    const envs = environmentsForChannel(deps, channel);

    switch (action.action_id) {
      case ADVISORY_ACTIONS.verify: {
        const snap = deps.verifyEnabled ? await deps.snapshots.get(advisory) : null;
        const selected = snap ? clustersToVerify(deps, channel, snap.findings) : { clusters: [], environments: [] };
        // Checked on the environments verified; with nothing to verify, on the channel's (a refused user learns nothing more).
        const environments = selected.environments.length > 0 ? selected.environments : envs;
        const decision = await deps.authz.check(user, { kind: 'verify', environments });
        if (!decision.allowed) {
          await reply(refusalText('verify clusters', decision));
          await audit('refused', `needs ${decision.needed.join('|')}`);
          return;
        }
        if (!deps.verifyEnabled) {
          await reply(`Verification from a button is not yet available. Run \`/k8s verify ${envs[0] ?? 'ENV'}\` once it is, or \`k8s-advisor verify\` now.`);
          await audit('unavailable');
          return;
        }
        if (selected.clusters.length === 0) {
          await reply(snap === null
            ? `${advisory} is not in the triage data any more; nothing to verify.`
            : `${advisory} affects no cluster of this channel: nothing to verify.`);
          await audit('ok', 'no affected clusters');
          return;
        }
        // Answer in the advisory's thread: the stored post, else the message the button is on.
        const found = (await deps.posts.get({ advisory, channel }))?.ts ?? b.message?.thread_ts ?? b.message?.ts ?? b.container?.message_ts;
        const threadTs = found !== undefined && /^\d{6,}\.\d{1,10}$/.test(found) ? found : undefined;
        try {
          await deps.producers.verify({
            kind: 'verify', target: `${advisory} in ${selected.environments.join(', ')}`, clusters: selected.clusters, user, channel,
            ...(threadTs ? { threadTs } : {}), ...(b.response_url ? { responseUrl: b.response_url } : {}),
            origin: { kind: 'action', what },
          });
          await audit('queued', `clusters: ${selected.clusters.join(', ')}`);
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'could not queue verification');
          await reply(':x: Sorry, the verification could not be queued. Try again in a minute.');
          await audit('error', errorMessage(err));
        }
        return;
      }
      case ADVISORY_ACTIONS.scheduleEmergency: {
        const decision = await deps.authz.check(user, { kind: 'schedule', environments: envs });
        if (!decision.allowed) {
          await reply(refusalText('schedule an emergency window', decision));
          await audit('refused', `needs ${decision.needed.join('|')}`);
          return;
        }
        await reply('Emergency windows from Slack are coming later.');
        await audit('unavailable');
        return;
      }
      case ADVISORY_ACTIONS.acknowledge: {
        const decision = await deps.authz.check(user, { kind: 'acknowledge' });
        if (!decision.allowed) {
          await reply(refusalText(`acknowledge ${advisory}`, decision));
          await audit('refused', `needs ${decision.needed.join('|')}`);
          return;
        }
        const key = { advisory, channel };
        const first = await deps.posts.acknowledge(key, user, deps.now().toISOString());
        if (!first) {
          const rec = await deps.posts.get(key);
          await reply(`Already acknowledged${rec?.ackUser ? ` by <@${rec.ackUser}>` : ''}.`);
          await audit('ok', 'already acknowledged');
          return;
        }
        await deps.producers.acknowledged(advisory, channel, user);
        await audit('queued');
        return;
      }
      default:
        await audit('error', 'unhandled action id');
    }
  };
}

export function registerAdvisoryActions(target: ListenerTarget, deps: ListenerDeps): void {
  const handler = createAdvisoryActionHandler(deps);
  // The emergency-window button is handled by window-emergency.ts (issue 11).
  for (const id of Object.values(ADVISORY_ACTIONS)) if (id !== ADVISORY_ACTIONS.scheduleEmergency) target.action(id, handler);
}
