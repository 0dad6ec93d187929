/**
 * What listeners need, and a small registration surface. Listeners register through a
 * `ListenerTarget` rather than Bolt directly so the app factory can record exactly what is
 * registered (the manifest test compares that with manifest.yml) and tests can call handlers
 * without Bolt.
 */
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { Producers } from '../../queue/producers.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { AuditLog } from '../../store/audit.ts';
import type { PostStore } from '../../store/posts.ts';
import type { SlackMessage } from '../blocks/advisory.ts';
import type { types } from '@slack/bolt';
import type { Authorizer } from '../middleware/authz.ts';
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
}

/** Acknowledge within Slack's 3 s; with a message, it is shown to the user only (ephemeral). */
export type Ack = (message?: SlackMessage) => Promise<void>;

export type CommandHandler = (input: { body: unknown; ack: Ack }) => Promise<void>;
export type ActionHandler = (input: { body: unknown; ack: Ack }) => Promise<void>;
export type EventHandler = (input: { event: unknown }) => Promise<void>;
/** A modal submission; `ack` may carry field errors (`response_action: "errors"`). */
export type ViewHandler = (input: { body: unknown; ack: (response?: { response_action: 'errors'; errors: Record<string, string> }) => Promise<void> }) => Promise<void>;

export interface ListenerTarget {
  command(name: string, handler: CommandHandler): void;
  action(actionId: string, handler: ActionHandler): void;
  /** `subscriptions`: the manifest's bot_events this covers when they differ from `type` (message → message.channels …). */
  event(type: string, handler: EventHandler, subscriptions?: readonly string[]): void;
  view(callbackId: string, handler: ViewHandler): void;
}

export interface ListenerRegistry {
  commands: string[];
  actions: string[];
  events: string[];
  views: string[];
}
