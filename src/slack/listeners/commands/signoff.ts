/**
 * `/k8s signoff WINDOW-ID`, `/k8s audit WINDOW-ID` and `/k8s accept …`: answered through the
 * response_url after the ack (they read Redis). Accepting a risk needs a role in
 * `permissions.accept` for the target's environment; the acceptance is announced in the advisory's
 * thread of that environment's channel when one exists.
 */
import { errorMessage } from '../../../errors.ts';
import { channelFor } from '../../../hub/routing.ts';
import { acceptanceText, parseAccept } from '../../../signoff/accept.ts';
import { auditRows } from '../../../signoff/export.ts';
import { esc, packLines, section } from '../../blocks/text.ts';
import { notice } from '../../blocks/replies.ts';
import type { Command } from '../../command.ts';
import { refusalText } from '../../middleware/authz.ts';
import type { CommandBody } from '../../payloads.ts';
import type { ListenerDeps } from '../types.ts';

type SignoffCommand = Extract<Command, { kind: 'signoff' | 'audit' | 'accept' }>;
type Audit = (result: 'ok' | 'refused' | 'unavailable', detail?: string) => Promise<void>;

/** Most audit lines shown in Slack; the CLI exports everything. */
const MAX_AUDIT_LINES = 60;

export async function answerSignoffCommand(deps: ListenerDeps, cmd: CommandBody, command: SignoffCommand, audit: Audit): Promise<void> {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'signoff-command' });
  const answer = (text: string) => deps.respond(cmd.response_url, notice(text)).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'answer failed'));
  try {
    switch (command.kind) {
      case 'signoff': {
        if (!deps.signoff) return await unavailable();
        await deps.respond(cmd.response_url, await deps.signoff.status(command.windowId));
        await audit('ok');
        return;
      }
      case 'audit': {
        if (!deps.signoffStore) return await unavailable();
        const rows = auditRows(await deps.signoffStore.audit({ window: command.windowId }));
        if (rows.length === 0) {
          await answer(`No sign-off record for \`${esc(command.windowId)}\` yet.`);
          await audit('ok', 'empty');
          return;
        }
        const lines = rows.slice(-MAX_AUDIT_LINES).map((r) =>
          `\`${r.at.slice(0, 16).replace('T', ' ')}\` ${r.phase} r${r.round ?? ''} *${r.type}*${r.user ? ` <@${r.user}>` : ''}${r.decision ? ` ${r.decision}` : ''}${r.change ? ` ${esc(r.change)}` : ''}${r.reason ? `: ${esc(r.reason)}` : r.detail ? ` (${esc(r.detail)})` : ''} · \`${r.evidenceHash.slice(0, 12)}\``);
        const more = rows.length > MAX_AUDIT_LINES ? `\n_${rows.length - MAX_AUDIT_LINES} earlier entries not shown: \`k8s-advisor audit --window ${command.windowId}\` exports all._` : '';
        await deps.respond(cmd.response_url, {
          text: `Sign-off record for ${command.windowId}`,
          blocks: [section(`*Sign-off record for \`${esc(command.windowId)}\`* (${rows.length} entries)${more}`), ...packLines(lines).slice(0, 40).map((t) => section(t))],
        });
        await audit('ok');
        return;
      }
      case 'accept': {
        const decision = await deps.authz.check(cmd.user_id, { kind: 'accept', environments: command.environments });
        if (!decision.allowed) {
          await answer(refusalText(`accept risks in ${command.environments.join(', ')}`, decision));
          await audit('refused', `needs ${decision.needed.join('|')}`);
          return;
        }
        if (!deps.risks) return await unavailable();
        const checked = parseAccept([command.advisory, command.target.name, 'until', command.until, ...command.reason.split(' ')], deps.now());
        if ('error' in checked) {
          await answer(`:warning: ${checked.error}`);
          await audit('refused', checked.error);
          return;
        }
        const acceptance = { advisory: command.advisory, target: command.target, until: command.until, by: cmd.user_id, reason: command.reason, at: deps.now().toISOString() };
        await deps.risks.accept(acceptance);
        const text = `${command.advisory} on ${command.target.kind} \`${command.target.name}\`: ${acceptanceText(acceptance)}`;
        await answer(`:ok_hand: Accepted. ${text}. It drops out of "needs attention" until then and stays in the record.`);
        await announce(deps, command, `:ok_hand: ${text}`);
        await audit('ok', command.reason);
        return;
      }
    }
  } catch (err) {
    log.error({ err: errorMessage(err), command: command.kind }, 'sign-off command failed');
    await answer(':x: Sorry, that could not be done right now (Redis unavailable?). Try again in a minute.');
  }

  async function unavailable() {
    await answer('Sign-off is not wired on this hub (no Redis store).');
    await audit('unavailable');
  }
}

/** A reply in the advisory's thread in the target environment's channel, when that thread exists. */
async function announce(deps: ListenerDeps, command: Extract<Command, { kind: 'accept' }>, text: string): Promise<void> {
  if (!deps.postInThread) return;
  const channels = [...new Set(command.environments.map((env) => channelFor(deps.config, env)).filter((c): c is string => c !== null))];
  for (const channel of channels) {
    const post = await deps.posts.get({ advisory: command.advisory, channel });
    if (post?.ts) await deps.postInThread(channel, post.ts, notice(text)).catch(() => undefined);
  }
}
