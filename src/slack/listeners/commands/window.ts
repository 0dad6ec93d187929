/**
 * `/k8s window schedule ENV WHEN [DURATION] [emergency]` and `/k8s window cancel ID`: acked at once,
 * then checked against `permissions.schedule` for the environment (refusals name the role), then
 * done through the window service (the same rules as the CLI). Answers are ephemeral.
 */
import { errorMessage } from '../../../errors.ts';
import type { StoredWindow } from '../../../store/windows.ts';
import { formatLocalRange } from '../../../maintenance/text.ts';
import { windowsMessage } from '../../../maintenance/blocks.ts';
import { environmentWindows } from '../../../maintenance/occurrences.ts';
import { mergeStoredWindows } from '../../../maintenance/view.ts';
import { notice } from '../../blocks/replies.ts';
import { context, esc } from '../../blocks/text.ts';
import { describeCommand, type Command } from '../../command.ts';
import { refusalText } from '../../middleware/authz.ts';
import type { CommandBody } from '../../payloads.ts';
import type { Ack, ListenerDeps } from '../types.ts';

export type WindowCommand = Extract<Command, { kind: 'window-schedule' | 'window-cancel' | 'window-override' }>;

export function windowSummary(w: StoredWindow): string {
  const what = w.kind === 'emergency' ? 'Emergency window' : w.kind === 'one-off' ? 'Window' : 'Maintenance window';
  return `${what} \`${w.id}\`: ${esc(formatLocalRange(w))}${w.advisory ? ` for ${esc(w.advisory)}` : ''}`;
}

export async function answerWindowCommand(deps: ListenerDeps, body: CommandBody, command: WindowCommand, ack: Ack): Promise<void> {
  await ack();
  const log = deps.logger.child({ subsystem: 'slack', listener: 'window-command' });
  const what = describeCommand(command);
  const user = body.user_id;
  const reply = (text: string) => deps.respond(body.response_url, notice(text)).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'ephemeral reply failed'));
  const audit = (result: 'ok' | 'refused' | 'invalid' | 'unavailable' | 'error', detail?: string) =>
    deps.audit.record({ user, kind: 'command', what, result, channel: body.channel_id, ...(detail ? { detail } : {}) });

  const service = deps.windows;
  if (service === undefined) {
    await reply('Windows are not stored by this hub (no window store wired). Run `k8s-advisor window …` against the hub\'s Redis meanwhile.');
    await audit('unavailable');
    return;
  }
  try {
    const existing = command.kind === 'window-schedule' ? null : await service.get(command.windowId);
    if (command.kind !== 'window-schedule' && existing === null) {
      await reply(`No window \`${command.windowId}\` is stored. \`/k8s windows\` lists them.`);
      await audit('invalid', 'unknown window');
      return;
    }
    const environment = command.kind === 'window-schedule' ? command.environment : (existing?.environment ?? '');
    const decision = await deps.authz.check(user, { kind: 'schedule', environments: [environment] });
    if (!decision.allowed) {
      const action = command.kind === 'window-cancel' ? 'cancel windows' : command.kind === 'window-override' ? 'override window gates' : 'schedule windows';
      await reply(refusalText(action, decision));
      await audit('refused', `needs ${decision.needed.join('|')}`);
      return;
    }
    if (command.kind === 'window-override') {
      const res = await service.override(command.windowId, user, command.reason);
      if (!res.ok) {
        await reply(`:x: ${esc(res.error)}`);
        await audit('invalid', res.error);
        return;
      }
      await reply(`:unlock: Override recorded for \`${res.window.id}\`: it opens at its start (or at the next check if it is blocked now) without waiting for its gate. Reason: ${esc(command.reason)}`);
      await audit('ok', `override: ${command.reason}`);
      return;
    }
    if (command.kind === 'window-cancel') {
      const res = await service.cancel(command.windowId, user, `cancelled by <@${user}> in Slack`);
      if (!res.ok) {
        await reply(`:x: ${esc(res.error)}`);
        await audit('invalid', res.error);
        return;
      }
      await reply(`:wastebasket: Cancelled. ${windowSummary(res.window)}`);
      await audit('ok', res.window.id);
      return;
    }
    const res = await service.schedule({ environment, when: command.when, duration: command.duration, emergency: command.emergency }, user);
    if (!res.ok) {
      await reply(`:x: ${esc(res.error)}`);
      await audit('invalid', res.error);
      return;
    }
    const warnings = res.warnings.map((w) => `\n:warning: ${esc(w)}`).join('');
    const gate = res.window.kind === 'emergency' ? ' It skips the monthly cadence, not the staging gate.' : '';
    await reply(`:calendar: Scheduled. ${windowSummary(res.window)}.${gate}${warnings}`);
    await audit('ok', res.window.id);
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'window command failed');
    await reply(':x: Sorry, that could not be done right now. Try again in a minute.');
    await audit('error', errorMessage(err));
  }
}

/** How long the ack of `/k8s windows` waits for the store before answering from the config alone. */
const STORED_WINDOWS_WAIT_MS = 1_000;

/**
 * `/k8s windows [ENV]`: the config's next windows joined with the stored ones (state, blocked reason,
 * scheduled and emergency windows, plans), answered in the ack. A slow store never delays the ack past
 * STORED_WINDOWS_WAIT_MS: the answer then says it shows the config's windows only.
 */
export async function answerWindowsList(deps: ListenerDeps, environment: string | null, ack: Ack): Promise<void> {
  const now = deps.now();
  const computed = environmentWindows(deps.config, { from: now, count: 3, ...(environment ? { environment } : {}) });
  let windows = computed;
  let note: string | null = null;
  if (deps.windows !== undefined) {
    const service = deps.windows;
    let timer: NodeJS.Timeout | undefined;
    const stored = await Promise.race([
      service.list(now.getTime(), environment ?? undefined).catch(() => null),
      new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), STORED_WINDOWS_WAIT_MS); }),
    ]).finally(() => clearTimeout(timer));
    if (stored === null) note = 'Stored windows could not be read in time: these are the config\'s windows only.';
    else windows = mergeStoredWindows(computed, stored, now.getTime());
  }
  const message = windowsMessage(windows, environment ? { environment } : {});
  await ack(note === null ? message : { ...message, blocks: [...message.blocks, context(note)] });
}
