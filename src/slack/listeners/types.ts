/**
 * What listeners need, and a small registration surface. Listeners register through a
 * `ListenerApp` rather than Bolt directly so the app factory can record exactly what is
 * registered (the manifest test compares that with manifest.yml), wrap every command and action
 * in the one guard (authorize → refuse → audit), and tests can call handlers without Bolt.
 */
import type { Config } from '../../config/schema.ts';
import type { WindowService } from '../../maintenance/service.ts';
import type { Logger } from '../../log.ts';
import type { Producers } from '../../queue/producers.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { AuditLog, AuditResult } from '../../store/audit.ts';
import type { PostStore } from '../../store/posts.ts';
import type { SlackMessage } from '../blocks/advisory.ts';
import type { types } from '@slack/bolt';
import type { Authorizer, Permission } from '../middleware/authz.ts';
import type { Responder } from '../respond.ts';
import type { SignoffService } from '../../signoff/service.ts';
import type { SignoffStore } from '../../store/signoff.ts';
import type { RiskAcceptanceStore } from '../../store/risk-acceptances.ts';

export interface ListenerDeps {
  config: Config;
  logger: Logger;
  authz: Authorizer;
  audit: AuditLog;
  producers: Producers;
  posts: PostStore;
  snapshots: SnapshotStore;
  respond: Responder;
  publishHome: (userId: string, view: types.HomeView) => Promise<void>;
  now: () => Date;
  /** A cluster dispatcher is wired: verify requests are queued (else answered "not yet available"). */
  verifyEnabled?: boolean;
  /** Sign-off in window threads (buttons, reject modal, thread replies, /k8s signoff). */
  signoff?: SignoffService;
  signoffStore?: SignoffStore;
  /** Accepted risks (/k8s accept). */
  risks?: RiskAcceptanceStore;
  /** Post a reply in a thread (announcing an accepted risk in the advisory's thread). */
  postInThread?: (channel: string, threadTs: string, message: SlackMessage) => Promise<void>;
  /** Stored maintenance windows (issue 11): `/k8s window …` and the emergency button. */
  windows?: WindowService;
}

/** Acknowledge within Slack's 3 s; with a message, it is shown to the user only (ephemeral). */
export type Ack = (message?: SlackMessage) => Promise<void>;

/** A command or action request that passed its payload schema, described for the audit log. */
export interface GuardedRequest {
  user: string;
  channel?: string;
  responseUrl?: string;
  /** What was asked, validated parts only ("verify prod", "advisory_acknowledge CVE-2023-2727"). */
  what: string;
}

/** The permission a request needs; `action` completes "You are not allowed to …" in the refusal. */
export interface Need {
  action: string;
  permission: Permission;
}

/** What a handler did, for the audit record the guard writes. */
export interface Outcome {
  /** `refused` when a rule other than a permission refused it (a sign-off rule); the guard's own refusals are its own. */
  result: Exclude<AuditResult, 'invalid'>;
  detail?: string;
}

/** A payload that is not a request this listener can serve (audited as `invalid`). */
export interface Invalid {
  /** Known once the payload named a valid user; without one nothing is audited (there is no one to attribute it to). */
  user?: string;
  channel?: string;
  what: string;
  detail: string;
  /** Shown to the user; default a generic "could not be read". */
  message?: SlackMessage;
  /** Where `message` goes once the request is acked already (a button: its ack carries no message). */
  responseUrl?: string;
}

export type ReadResult<R extends GuardedRequest> = { ok: true; request: R } | { ok: false; invalid: Invalid };

/**
 * Shows `message` to the user who asked, ephemerally: in the ack itself while it has not been
 * sent, else through the request's response_url.
 */
export type Reply = (message: SlackMessage) => Promise<void>;

/**
 * A command or action listener as the guard runs it. The listener only declares what it needs
 * and does its work; acking, the permission check, the refusal and the audit record are the
 * guard's (src/slack/middleware/guard.ts), written once for every listener.
 */
export interface GuardedListener<R extends GuardedRequest> {
  /** Validate the payload (zod) and describe the request. Pure and fast: it runs before the ack. */
  read(body: unknown): ReadResult<R>;
  /** True when the answer needs I/O (Redis): the guard acks empty first and `reply` answers via response_url. */
  ackFirst?(request: R): boolean;
  /** The permission this request needs, or null when anyone may. Runs after the ack when it may be slow. */
  needs(request: R): Need | null | Promise<Need | null>;
  /** Runs only for allowed requests. Throwing is answered ("try again") and audited as `error` by the guard. */
  handle(request: R, reply: Reply): Promise<Outcome>;
}

export type EventHandler = (input: { event: unknown }) => Promise<void>;
/** A modal submission; `ack` may carry field errors (`response_action: "errors"`). */
export type ViewHandler = (input: { body: unknown; ack: (response?: { response_action: 'errors'; errors: Record<string, string> }) => Promise<void> }) => Promise<void>;

/** Where listeners register (`register(app)` in each listener file). */
export interface ListenerApp {
  command<R extends GuardedRequest>(name: string, listener: GuardedListener<R>): void;
  action<R extends GuardedRequest>(actionId: string, listener: GuardedListener<R>): void;
  /** `subscriptions`: the manifest's bot_events it covers when they differ from `type` (message → message.channels …). */
  event(type: string, handler: EventHandler, subscriptions?: readonly string[]): void;
  view(callbackId: string, handler: ViewHandler): void;
}

export interface ListenerRegistry {
  commands: string[];
  actions: string[];
  events: string[];
  views: string[];
}

/** Each listener file's export: registers its handler(s) on `app` with the deps they use. */
export type Register = (app: ListenerApp, deps: ListenerDeps) => void;
