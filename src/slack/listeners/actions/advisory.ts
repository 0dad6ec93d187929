/** The advisory buttons: Verify, Schedule emergency window, Acknowledge. Ack first, then authorize. */
import { errorMessage } from '../../../errors.ts';
import { channelFor } from '../../../hub/routing.ts';
import { ADVISORY_ACTIONS } from '../../blocks/advisory.ts';
import { notice } from '../../blocks/replies.ts';
import { CVE_ID_RE } from '../../command.ts';
import { refusalText } from '../../middleware/authz.ts';
import { blockActionBodySchema } from '../../payloads.ts';
import type { ActionHandler, ListenerDeps, ListenerTarget } from '../types.ts';

/** Environments whose clusters this channel carries (the buttons act on those). */
export function environmentsForChannel(deps: Pick<ListenerDeps, 'config'>, channel: string): string[] {
  return Object.keys(deps.config.environments).filter((env) => channelFor(deps.config, env) === channel);
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
        const decision = await deps.authz.check(user, { kind: 'verify', environments: envs });
        if (!decision.allowed) {
          await reply(refusalText('verify clusters', decision));
          await audit('refused', `needs ${decision.needed.join('|')}`);
          return;
        }
        await reply(`Verification from a button is not yet available. Run \`/k8s verify ${envs[0] ?? 'ENV'}\` once it is, or \`k8s-advisor verify\` now.`);
        await audit('unavailable');
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
  for (const id of Object.values(ADVISORY_ACTIONS)) target.action(id, handler);
}
