/**
 * The plan's "Backup confirmed" button (action id `window_backup_confirmed`, value: the window id). The
 * bot cannot see an etcd snapshot, so a person with the environment's `permissions.schedule` role says
 * so (the guard checks it on the stored window's environment and refuses naming the role); who and
 * when are recorded once on the window (the readiness gate reads it) and in the audit log.
 */
import { BACKUP_CONFIRMED_ACTION } from '../../../maintenance/messages.ts';
import type { StoredWindow } from '../../../store/windows.ts';
import { notice } from '../../blocks/replies.ts';
import { esc } from '../../blocks/text.ts';
import { WINDOW_ID_RE } from '../../command.ts';
import { blockActionBodySchema } from '../../payloads.ts';
import { describeIssues } from '../../request.ts';
import type { GuardedListener, GuardedRequest, ListenerApp, ListenerDeps } from '../types.ts';

const NOT_STORED = notice('That window is not stored any more.');

export interface BackupConfirmedRequest extends GuardedRequest {
  windowId: string;
}

export function createBackupConfirmedAction(deps: ListenerDeps): GuardedListener<BackupConfirmedRequest> {
  // The stored window, read once per press (needs reads it for its environment, handle uses it).
  const windows = new WeakMap<BackupConfirmedRequest, Promise<StoredWindow | null>>();
  const windowOf = (request: BackupConfirmedRequest): Promise<StoredWindow | null> => {
    let w = windows.get(request);
    if (w === undefined) {
      w = deps.windows === undefined ? Promise.resolve(null) : deps.windows.get(request.windowId);
      windows.set(request, w);
    }
    return w;
  };
  return {
    read(body) {
      const parsed = blockActionBodySchema.safeParse(body);
      if (!parsed.success) return { ok: false, invalid: { what: 'action', detail: describeIssues(parsed.error.issues) } };
      const b = parsed.data;
      const user = b.user.id;
      const windowId = b.actions[0]?.value ?? '';
      const at = { user, what: `${BACKUP_CONFIRMED_ACTION} ${windowId.slice(0, 80)}`, ...(b.channel ? { channel: b.channel.id } : {}) };
      const responseUrl = b.response_url;
      if (!WINDOW_ID_RE.test(windowId)) {
        return { ok: false, invalid: { ...at, detail: 'the button value is not a window id', message: NOT_STORED, ...(responseUrl !== undefined ? { responseUrl } : {}) } };
      }
      return { ok: true, request: { ...at, windowId, ...(responseUrl !== undefined ? { responseUrl } : {}) } };
    },
    // A Redis read: buttons are acked before `needs` runs.
    async needs(request) {
      const w = await windowOf(request);
      // Without a store or a stored window there is nothing to confirm: anyone is told so (handle answers).
      return w === null ? null : { action: 'confirm backups', permission: { kind: 'schedule', environments: [w.environment] } };
    },
    async handle(request, reply) {
      const service = deps.windows;
      if (service === undefined) {
        await reply(notice('Windows are not stored by this hub (no window store wired).'));
        return { result: 'unavailable' };
      }
      const w = await windowOf(request);
      if (w === null) {
        await reply(NOT_STORED);
        return { result: 'refused', detail: 'unknown window' };
      }
      const res = await service.confirmBackup(w.id, request.user);
      if (!res.ok) {
        await reply(notice(`:x: ${esc(res.error)}`));
        return { result: 'refused', detail: res.error };
      }
      await reply(notice(res.first
        ? `:floppy_disk: Backup for \`${w.id}\` confirmed by you at ${res.backup.at}.`
        : `Already confirmed by <@${res.backup.by}> at ${res.backup.at}.`));
      return { result: 'ok', detail: res.first ? 'confirmed' : 'already confirmed' };
    },
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.action(BACKUP_CONFIRMED_ACTION, createBackupConfirmedAction(deps));
}
