/**
 * A loopback feed server (node:http, port 0) for fetch and watcher tests: serves a body with
 * ETag / Last-Modified and answers conditional requests with 304, and can be switched into
 * the failure modes seen in the wild (5xx, hung, stalled body, HTML error page with 200,
 * truncated JSON, oversize body, RSS where JSON was expected, connection reset).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FeedServerMode =
  | 'ok'
  | 'error-500'
  | 'error-503'
  | 'error-404'
  /** Accepts the request and never answers. */
  | 'hang'
  /** Sends headers and half the body, then stalls. */
  | 'slow-body'
  /** A proxy's error page, with status 200. */
  | 'html'
  /** Half the JSON, with a matching Content-Length: a well-formed HTTP answer with a broken body. */
  | 'truncated'
  /** `oversizeBytes` of body with Content-Length. */
  | 'oversize'
  /** `oversizeBytes` of body, chunked, no Content-Length. */
  | 'oversize-chunked'
  /** The RSS document where JSON was expected. */
  | 'rss'
  /** Destroys the connection without answering. */
  | 'reset';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The mode that answered it. */
  mode: FeedServerMode;
}

export interface FeedServerOptions {
  body?: string;
  contentType?: string;
  rss?: string;
  oversizeBytes?: number;
  lastModified?: Date;
}

export interface FeedServer {
  /** http://127.0.0.1:PORT/index.json */
  url: string;
  requests: RecordedRequest[];
  readonly etag: string;
  readonly lastModified: string;
  /** Replaces the served body (new ETag; Last-Modified defaults to one second later). */
  setBody(body: string, options?: { contentType?: string; lastModified?: Date }): void;
  /** The next `times` requests (default: all from now on) answer in `mode`; then back to ok. */
  fail(mode: FeedServerMode, times?: number): void;
  /** Answers every request with 200 and the body, ignoring conditional headers. */
  disableConditional(): void;
  close(): Promise<void>;
}

const HTML_ERROR_PAGE = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream unavailable</p></body></html>\n';

const DEFAULT_RSS = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test CVE feed</title><link>http://127.0.0.1/</link><description>test</description>
<item><title>CVE-2031-0001</title><link>https://github.com/example/k8s/issues/1</link><description>test item</description><category>open</category></item>
</channel></rss>
`;

export async function startFeedServer(options: FeedServerOptions = {}): Promise<FeedServer> {
  let body = options.body ?? '{"version":"https://jsonfeed.org/version/1.1","items":[]}';
  let contentType = options.contentType ?? 'application/json; charset=utf-8';
  let lastModified = (options.lastModified ?? new Date('2031-01-01T00:00:00Z')).toUTCString();
  let etag = etagOf(body);
  let conditional = true;
  const rss = options.rss ?? DEFAULT_RSS;
  const oversizeBytes = options.oversizeBytes ?? 256 * 1024;
  const failures: { mode: FeedServerMode; remaining: number }[] = [];
  const requests: RecordedRequest[] = [];

  const nextMode = (): FeedServerMode => {
    const f = failures[0];
    if (f === undefined) return 'ok';
    f.remaining -= 1;
    if (f.remaining <= 0) failures.shift();
    return f.mode;
  };

  const server = createServer((req, res) => {
    const mode = nextMode();
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, mode });
    // The client aborting mid-body is part of several tests; never let it crash the server.
    res.on('error', () => undefined);
    req.socket.on('error', () => undefined);
    switch (mode) {
      case 'ok':
        return answerOk(req.headers, res);
      case 'error-500':
        return send(res, 500, 'text/plain', 'internal error\n');
      case 'error-503':
        return send(res, 503, 'text/plain', 'unavailable\n');
      case 'error-404':
        return send(res, 404, 'text/plain', 'not found\n');
      case 'hang':
        return;
      case 'slow-body': {
        const buf = Buffer.from(body);
        res.writeHead(200, { 'content-type': contentType, 'content-length': buf.byteLength });
        res.write(buf.subarray(0, Math.floor(buf.byteLength / 2)));
        return;
      }
      case 'html':
        return send(res, 200, 'text/html; charset=utf-8', HTML_ERROR_PAGE);
      case 'truncated':
        return send(res, 200, contentType, body.slice(0, Math.floor(body.length / 2)));
      case 'oversize':
        return send(res, 200, contentType, ' '.repeat(oversizeBytes));
      case 'oversize-chunked':
        return streamChunked(res, oversizeBytes);
      case 'rss':
        return send(res, 200, 'application/rss+xml', rss);
      case 'reset':
        req.socket.destroy();
        return;
    }
  });

  function answerOk(headers: IncomingHttpHeaders, res: ServerResponse): void {
    const validators = { etag, 'last-modified': lastModified };
    if (conditional && isNotModified(headers)) {
      res.writeHead(304, validators);
      res.end();
      return;
    }
    send(res, 200, contentType, body, validators);
  }

  function isNotModified(headers: IncomingHttpHeaders): boolean {
    const inm = headers['if-none-match'];
    if (inm !== undefined) {
      return inm.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === '*' || t === etag);
    }
    const ims = headers['if-modified-since'];
    if (ims === undefined) return false;
    const since = Date.parse(ims);
    return Number.isFinite(since) && Date.parse(lastModified) <= since;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/index.json`,
    requests,
    get etag() {
      return etag;
    },
    get lastModified() {
      return lastModified;
    },
    setBody(next, opts = {}) {
      body = next;
      etag = etagOf(next);
      if (opts.contentType !== undefined) contentType = opts.contentType;
      lastModified = (opts.lastModified ?? new Date(Date.parse(lastModified) + 1000)).toUTCString();
    },
    fail(mode, times = Number.POSITIVE_INFINITY) {
      failures.push({ mode, remaining: times });
    },
    disableConditional() {
      conditional = false;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function send(res: ServerResponse, status: number, contentType: string, text: string, extra: Record<string, string> = {}): void {
  const buf = Buffer.from(text);
  res.writeHead(status, { 'content-type': contentType, 'content-length': buf.byteLength, ...extra });
  res.end(buf);
}

function streamChunked(res: ServerResponse, total: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      sent += chunk.byteLength;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
}
