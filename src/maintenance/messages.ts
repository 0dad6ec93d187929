/**
 * Window thread messages and when they are due. Pure. Every message carries Slack message metadata
 * `event_type: "k8s_advisor_window"` with `{ window, environment, kind, key, offset? }`, so other
 * tools (and a restarted hub reconciling a post it cannot remember) read the thread without parsing
 * text. `key` names the post uniquely within its window ("reminder-1d", "blocked-3f2a…").
 */
import { createHash } from 'node:crypto';
import { formatDuration } from '../config/duration.ts';
import type { SlackMessage } from '../slack/blocks/advisory.ts';
import { type Block, context, esc, header, packLines, section } from '../slack/blocks/text.ts';
import type { StoredWindow } from '../store/windows.ts';
import { judgeVerification, type VerificationSummary } from './gate.ts';
import { formatPlanLines, type WindowPlan } from './plan.ts';
import { formatLocalRange, formatUtcRange } from './text.ts';

export const WINDOW_EVENT_TYPE = 'k8s_advisor_window';

export const WINDOW_MESSAGE_KINDS = ['scheduled', 'plan', 'reminder', 'open', 'closed', 'blocked', 'cancelled'] as const;
export type WindowMessageKind = (typeof WINDOW_MESSAGE_KINDS)[number];

export interface WindowMetadata {
  event_type: typeof WINDOW_EVENT_TYPE;
  event_payload: { window: string; environment: string; kind: WindowMessageKind; key: string; offset?: string };
}

export interface WindowMessage extends SlackMessage {
  metadata: WindowMetadata;
}

export function reminderKey(offsetMs: number): string {
  return `reminder-${formatDuration(offsetMs)}`;
}

/** One key per distinct blocked reason: a new reason is news, the same one is not repeated. */
export function blockedKey(reason: string): string {
  return `blocked-${createHash('sha256').update(reason).digest('hex').slice(0, 12)}`;
}

/** JSON with object keys sorted: the same content gives the same text whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Plan posts are keyed by content (not by when it was built): a changed plan is posted again, with what changed. */
export function planKey(plan: WindowPlan): string {
  const { builtAt: _builtAt, ...rest } = plan;
  return `plan-${createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 12)}`;
}

export interface DueOptions {
  now: Date;
  /** Reminder offsets before the start (ms). */
  reminders: readonly number[];
  /** Announce (create the thread) this long before the start. */
  announceMs: number;
}

/**
 * The thread posts a window should have by `now` (keys), in order. A reminder whose time came before
 * the window was stored is not sent late (a window scheduled 2 h ahead gets no "7d" reminder), and
 * no reminder is sent once the window started.
 */
export function dueAnnouncements(w: Pick<StoredWindow, 'startUtc' | 'createdAt' | 'state'>, options: DueOptions): string[] {
  if (w.state === 'cancelled' || w.state === 'closed') return [];
  const nowMs = options.now.getTime();
  const startMs = Date.parse(w.startUtc);
  const createdMs = Date.parse(w.createdAt);
  const out: string[] = [];
  if (nowMs >= startMs - options.announceMs || nowMs >= startMs) out.push('scheduled');
  for (const offset of [...options.reminders].sort((a, b) => b - a)) {
    const due = startMs - offset;
    if (nowMs >= due && nowMs < startMs && due >= createdMs) out.push(reminderKey(offset));
  }
  return out;
}

function meta(w: Pick<StoredWindow, 'id' | 'environment'>, kind: WindowMessageKind, key: string, offset?: string): WindowMetadata {
  return { event_type: WINDOW_EVENT_TYPE, event_payload: { window: w.id, environment: w.environment, kind, key, ...(offset ? { offset } : {}) } };
}

function when(w: StoredWindow): string {
  const unix = Math.floor(Date.parse(w.startUtc) / 1000);
  return `*${esc(formatLocalRange(w))}* · your time <!date^${unix}^{date_short_pretty} {time}|${formatUtcRange(w)}>`;
}

function kindLabel(w: StoredWindow): string {
  return w.kind === 'emergency' ? `Emergency window${w.advisory ? ` for ${w.advisory}` : ''}` : w.kind === 'one-off' ? 'Maintenance window (one-off)' : 'Maintenance window';
}

/** The thread's parent: what, when, what it follows, what was skipped before it. */
export function scheduledMessage(w: StoredWindow, notes: readonly string[] = []): WindowMessage {
  const blocks: Block[] = [
    header(`${kindLabel(w)}: ${w.environment}`),
    section(`\`${w.id}\` · ${when(w)}${w.after ? `\nFollows \`${esc(w.after)}\`: opens only when its post-window verification passed.` : ''}`),
    ...(notes.length > 0 ? [section(notes.map((n) => `• ${esc(n)}`).join('\n'))] : []),
    context('Plan, reminders, the opening and the closing summary follow in this thread.'),
  ];
  return { text: `${kindLabel(w)} ${w.id}: ${formatLocalRange(w)}`, blocks, metadata: meta(w, 'scheduled', 'scheduled') };
}

/** The plan's "Backup confirmed" button: the bot cannot see an etcd snapshot, so a person says so. */
export const BACKUP_CONFIRMED_ACTION = 'window_backup_confirmed';

export function backupButtonBlock(windowId: string): Block {
  return {
    type: 'actions',
    block_id: 'window_backup',
    elements: [{ type: 'button', text: { type: 'plain_text', text: 'Backup confirmed' }, action_id: BACKUP_CONFIRMED_ACTION, value: windowId }],
  };
}

export function planMessage(w: StoredWindow, plan: WindowPlan, changes: readonly string[] = []): WindowMessage {
  const lines = [...(changes.length > 0 ? ['*What changed:*', ...changes.map((c) => `• ${esc(c)}`), ''] : []), ...formatPlanLines(plan).map(esc)];
  const backup = w.backup ? [context(`Backup confirmed by <@${w.backup.by}> at ${esc(w.backup.at)}`)] : [backupButtonBlock(w.id)];
  return {
    text: `${changes.length > 0 ? 'Updated plan' : 'Plan'} for ${w.id}: ${plan.change === 'none' ? 'nothing to upgrade' : `${plan.change} upgrade`}, ${plan.clusters.length} cluster${plan.clusters.length === 1 ? '' : 's'}`,
    blocks: [...packLines(lines).slice(0, 45).map(section), ...backup],
    metadata: meta(w, 'plan', planKey(plan)),
  };
}

export function reminderMessage(w: StoredWindow, offsetMs: number): WindowMessage {
  const offset = formatDuration(offsetMs);
  return {
    text: `Reminder: ${w.id} starts in ${offset}`,
    blocks: [section(`:alarm_clock: *${esc(w.id)}* starts in *${offset}*: ${when(w)}`)],
    metadata: meta(w, 'reminder', reminderKey(offsetMs), offset),
  };
}

export function openMessage(w: StoredWindow, overridden: { by: string; reason: string } | null): WindowMessage {
  const lines = [`:large_green_circle: *${esc(w.id)} is open* until ${esc(formatLocalRange(w).split(' (')[0] ?? '')}.`];
  if (overridden) lines.push(`Gate overridden by <@${overridden.by}>: ${esc(overridden.reason)}`);
  if (w.plan) lines.push('', ...formatPlanLines(w.plan).map(esc));
  else lines.push('No plan: no triage data was available when the window opened.');
  return { text: `${w.id} is open`, blocks: packLines(lines).slice(0, 45).map(section), metadata: meta(w, 'open', 'open') };
}

export function blockedMessage(w: StoredWindow, reason: string): WindowMessage {
  return {
    text: `${w.id} is blocked: ${reason}`,
    blocks: [section(`:no_entry: *${esc(w.id)} is blocked*: ${esc(reason)}\nIt opens when the reason goes away, or when a permitted role overrides it with a reason.`)],
    metadata: meta(w, 'blocked', blockedKey(reason)),
  };
}

export function cancelledMessage(w: StoredWindow, reason: string | null): WindowMessage {
  return {
    text: `${w.id} was cancelled${reason ? `: ${reason}` : ''}`,
    blocks: [section(`:wastebasket: *${esc(w.id)} was cancelled*${reason ? `: ${esc(reason)}` : ''}.`)],
    metadata: meta(w, 'cancelled', 'cancelled'),
  };
}

export interface ClusterOutcome {
  cluster: string;
  before: string | null;
  now: string | null;
  target: string | null;
}

/** `prod-eu: v1.35.2 → v1.35.8, target reached` · `prod-us: still v1.34.3 (target v1.34.9)`. */
export function outcomeLine(o: ClusterOutcome): string {
  if (o.now === null) return `${o.cluster}: version could not be read${o.target ? ` (target ${o.target})` : ''}`;
  const moved = o.before !== null && o.before !== o.now;
  const reached = o.target !== null && normalizeV(o.now) === normalizeV(o.target);
  if (!moved) return `${o.cluster}: still ${o.now}${o.target && !reached ? ` (target ${o.target})` : reached ? ', target reached' : ''}`;
  return `${o.cluster}: ${o.before} → ${o.now}${o.target === null ? '' : reached ? ', target reached' : `, target ${o.target} not reached`}`;
}

function normalizeV(v: string): string {
  // Provider builds carry suffixes (v1.35.8-eks-…): the upstream patch is what the target names.
  return v.replace(/^v/i, '').replace(/[-+].*$/, '');
}

export function closedMessage(w: StoredWindow, outcomes: readonly ClusterOutcome[], verification: VerificationSummary | null): WindowMessage {
  const verdict = judgeVerification(verification);
  const lines = [
    `:checkered_flag: *${esc(w.id)} closed.*`,
    ...outcomes.map((o) => `• ${esc(outcomeLine(o))}`),
    verification === null ? 'Post-window verification: not run.' : verdict.passed ? ':white_check_mark: Post-window verification passed.' : `:x: Post-window verification: ${esc(verdict.reason)}`,
  ];
  const regressions = (verification?.clusters ?? []).flatMap((c) => (c.regressions ?? []).map((r) => `${c.cluster}: ${r}`));
  if (regressions.length > 0) lines.push('*Regressions*', ...regressions.map((r) => `• ${esc(r)}`));
  return {
    text: `${w.id} closed: ${outcomes.map(outcomeLine).join('; ')}`,
    blocks: packLines(lines).slice(0, 45).map(section),
    metadata: meta(w, 'closed', 'closed'),
  };
}
