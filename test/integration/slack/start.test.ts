/**
 * Starting the Slack endpoint: HOST is the bind address; a port in use, a HOST that is not this
 * machine's, or an app token Slack refuses end start() with a message naming the fix — and the
 * `hub` command exits 2 with it instead of leaving a process with no endpoint or retrying forever.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger, silentLogger } from '../../../src/log.ts';
import { createSlackApp, type SlackMode } from '../../../src/slack/app.ts';
import { listenError, SlackHttpReceiver } from '../../../src/slack/http-receiver.ts';
import { boltLogger } from '../../../src/slack/logger.ts';
import type { ListenerDeps } from '../../../src/slack/listeners/types.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { commandBody, postSigned } from '../../helpers/slack-sign.ts';
import { testConfig } from '../../unit/slack/fixtures.ts';

const SECRET = 'start-test-signing-secret';
let fake: FakeSlack;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  fake = await startFakeSlack();
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await fake.close();
});

function slackApp(mode: SlackMode, logger: Logger = silentLogger()) {
  const app = createSlackApp({
    botToken: 'xoxb-start-test', apiUrl: fake.apiUrl, logger, mode,
    deps: { logger: silentLogger(), config: testConfig() } as ListenerDeps,
  });
  stops.push(() => app.stop());
  return app;
}

/** A port something else already listens on. */
async function occupiedPort(host = '127.0.0.1'): Promise<number> {
  const blocker: Server = createServer();
  await new Promise<void>((res) => blocker.listen(0, host, res));
  stops.push(() => new Promise((res) => { blocker.close(() => res()); }));
  return (blocker.address() as { port: number }).port;
}

describe('HTTP mode start-up', () => {
  it('binds HOST: reachable there, not on another loopback address', async () => {
    const { port } = await slackApp({ kind: 'http', signingSecret: SECRET, port: 0, host: '127.0.0.2' }).start();
    const body = commandBody({ text: 'help', response_url: fake.responseUrl() });
    const res = await postSigned(`http://127.0.0.2:${port}/slack/events`, body, { secret: SECRET });
    expect(res.status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('a port already in use: start() rejects naming the port and PORT', async () => {
    const port = await occupiedPort();
    const app = slackApp({ kind: 'http', signingSecret: SECRET, port, host: '127.0.0.1' });
    await expect(app.start()).rejects.toMatchObject({ code: 'SLACK_PORT_IN_USE', message: expect.stringContaining(`port ${port} is in use: set PORT`) as string });
  });

  it('a HOST that is not an address of this machine: start() rejects naming HOST', async () => {
    // 192.0.2.0/24 is reserved for documentation: never assigned here, and binding sends nothing.
    const app = slackApp({ kind: 'http', signingSecret: SECRET, port: 0, host: '192.0.2.1' });
    await expect(app.start()).rejects.toMatchObject({ code: 'SLACK_BAD_HOST', message: expect.stringContaining('HOST "192.0.2.1" is not an address of this machine') as string });
  });
});

describe('a client that trickles its request', () => {
  it('is answered 408 and cut off once the request timeout passes', async () => {
    const receiver = new SlackHttpReceiver({ signingSecret: SECRET, path: '/slack/events', port: 0, host: '127.0.0.1', logger: boltLogger(silentLogger()), requestTimeoutMs: 200 });
    await receiver.start();
    stops.push(() => receiver.stop());
    const socket = connect(receiver.port() ?? 0, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => { answer += d.toString(); });
    socket.write('POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n');
    await new Promise((r) => socket.once('close', r));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('listen errors name the variable to fix', () => {
  it.each([
    ['EADDRINUSE', /port 3000 is in use: set PORT/],
    ['EACCES', /port 3000 needs privileges .*set PORT to 1024 or above/],
    ['EADDRNOTAVAIL', /HOST "h" is not an address of this machine: set HOST/],
    ['ENOTFOUND', /HOST "h" does not resolve: set HOST/],
    ['EMFILE', /cannot listen on h:3000: boom/],
  ])('%s', (code, message) => {
    const err = Object.assign(new Error('boom'), { code });
    expect(listenError(err, 'h', 3000).message).toMatch(message);
  });
});

describe('Socket Mode start-up with an app token Slack refuses', () => {
  it.each([
    ['invalid_auth', /does not accept SLACK_APP_TOKEN \(invalid_auth\)/],
    ['token_revoked', /has been revoked/],
    ['not_allowed_token_type', /not an app-level token \(not_allowed_token_type\)/],
  ])('%s: start() rejects with what is wrong after one attempt', async (error, message) => {
    fake.fail('apps.connections.open', { error }, 50);
    const app = slackApp({ kind: 'socket', appToken: 'xapp-1-A0APP-123-refused' });
    await expect(app.start()).rejects.toThrow(message);
    expect(fake.callsOf('apps.connections.open')).toHaveLength(1);
    expect(fake.socket.connections()).toBe(0);
  });

  it('the bot token given as SLACK_APP_TOKEN: Slack answers not_allowed_token_type, start() says so', async () => {
    const app = slackApp({ kind: 'socket', appToken: 'xoxb-start-test' });
    await expect(app.start()).rejects.toMatchObject({ code: 'SLACK_API_not_allowed_token_type', message: expect.stringContaining('not the bot token (xoxb-…)') as string });
  });
});

describe('Socket Mode: the token refused on a later reconnect', () => {
  it('is logged as an error naming the fix, after one attempt', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => { lines.push(l); } } });
    const app = slackApp({ kind: 'socket', appToken: 'xapp-1-A0APP-123-later-revoked' }, logger);
    await app.start();
    expect(fake.socket.open()).toBe(1);
    fake.fail('apps.connections.open', { error: 'token_revoked' }, 50);
    fake.socket.drop();
    const deadline = Date.now() + 20_000;
    while (!lines.some((l) => l.includes('has been revoked')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lines.find((l) => l.includes('has been revoked'))).toContain('"level":50');
    expect(fake.callsOf('apps.connections.open')).toHaveLength(2);
  }, 30_000);
});

describe('`k8s-advisor hub` exits 2 instead of running without an endpoint', () => {
  let dir: string;
  let r: TestRedis;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-start-'));
    r = await testRedis('slack-start');
  });
  afterEach(async () => {
    await r.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the real CLI in its own process; resolves with its exit code and stderr. */
  function hub(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const config = join(dir, 'fleet.yaml');
    // Port 9 on loopback: nothing listens, so a feed poll (if one ran) fails at once, harmlessly.
    writeFileSync(config, `
feed: { url: "http://127.0.0.1:9/feed.json", every: 1h }
releases: { refresh: false }
slack: { channels: { prod: C0PROD } }
environments: { prod: {} }
clusters: [ { name: legacy, environment: prod, versions: { kubernetes: v1.27.9 } } ]
`);
    const child = spawn(process.execPath, [resolve(REPO_ROOT, 'src/cli.ts'), 'hub', '--config', config], {
      env: { PATH: process.env.PATH ?? '', REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix, LOG_LEVEL: 'silent', SLACK_BOT_TOKEN: 'xoxb-cli-test', SLACK_API_URL: fake.apiUrl, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    return new Promise((res) => child.once('exit', (code) => res({ code, stderr })));
  }

  it('PORT in use', async () => {
    const port = await occupiedPort();
    const { code, stderr } = await hub({ SLACK_SIGNING_SECRET: SECRET, PORT: String(port), HOST: '127.0.0.1' });
    expect(code).toBe(2);
    expect(stderr).toContain(`error: port ${port} is in use: set PORT`);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('a bad HOST value is a configuration error', async () => {
    const { code, stderr } = await hub({ SLACK_SIGNING_SECRET: SECRET, PORT: '0', HOST: 'not a host' });
    expect(code).toBe(2);
    expect(stderr).toContain('HOST: "not a host" is not an address');
  }, 30_000);

  it('an app token Slack refuses', async () => {
    const { code, stderr } = await hub({ SLACK_APP_TOKEN: 'xoxb-not-an-app-token' });
    expect(code).toBe(2);
    expect(stderr).toContain('error: SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type)');
    expect(fake.callsOf('apps.connections.open')).toHaveLength(1);
  }, 30_000);
});
