/** The Acknowledge button: the first acknowledgement per advisory and channel counts, announced in the thread. */
import { ADVISORY_ACTIONS } from '../../blocks/advisory.ts';
import { notice } from '../../blocks/replies.ts';
import type { GuardedListener, ListenerApp, ListenerDeps } from '../types.ts';
import { type AdvisoryActionRequest, readAdvisoryAction } from './advisory.ts';

export function createAcknowledgeAction(deps: ListenerDeps): GuardedListener<AdvisoryActionRequest> {
  return {
    read: readAdvisoryAction,
    needs: (request) => ({ action: `acknowledge ${request.advisory}`, permission: { kind: 'acknowledge' } }),
    async handle(request, reply) {
      const key = { advisory: request.advisory, channel: request.channel };
      const first = await deps.posts.acknowledge(key, request.user, deps.now().toISOString());
      if (!first) {
        const rec = await deps.posts.get(key);
        await reply(notice(`Already acknowledged${rec?.ackUser ? ` by <@${rec.ackUser}>` : ''}.`));
        return { result: 'ok', detail: 'already acknowledged' };
      }
      await deps.producers.acknowledged(request.advisory, request.channel, request.user);
      return { result: 'queued' };
    },
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.action(ADVISORY_ACTIONS.acknowledge, createAcknowledgeAction(deps));
}
