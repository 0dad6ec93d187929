/**
 * `/k8s window schedule ENV WHEN [DURATION] [emergency]`, `/k8s window cancel ID` and `/k8s window
 * override ID REASON`, and `/k8s windows [ENV]`, handled for k8s.ts. The guard checks
 * `permissions.schedule` for the environment (`windowCommandNeeds`: a stored window's own for
 * cancel and override) and refuses naming the role; the work goes through the window service
 * (the same rules as the CLI). Answers are ephemeral.
 */
import type { StoredWindow } from '../../../store/windows.ts';
import { formatLocalRange } from '../../../maintenance/text.ts';
import { windowsMessage } from '../../../maintenance/blocks.ts';
import { environmentWindows } from '../../../maintenance/occurrences.ts';
import { mergeStoredWindows } from '../../../maintenance/view.ts';
import { notice } from '../../blocks/replies.ts';
import { context, esc } from '../../blocks/text.ts';
import type { Command } from '../../command.ts';
import type { ListenerDeps, Need, Outcome, Reply } from '../types.ts';

export type WindowCommand = Extract<Command, { kind: 'window-schedule' | 'window-cancel' | 'window-override' }>;

export function windowSummary(w: StoredWindow): string {
  const what = w.kind === 'emergency' ? 'Emergency window' : w.kind === 'one-off' ? 'Window' : 'Maintenance window';
  return `${what} \`${w.id}\`: ${esc(formatLocalRange(w))}${w.advisory ? ` for ${esc(w.advisory)}` : ''}`;
}

const UNAVAILABLE = notice('Windows are not stored by this hub (no window store wired). Run `k8s-advisor window …` against the hub\'s Redis meanwhile.');

/**
 * What a window command needs: `permissions.schedule` for the environment named (schedule) or the
 * stored window's (cancel, override; a Redis read, after the ack). Without a store, or for a window
 * that is not stored, nothing: anyone is told so.
 */
export async function windowCommandNeeds(deps: ListenerDeps, command: WindowCommand): Promise<Need | null> {
  if (command.kind === 'window-schedule') return { action: 'schedule windows', permission: { kind: 'schedule', environments: [command.environment] } };
  if (deps.windows === undefined) return null;
  const existing = await deps.windows.get(command.windowId);
  if (existing === null) return null;
  const action = command.kind === 'window-cancel' ? 'cancel windows' : 'override window gates';
  return { action, permission: { kind: 'schedule', environments: [existing.environment] } };
}

/** Runs for allowed requests only (the guard has checked `windowCommandNeeds`). */
export async function answerWindowCommand(deps: ListenerDeps, user: string, command: WindowCommand, reply: Reply): Promise<Outcome> {
  const service = deps.windows;
  if (service === undefined) {
    await reply(UNAVAILABLE);
    return { result: 'unavailable' };
  }
  const say = (text: string) => reply(notice(text));
  if (command.kind !== 'window-schedule' && (await service.get(command.windowId)) === null) {
    await say(`No window \`${command.windowId}\` is stored. \`/k8s windows\` lists them.`);
    return { result: 'refused', detail: 'unknown window' };
  }
  if (command.kind === 'window-override') {
    const res = await service.override(command.windowId, user, command.reason);
    if (!res.ok) {
      await say(`:x: ${esc(res.error)}`);
      return { result: 'refused', detail: res.error };
    }
    await say(`:unlock: Override recorded for \`${res.window.id}\`: it opens at its start (or at the next check if it is blocked now) without waiting for its gate. Reason: ${esc(command.reason)}`);
    return { result: 'ok', detail: `override: ${command.reason}` };
  }
  if (command.kind === 'window-cancel') {
    const res = await service.cancel(command.windowId, user, `cancelled by <@${user}> in Slack`);
    if (!res.ok) {
      await say(`:x: ${esc(res.error)}`);
      return { result: 'refused', detail: res.error };
    }
    await say(`:wastebasket: Cancelled. ${windowSummary(res.window)}`);
    return { result: 'ok', detail: res.window.id };
  }
  const res = await service.schedule({ environment: command.environment, when: command.when, duration: command.duration, emergency: command.emergency }, user);
  if (!res.ok) {
    await say(`:x: ${esc(res.error)}`);
    return { result: 'refused', detail: res.error };
  }
  const warnings = res.warnings.map((w) => `\n:warning: ${esc(w)}`).join('');
  const gate = res.window.kind === 'emergency' ? ' It skips the monthly cadence, not the staging gate.' : '';
  await say(`:calendar: Scheduled. ${windowSummary(res.window)}.${gate}${warnings}`);
  return { result: 'ok', detail: res.window.id };
}

/** How long the ack of `/k8s windows` waits for the store before answering from the config alone. */
const STORED_WINDOWS_WAIT_MS = 1_000;

/**
 * `/k8s windows [ENV]`: the config's next windows joined with the stored ones (state, blocked reason,
 * scheduled and emergency windows, plans), answered in the ack. A slow store never delays the ack past
 * STORED_WINDOWS_WAIT_MS: the answer then says it shows the config's windows only.
 */
export async function answerWindowsList(deps: ListenerDeps, environment: string | null, reply: Reply): Promise<Outcome> {
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
  await reply(note === null ? message : { ...message, blocks: [...message.blocks, context(note)] });
  return note === null ? { result: 'ok' } : { result: 'ok', detail: 'config windows only' };
}
