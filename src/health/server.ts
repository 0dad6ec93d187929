/**
 * The operations endpoint of every role (hub in either Slack mode, agent), on its own port so
 * probes and scrapes never compete with Slack's requests:
 * - `GET /livez`   200 while the process can answer at all (the event loop runs);
 * - `GET /readyz`  200 when every readiness check passes, else 503; the body names each check
 *                  (`[-]feed failed: …`), `?format=json` gives the same as JSON;
 * - `GET /metrics` Prometheus exposition of this process's registry.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { AdvisorError } from '../errors.ts';
import { formatReport, runChecks, type ReadinessCheck } from './checks.ts';

export interface HealthServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  checks: readonly ReadinessCheck[];
  metrics: Pick<Metrics, 'scrape'>;
  logger?: Logger;
  /** Per check; default 2 000 ms (kubelet's probe timeout is 1 s by default, the chart sets 5 s). */
  checkTimeoutMs?: number;
}

export interface HealthServer {
  start(): Promise<{ port: number }>;
  /** From now on /readyz answers 503 "shutting down", so traffic drains before the process stops. */
  markShuttingDown(): void;
  stop(): Promise<void>;
}

export function createHealthServer(options: HealthServerOptions): HealthServer {
  let shuttingDown = false;
  const checks: ReadinessCheck[] = [
    { name: 'shutdown', run: () => (shuttingDown ? { ok: false, detail: 'shutting down (SIGTERM received)' } : { ok: true, detail: 'running' }) },
    ...options.checks,
  ];
  const log = options.logger?.child({ subsystem: 'health' });

  const send = (res: ServerResponse, status: number, type: string, body: string, head: boolean) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(head ? undefined : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://health.local');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed; use GET\n`, false);
      return;
    }
    switch (url.pathname) {
      case '/livez':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head);
        return;
      case '/readyz': {
        const report = await runChecks(checks, options.checkTimeoutMs);
        const status = report.ok ? 200 : 503;
        if (url.searchParams.get('format') === 'json') send(res, status, 'application/json', `${JSON.stringify(report)}\n`, head);
        else send(res, status, 'text/plain; charset=utf-8', formatReport(report), head);
        return;
      }
      case '/metrics': {
        const { contentType, body } = await options.metrics.scrape();
        send(res, 200, contentType, body, head);
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', `not found: ${url.pathname} (endpoints: /livez, /readyz, /metrics)\n`, false);
    }
  };

  let server: Server | null = null;
  return {
    async start() {
      const s = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          log?.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'health endpoint failed');
          if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
          else res.destroy();
        });
      });
      // Probes come from the kubelet every few seconds: never keep their sockets open past a shutdown.
      s.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) => {
          reject(err.code === 'EADDRINUSE'
            ? new AdvisorError('HEALTH_PORT_IN_USE', `health port ${options.port} is already in use`, { hint: 'set HEALTH_PORT (or server.port in the config) to a free port' })
            : err);
        });
        s.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
      });
      server = s;
      const port = (s.address() as AddressInfo).port;
      log?.info({ port }, 'health and metrics listening');
      return { port };
    },
    markShuttingDown() {
      shuttingDown = true;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}
