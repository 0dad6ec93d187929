/**
 * Approve / Reject on a sign-off request. Approve votes at once; Reject opens the reason modal.
 * Who may vote is the sign-off policy's rule (roles, self-approval), not a `permissions` entry:
 * the state machine refuses with the rule named, and the refusal is audited as `refused`.
 */
import { parseButtonValue, SIGNOFF_ACTIONS } from '../../../signoff/blocks.ts';
import { signoffActionSchema } from '../../../signoff/payloads.ts';
import { describeIssues } from '../../request.ts';
import type { GuardedListener, GuardedRequest, ListenerApp, ListenerDeps } from '../types.ts';

export interface SignoffActionRequest extends GuardedRequest {
  channel: string;
  action: string;
  request: string;
  evidenceHash: string;
  triggerId?: string;
  threadTs?: string;
}

export function readSignoffAction(body: unknown): ReturnType<GuardedListener<SignoffActionRequest>['read']> {
  const parsed = signoffActionSchema.safeParse(body);
  if (!parsed.success) return { ok: false, invalid: { what: 'signoff action', detail: describeIssues(parsed.error.issues) } };
  const b = parsed.data;
  const action = b.actions[0];
  const value = action ? parseButtonValue(action.value) : null;
  const channel = b.channel?.id ?? b.container?.channel_id;
  if (!action || !value || channel === undefined) {
    return { ok: false, invalid: { user: b.user.id, what: action?.action_id ?? 'signoff action', detail: 'button value or channel missing' } };
  }
  const threadTs = b.message?.thread_ts ?? b.container?.thread_ts;
  return {
    ok: true,
    request: {
      user: b.user.id, channel, what: `${action.action_id} ${value.request}`, action: action.action_id, request: value.request,
      evidenceHash: value.evidenceHash, ...(b.trigger_id ? { triggerId: b.trigger_id } : {}), ...(threadTs ? { threadTs } : {}),
    },
  };
}

export function createSignoffAction(deps: ListenerDeps): GuardedListener<SignoffActionRequest> {
  return {
    read: readSignoffAction,
    needs: () => null,
    async handle(r) {
      if (!deps.signoff) return { result: 'unavailable' };
      if (r.action === SIGNOFF_ACTIONS.reject) {
        if (!r.triggerId) return { result: 'error', detail: 'no trigger_id to open the reason modal' };
        await deps.signoff.openReject(r.request, r.triggerId, { user: r.user, channel: r.channel, evidenceHash: r.evidenceHash });
        return { result: 'ok', detail: 'reason asked' };
      }
      const outcome = await deps.signoff.vote(r.request, {
        user: r.user, decision: 'approve', via: 'button', channel: r.channel, evidenceHash: r.evidenceHash, ...(r.threadTs ? { threadTs: r.threadTs } : {}),
      });
      return outcome?.refusal ? { result: 'refused', detail: outcome.refusal } : { result: 'ok' };
    },
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  const listener = createSignoffAction(deps);
  app.action(SIGNOFF_ACTIONS.approve, listener);
  app.action(SIGNOFF_ACTIONS.reject, listener);
}
