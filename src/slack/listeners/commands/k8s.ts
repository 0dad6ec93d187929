/** `/k8s`: parse, validate, ack at once; slow answers go to the commands queue. */
import { errorMessage } from '../../../errors.ts';
import { helpMessage, notice, usageError } from '../../blocks/replies.ts';
import { describeCommand, parseCommand, type Command } from '../../command.ts';
import { refusalText } from '../../middleware/authz.ts';
import { commandBodySchema, type CommandBody } from '../../payloads.ts';
import type { CommandHandler, ListenerDeps, ListenerTarget } from '../types.ts';
import { answerWindowCommand, answerWindowsList } from './window.ts';

export const K8S_COMMAND = '/k8s';

export function createK8sCommandHandler(deps: ListenerDeps): CommandHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'command' });

  const queue = async (body: CommandBody, command: Command) => {
    try {
      await deps.producers.answer({ kind: 'answer', command, user: body.user_id, channel: body.channel_id, responseUrl: body.response_url });
      await deps.audit.record({ user: body.user_id, kind: 'command', what: describeCommand(command), result: 'queued', channel: body.channel_id });
    } catch (err) {
      log.error({ err, command: command.kind }, 'could not queue command answer');
      await deps.audit.record({ user: body.user_id, kind: 'command', what: describeCommand(command), result: 'error', detail: errorMessage(err) }).catch(() => undefined);
      await deps.respond(body.response_url, notice(':x: Sorry, that could not be queued. Try again in a minute.')).catch(() => undefined);
    }
  };

  return async ({ body, ack }) => {
    const parsedBody = commandBodySchema.safeParse(body);
    if (!parsedBody.success) {
      await ack(notice('Sorry, that command payload could not be read.'));
      log.warn({ issues: parsedBody.error.issues.length }, 'malformed slash command payload');
      return;
    }
    const cmd = parsedBody.data;
    const parsed = parseCommand(cmd.text, deps.config);
    if (!parsed.ok) {
      await ack(usageError(parsed.error));
      await deps.audit.record({ user: cmd.user_id, kind: 'command', what: 'invalid', result: 'invalid', channel: cmd.channel_id, detail: parsed.error });
      return;
    }
    const command = parsed.command;
    const what = describeCommand(command);
    const audit = (result: 'ok' | 'refused' | 'unavailable', detail?: string) =>
      deps.audit.record({ user: cmd.user_id, kind: 'command', what, result, channel: cmd.channel_id, ...(detail ? { detail } : {}) });

    switch (command.kind) {
      case 'help':
        await ack(helpMessage());
        await audit('ok');
        return;
      case 'advisories':
      case 'clusters':
      case 'triage':
        await ack(notice(':hourglass_flowing_sand: Looking that up…'));
        await queue(cmd, command);
        return;
      case 'windows':
        // Issue 11: config windows joined with the stored ones (src/slack/listeners/commands/window.ts).
        await answerWindowsList(deps, command.environment, ack);
        await audit('ok');
        return;
      case 'verify': {
        await ack();
        const decision = await deps.authz.check(cmd.user_id, { kind: 'verify', environments: command.environments });
        if (!decision.allowed) {
          await deps.respond(cmd.response_url, notice(refusalText(`verify \`${command.target.name}\``, decision)));
          await audit('refused', `needs ${decision.needed.join('|')}`);
          return;
        }
        if (!deps.verifyEnabled) {
          await deps.respond(cmd.response_url, notice(
            `Verification of \`${command.target.name}\` (${command.clusters.map((c) => `\`${c}\``).join(', ') || 'no clusters'}) is not yet available in Slack. `
            + 'Run `k8s-advisor verify TARGET --config FILE` meanwhile.',
          ));
          await audit('unavailable');
          return;
        }
        if (command.clusters.length === 0) {
          await deps.respond(cmd.response_url, notice(`\`${command.target.name}\` has no clusters in the config: nothing to verify.`));
          await audit('ok', 'no clusters');
          return;
        }
        try {
          await deps.producers.verify({
            kind: 'verify', target: command.target.name, clusters: command.clusters, user: cmd.user_id, channel: cmd.channel_id,
            responseUrl: cmd.response_url, origin: { kind: 'command', what },
          });
          await deps.audit.record({ user: cmd.user_id, kind: 'command', what, result: 'queued', channel: cmd.channel_id, detail: `clusters: ${command.clusters.join(', ')}` });
        } catch (err) {
          log.error({ err, command: command.kind }, 'could not queue verification');
          await deps.audit.record({ user: cmd.user_id, kind: 'command', what, result: 'error', channel: cmd.channel_id, detail: errorMessage(err) }).catch(() => undefined);
          await deps.respond(cmd.response_url, notice(':x: Sorry, the verification could not be queued. Try again in a minute.')).catch(() => undefined);
        }
        return;
      }
      case 'window-schedule':
      case 'window-cancel':
      case 'window-override':
        // Issue 11: src/slack/listeners/commands/window.ts
        await answerWindowCommand(deps, cmd, command, ack);
        return;
      case 'signoff':
        await ack(notice('Sign-off from Slack is coming later.'));
        await audit('unavailable');
        return;
    }
  };
}

export function registerCommands(target: ListenerTarget, deps: ListenerDeps): void {
  target.command(K8S_COMMAND, createK8sCommandHandler(deps));
}
