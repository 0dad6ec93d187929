/** `/k8s`: parse and validate, declare the permission, answer at once; slow answers go to the commands queue. */
import { windowsMessage } from '../../../maintenance/blocks.ts';
import { environmentWindows } from '../../../maintenance/occurrences.ts';
import { helpMessage, notice, usageError } from '../../blocks/replies.ts';
import { type Command, describeCommand, parseCommand } from '../../command.ts';
import { commandBodySchema } from '../../payloads.ts';
import { describeIssues } from '../../request.ts';
import type { GuardedListener, GuardedRequest, ListenerApp, ListenerDeps, Need } from '../types.ts';
import { answerSignoffCommand } from './signoff.ts';

export const K8S_COMMAND = '/k8s';

export interface K8sRequest extends GuardedRequest {
  command: Command;
  channel: string;
  responseUrl: string;
}

/** The permission each subcommand needs; the rest are open to anyone in the workspace. */
export function commandNeeds(command: Command): Need | null {
  switch (command.kind) {
    case 'verify': return { action: `verify \`${command.target.name}\``, permission: { kind: 'verify', environments: command.environments } };
    case 'window-schedule': return { action: 'schedule windows', permission: { kind: 'schedule', environments: [command.environment] } };
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

    // Sign-off status and records read Redis: never inside the 3 s ack.
    ackFirst: (request) => request.command.kind === 'signoff' || request.command.kind === 'audit',

    needs: (request) => commandNeeds(request.command),

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
        case 'windows': {
          // Pure and fast: answered in the ack itself.
          const environment = command.environment ?? undefined;
          const windows = environmentWindows(deps.config, { from: deps.now(), count: 3, ...(environment ? { environment } : {}) });
          await reply(windowsMessage(windows, environment ? { environment } : {}));
          return { result: 'ok' };
        }
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
          await reply(notice('Scheduling windows from Slack is coming later.'));
          return { result: 'unavailable' };
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
