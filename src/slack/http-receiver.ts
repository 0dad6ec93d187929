/**
 * Bolt receiver for HTTP mode. Bolt's own HTTPReceiver accepts a timestamp any distance in the
 * future, answers a signed payload of the wrong shape with 500, and binds where it likes; this one
 * checks every request at the edge (src/slack/request.ts: signature and ±5 min clock, body, payload
 * shape) and only then hands it to the app, with Bolt's own ack (HTTPResponseAck) so ack timing
 * and the 3 s "not acknowledged" handling stay Bolt's.
 *
 * Answers: 401 unsigned / badly signed / stale / future; 415 a content type Slack never sends;
 * 400 unreadable body or wrong payload shape (plain-text reason naming the field); 413 too large.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type App, type BufferedIncomingMessage, HTTPModuleFunctions, HTTPResponseAck, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import { SlackError } from '../errors.ts';
import { classifyPayload, isSslCheck, parseBody, verifySignature } from './request.ts';

/** Slack's payloads are a few KB; a block_actions payload repeats the message, still far below this. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  /** Where Slack POSTs (SLACK_EVENTS_PATH). */
  path: string;
  port: number;
  /** Bind address (HOST); default 0.0.0.0. */
  host?: string;
  logger: BoltLogger;
  /** Other GET routes (health, metrics), by path. */
  routes?: Record<string, RouteHandler>;
  /** Longest a client may take to send one whole request (default 10 s; Slack sends a few KB at once). */
  requestTimeoutMs?: number;
  now?: () => number;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** A listen error as an operator reads it: what is wrong and which variable fixes it. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number): SlackError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new SlackError('SLACK_PORT_IN_USE', `port ${port} is in use: set PORT to a free port (or stop what listens on ${host}:${port})`, { retryable: false });
    case 'EACCES':
      return new SlackError('SLACK_PORT_DENIED', `port ${port} needs privileges this process lacks: set PORT to 1024 or above`, { retryable: false });
    case 'EADDRNOTAVAIL':
      return new SlackError('SLACK_BAD_HOST', `HOST "${host}" is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all`, { retryable: false });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SlackError('SLACK_BAD_HOST', `HOST "${host}" does not resolve: set HOST to an address of this machine, or 0.0.0.0 for all`, { retryable: false });
    default:
      return new SlackError('SLACK_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${err.message}`, { retryable: false });
  }
}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | null = null;
  private readonly options: SlackHttpReceiverOptions;
  private readonly now: () => number;

  constructor(options: SlackHttpReceiverOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  /** Listens on HOST:PORT; rejects with a SlackError naming the fix (port in use, bad HOST) and leaves nothing listening. */
  async start(): Promise<Server> {
    if (this.server) throw new SlackError('SLACK_ALREADY_STARTED', 'the HTTP receiver is already started', { retryable: false });
    const host = this.options.host ?? '0.0.0.0';
    const { port } = this.options;
    // A client trickling a request (slowloris) is cut off with 408 instead of holding a connection for Node's default 5 minutes.
    const requestTimeout = this.options.requestTimeoutMs ?? 10_000;
    const server = createServer({
      requestTimeout, headersTimeout: requestTimeout,
      // Node checks those timeouts every 30 s by default: check often enough for them to mean what they say.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
    }, (req, res) => { this.dispatch(req, res); });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.close();
        reject(listenError(err, host, port));
      };
      server.once('error', onError);
      server.listen({ port, host }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // After start-up an error on the server is logged; Node would otherwise crash on an unheard one.
    server.on('error', (err) => this.options.logger.error(`HTTP server error: ${err.message}`));
    this.server = server;
    return server;
  }

  /** For readiness: listening now (false before start, after stop, or when the server failed). */
  listening(): boolean {
    return this.server?.listening === true;
  }

  port(): number | null {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    return addr?.port ?? null;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive connections with no request in flight would hold close() open.
      server.closeIdleConnections();
    });
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === this.options.path) {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        plain(res, 405, `${path} takes POST requests from Slack`);
        return;
      }
      this.handleEvent(req, res).catch((err: unknown) => {
        this.options.logger.error(`Slack request failed: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) plain(res, 500, 'internal error');
      });
      return;
    }
    const route = this.options.routes?.[path];
    if (route && (req.method === 'GET' || req.method === 'HEAD')) {
      route(req, res);
      return;
    }
    plain(res, 404, 'not found');
  }

  private async handleEvent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const log = this.options.logger;
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === null) {
      plain(res, 413, `request body over ${MAX_BODY_BYTES} bytes`);
      return;
    }
    const rawBody = raw.toString('utf8');
    const contentType = header(req, 'content-type');
    if (isSslCheck(contentType, rawBody)) {
      res.writeHead(200);
      res.end();
      return;
    }
    const signed = verifySignature(this.options.signingSecret, {
      timestamp: header(req, 'x-slack-request-timestamp'), signature: header(req, 'x-slack-signature'), rawBody,
    }, this.now());
    if (!signed.ok) {
      log.warn(`Refused a Slack request: ${signed.reason}`);
      plain(res, signed.status, signed.reason);
      return;
    }
    const parsed = parseBody(contentType, rawBody);
    if (!parsed.ok) {
      log.warn(`Refused a signed Slack request: ${parsed.reason}`);
      plain(res, parsed.status, parsed.reason);
      return;
    }
    const kind = classifyPayload(parsed.value);
    if (!kind.ok) {
      log.warn(`Refused a signed Slack request: ${kind.reason}`);
      plain(res, kind.status, kind.reason);
      return;
    }
    const body = parsed.value;
    if (kind.value === 'url_verification') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ challenge: body.challenge }));
      return;
    }
    if (kind.value === 'app_rate_limited') {
      // Events are being dropped by Slack for the next minute: worth an operator's attention, nothing to process.
      log.warn(`Slack is rate-limiting this app's events (minute ${String(body.minute_rate_limited)})`);
      res.writeHead(200);
      res.end();
      return;
    }
    const buffered = Object.assign(req, { rawBody: raw }) as BufferedIncomingMessage;
    const ack = new HTTPResponseAck({
      logger: log, processBeforeResponse: false, httpRequest: buffered, httpRequestBody: body, httpResponse: res,
    });
    const retryNum = HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req);
    const retryReason = HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req);
    try {
      await this.app?.processEvent({
        body, ack: ack.bind(),
        ...(retryNum !== undefined ? { retryNum } : {}), ...(retryReason !== undefined ? { retryReason } : {}),
      });
    } catch (error) {
      const acked = await HTTPModuleFunctions.defaultProcessEventErrorHandler({ error: error as Error, logger: log, request: req, response: res, storedResponse: undefined });
      if (acked) await ack.bind()();
    }
  }
}
