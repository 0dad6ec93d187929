/**
 * A loopback fake of the Slack Web API (point SLACK_API_URL / `apiUrl` at `fake.apiUrl`). Records
 * every call; keeps channels' messages (with metadata) so conversations.history/replies answer like
 * Slack; serves response_url endpoints. Failures are switchable per method: 429 with Retry-After,
 * `{ ok: false, error }`, or an HTTP status; and a per-method delay *after* the call is recorded
 * (Slack accepted it, the caller has not heard yet) for crash-window tests.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
}

export type Failure = { status: 429; retryAfter: number } | { error: string } | { status: number };

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
  delay(method: string, ms: number): void;
  setUsergroup(id: string, users: string[]): void;
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
  let counter = 0;
  let responseCounter = 0;

  const nextTs = () => {
    counter++;
    return `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, '0')}`;
  };

  const handle = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : '');
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'k8s-advisor', team_id: 'T0TEAM', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'chat.postMessage': {
        const ts = nextTs();
        const meta = args.metadata as FakeMessage['metadata'] | undefined;
        messages.push({
          channel: str('channel'), ts, threadTs: str('thread_ts') || null, text: str('text'),
          blocks: Array.isArray(args.blocks) ? args.blocks : [], metadata: meta ?? null,
        });
        return { ok: true, channel: str('channel'), ts, message: { ts, text: str('text') } };
      }
      case 'chat.update': {
        const m = messages.find((x) => x.channel === str('channel') && x.ts === str('ts'));
        if (!m) return { ok: false, error: 'message_not_found' };
        m.text = str('text');
        m.blocks = Array.isArray(args.blocks) ? args.blocks : [];
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.publish':
        return { ok: true, view: { id: 'V1' } };
      case 'usergroups.users.list':
        return { ok: true, users: usergroups.get(str('usergroup')) ?? [] };
      case 'conversations.history': {
        const oldest = Number(str('oldest') || '0');
        const withMeta = String(args.include_all_metadata) === 'true';
        const list = messages
          .filter((m) => m.channel === str('channel') && m.threadTs === null && Number(m.ts) >= oldest)
          .sort((a, b) => Number(b.ts) - Number(a.ts))
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(withMeta && m.metadata ? { metadata: m.metadata } : {}) }));
        return { ok: true, messages: list, has_more: false };
      }
      case 'conversations.replies': {
        const oldest = Number(str('oldest') || '0');
        const withMeta = String(args.include_all_metadata) === 'true';
        const list = messages
          .filter((m) => m.channel === str('channel') && (m.ts === str('ts') || m.threadTs === str('ts')) && Number(m.ts) >= oldest)
          .sort((a, b) => Number(a.ts) - Number(b.ts))
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(withMeta && m.metadata ? { metadata: m.metadata } : {}) }));
        return { ok: true, messages: list, has_more: false };
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
      const answer = handle(method, args);
      const d = delays.get(method);
      if (d) await new Promise((r) => setTimeout(r, d));
      send(200, answer);
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

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
    delay(method, ms) {
      delays.set(method, ms);
    },
    setUsergroup(id, users) {
      usergroups.set(id, users);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
