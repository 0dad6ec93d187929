/** `/k8s`: parse and validate, declare the permission, answer at once; slow answers go to the commands queue. */
import { helpMessage, notice, usageError } from '../../blocks/replies.ts';
import { type Command, describeCommand, parseCommand } from '../../command.ts';
import { commandBodySchema } from '../../payloads.ts';
import { describeIssues } from '../../request.ts';
import type { GuardedListener, GuardedRequest, ListenerApp, ListenerDeps, Need } from '../types.ts';
import { answerSignoffCommand } from './signoff.ts';
import { answerWindowCommand, answerWindowsList, windowCommandNeeds } from './window.ts';

export const K8S_COMMAND = '/k8s';

const READS_REDIS: ReadonlySet<Command['kind']> = new Set(['signoff', 'audit', 'window-schedule', 'window-cancel', 'window-override']);

export interface K8sRequest extends GuardedRequest {
  command: Command;
  channel: string;
  responseUrl: string;
}

/**
 * The permission each subcommand needs; the rest are open to anyone in the workspace. Window cancel
 * and override need the stored window's environment: a Redis read (those are acked first).
 */
export function commandNeeds(deps: ListenerDeps, command: Command): Need | null | Promise<Need | null> {
  switch (command.kind) {
    case 'verify': return { action: `verify \`${command.target.name}\``, permission: { kind: 'verify', environments: command.environments } };
    case 'window-schedule':
    case 'window-cancel':
    case 'window-override':
      return windowCommandNeeds(deps, command);
    case 'accept': return { action: `accept risks in ${command.environments.join(', ')}`, permission: { kind: 'accept', environments: command.environments } };
    default: return null;
  }
}

export function createK8sCommand(deps: ListenerDeps): GuardedListener<K8sRequest> {
  return {
    read(body) {
      const parsed = commandBodySchema.safeParse(body);
      if (!parsed.success) return { ok: false, invalid: { what: 'command', detail: describeIssues(parsed.error.issues) } };
      const cmd = parsed.data;
      const result = parseCommand(cmd.text, deps.config);
      if (!result.ok) {
        return { ok: false, invalid: { user: cmd.user_id, channel: cmd.channel_id, what: 'invalid', detail: result.error, message: usageError(result.error) } };
      }
      return {
        ok: true,
        request: { user: cmd.user_id, channel: cmd.channel_id, responseUrl: cmd.response_url, what: describeCommand(result.command), command: result.command },
      };
    },

    // Sign-off status and records, and window commands, read Redis: never inside the 3 s ack.
    // `/k8s windows` is answered in the ack: its store read is bounded (src/slack/listeners/commands/window.ts).
    ackFirst: (request) => READS_REDIS.has(request.command.kind),

    needs: (request) => commandNeeds(deps, request.command),

    async handle(request, reply) {
      const { command } = request;
      switch (command.kind) {
        case 'help':
          await reply(helpMessage());
          return { result: 'ok' };
        case 'advisories':
        case 'clusters':
        case 'triage':
          await reply(notice(':hourglass_flowing_sand: Looking that up…'));
          await deps.producers.answer({ kind: 'answer', command, user: request.user, channel: request.channel, responseUrl: request.responseUrl });
          return { result: 'queued' };
        case 'windows':
          // Issue 11: config windows joined with the stored ones, in the ack (src/slack/listeners/commands/window.ts).
          return answerWindowsList(deps, command.environment, reply);
        case 'verify': {
          if (!deps.verifyEnabled) {
            await reply(notice(
              `Verification of \`${command.target.name}\` (${command.clusters.map((c) => `\`${c}\``).join(', ') || 'no clusters'}) is not yet available in Slack. `
              + 'Run `k8s-advisor verify TARGET --config FILE` meanwhile.',
            ));
            return { result: 'unavailable' };
          }
          if (command.clusters.length === 0) {
            await reply(notice(`\`${command.target.name}\` has no clusters in the config: nothing to verify.`));
            return { result: 'ok', detail: 'no clusters' };
          }
          await deps.producers.verify({
            kind: 'verify', target: command.target.name, clusters: command.clusters, user: request.user, channel: request.channel,
            responseUrl: request.responseUrl, origin: { kind: 'command', what: request.what },
          });
          return { result: 'queued', detail: `clusters: ${command.clusters.join(', ')}` };
        }
        case 'window-schedule':
        case 'window-cancel':
        case 'window-override':
          // Issue 11: src/slack/listeners/commands/window.ts
          return answerWindowCommand(deps, request.user, command, reply);
        case 'signoff':
        case 'audit':
        case 'accept':
          return answerSignoffCommand(deps, request, command, reply);
      }
    },
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.command(K8S_COMMAND, createK8sCommand(deps));
}
