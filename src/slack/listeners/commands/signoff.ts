/**
 * `/k8s signoff WINDOW-ID`, `/k8s audit WINDOW-ID` and `/k8s accept …` (the guard has checked
 * `permissions.accept` for accept). They read Redis, so the guard has acked and `reply` answers
 * through the response_url. An acceptance is announced in the advisory's thread of the target
 * environment's channel when that thread exists.
 */
import { channelFor } from '../../../hub/routing.ts';
import { acceptanceText, parseAccept } from '../../../signoff/accept.ts';
import { auditRows } from '../../../signoff/export.ts';
import { esc, packLines, section } from '../../blocks/text.ts';
import { notice } from '../../blocks/replies.ts';
import type { Command } from '../../command.ts';
import type { GuardedRequest, ListenerDeps, Outcome, Reply } from '../types.ts';

type SignoffCommand = Extract<Command, { kind: 'signoff' | 'audit' | 'accept' }>;

/** Most audit lines shown in Slack; the CLI exports everything. */
const MAX_AUDIT_LINES = 60;

const UNAVAILABLE = notice('Sign-off is not wired on this hub (no Redis store).');

export async function answerSignoffCommand(deps: ListenerDeps, request: GuardedRequest, command: SignoffCommand, reply: Reply): Promise<Outcome> {
  switch (command.kind) {
    case 'signoff': {
      if (!deps.signoff) return unavailable(reply);
      await reply(await deps.signoff.status(command.windowId));
      return { result: 'ok' };
    }
    case 'audit': {
      if (!deps.signoffStore) return unavailable(reply);
      const rows = auditRows(await deps.signoffStore.audit({ window: command.windowId }));
      if (rows.length === 0) {
        await reply(notice(`No sign-off record for \`${esc(command.windowId)}\` yet.`));
        return { result: 'ok', detail: 'empty' };
      }
      const lines = rows.slice(-MAX_AUDIT_LINES).map((r) =>
        `\`${r.at.slice(0, 16).replace('T', ' ')}\` ${r.phase} r${r.round ?? ''} *${r.type}*${r.user ? ` <@${r.user}>` : ''}${r.decision ? ` ${r.decision}` : ''}${r.change ? ` ${esc(r.change)}` : ''}${r.reason ? `: ${esc(r.reason)}` : r.detail ? ` (${esc(r.detail)})` : ''} · \`${r.evidenceHash.slice(0, 12)}\``);
      const more = rows.length > MAX_AUDIT_LINES ? `\n_${rows.length - MAX_AUDIT_LINES} earlier entries not shown: \`k8s-advisor audit --window ${command.windowId}\` exports all._` : '';
      await reply({
        text: `Sign-off record for ${command.windowId}`,
        blocks: [section(`*Sign-off record for \`${esc(command.windowId)}\`* (${rows.length} entries)${more}`), ...packLines(lines).slice(0, 40).map((t) => section(t))],
      });
      return { result: 'ok' };
    }
    case 'accept': {
      if (!deps.risks) return unavailable(reply);
      const checked = parseAccept([command.advisory, command.target.name, 'until', command.until, ...command.reason.split(' ')], deps.now());
      if ('error' in checked) {
        await reply(notice(`:warning: ${checked.error}`));
        return { result: 'refused', detail: checked.error };
      }
      const acceptance = { advisory: command.advisory, target: command.target, until: command.until, by: request.user, reason: command.reason, at: deps.now().toISOString() };
      await deps.risks.accept(acceptance);
      const text = `${command.advisory} on ${command.target.kind} \`${command.target.name}\`: ${acceptanceText(acceptance)}`;
      await reply(notice(`:ok_hand: Accepted. ${text}. It drops out of "needs attention" until then and stays in the record.`));
      await announce(deps, command, `:ok_hand: ${text}`);
      return { result: 'ok', detail: command.reason };
    }
  }
}

async function unavailable(reply: Reply): Promise<Outcome> {
  await reply(UNAVAILABLE);
  return { result: 'unavailable' };
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
