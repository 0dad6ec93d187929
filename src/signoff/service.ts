/**
 * Sign-off in Slack: opens a request in a window's thread, takes votes from buttons, the reject
 * modal and thread replies (`approve`, `reject: reason`), refuses ephemerally naming the rule,
 * updates the request message in place, announces transitions and voided votes in the thread, and
 * expires requests once across replicas. State changes go through the store (atomic); this file
 * does the Slack I/O around them.
 */
import type { types, webApi } from '@slack/bolt';
import type { Config } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { callSlack } from '../slack/web.ts';
import type { SignoffStore } from '../store/signoff.ts';
import { rejectModal, signoffRequestMessage, signoffStatusMessage, transitionReply, type SignoffMetadata } from './blocks.ts';
import { evidenceDiff, evidenceHash, type Outcome } from './machine.ts';
import { policyFor } from './policy.ts';
import type { Evidence, SignoffPhase, SignoffPolicy, SignoffRequest, Vote } from './types.ts';

export interface SignoffSlack {
  post(args: { channel: string; threadTs: string; text: string; blocks: types.KnownBlock[]; metadata?: SignoffMetadata }): Promise<{ ts: string }>;
  update(args: { channel: string; ts: string; text: string; blocks: types.KnownBlock[]; metadata?: SignoffMetadata }): Promise<void>;
  ephemeral(args: { channel: string; user: string; threadTs?: string; text: string }): Promise<void>;
  openModal(triggerId: string, view: types.ModalView): Promise<void>;
}

/** The Web API calls the sign-off flow makes, with Slack errors mapped (toSlackError). */
export function createSignoffSlack(client: webApi.WebClient): SignoffSlack {
  const call = callSlack;
  return {
    async post(a) {
      const res = await call('chat.postMessage', () => client.chat.postMessage({
        channel: a.channel, thread_ts: a.threadTs, text: a.text, blocks: a.blocks, unfurl_links: false, unfurl_media: false,
        ...(a.metadata ? { metadata: a.metadata } : {}),
      }));
      return { ts: String(res.ts ?? '') };
    },
    async update(a) {
      await call('chat.update', () => client.chat.update({ channel: a.channel, ts: a.ts, text: a.text, blocks: a.blocks, ...(a.metadata ? { metadata: a.metadata } : {}) }));
    },
    async ephemeral(a) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel: a.channel, user: a.user, text: a.text, ...(a.threadTs ? { thread_ts: a.threadTs } : {}) }));
    },
    async openModal(triggerId, view) {
      await call('views.open', () => client.views.open({ trigger_id: triggerId, view }));
    },
  };
}

export interface SignoffServiceOptions {
  config: Pick<Config, 'environments'>;
  store: SignoffStore;
  slack: SignoffSlack;
  /** The roles a Slack user holds (the hub's authorizer). */
  rolesOf: (user: string) => Promise<string[]>;
  logger: Logger;
  /** The schedule's clock (tests move it); default the wall clock. */
  now?: () => Date;
}

export interface VoteInput {
  user: string;
  decision: Vote['decision'];
  reason?: string;
  via: Vote['via'];
  /** Where to answer a refusal ephemerally. */
  channel: string;
  threadTs?: string;
  /** The evidence the voter saw (buttons carry it); a stale one is refused. */
  evidenceHash?: string;
}

export type ThreadReply = { kind: 'vote'; decision: 'approve' } | { kind: 'vote'; decision: 'reject'; reason: string } | { kind: 'comment' };

/** `approve` / `approved` / `lgtm`, `reject: reason` / `reject reason`; anything else is a comment. */
export function parseThreadReply(text: string): ThreadReply {
  const t = text.replace(/<@[A-Z0-9]+>/g, '').trim();
  if (/^(approve|approved|lgtm)[.!]?$/i.test(t)) return { kind: 'vote', decision: 'approve' };
  const m = /^reject(?:ed)?\s*(?::|-|–)?\s*([\s\S]*)$/i.exec(t);
  if (m) return { kind: 'vote', decision: 'reject', reason: (m[1] ?? '').trim() };
  return { kind: 'comment' };
}

export interface SignoffService {
  /** Opens (once) and posts (once) the request in the window's thread; null when the environment needs no sign-off. */
  request(o: { window: string; environment: string; phase: SignoffPhase; requester: string; evidence: Evidence; thread: { channel: string; threadTs: string } }): Promise<SignoffRequest | null>;
  vote(requestId: string, input: VoteInput): Promise<Outcome | null>;
  /** A thread reply in a window thread: a vote on the pending request, or a comment for the record. */
  threadReply(input: { channel: string; threadTs: string; user: string; text: string }): Promise<'vote' | 'comment' | 'ignored'>;
  /** Open the reject modal (a rejection needs a reason). */
  openReject(requestId: string, triggerId: string, input: { user: string; channel: string; evidenceHash?: string }): Promise<void>;
  /** The plan or result changed: void votes when the hash differs, update the message, say what changed. */
  evidenceChanged(requestId: string, evidence: Evidence): Promise<boolean>;
  cancel(requestId: string, user: string, reason: string, channel: string): Promise<Outcome | null>;
  /** Expire due requests (any replica may call; each expires once) and announce them. */
  expireDue(): Promise<SignoffRequest[]>;
  status(window: string): Promise<ReturnType<typeof signoffStatusMessage>>;
  /** For the window gate: the state of this phase's request (null: none requested; 'not-required': no policy). */
  stateOf(window: string, environment: string, phase: SignoffPhase): Promise<SignoffRequest['state'] | null | 'not-required'>;
  /** Why the window must wait for this phase's sign-off, or null (approved, or no policy). Stable text: it changes only with the state. */
  gateReason(window: string, environment: string, phase: SignoffPhase): Promise<string | null>;
  /** Whether the environment has a sign-off policy. */
  required(environment: string): boolean;
}

export function createSignoffService(o: SignoffServiceOptions): SignoffService {
  const log = o.logger.child({ subsystem: 'signoff' });
  const now = o.now ?? (() => new Date());
  const policyOf = (environment: string): SignoffPolicy | null => policyFor(o.config, environment);
  const must = (environment: string): SignoffPolicy => {
    const p = policyOf(environment);
    if (!p) throw new Error(`environment ${environment} has no sign-off policy`);
    return p;
  };

  const render = async (r: SignoffRequest) => {
    if (!r.message) return;
    const msg = signoffRequestMessage(r, must(r.environment));
    await o.slack.update({ channel: r.message.channel, ts: r.message.ts, text: msg.text, blocks: msg.blocks, metadata: msg.metadata })
      .catch((err: unknown) => log.warn({ request: r.id, err: errorMessage(err) }, 'sign-off message update failed'));
  };
  const reply = async (r: SignoffRequest, message: { text: string; blocks: types.KnownBlock[] }) => {
    if (!r.message) return;
    await o.slack.post({ channel: r.message.channel, threadTs: r.message.threadTs, text: message.text, blocks: message.blocks, metadata: signoffRequestMessage(r, must(r.environment)).metadata })
      .catch((err: unknown) => log.warn({ request: r.id, err: errorMessage(err) }, 'sign-off thread reply failed'));
  };
  /** After an accepted event: update the message; announce a transition. */
  const settle = async (outcome: Outcome) => {
    await render(outcome.request);
    if (outcome.from !== outcome.request.state) await reply(outcome.request, transitionReply(outcome.request, { kind: 'transition' }));
  };

  const service: SignoffService = {
    async request(a) {
      const policy = policyOf(a.environment);
      if (!policy) return null;
      const { request } = await o.store.open({ window: a.window, environment: a.environment, phase: a.phase, requester: a.requester, evidence: a.evidence, policy, now: now() });
      await o.store.bindThread(a.thread.channel, a.thread.threadTs, a.window);
      if (request.message) return request;
      if (!(await o.store.claimPost(request.id, 60_000))) return request; // another replica is posting it
      try {
        const msg = signoffRequestMessage(request, policy);
        const { ts } = await o.slack.post({ channel: a.thread.channel, threadTs: a.thread.threadTs, text: msg.text, blocks: msg.blocks, metadata: msg.metadata });
        const message = { channel: a.thread.channel, ts, threadTs: a.thread.threadTs };
        await o.store.setMessage(request.id, message);
        // A vote may have landed between open and post: show the current state.
        const current = await o.store.get(request.id);
        if (current && (current.votes.length > 0 || current.state !== 'pending')) await render(current);
        return current ?? { ...request, message };
      } catch (err) {
        await o.store.releasePost(request.id);
        throw err;
      }
    },

    async vote(requestId, input) {
      const current = await o.store.get(requestId);
      if (!current) {
        await o.slack.ephemeral({ channel: input.channel, user: input.user, text: 'That sign-off request no longer exists.', ...(input.threadTs ? { threadTs: input.threadTs } : {}) }).catch(() => undefined);
        return null;
      }
      const roles = await o.rolesOf(input.user);
      const outcome = await o.store.apply(requestId, {
        type: 'vote', user: input.user, roles, decision: input.decision, via: input.via,
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
        ...(input.evidenceHash !== undefined ? { evidenceHash: input.evidenceHash } : {}),
      }, must(current.environment));
      if (!outcome) return null;
      if (outcome.refusal) {
        await o.slack.ephemeral({ channel: input.channel, user: input.user, text: `Your vote was not counted: ${outcome.refusal}.`, ...(input.threadTs ? { threadTs: input.threadTs } : {}) })
          .catch((err: unknown) => log.warn({ request: requestId, err: errorMessage(err) }, 'ephemeral refusal failed'));
        // Expiry may have been the refusal's cause: the message must say so too.
        if (outcome.from !== outcome.request.state) await settle(outcome);
        return outcome;
      }
      await settle(outcome);
      return outcome;
    },

    async threadReply(input) {
      const window = await o.store.windowOfThread(input.channel, input.threadTs);
      if (window === null) return 'ignored';
      const requests = await o.store.ofWindow(window);
      // The request being decided: a pending one (result after plan), else the latest.
      const target = requests.find((r) => r.state === 'pending' && r.phase === 'result') ?? requests.find((r) => r.state === 'pending') ?? null;
      const parsed = parseThreadReply(input.text);
      if (parsed.kind === 'vote') {
        if (!target) {
          await o.slack.ephemeral({ channel: input.channel, user: input.user, threadTs: input.threadTs, text: `No sign-off is pending for \`${window}\`; your vote was not counted.` }).catch(() => undefined);
          return 'ignored';
        }
        await service.vote(target.id, {
          user: input.user, decision: parsed.decision, via: 'thread', channel: input.channel, threadTs: input.threadTs,
          ...(parsed.decision === 'reject' ? { reason: parsed.reason } : {}),
        });
        return 'vote';
      }
      const about = target ?? requests[requests.length - 1];
      if (!about) return 'ignored';
      await o.store.comment(about.id, input.user, input.text);
      return 'comment';
    },

    async openReject(requestId, triggerId, input) {
      const r = await o.store.get(requestId);
      if (!r || r.state !== 'pending') {
        await o.slack.ephemeral({ channel: input.channel, user: input.user, text: r ? `This sign-off is already ${r.state}.` : 'That sign-off request no longer exists.' }).catch(() => undefined);
        return;
      }
      if (input.evidenceHash !== undefined && input.evidenceHash !== r.evidenceHash) {
        await o.slack.ephemeral({ channel: input.channel, user: input.user, text: 'The evidence changed since this was shown; review the updated request first.' }).catch(() => undefined);
        return;
      }
      await o.slack.openModal(triggerId, rejectModal(r));
    },

    async evidenceChanged(requestId, evidence) {
      const before = await o.store.get(requestId);
      if (!before) return false;
      const hash = evidenceHash(evidence);
      if (hash === before.evidenceHash) return false;
      const outcome = await o.store.apply(requestId, { type: 'evidence', evidence, evidenceHash: hash }, must(before.environment));
      if (!outcome || outcome.refusal || outcome.request === before) return false;
      await render(outcome.request);
      await reply(outcome.request, transitionReply(outcome.request, { kind: 'evidence', diff: evidenceDiff(before.evidence, evidence) }));
      return true;
    },

    async cancel(requestId, user, reason, channel) {
      const r = await o.store.get(requestId);
      if (!r) return null;
      const outcome = await o.store.apply(requestId, { type: 'cancel', user, roles: await o.rolesOf(user), reason }, must(r.environment));
      if (!outcome) return null;
      if (outcome.refusal) {
        await o.slack.ephemeral({ channel, user, text: `Not cancelled: ${outcome.refusal}.` }).catch(() => undefined);
        return outcome;
      }
      await settle(outcome);
      return outcome;
    },

    async expireDue() {
      const expired = await o.store.expireDue((r) => must(r.environment));
      for (const r of expired) {
        log.info({ request: r.id }, 'sign-off expired');
        await render(r);
        await reply(r, transitionReply(r, { kind: 'transition' }));
      }
      return expired;
    },

    async status(window) {
      const requests = await o.store.ofWindow(window);
      return signoffStatusMessage(window, requests.map((request) => ({ request, policy: policyOf(request.environment) })));
    },

    required: (environment) => policyOf(environment) !== null,

    async gateReason(window, environment, phase) {
      if (!policyOf(environment)) return null;
      const r = (await o.store.ofWindow(window)).find((x) => x.phase === phase);
      const what = phase === 'plan' ? 'the plan' : 'the verification result';
      if (!r) return `waiting for sign-off of ${what} (not requested yet)`;
      switch (r.state) {
        case 'approved': return null;
        case 'pending': return `waiting for sign-off of ${what} (see the request in this thread)`;
        case 'rejected': return `${what} was rejected${r.decidedBy ? ` by <@${r.decidedBy}>` : ''}: ${r.reason ?? 'no reason given'}`;
        case 'expired': return `the sign-off of ${what} expired before it was complete`;
        case 'cancelled': return `the sign-off of ${what} was cancelled${r.reason ? `: ${r.reason}` : ''}`;
      }
    },

    async stateOf(window, environment, phase) {
      if (!policyOf(environment)) return 'not-required';
      const r = (await o.store.ofWindow(window)).find((x) => x.phase === phase);
      return r?.state ?? null;
    },
  };
  return service;
}
