/**
 * The plan's "Backup confirmed" button (action id `window_backup_confirmed`, value: the window id). The
 * bot cannot see an etcd snapshot, so a person with the environment's `permissions.schedule` role says
 * so; who and when are recorded once on the window (the readiness gate reads it) and in the audit log.
 */
import { errorMessage } from '../../../errors.ts';
import { BACKUP_CONFIRMED_ACTION } from '../../../maintenance/messages.ts';
import { notice } from '../../blocks/replies.ts';
import { esc } from '../../blocks/text.ts';
import { refusalText } from '../../middleware/authz.ts';
import { blockActionBodySchema } from '../../payloads.ts';
import type { ActionHandler, ListenerDeps, ListenerTarget } from '../types.ts';

export function createBackupConfirmedHandler(deps: ListenerDeps): ActionHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'window-backup' });
  return async ({ body, ack }) => {
    await ack();
    const parsed = blockActionBodySchema.safeParse(body);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.length }, 'malformed block action payload');
      return;
    }
    const b = parsed.data;
    const user = b.user.id;
    const id = b.actions[0]?.value ?? '';
    const reply = async (text: string) => {
      if (b.response_url) await deps.respond(b.response_url, notice(text)).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'ephemeral reply failed'));
    };
    const what = `${BACKUP_CONFIRMED_ACTION} ${id.slice(0, 80)}`;
    const audit = (result: 'ok' | 'refused' | 'invalid' | 'unavailable' | 'error', detail?: string) =>
      deps.audit.record({ user, kind: 'action', what, result, ...(b.channel ? { channel: b.channel.id } : {}), ...(detail ? { detail } : {}) });
    const service = deps.windows;
    if (service === undefined) {
      await reply('Windows are not stored by this hub (no window store wired).');
      await audit('unavailable');
      return;
    }
    try {
      const w = await service.get(id);
      if (w === null) {
        await reply('That window is not stored any more.');
        await audit('invalid', 'unknown window');
        return;
      }
      const decision = await deps.authz.check(user, { kind: 'schedule', environments: [w.environment] });
      if (!decision.allowed) {
        await reply(refusalText('confirm backups', decision));
        await audit('refused', `needs ${decision.needed.join('|')}`);
        return;
      }
      const res = await service.confirmBackup(id, user);
      if (!res.ok) {
        await reply(`:x: ${esc(res.error)}`);
        await audit('invalid', res.error);
        return;
      }
      await reply(res.first
        ? `:floppy_disk: Backup for \`${w.id}\` confirmed by you at ${res.backup.at}.`
        : `Already confirmed by <@${res.backup.by}> at ${res.backup.at}.`);
      await audit('ok', res.first ? 'confirmed' : 'already confirmed');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'backup confirmation failed');
      await reply(':x: Sorry, that could not be recorded right now. Try again in a minute.');
      await audit('error', errorMessage(err));
    }
  };
}

export function registerBackupAction(target: ListenerTarget, deps: ListenerDeps): void {
  target.action(BACKUP_CONFIRMED_ACTION, createBackupConfirmedHandler(deps));
}
