/** The "Schedule emergency window" button. */
import { ADVISORY_ACTIONS } from '../../blocks/advisory.ts';
import { notice } from '../../blocks/replies.ts';
import type { GuardedListener, ListenerApp, ListenerDeps } from '../types.ts';
import { type AdvisoryActionRequest, environmentsForChannel, readAdvisoryAction } from './advisory.ts';

export function createScheduleEmergencyAction(deps: ListenerDeps): GuardedListener<AdvisoryActionRequest> {
  return {
    read: readAdvisoryAction,
    needs: (request) => ({
      action: 'schedule an emergency window',
      permission: { kind: 'schedule', environments: environmentsForChannel(deps, request.channel) },
    }),
    async handle(_request, reply) {
      await reply(notice('Emergency windows from Slack are coming later.'));
      return { result: 'unavailable' };
    },
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.action(ADVISORY_ACTIONS.scheduleEmergency, createScheduleEmergencyAction(deps));
}
