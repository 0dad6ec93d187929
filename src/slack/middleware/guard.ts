/**
 * The one middleware every slash command and button runs through: read (zod) → ack → authorize →
 * refuse → handle → audit. Listeners declare the permission a request needs; nothing here knows
 * about a particular command.
 *
 * Ack ordering: Slack waits at most 3 s. A command that needs no permission may answer in the ack
 * itself (help, windows, usage errors). Anything that needs a permission is acked empty first,
 * because resolving user groups calls Slack; its answer then goes through response_url. Buttons
 * are always acked first (an action ack carries no message). The audit record is written after
 * the ack, so the ack never waits on Redis.
 */
import { errorMessage } from '../../errors.ts';
import { isRedisUnavailable } from '../../store/redis-connection.ts';
import type { Logger } from '../../log.ts';
import type { AuditLog, AuditResult } from '../../store/audit.ts';
import type { SlackMessage } from '../blocks/advisory.ts';
import { notice } from '../blocks/replies.ts';
import type { Ack, GuardedListener, GuardedRequest, Reply } from '../listeners/types.ts';
import type { Responder } from '../respond.ts';
import { type Authorizer, refusalText } from './authz.ts';

export type GuardKind = 'command' | 'action';

export interface GuardDeps {
  authz: Authorizer;
  audit: AuditLog;
  respond: Responder;
  logger: Logger;
}

/** The listener Bolt calls: the raw body and Bolt's ack (adapted to take our messages). */
export type GuardedHandler = (input: { body: unknown; ack: Ack }) => Promise<void>;

const UNREADABLE = notice('Sorry, that request could not be read.');

export function guard<R extends GuardedRequest>(kind: GuardKind, listener: GuardedListener<R>, deps: GuardDeps): GuardedHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: kind });

  // An audit store that fails must not fail the request: the user was answered; the gap is logged.
  const writeAudit = async (who: Pick<GuardedRequest, 'user' | 'channel' | 'what'>, result: AuditResult, detail?: string) => {
    await deps.audit.record({
      user: who.user, kind, what: who.what, result,
      ...(who.channel !== undefined ? { channel: who.channel } : {}),
      ...(detail !== undefined ? { detail } : {}),
    }).catch((err: unknown) => log.error({ err: errorMessage(err), what: who.what, result }, 'audit record not written'));
  };

  return async ({ body, ack }) => {
    let acked = false;
    const ackOnce = async (message?: SlackMessage) => {
      if (acked) return;
      acked = true;
      await ack(message);
    };
    if (kind === 'action') await ackOnce();

    const read = listener.read(body);
    if (!read.ok) {
      const { invalid } = read;
      if (acked && invalid.message !== undefined && invalid.responseUrl !== undefined) {
        await deps.respond(invalid.responseUrl, invalid.message).catch((err: unknown) => log.warn({ err: errorMessage(err), what: invalid.what }, 'ephemeral reply failed'));
      }
      await ackOnce(invalid.message ?? UNREADABLE);
      if (invalid.user === undefined) {
        // Not a payload Slack sends (the HTTP receiver refuses these with 400; Socket Mode has no such check).
        log.warn({ what: invalid.what, detail: invalid.detail }, `unreadable ${kind} payload`);
        return;
      }
      log.debug({ what: invalid.what, detail: invalid.detail }, `invalid ${kind}`);
      await writeAudit({ user: invalid.user, channel: invalid.channel, what: invalid.what }, 'invalid', invalid.detail);
      return;
    }
    const request = read.request;

    const reply: Reply = async (message) => {
      if (!acked) return ackOnce(message);
      if (request.responseUrl === undefined) {
        log.warn({ what: request.what }, 'no response_url to answer on');
        return;
      }
      await deps.respond(request.responseUrl, message).catch((err: unknown) => log.warn({ err: errorMessage(err), what: request.what }, 'ephemeral reply failed'));
    };

    try {
      if (listener.ackFirst?.(request)) await ackOnce();
      // A command's needs are known from its text; an action's may read Redis (it is acked already).
      const need = await listener.needs(request);
      if (need !== null) {
        await ackOnce();
        const decision = await deps.authz.check(request.user, need.permission);
        if (!decision.allowed) {
          await reply(notice(refusalText(need.action, decision)));
          await writeAudit(request, 'refused', `needs ${decision.needed.join('|')}`);
          return;
        }
      }
      const outcome = await listener.handle(request, reply);
      // A handler that answered nothing still acks (Slack shows an error after 3 s otherwise).
      await ackOnce();
      await writeAudit(request, outcome.result, outcome.detail);
    } catch (err) {
      log.error({ err: errorMessage(err), what: request.what }, `${kind} failed`);
      // Producers fail fast during a Redis outage: say so rather than hang or blame the request.
      await reply(notice(isRedisUnavailable(err) ? ':warning: Redis is unavailable, try again in a minute.' : ':x: Sorry, that could not be done right now. Try again in a minute.'));
      await writeAudit(request, 'error', errorMessage(err));
    }
  };
}
