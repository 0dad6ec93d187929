/**
 * The advisory's "Schedule emergency window" button (action id `advisory_schedule_emergency`) and the
 * Confirm button of its proposal (`window_emergency_confirm`). The guard checks `permissions.schedule`
 * for the environments concerned (the advisory's affected ones in this channel; on Confirm, the
 * proposal's) and refuses naming the role. Then: propose the earliest sensible slots (staging first)
 * and, on Confirm, schedule them through the window service.
 */
import { formatDuration } from '../../../config/duration.ts';
import { type ConfirmValue, EMERGENCY_ACTIONS, decodeConfirm, emergencyProposalMessage } from '../../../maintenance/emergency.ts';
import { gateOrder, proposeEmergencySlots } from '../../../maintenance/schedule.ts';
import { notice } from '../../blocks/replies.ts';
import { esc } from '../../blocks/text.ts';
import { blockActionBodySchema } from '../../payloads.ts';
import { describeIssues } from '../../request.ts';
import type { GuardedListener, GuardedRequest, ListenerApp, ListenerDeps, Need, Outcome, Reply } from '../types.ts';
import { windowSummary } from '../commands/window.ts';
import { type AdvisoryActionRequest, environmentsForChannel, readAdvisoryAction } from './advisory.ts';

const ACTION = 'schedule an emergency window';
const UNAVAILABLE = notice('Windows are not stored by this hub (no window store wired).');
const NO_ENVIRONMENT = 'This channel carries no environment: there is nothing to schedule here.';
const UNREADABLE_PROPOSAL = notice('That proposal could not be read. Press *Schedule emergency window* on the advisory again.');

/** The channel's environments with a cluster the advisory affects; all the channel's when triage is unknown. */
async function affectedEnvironments(deps: ListenerDeps, channel: string, advisory: string): Promise<string[]> {
  const envs = environmentsForChannel(deps, channel);
  const snap = await deps.snapshots.get(advisory);
  if (snap === null) return envs;
  const hit = new Set(snap.findings.filter((f) => f.verdict === 'affected' || f.verdict === 'unfixed').map((f) => f.environment));
  const affected = envs.filter((e) => hit.has(e));
  // Staging is part of the rehearsal even when only prod is hit: keep the gate chain's earlier environments.
  const withBefore = new Set(affected);
  for (const e of affected) {
    const before = deps.config.environments[e]?.after;
    if (before !== undefined && deps.config.clusters.some((c) => c.environment === before)) withBefore.add(before);
  }
  return gateOrder(deps.config, [...withBefore]);
}

/** The propose button: its environments come from the triage snapshot (Redis), read once per press. */
export function createEmergencyProposeAction(deps: ListenerDeps): GuardedListener<AdvisoryActionRequest> {
  const environments = new WeakMap<AdvisoryActionRequest, Promise<string[]>>();
  const envsOf = (request: AdvisoryActionRequest): Promise<string[]> => {
    let envs = environments.get(request);
    if (envs === undefined) {
      envs = affectedEnvironments(deps, request.channel, request.advisory);
      environments.set(request, envs);
    }
    return envs;
  };
  return {
    read: readAdvisoryAction,
    async needs(request) {
      const envs = await envsOf(request);
      // Nothing to schedule: anyone may be told so (handle answers).
      return envs.length === 0 ? null : { action: ACTION, permission: { kind: 'schedule', environments: envs } };
    },
    async handle(request, reply) {
      const envs = await envsOf(request);
      if (envs.length === 0) {
        await reply(notice(NO_ENVIRONMENT));
        return { result: 'refused', detail: 'no environment' };
      }
      if (deps.windows === undefined) return unavailable(reply);
      const slots = proposeEmergencySlots(deps.config, envs, deps.now());
      await reply(emergencyProposalMessage(request.advisory, slots));
      return { result: 'ok', detail: `proposed ${slots.map((s) => `${s.environment} ${s.when}`).join(', ')}` };
    },
  };
}

export interface EmergencyConfirmRequest extends GuardedRequest {
  channel: string;
  advisory: string;
  confirm: ConfirmValue;
  /** The proposal's environments, in its order. */
  environments: string[];
}

/** The proposal's Confirm button: its value carries the advisory and the slots, checked again here. */
export function createEmergencyConfirmAction(deps: ListenerDeps): GuardedListener<EmergencyConfirmRequest> {
  return {
    read(body) {
      const parsed = blockActionBodySchema.safeParse(body);
      if (!parsed.success) return { ok: false, invalid: { what: 'action', detail: describeIssues(parsed.error.issues) } };
      const b = parsed.data;
      const [action] = b.actions;
      const user = b.user.id;
      const channel = b.channel?.id ?? b.container?.channel_id;
      const actionId = action?.action_id ?? EMERGENCY_ACTIONS.confirm;
      const responseUrl = b.response_url;
      const at = { user, what: actionId, ...(responseUrl !== undefined ? { responseUrl } : {}) };
      if (channel === undefined) return { ok: false, invalid: { ...at, detail: 'the button is not in a channel', message: UNREADABLE_PROPOSAL } };
      const confirm = decodeConfirm(action?.value);
      if (confirm === null) return { ok: false, invalid: { ...at, channel, detail: 'the button value is not a proposal', message: UNREADABLE_PROPOSAL } };
      const what = `${actionId} ${confirm.a}`;
      const environments = [...new Set(confirm.s.map(([env]) => env))];
      const unknown = environments.filter((e) => deps.config.environments[e] === undefined);
      if (unknown.length > 0) {
        return { ok: false, invalid: { ...at, channel, what, detail: `unknown ${unknown.join(', ')}`, message: notice(`Unknown environment ${esc(unknown.join(', '))}.`) } };
      }
      return {
        ok: true,
        request: { user, channel, what, advisory: confirm.a, confirm, environments, ...(responseUrl !== undefined ? { responseUrl } : {}) },
      };
    },
    needs: (request): Need => ({ action: ACTION, permission: { kind: 'schedule', environments: request.environments } }),
    async handle(request, reply) {
      const service = deps.windows;
      if (service === undefined) return unavailable(reply);
      const lines: string[] = [];
      const done: string[] = [];
      for (const [environment, when, durationMs] of request.confirm.s) {
        const res = await service.schedule({ environment, when, duration: formatDuration(durationMs), emergency: true, advisory: request.advisory }, request.user);
        if (res.ok) {
          done.push(res.window.id);
          lines.push(`:calendar: ${windowSummary(res.window)}${res.warnings.map((w) => ` (:warning: ${esc(w)})`).join('')}`);
        } else {
          lines.push(`:x: ${esc(environment)}: ${esc(res.error)}`);
        }
      }
      await reply(notice(lines.join('\n')));
      return done.length > 0 ? { result: 'ok', detail: done.join(', ') } : { result: 'refused', detail: lines.join('; ') };
    },
  };
}

async function unavailable(reply: Reply): Promise<Outcome> {
  await reply(UNAVAILABLE);
  return { result: 'unavailable' };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.action(EMERGENCY_ACTIONS.propose, createEmergencyProposeAction(deps));
  app.action(EMERGENCY_ACTIONS.confirm, createEmergencyConfirmAction(deps));
}
