/**
 * What listeners need, and a small registration surface. Listeners register through a
 * `ListenerTarget` rather than Bolt directly so the app factory can record exactly what is
 * registered (the manifest test compares that with manifest.yml) and tests can call handlers
 * without Bolt.
 */
import type { Config } from '../../config/schema.ts';
import type { WindowService } from '../../maintenance/service.ts';
import type { Logger } from '../../log.ts';
import type { Producers } from '../../queue/producers.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { AuditLog } from '../../store/audit.ts';
import type { PostStore } from '../../store/posts.ts';
import type { SlackMessage } from '../blocks/advisory.ts';
import type { types } from '@slack/bolt';
import type { Authorizer } from '../middleware/authz.ts';
import type { Responder } from '../respond.ts';

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
  /** Stored maintenance windows (issue 11): `/k8s window …` and the emergency button. */
  windows?: WindowService;
}

/** Acknowledge within Slack's 3 s; with a message, it is shown to the user only (ephemeral). */
export type Ack = (message?: SlackMessage) => Promise<void>;

export type CommandHandler = (input: { body: unknown; ack: Ack }) => Promise<void>;
export type ActionHandler = (input: { body: unknown; ack: Ack }) => Promise<void>;
export type EventHandler = (input: { event: unknown }) => Promise<void>;

export interface ListenerTarget {
  command(name: string, handler: CommandHandler): void;
  action(actionId: string, handler: ActionHandler): void;
  event(type: string, handler: EventHandler): void;
}

export interface ListenerRegistry {
  commands: string[];
  actions: string[];
  events: string[];
}
