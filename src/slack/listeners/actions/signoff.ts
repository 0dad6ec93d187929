/** Approve / Reject on a sign-off request. Approve votes at once; Reject opens the reason modal. */
import { errorMessage } from '../../../errors.ts';
import { parseButtonValue, SIGNOFF_ACTIONS } from '../../../signoff/blocks.ts';
import { signoffActionSchema } from '../../../signoff/payloads.ts';
import type { ActionHandler, ListenerDeps, ListenerTarget } from '../types.ts';

export function createSignoffActionHandler(deps: ListenerDeps): ActionHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'signoff-action' });
  return async ({ body, ack }) => {
    await ack();
    const parsed = signoffActionSchema.safeParse(body);
    const action = parsed.success ? parsed.data.actions[0] : undefined;
    const value = action ? parseButtonValue(action.value) : null;
    if (!parsed.success || !action || !value) {
      log.warn({ issues: parsed.success ? 0 : parsed.error.issues.length }, 'malformed sign-off action payload');
      return;
    }
    const b = parsed.data;
    const channel = b.channel?.id ?? b.container?.channel_id ?? '';
    const threadTs = b.message?.thread_ts ?? b.container?.thread_ts;
    const what = `${action.action_id} ${value.request}`;
    if (!deps.signoff) {
      await deps.audit.record({ user: b.user.id, kind: 'action', what, result: 'unavailable', channel });
      return;
    }
    try {
      if (action.action_id === SIGNOFF_ACTIONS.reject) {
        if (!b.trigger_id) return;
        await deps.signoff.openReject(value.request, b.trigger_id, { user: b.user.id, channel, evidenceHash: value.evidenceHash });
        await deps.audit.record({ user: b.user.id, kind: 'action', what, result: 'ok', channel, detail: 'reason asked' });
        return;
      }
      const outcome = await deps.signoff.vote(value.request, {
        user: b.user.id, decision: 'approve', via: 'button', channel, evidenceHash: value.evidenceHash, ...(threadTs ? { threadTs } : {}),
      });
      await deps.audit.record({ user: b.user.id, kind: 'action', what, result: outcome?.refusal ? 'refused' : 'ok', channel, ...(outcome?.refusal ? { detail: outcome.refusal } : {}) });
    } catch (err) {
      log.error({ err: errorMessage(err), request: value.request }, 'sign-off vote failed');
      await deps.audit.record({ user: b.user.id, kind: 'action', what, result: 'error', channel, detail: errorMessage(err) }).catch(() => undefined);
    }
  };
}

export function registerSignoffActions(target: ListenerTarget, deps: ListenerDeps): void {
  const handler = createSignoffActionHandler(deps);
  target.action(SIGNOFF_ACTIONS.approve, handler);
  target.action(SIGNOFF_ACTIONS.reject, handler);
}
