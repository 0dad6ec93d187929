/**
 * Sign-off messages: the request (evidence, policy, votes, what is still missing, Approve and
 * Reject while pending), the reject-reason modal, and the status answer. Pure builders; every
 * request message carries message metadata `k8s_advisor_signoff` so other tools (and tests) read
 * the thread without parsing text.
 */
import type { types } from '@slack/bolt';
import { type Block, LIMITS, context, esc, packLines, section, truncate } from '../slack/blocks/text.ts';
import type { SlackMessage } from '../slack/blocks/advisory.ts';
import { progressText, tally } from './machine.ts';
import { describePolicy } from './policy.ts';
import type { SignoffPolicy, SignoffRequest } from './types.ts';

export const SIGNOFF_EVENT = 'k8s_advisor_signoff';

/** Stable action / callback ids (listeners and posted messages depend on them). */
export const SIGNOFF_ACTIONS = {
  approve: 'signoff_approve',
  reject: 'signoff_reject',
  rejectModal: 'signoff_reject_reason',
} as const;

export interface SignoffMetadata {
  event_type: typeof SIGNOFF_EVENT;
  event_payload: { request: string; window: string; phase: 'plan' | 'result'; state: SignoffRequest['state']; evidenceHash: string; round: number };
}

export function signoffMetadata(r: SignoffRequest): SignoffMetadata {
  return { event_type: SIGNOFF_EVENT, event_payload: { request: r.id, window: r.window, phase: r.phase, state: r.state, evidenceHash: r.evidenceHash, round: r.round } };
}

/** Button value: the request and the evidence hash the voter saw (a stale button is refused). */
export function buttonValue(r: SignoffRequest): string {
  return `${r.id}|${r.evidenceHash}`;
}

export function parseButtonValue(value: string): { request: string; evidenceHash: string } | null {
  const m = /^([a-z0-9][a-z0-9:T.-]{0,120}:(?:plan|result))\|([0-9a-f]{64})$/.exec(value);
  return m ? { request: m[1] as string, evidenceHash: m[2] as string } : null;
}

const PHASE_TITLE = { plan: 'Approve the plan', result: 'Accept the verification result' } as const;
const STATE_ICON: Record<SignoffRequest['state'], string> = {
  pending: ':hourglass_flowing_sand:', approved: ':white_check_mark:', rejected: ':x:', expired: ':alarm_clock:', cancelled: ':no_entry_sign:',
};

export function signoffRequestMessage(r: SignoffRequest, policy: SignoffPolicy, at: (iso: string) => string = shortTime): SlackMessage & { metadata: SignoffMetadata } {
  const t = tally(r.votes, policy);
  const status = r.state === 'pending' ? esc(progressText(r, policy)) : stateLine(r, at);
  const head = `${STATE_ICON[r.state]} *Sign-off: ${PHASE_TITLE[r.phase]}* for \`${esc(r.window)}\`${r.round > 1 ? ` (round ${r.round}: the evidence changed, earlier votes are void)` : ''}`;
  const votes = r.votes.map((v) => {
    const as = t.assignment[v.user];
    const icon = v.decision === 'approve' ? ':white_check_mark:' : ':x:';
    return `${icon} <@${v.user}>${as ? ` (${esc(as)})` : v.roles.length > 0 ? ` (${esc(v.roles.join(', '))})` : ''} ${v.decision === 'approve' ? 'approved' : 'rejected'} ${at(v.at)}${v.reason ? `: ${esc(truncate(v.reason, 300))}` : ''}`;
  });
  const evidence = r.evidence.lines.length > 0 ? r.evidence.lines.map((l) => `• ${esc(l)}`) : ['_(no lines)_'];
  const blocks: Block[] = [
    section(head),
    section(`*${esc(truncate(r.evidence.title, 200))}*`),
    ...packLines(evidence).slice(0, 30).map((text) => section(text)),
    section(`*Status:* ${status}${votes.length > 0 ? `\n${votes.join('\n')}` : ''}`),
    context(`Policy: ${esc(describePolicy(policy))}. Requested by <@${r.requester}> ${at(r.openedAt)}${r.expiresAt && r.state === 'pending' ? ` · expires ${at(r.expiresAt)}` : ''} · evidence \`${r.evidenceHash.slice(0, 12)}\``),
  ];
  if (r.state === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: 'signoff_vote',
      elements: [
        { type: 'button', action_id: SIGNOFF_ACTIONS.approve, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: buttonValue(r) },
        { type: 'button', action_id: SIGNOFF_ACTIONS.reject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: buttonValue(r) },
      ],
    });
    blocks.push(context('Or reply in this thread: `approve`, or `reject: <reason>`.'));
  }
  return {
    text: `Sign-off ${r.state}: ${PHASE_TITLE[r.phase].toLowerCase()} for ${r.window} (${status})`,
    blocks: blocks.slice(0, LIMITS.blocksPerMessage),
    metadata: signoffMetadata(r),
  };
}

/** The thread reply announcing a transition or voided votes. */
export function transitionReply(r: SignoffRequest, change: { kind: 'transition' } | { kind: 'evidence'; diff: string[] }): SlackMessage {
  if (change.kind === 'evidence') {
    const diff = change.diff.slice(0, 40).map((l) => esc(l));
    return {
      text: `The ${r.phase} for ${r.window} changed: earlier votes are void, please vote again`,
      blocks: [
        section(`:warning: The ${r.phase === 'plan' ? 'plan' : 'verification result'} for \`${esc(r.window)}\` changed after votes were given. Those votes are void; voting starts again (round ${r.round}).`),
        section(`\`\`\`\n${truncate(diff.join('\n'), LIMITS.sectionText - 10)}\n\`\`\``),
      ],
    };
  }
  const line = stateLine(r, shortTime);
  return { text: `Sign-off for ${r.window} ${r.state}`, blocks: [section(`${STATE_ICON[r.state]} *${PHASE_TITLE[r.phase]}* for \`${esc(r.window)}\`: ${line}`)] };
}

export function rejectModal(r: SignoffRequest): types.ModalView {
  return {
    type: 'modal',
    callback_id: SIGNOFF_ACTIONS.rejectModal,
    private_metadata: buttonValue(r),
    title: { type: 'plain_text', text: 'Reject sign-off' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Reject *${esc(PHASE_TITLE[r.phase].toLowerCase())}* for \`${esc(r.window)}\`. The reason is posted in the window's thread and kept in the audit record.` } },
      { type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason', multiline: true, min_length: 3, max_length: 1000 } },
    ],
  };
}

/** `/k8s signoff WINDOW-ID`: each request of the window with its state and what is missing. */
export function signoffStatusMessage(window: string, requests: readonly { request: SignoffRequest; policy: SignoffPolicy | null }[]): SlackMessage {
  if (requests.length === 0) return { text: `No sign-off requests for ${window}`, blocks: [section(`No sign-off has been requested for \`${esc(window)}\` yet.`)] };
  const lines = requests.map(({ request: r, policy }) => {
    const status = r.state === 'pending' && policy ? esc(progressText(r, policy)) : stateLine(r, shortTime);
    const voters = r.votes.map((v) => `<@${v.user}> ${v.decision}`).join(', ');
    return `${STATE_ICON[r.state]} *${PHASE_TITLE[r.phase]}* (round ${r.round}): ${status}${voters ? ` · ${voters}` : ''}`;
  });
  return { text: `Sign-off for ${window}`, blocks: [section(`*Sign-off for \`${esc(window)}\`*`), ...packLines(lines).map((t) => section(t))] };
}

/** mrkdwn: mentions kept, free text escaped. */
function stateLine(r: SignoffRequest, at: (iso: string) => string): string {
  const reason = r.reason ? `: ${esc(truncate(r.reason, 500))}` : '';
  const when = r.decidedAt ? ` ${at(r.decidedAt)}` : '';
  switch (r.state) {
    case 'pending': return 'pending';
    case 'approved': return `approved${when}${r.decidedBy ? ` (last vote by <@${r.decidedBy}>)` : ''}`;
    case 'rejected': return `rejected${when}${r.decidedBy ? ` by <@${r.decidedBy}>` : ''}${reason}`;
    case 'expired': return `expired${when}: nobody completed the sign-off in time`;
    case 'cancelled': return `cancelled${when}${r.decidedBy ? ` by <@${r.decidedBy}>` : ''}${reason}`;
  }
}

/** "2026-12-08 09:00 UTC" (Slack's <!date> would localise, but it needs a fallback anyway). */
export function shortTime(iso: string): string {
  const s = Math.floor(Date.parse(iso) / 1000);
  const fallback = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return Number.isFinite(s) ? `<!date^${s}^{date_short_pretty} {time}|${fallback}>` : fallback;
}
