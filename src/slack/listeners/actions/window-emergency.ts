/**
 * The advisory's "Schedule emergency window" button (action id `advisory_schedule_emergency`) and the
 * Confirm button of its proposal. Ack first, then `permissions.schedule` for the environments the
 * advisory affects in this channel (refusals name the role), then: propose the earliest sensible
 * slots (staging first) and, on Confirm, schedule them through the window service.
 */
import { formatDuration } from '../../../config/duration.ts';
import { errorMessage } from '../../../errors.ts';
import { EMERGENCY_ACTIONS, decodeConfirm, emergencyProposalMessage } from '../../../maintenance/emergency.ts';
import { gateOrder, proposeEmergencySlots } from '../../../maintenance/schedule.ts';
import { notice } from '../../blocks/replies.ts';
import { esc } from '../../blocks/text.ts';
import { CVE_ID_RE } from '../../command.ts';
import { refusalText } from '../../middleware/authz.ts';
import { blockActionBodySchema } from '../../payloads.ts';
import type { ActionHandler, ListenerDeps, ListenerTarget } from '../types.ts';
import { environmentsForChannel } from './advisory.ts';
import { windowSummary } from '../commands/window.ts';
import { registerBackupAction } from './window-backup.ts';

/** The channel's environments with a cluster the advisory affects; all the channel's when triage is unknown. */
async function affectedEnvironments(deps: ListenerDeps, channel: string, advisory: string): Promise<string[]> {
  const envs = environmentsForChannel(deps, channel);
  const snap = await deps.snapshots.get(advisory);
  if (snap === null) return envs;
  const hit = new Set(snap.findings.filter((f) => f.verdict === 'affected' || f.verdict === 'unfixed').map((f) => f.environment));
  const affected = envs.filter((e) => hit.has(e));
  // Staging is part of the rehearsal even when only prod is hit: keep the gate chain's earlier environments.
  const withBefore = new Set(affected);
  for (const e of affected) {
    const before = deps.config.environments[e]?.after;
    if (before !== undefined && deps.config.clusters.some((c) => c.environment === before)) withBefore.add(before);
  }
  return gateOrder(deps.config, [...withBefore]);
}

export function createEmergencyWindowHandler(deps: ListenerDeps): ActionHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'window-emergency' });
  return async ({ body, ack }) => {
    await ack();
    const parsed = blockActionBodySchema.safeParse(body);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.length }, 'malformed block action payload');
      return;
    }
    const b = parsed.data;
    const action = b.actions[0];
    const user = b.user.id;
    const channel = b.channel?.id ?? b.container?.channel_id;
    const reply = async (text: string) => {
      if (b.response_url) await deps.respond(b.response_url, notice(text)).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'ephemeral reply failed'));
    };
    const confirm = action?.action_id === EMERGENCY_ACTIONS.confirm ? decodeConfirm(action.value) : null;
    const advisory = confirm?.a ?? action?.value ?? '';
    if (!action || channel === undefined || !CVE_ID_RE.test(advisory) || (action.action_id === EMERGENCY_ACTIONS.confirm && confirm === null)) {
      await deps.audit.record({ user, kind: 'action', what: action?.action_id ?? 'unknown', result: 'invalid' });
      if (action?.action_id === EMERGENCY_ACTIONS.confirm) await reply('That proposal could not be read. Press *Schedule emergency window* on the advisory again.');
      return;
    }
    const what = `${action.action_id} ${advisory}`;
    const audit = (result: 'ok' | 'refused' | 'invalid' | 'unavailable' | 'error', detail?: string) =>
      deps.audit.record({ user, kind: 'action', what, result, channel, ...(detail ? { detail } : {}) });

    try {
      const envs = confirm !== null ? [...new Set(confirm.s.map(([env]) => env))] : await affectedEnvironments(deps, channel, advisory);
      const unknown = envs.filter((e) => deps.config.environments[e] === undefined);
      if (unknown.length > 0 || envs.length === 0) {
        await reply(envs.length === 0 ? 'This channel carries no environment: there is nothing to schedule here.' : `Unknown environment ${esc(unknown.join(', '))}.`);
        await audit('invalid', envs.length === 0 ? 'no environment' : `unknown ${unknown.join(', ')}`);
        return;
      }
      const decision = await deps.authz.check(user, { kind: 'schedule', environments: envs });
      if (!decision.allowed) {
        await reply(refusalText('schedule an emergency window', decision));
        await audit('refused', `needs ${decision.needed.join('|')}`);
        return;
      }
      const service = deps.windows;
      if (service === undefined) {
        await reply('Windows are not stored by this hub (no window store wired).');
        await audit('unavailable');
        return;
      }
      if (confirm === null) {
        const slots = proposeEmergencySlots(deps.config, envs, deps.now());
        const message = emergencyProposalMessage(advisory, slots);
        if (b.response_url) await deps.respond(b.response_url, message);
        await audit('ok', `proposed ${slots.map((s) => `${s.environment} ${s.when}`).join(', ')}`);
        return;
      }
      const lines: string[] = [];
      const done: string[] = [];
      for (const [environment, when, durationMs] of confirm.s) {
        const res = await service.schedule({ environment, when, duration: formatDuration(durationMs), emergency: true, advisory }, user);
        if (res.ok) {
          done.push(res.window.id);
          lines.push(`:calendar: ${windowSummary(res.window)}${res.warnings.map((w) => ` (:warning: ${esc(w)})`).join('')}`);
        } else {
          lines.push(`:x: ${esc(environment)}: ${esc(res.error)}`);
        }
      }
      await reply(lines.join('\n'));
      await audit(done.length > 0 ? 'ok' : 'invalid', done.length > 0 ? done.join(', ') : lines.join('; '));
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'emergency window action failed');
      await reply(':x: Sorry, that could not be done right now. Try again in a minute.');
      await audit('error', errorMessage(err));
    }
  };
}

export function registerWindowActions(target: ListenerTarget, deps: ListenerDeps): void {
  const handler = createEmergencyWindowHandler(deps);
  target.action(EMERGENCY_ACTIONS.propose, handler);
  target.action(EMERGENCY_ACTIONS.confirm, handler);
  registerBackupAction(target, deps);
}
