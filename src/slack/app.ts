/**
 * The Bolt app: HTTP mode (signed requests at /slack/events) or Socket Mode (app-level token).
 * Listeners are registered through a recording target, so `registry` says exactly what this app
 * handles; the manifest test holds manifest.yml to it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type types } from '@slack/bolt';
import type { Logger } from '../log.ts';
import type { SlackMessage } from './blocks/advisory.ts';
import { registerAdvisoryActions } from './listeners/actions/advisory.ts';
import { registerWindowActions } from './listeners/actions/window-emergency.ts';
import { registerCommands } from './listeners/commands/k8s.ts';
import { registerEvents } from './listeners/events/app-home-opened.ts';
import type { Ack, ListenerDeps, ListenerRegistry, ListenerTarget } from './listeners/types.ts';
import { boltLogger } from './logger.ts';
import { DEFAULT_SLACK_API_URL } from './web.ts';

export const SLACK_EVENTS_PATH = '/slack/events';

/** Bot scopes the code uses (chat.postMessage, chat.update, conversations.history/replies for reconciliation, usergroups.users.list). */
export const REQUIRED_BOT_SCOPES = [
  'commands', 'chat:write', 'chat:write.public', 'usergroups:read', 'channels:history', 'groups:history',
] as const;

export type SlackMode =
  /** HTTP mode: Slack POSTs signed requests to `SLACK_EVENTS_PATH` on this port (0 = any free port). */
  | { kind: 'http'; signingSecret: string; port: number; host?: string }
  /** Socket Mode: no public endpoint; needs an app-level token (xapp-…) with connections:write. */
  | { kind: 'socket'; appToken: string };

export interface SlackAppOptions {
  botToken: string;
  mode: SlackMode;
  /** Web API base URL (SLACK_API_URL); default https://slack.com/api/. */
  apiUrl?: string;
  logger: Logger;
  deps: ListenerDeps;
}

export interface SlackApp {
  app: App;
  registry: ListenerRegistry;
  /** Starts receiving; resolves with the HTTP port in HTTP mode, null in Socket Mode. */
  start(): Promise<{ port: number | null }>;
  stop(): Promise<void>;
}

/** Register every listener on `target`, recording what was registered. */
export function registerListeners(target: ListenerTarget, deps: ListenerDeps): ListenerRegistry {
  const registry: ListenerRegistry = { commands: [], actions: [], events: [] };
  const recording: ListenerTarget = {
    command(name, handler) {
      registry.commands.push(name);
      target.command(name, handler);
    },
    action(id, handler) {
      registry.actions.push(id);
      target.action(id, handler);
    },
    event(type, handler) {
      registry.events.push(type);
      target.event(type, handler);
    },
  };
  registerCommands(recording, deps);
  registerAdvisoryActions(recording, deps);
  registerWindowActions(recording, deps); // issue 11: emergency window button + its confirmation
  registerEvents(recording, deps);
  return registry;
}

function ephemeral(message: SlackMessage) {
  return { response_type: 'ephemeral' as const, text: message.text, blocks: message.blocks as types.KnownBlock[] };
}

function boltTarget(app: App): ListenerTarget {
  return {
    command(name, handler) {
      app.command(name, async ({ ack, body }) => {
        const a: Ack = async (message) => {
          await (message ? ack(ephemeral(message)) : ack());
        };
        await handler({ body, ack: a });
      });
    },
    action(id, handler) {
      app.action(id, async ({ ack, body }) => {
        await handler({ body, ack: async () => { await ack(); } });
      });
    },
    event(type, handler) {
      app.event(type, async ({ event }) => {
        await handler({ event });
      });
    },
  };
}

function boltLevel(logger: Logger): LogLevel {
  switch (logger.level) {
    case 'trace': case 'debug': return LogLevel.DEBUG;
    case 'info': return LogLevel.INFO;
    case 'warn': return LogLevel.WARN;
    default: return LogLevel.ERROR;
  }
}

/** Longest a shutdown waits for acknowledged requests to finish their work. */
const STOP_DRAIN_MS = 10_000;
/** Longest a shutdown waits for Slack to answer the WebSocket close frame (the SDK itself waits 30 s). */
const SOCKET_CLOSE_MS = 5_000;

/**
 * Socket Mode shutdown. Bolt's SocketModeReceiver.stop() starts the disconnect without waiting for
 * it; this waits until the socket is closed (close frame answered), bounded by SOCKET_CLOSE_MS.
 */
async function closeSocket(receiver: SocketModeReceiver, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    receiver.client.disconnect().then(() => true),
    new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), SOCKET_CLOSE_MS); }),
  ]);
  clearTimeout(timer);
  if (!closed) log.warn({ waitedMs: SOCKET_CLOSE_MS }, 'Slack did not close the Socket Mode connection in time; going on');
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const logger = boltLogger(options.logger);
  const logLevel = boltLevel(options.logger);
  const slackApiUrl = options.apiUrl ?? DEFAULT_SLACK_API_URL;
  const clientOptions = { slackApiUrl };
  let app: App;
  let server: Server | null = null;
  let socket: SocketModeReceiver | null = null;
  const { mode } = options;
  if (mode.kind === 'http') {
    const receiver = new HTTPReceiver({
      signingSecret: mode.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      // Ack goes out as soon as the listener calls ack(); slow work continues after.
      processBeforeResponse: false,
      logger,
      logLevel,
      customRoutes: [{
        path: '/healthz', method: ['GET'],
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        },
      }],
    });
    app = new App({ token: options.botToken, receiver, logger, logLevel, clientOptions, convoStore: false });
  } else {
    // apps.connections.open goes through the socket-mode client's own WebClient, configured only by
    // installerOptions.clientOptions: give it the API URL explicitly. A separate object, because that
    // client writes its own retryConfig (100 retries) into the options it is given — through Bolt's
    // implicit default that would be the App's clientOptions.
    socket = new SocketModeReceiver({
      appToken: mode.appToken, logger, logLevel,
      installerOptions: { clientOptions: { slackApiUrl } },
    });
    app = new App({ token: options.botToken, receiver: socket, socketMode: true, logger, logLevel, clientOptions, convoStore: false });
  }
  app.error(async (err) => {
    options.logger.error({ err: { message: err.message, code: (err as { code?: string }).code } }, 'slack listener error');
  });
  // Listeners keep working after the ack (queueing the answer, writing the audit record): stop()
  // waits for them so a shutdown never drops an acknowledged command.
  let inFlight = 0;
  let drained: (() => void) | null = null;
  app.use(async ({ next }) => {
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
      if (inFlight === 0) drained?.();
    }
  });
  const registry = registerListeners(boltTarget(app), options.deps);

  return {
    app,
    registry,
    async start() {
      if (mode.kind === 'http') {
        server = (await app.start({ port: mode.port, host: mode.host ?? '0.0.0.0' })) as Server;
        const addr = server.address() as AddressInfo | null;
        return { port: addr?.port ?? mode.port };
      }
      await app.start();
      return { port: null };
    },
    async stop() {
      if (socket) await closeSocket(socket, options.logger);
      else await app.stop();
      if (inFlight === 0) return;
      options.logger.info({ inFlight }, 'waiting for in-flight Slack requests');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => { drained = resolve; }),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, STOP_DRAIN_MS); }),
      ]);
      clearTimeout(timer);
      if (inFlight > 0) options.logger.warn({ inFlight }, 'stopped with Slack requests still in flight');
    },
  };
}
