/**
 * Thread replies in a window's thread: `approve` and `reject: reason` vote on the pending sign-off
 * request; other replies go into the audit record as comments. Other messages are ignored.
 */
import { errorMessage } from '../../../errors.ts';
import { threadMessageSchema } from '../../../signoff/payloads.ts';
import type { EventHandler, ListenerApp, ListenerDeps } from '../types.ts';

/** Subscribed as message.channels and message.groups (manifest.yml). */
export const MESSAGE_SUBSCRIPTIONS = ['message.channels', 'message.groups'] as const;

export function createThreadMessageHandler(deps: ListenerDeps): EventHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'message' });
  return async ({ event }) => {
    const parsed = threadMessageSchema.safeParse(event);
    if (!parsed.success || !deps.signoff) return; // not a human thread reply: nothing to do
    const m = parsed.data;
    if (m.thread_ts === m.ts) return;
    try {
      const what = await deps.signoff.threadReply({ channel: m.channel, threadTs: m.thread_ts, user: m.user, text: m.text });
      if (what === 'vote') await deps.audit.record({ user: m.user, kind: 'action', what: 'signoff thread vote', result: 'ok', channel: m.channel });
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'sign-off thread reply failed');
    }
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.event('message', createThreadMessageHandler(deps), MESSAGE_SUBSCRIPTIONS);
}
