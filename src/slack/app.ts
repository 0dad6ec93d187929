/**
 * The Bolt app: HTTP mode (signed requests at /slack/events) or Socket Mode (app-level token).
 * Listeners are registered through a recording target, so `registry` says exactly what this app
 * handles; the manifest test holds manifest.yml to it.
 */
import { App, LogLevel, SocketModeReceiver, type types } from '@slack/bolt';
import { SlackError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SlackMessage } from './blocks/advisory.ts';
import { SlackHttpReceiver } from './http-receiver.ts';
import { registerAll } from './listeners/index.ts';
import type { Ack, EventHandler, GuardedListener, GuardedRequest, ListenerApp, ListenerDeps, ListenerRegistry, ViewHandler } from './listeners/types.ts';
import { boltLogger } from './logger.ts';
import { guard, type GuardedHandler, type GuardKind } from './middleware/guard.ts';
import { DEFAULT_SLACK_API_URL } from './web.ts';

export const SLACK_EVENTS_PATH = '/slack/events';

/** Bot scopes the code uses (chat.postMessage, chat.update, conversations.history/replies for reconciliation, usergroups.users.list). */
export const REQUIRED_BOT_SCOPES = [
  'commands', 'chat:write', 'chat:write.public', 'usergroups:read', 'channels:history', 'groups:history',
] as const;

export type SlackMode =
  /** HTTP mode: Slack POSTs signed requests to `SLACK_EVENTS_PATH` on this port (0 = any free port), bound to `host` (default 0.0.0.0). */
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
  /**
   * Starts receiving; resolves with the HTTP port in HTTP mode, null in Socket Mode. Rejects with a
   * SlackError naming the fix when it cannot (port in use, bad HOST, an app token Slack refuses).
   */
  start(): Promise<{ port: number | null }>;
  stop(): Promise<void>;
  /** For readiness: the HTTP listener is up, or the Socket Mode connection is open. */
  state(): 'connected' | 'disconnected' | 'not-started';
}

/** What Bolt-facing registration needs: the guarded handler per command/action, and events. */
export interface ListenerTarget {
  command(name: string, handler: GuardedHandler): void;
  action(actionId: string, handler: GuardedHandler): void;
  event(type: string, handler: EventHandler, subscriptions?: readonly string[]): void;
  view(callbackId: string, handler: ViewHandler): void;
}

/**
 * Register every listener on `target`, each command and action wrapped in the one guard
 * (authorize → refuse → audit), recording what was registered.
 */
export function registerListeners(target: ListenerTarget, deps: ListenerDeps): ListenerRegistry {
  const registry: ListenerRegistry = { commands: [], actions: [], events: [], views: [] };
  const wrap = <R extends GuardedRequest>(kind: GuardKind, listener: GuardedListener<R>) => guard(kind, listener, deps);
  const app: ListenerApp = {
    command(name, listener) {
      registry.commands.push(name);
      target.command(name, wrap('command', listener));
    },
    action(id, listener) {
      registry.actions.push(id);
      target.action(id, wrap('action', listener));
    },
    event(type, handler, subscriptions) {
      registry.events.push(...(subscriptions ?? [type]));
      target.event(type, handler, subscriptions);
    },
    view(callbackId, handler) {
      registry.views.push(callbackId);
      target.view(callbackId, handler);
    },
  };
  registerAll(app, deps);
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
      // An action's ack carries no message (the guard answers through response_url).
      app.action(id, async ({ ack, body }) => {
        await handler({ body, ack: async () => { await ack(); } });
      });
    },
    event(type, handler) {
      app.event(type, async ({ event }) => {
        await handler({ event });
      });
    },
    view(callbackId, handler) {
      app.view(callbackId, async ({ ack, body }) => {
        await handler({ body, ack: async (response) => { await (response ? ack(response) : ack()); } });
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

/**
 * apps.connections.open answers that no retry can fix: the app token is wrong, revoked, or not an
 * app-level token. The Socket Mode client retries some of these forever (not_allowed_token_type).
 */
const FATAL_CONNECTION_ERRORS: Record<string, string> = {
  invalid_auth: 'Slack does not accept SLACK_APP_TOKEN (invalid_auth): set it to the app-level token (xapp-…) from the app\'s Basic Information page',
  not_authed: 'Slack received no app token (not_authed): set SLACK_APP_TOKEN to the app-level token (xapp-…)',
  not_allowed_token_type: 'SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type): Socket Mode needs an xapp-… token with the connections:write scope, not the bot token (xoxb-…)',
  token_revoked: 'SLACK_APP_TOKEN has been revoked (token_revoked): generate a new app-level token with connections:write',
  token_expired: 'SLACK_APP_TOKEN has expired (token_expired): generate a new app-level token with connections:write',
  account_inactive: 'the app\'s token belongs to a deactivated account or uninstalled app (account_inactive): reinstall the app and set SLACK_APP_TOKEN',
  team_disabled: 'the Slack workspace is disabled (team_disabled)',
  missing_scope: 'SLACK_APP_TOKEN lacks the connections:write scope (missing_scope): add it to the app-level token',
};

/** The SlackError for a fatal apps.connections.open answer, or null when retrying may help. */
export function socketStartError(slackError: string): SlackError | null {
  const message = FATAL_CONNECTION_ERRORS[slackError];
  return message === undefined ? null : new SlackError(`SLACK_API_${slackError}`, message, { retryable: false });
}

/**
 * A fetch for the Socket Mode client's own WebClient that reports a fatal apps.connections.open
 * answer to `onFatal` and never hands it to the client: the client would schedule its next retry
 * (not_allowed_token_type) or race our shutdown; a call that never returns holds no timer.
 */
function watchConnectionsOpen(onFatal: (err: SlackError) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.endsWith('/apps.connections.open')) {
      const answer = await res.clone().json().catch(() => null) as { ok?: boolean; error?: unknown } | null;
      if (answer?.ok === false && typeof answer.error === 'string') {
        const fatal = socketStartError(answer.error);
        if (fatal) {
          onFatal(fatal);
          await res.body?.cancel().catch(() => undefined);
          return new Promise<Response>(() => undefined);
        }
      }
    }
    return res;
  };
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const logger = boltLogger(options.logger);
  const logLevel = boltLevel(options.logger);
  const slackApiUrl = options.apiUrl ?? DEFAULT_SLACK_API_URL;
  const clientOptions = { slackApiUrl };
  let app: App;
  let http: SlackHttpReceiver | null = null;
  let started = false;
  let socket: SocketModeReceiver | null = null;
  let fatal: (err: SlackError) => void = () => undefined;
  const { mode } = options;
  if (mode.kind === 'http') {
    http = new SlackHttpReceiver({
      signingSecret: mode.signingSecret,
      path: SLACK_EVENTS_PATH,
      port: mode.port,
      ...(mode.host !== undefined ? { host: mode.host } : {}),
      logger,
      routes: {
        '/healthz': (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        },
      },
    });
    app = new App({ token: options.botToken, receiver: http, logger, logLevel, clientOptions, convoStore: false });
  } else {
    // apps.connections.open goes through the socket-mode client's own WebClient, configured only by
    // installerOptions.clientOptions: give it the API URL explicitly. A separate object, because that
    // client writes its own retryConfig (100 retries) into the options it is given — through Bolt's
    // implicit default that would be the App's clientOptions.
    socket = new SocketModeReceiver({
      appToken: mode.appToken, logger, logLevel,
      installerOptions: { clientOptions: { slackApiUrl, fetch: watchConnectionsOpen((err) => fatal(err)) } },
    });
    app = new App({ token: options.botToken, receiver: socket, socketMode: true, logger, logLevel, clientOptions, convoStore: false });
  }
  let connection: 'connected' | 'disconnected' | 'not-started' = 'not-started';
  socket?.client.on('connected', () => { connection = 'connected'; });
  socket?.client.on('disconnected', () => { if (connection !== 'not-started') connection = 'disconnected'; });
  socket?.client.on('reconnecting', () => { connection = 'disconnected'; });
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

  const startSocket = async (receiver: SocketModeReceiver): Promise<void> => {
    // The first fatal answer ends start(); the client is told to stop retrying.
    const refused = new Promise<never>((_, reject) => {
      fatal = (err) => {
        fatal = () => undefined;
        void receiver.client.disconnect();
        reject(err);
      };
    });
    refused.catch(() => undefined);
    try {
      await Promise.race([app.start(), refused]);
    } catch (err) {
      // Any other start failure the client gives up on: named the same way when it is one of ours.
      const code = (err as { data?: { error?: unknown } }).data?.error;
      const known = typeof code === 'string' ? socketStartError(code) : null;
      throw known ?? err;
    } finally {
      // Once connected, a refusal on a later reconnect (token revoked) is logged: the client then stays
      // disconnected, as no retry can fix it.
      fatal = (err) => options.logger.error({ code: err.code }, err.message);
    }
  };

  return {
    app,
    registry,
    state() {
      if (http) return http.port() === null && !started ? 'not-started' : http.listening() ? 'connected' : 'disconnected';
      return connection;
    },
    async start() {
      started = true;
      if (http) {
        await app.start();
        return { port: http.port() };
      }
      if (socket) await startSocket(socket);
      return { port: null };
    },
    async stop() {
      if (socket) await closeSocket(socket, options.logger);
      else if (http) await http.stop();
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
