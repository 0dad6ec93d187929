/**
 * A loopback fake of the Slack Web API (point SLACK_API_URL / `apiUrl` at `fake.apiUrl`). Records
 * every call; keeps channels' messages (with metadata) so conversations.history/replies answer like
 * Slack; serves response_url endpoints. Failures are switchable per method: 429 with Retry-After,
 * `{ ok: false, error }`, or an HTTP status; and a per-method delay *after* the call is recorded
 * (Slack accepted it, the caller has not heard yet) for crash-window tests.
 *
 * Channels the bot is not a member of (`notMember`) behave as in Slack with `chat:write.public`:
 * posting works, reading history answers `not_in_channel`, and `conversations.join` succeeds
 * only when the channel is joinable (the app has `channels:join` and the channel is public).
 * History and replies paginate like the real API: `limit` (default 100), `has_more`, and an
 * opaque `response_metadata.next_cursor` to pass back as `cursor`. A thread parent in history
 * carries `thread_ts`, `reply_count`, `reply_users_count` and `latest_reply`; replies answers
 * the parent first on every page (as Slack does) and `thread_not_found` for an unknown ts.
 *
 * Rate limits (`rateLimit`): like Slack's per-channel limit on chat.postMessage, a method may
 * accept at most N calls per channel (or across the workspace, like a Web API tier) in any
 * sliding window; beyond that it answers 429 with
 * Retry-After (whole seconds) and records the refusal in `rateLimited`.
 *
 * Socket Mode: `apps.connections.open` (app-level token only) hands out a single-use loopback
 * WebSocket URL on the same server; a connection gets `hello`, then `fake.socket.send` delivers
 * envelopes and records the acks the app sends back.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket as WsSocket } from 'ws';

const WS_OPEN = WsSocket.OPEN;

export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | null;
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[];
  metadata: { event_type: string; event_payload: Record<string, unknown> } | null;
  /** When the fake accepted it (ms). */
  postedAt: number;
}

/**
 * At most `perChannel` accepted calls of the method in any `windowMs`, per channel (Slack's
 * chat.postMessage rule) or, with `scope: 'workspace'`, across all channels (a Web API tier).
 */
export interface RateLimit {
  perChannel: number;
  windowMs: number;
  scope?: 'channel' | 'workspace';
}

export type Failure = { status: 429; retryAfter: number } | { error: string } | { status: number };

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What the app sent back for an envelope: `{ envelope_id, payload? }`. */
export interface FakeSocketAck {
  envelopeId: string;
  payload: Record<string, unknown> | undefined;
}

export interface FakeSocketMode {
  /** WebSocket connections accepted so far (each was sent a hello). */
  connections(): number;
  /** Connections currently open. */
  open(): number;
  /** Delivers an envelope on the newest open connection; returns its envelope_id. */
  send(type: EnvelopeType, payload: Record<string, unknown>, options?: { acceptsResponsePayload?: boolean }): string;
  acks: FakeSocketAck[];
  ackOf(envelopeId: string): FakeSocketAck | undefined;
  /** Slack recycling the connection: a `disconnect` message; the client is expected to close and reconnect. */
  refresh(): void;
  /** The connection dies under the app (no close frame). */
  drop(): void;
}

export interface FakeSlack {
  /** Web API base URL, ending in "/". */
  apiUrl: string;
  origin: string;
  calls: FakeSlackCall[];
  callsOf(method: string): FakeSlackCall[];
  messages: FakeMessage[];
  /** Bodies POSTed to response URLs, in order. */
  responses: { id: string; body: Record<string, unknown> }[];
  /** A fresh response_url pointing at this fake. */
  responseUrl(): string;
  fail(method: string, failure: Failure, times?: number): void;
  /** Enforce a per-channel rate limit on `method` from now on (429 + Retry-After beyond it). */
  rateLimit(method: string, limit: RateLimit): void;
  /** Calls refused by a rate limit, in order. */
  rateLimited: { method: string; channel: string; at: number }[];
  delay(method: string, ms: number): void;
  setUsergroup(id: string, users: string[]): void;
  /**
   * The bot is not in `channel`: history/replies answer not_in_channel until it joins.
   * `joinable: false` makes conversations.join fail with `error` (default missing_scope, as
   * without channels:join; method_not_supported_for_channel_type for a private channel).
   */
  notMember(channel: string, options?: { joinable?: boolean; error?: string }): void;
  /** The bot was invited to `channel` (undoes `notMember`). */
  invite(channel: string): void;
  /** Channels the bot joined through conversations.join. */
  joined: string[];
  socket: FakeSocketMode;
  close(): Promise<void>;
}

function parseArgs(raw: string, type: string | undefined): Record<string, unknown> {
  if (type?.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (v.startsWith('{') || v.startsWith('[')) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // keep the string
      }
    }
    out[k] = v;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: FakeSlackCall[] = [];
  const messages: FakeMessage[] = [];
  const responses: { id: string; body: Record<string, unknown> }[] = [];
  const failures = new Map<string, { failure: Failure; times: number }>();
  const delays = new Map<string, number>();
  const usergroups = new Map<string, string[]>();
  /** channel → how conversations.join answers (null: joinable). */
  const outside = new Map<string, string | null>();
  const joined: string[] = [];
  const limits = new Map<string, RateLimit>();
  /** method → channel → times of accepted calls (ms), oldest first. */
  const accepted = new Map<string, Map<string, number[]>>();
  const rateLimited: { method: string; channel: string; at: number }[] = [];
  let counter = 0;
  let responseCounter = 0;
  let origin = '';
  // Socket Mode state: tickets issued by apps.connections.open, live sockets, acks received.
  const tickets = new Set<string>();
  let ticketCounter = 0;
  let envelopeCounter = 0;
  let socketsAccepted = 0;
  const sockets: WsSocket[] = [];
  const acks: FakeSocketAck[] = [];
  const wss = new WebSocketServer({ noServer: true });

  const nextTs = () => {
    counter++;
    return `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, '0')}`;
  };

  const handle = (method: string, args: Record<string, unknown>, token: string | null): Record<string, unknown> => {
    const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : '');
    switch (method) {
      case 'apps.connections.open': {
        if (!token) return { ok: false, error: 'not_authed' };
        if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
        const ticket = `t${++ticketCounter}`;
        tickets.add(ticket);
        return { ok: true, url: `${origin.replace(/^http/, 'ws')}/link/?ticket=${ticket}` };
      }
      case 'auth.test':
        return { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'k8s-advisor', team_id: 'T0TEAM', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'chat.postMessage': {
        const ts = nextTs();
        const meta = args.metadata as FakeMessage['metadata'] | undefined;
        messages.push({
          channel: str('channel'), ts, threadTs: str('thread_ts') || null, text: str('text'),
          blocks: Array.isArray(args.blocks) ? args.blocks : [], metadata: meta ?? null, postedAt: Date.now(),
        });
        return { ok: true, channel: str('channel'), ts, message: { ts, text: str('text') } };
      }
      case 'chat.update': {
        const m = messages.find((x) => x.channel === str('channel') && x.ts === str('ts'));
        if (!m) return { ok: false, error: 'message_not_found' };
        m.text = str('text');
        m.blocks = Array.isArray(args.blocks) ? args.blocks : [];
        if (args.metadata) m.metadata = args.metadata as FakeMessage['metadata'];
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.publish':
        return { ok: true, view: { id: 'V1' } };
      case 'views.open':
        // Slack: a trigger_id is single-use and valid for 3 s; a missing one is invalid_trigger_id.
        return str('trigger_id') ? { ok: true, view: { id: `V${nextTs()}` } } : { ok: false, error: 'invalid_trigger_id' };
      case 'usergroups.users.list':
        return { ok: true, users: usergroups.get(str('usergroup')) ?? [] };
      case 'conversations.join': {
        const channel = str('channel');
        if (!outside.has(channel)) return { ok: true, channel: { id: channel, is_member: true }, warning: 'already_in_channel' };
        const error = outside.get(channel);
        if (error) return error === 'missing_scope' ? { ok: false, error, needed: 'channels:join', provided: 'chat:write,chat:write.public' } : { ok: false, error };
        outside.delete(channel);
        joined.push(channel);
        return { ok: true, channel: { id: channel, is_member: true } };
      }
      case 'conversations.history':
      case 'conversations.replies': {
        const channel = str('channel');
        if (outside.has(channel)) return { ok: false, error: 'not_in_channel' };
        const oldest = Number(str('oldest') || '0');
        const withMeta = String(args.include_all_metadata) === 'true';
        const history = method === 'conversations.history';
        const inChannel = messages.filter((m) => m.channel === channel);
        const replies = new Map<string, FakeMessage[]>();
        for (const m of inChannel) if (m.threadTs !== null) replies.set(m.threadTs, [...(replies.get(m.threadTs) ?? []), m]);
        const shape = (m: FakeMessage) => {
          const thread = m.threadTs === null ? replies.get(m.ts) : undefined;
          return {
            type: 'message', ts: m.ts, text: m.text,
            ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
            ...(thread ? {
              thread_ts: m.ts, reply_count: thread.length, reply_users_count: 1, reply_users: ['UBOT'],
              latest_reply: thread.reduce((a, r) => (Number(r.ts) > Number(a) ? r.ts : a), thread[0]?.ts ?? m.ts),
            } : {}),
            ...(withMeta && m.metadata ? { metadata: m.metadata } : {}),
          };
        };
        let parent: FakeMessage | undefined;
        if (!history) {
          parent = inChannel.find((m) => m.ts === str('ts'));
          if (parent === undefined) return { ok: false, error: 'thread_not_found' };
        }
        const list = (history
          ? inChannel.filter((m) => m.threadTs === null && Number(m.ts) >= oldest).sort((a, b) => Number(b.ts) - Number(a.ts))
          // A thread is oldest first; the parent heads every page (below), as Slack answers.
          : (replies.get(str('ts')) ?? []).filter((m) => Number(m.ts) >= oldest).sort((a, b) => Number(a.ts) - Number(b.ts)))
          .map(shape);
        const limit = Math.min(Math.max(Number(str('limit') || '100') || 100, 1), 999);
        const cursor = str('cursor');
        const start = cursor ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace(/^offset:/, '')) : 0;
        if (!Number.isInteger(start) || start < 0) return { ok: false, error: 'invalid_cursor' };
        const head = parent !== undefined && Number(parent.ts) >= oldest ? [shape(parent)] : [];
        const size = Math.max(1, limit - head.length);
        const page = [...head, ...list.slice(start, start + size)];
        const more = start + size < list.length;
        return {
          ok: true, messages: page, has_more: more,
          ...(more ? { response_metadata: { next_cursor: Buffer.from(`offset:${start + size}`).toString('base64') } } : { response_metadata: { next_cursor: '' } }),
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (url.pathname.startsWith('/response/')) {
        responses.push({ id: url.pathname.slice('/response/'.length), body: parseArgs(raw, 'application/json') });
        send(200, { ok: true });
        return;
      }
      if (!url.pathname.startsWith('/api/')) {
        send(404, { ok: false, error: 'not_found' });
        return;
      }
      const method = url.pathname.slice('/api/'.length);
      const args = parseArgs(raw, req.headers['content-type']);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : null;
      calls.push({ method, args, token, at: Date.now() });
      const f = failures.get(method);
      if (f && f.times > 0) {
        f.times--;
        if (f.times === 0) failures.delete(method);
        const failure = f.failure;
        if ('error' in failure) return send(200, { ok: false, error: failure.error });
        if (failure.status === 429 && 'retryAfter' in failure) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
        return send(failure.status, { ok: false, error: 'fake_http_error' });
      }
      const limit = limits.get(method);
      if (limit !== undefined) {
        const channel = limit.scope === 'workspace' ? '*' : typeof args.channel === 'string' ? args.channel : '';
        const perMethod = accepted.get(method) ?? new Map<string, number[]>();
        accepted.set(method, perMethod);
        const times = (perMethod.get(channel) ?? []).filter((t) => t > Date.now() - limit.windowMs);
        perMethod.set(channel, times);
        if (times.length >= limit.perChannel) {
          const at = Date.now();
          rateLimited.push({ method, channel, at });
          const wait = Math.max(1, Math.ceil(((times[0] ?? at) + limit.windowMs - at) / 1000));
          return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(wait) });
        }
        times.push(Date.now());
      }
      const answer = handle(method, args, token);
      const d = delays.get(method);
      if (d) await new Promise((r) => setTimeout(r, d));
      send(200, answer);
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket') ?? '';
    // Single use, and only ones apps.connections.open handed out.
    if (url.pathname !== '/link/' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      socketsAccepted++;
      sockets.push(ws);
      ws.on('close', () => {
        const i = sockets.indexOf(ws);
        if (i >= 0) sockets.splice(i, 1);
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        try {
          const msg = JSON.parse(data.toString('utf8')) as { envelope_id?: unknown; payload?: unknown };
          if (typeof msg.envelope_id !== 'string') return;
          const payload = msg.payload && typeof msg.payload === 'object' ? (msg.payload as Record<string, unknown>) : undefined;
          acks.push({ envelopeId: msg.envelope_id, payload });
        } catch {
          // not JSON: ignore, as Slack would drop it
        }
      });
      ws.send(JSON.stringify({
        type: 'hello', num_connections: sockets.length,
        debug_info: { host: 'fake-slack', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0APP' },
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const newest = (): WsSocket => {
    const ws = sockets.filter((s) => s.readyState === WS_OPEN).at(-1);
    if (!ws) throw new Error('fake Slack: no open Socket Mode connection');
    return ws;
  };

  return {
    apiUrl: `${origin}/api/`,
    origin,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    messages,
    responses,
    responseUrl: () => `${origin}/response/r${++responseCounter}`,
    fail(method, failure, times = 1) {
      failures.set(method, { failure, times });
    },
    rateLimit(method, limit) {
      limits.set(method, limit);
    },
    rateLimited,
    delay(method, ms) {
      delays.set(method, ms);
    },
    setUsergroup(id, users) {
      usergroups.set(id, users);
    },
    notMember(channel, options = {}) {
      outside.set(channel, options.joinable === false ? options.error ?? 'missing_scope' : null);
    },
    invite(channel) {
      outside.delete(channel);
    },
    joined,
    socket: {
      connections: () => socketsAccepted,
      open: () => sockets.filter((s) => s.readyState === WS_OPEN).length,
      send(type, payload, options = {}) {
        const envelopeId = `env-${++envelopeCounter}`;
        newest().send(JSON.stringify({
          envelope_id: envelopeId, type, payload, accepts_response_payload: options.acceptsResponsePayload ?? type === 'slash_commands',
          ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
        }));
        return envelopeId;
      },
      acks,
      ackOf: (envelopeId) => acks.find((a) => a.envelopeId === envelopeId),
      refresh() {
        newest().send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-slack' } }));
      },
      drop() {
        newest().terminate();
      },
    },
    close: () => new Promise<void>((resolve) => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
