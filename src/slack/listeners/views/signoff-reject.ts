/** The reject modal's submission: a rejection with its reason (required by the modal and the rules). */
import { errorMessage } from '../../../errors.ts';
import { parseButtonValue, SIGNOFF_ACTIONS } from '../../../signoff/blocks.ts';
import { rejectViewSchema } from '../../../signoff/payloads.ts';
import type { ListenerApp, ListenerDeps, ViewHandler } from '../types.ts';

export function createSignoffRejectViewHandler(deps: ListenerDeps): ViewHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'signoff-reject' });
  return async ({ body, ack }) => {
    const parsed = rejectViewSchema.safeParse(body);
    const value = parsed.success ? parseButtonValue(parsed.data.view.private_metadata) : null;
    const reason = parsed.success ? (parsed.data.view.state.values.reason.reason.value ?? '').trim() : '';
    if (!parsed.success || !value) {
      await ack();
      log.warn({}, 'malformed sign-off reject submission');
      return;
    }
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say why: the reason is posted in the thread and kept in the audit record.' } });
      return;
    }
    await ack();
    if (!deps.signoff) return;
    const user = parsed.data.user.id;
    try {
      const current = await deps.signoffStore?.get(value.request);
      const channel = current?.message?.channel ?? '';
      const outcome = await deps.signoff.vote(value.request, {
        user, decision: 'reject', reason, via: 'button', channel, evidenceHash: value.evidenceHash,
        ...(current?.message ? { threadTs: current.message.threadTs } : {}),
      });
      await deps.audit.record({ user, kind: 'action', what: `${SIGNOFF_ACTIONS.reject} ${value.request}`, result: outcome?.refusal ? 'refused' : 'ok', channel, detail: outcome?.refusal ?? reason });
    } catch (err) {
      log.error({ err: errorMessage(err), request: value.request }, 'sign-off rejection failed');
    }
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.view(SIGNOFF_ACTIONS.rejectModal, createSignoffRejectViewHandler(deps));
}
