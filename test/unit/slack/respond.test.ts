/** Answers at a response_url: only Slack's (or the configured API's) origin, and every failure classified for retries. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponder, isAllowedResponseUrl } from '../../../src/slack/respond.ts';

let server: Server;
let origin = '';
const received: { path: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown> });
      const status = Number((req.url ?? '').split('/').pop());
      if (status === 0) return; // never answers
      res.writeHead(status, status === 429 ? { 'retry-after': '7' } : {});
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const message = { text: 'hello', blocks: [] };

describe('isAllowedResponseUrl', () => {
  it.each([
    ['https://hooks.slack.com/commands/T0/1/x', undefined, true],
    ['https://hooks.slack.com.evil.example/x', undefined, false],
    ['http://hooks.slack.com/commands/x', undefined, false],
    ['https://example.com/x', undefined, false],
    ['not a url', undefined, false],
    ['http://127.0.0.1:9999/response/1', 'http://127.0.0.1:9999/api/', true],
    ['http://127.0.0.1:9998/response/1', 'http://127.0.0.1:9999/api/', false],
  ])('%s (api %s) → %s', (url, api, allowed) => {
    expect(isAllowedResponseUrl(url, api)).toBe(allowed);
  });
});

describe('createResponder', () => {
  const respond = () => createResponder({ apiUrl: `${origin}/api/`, timeoutMs: 300 });

  it('posts the message as an ephemeral answer by default', async () => {
    await respond()(`${origin}/response/200`, message);
    expect(received.at(-1)).toEqual({ path: '/response/200', body: { response_type: 'ephemeral', replace_original: false, text: 'hello', blocks: [] } });
    await respond()(`${origin}/response/200`, message, { ephemeral: false, replaceOriginal: true });
    expect(received.at(-1)?.body).toMatchObject({ response_type: 'in_channel', replace_original: true });
  });

  it.each([
    ['429 rate limited', 429, { code: 'SLACK_RATE_LIMITED', retryable: true, retryAfterMs: 7000 }],
    ['404 expired', 404, { code: 'SLACK_API_response_url_404', retryable: false }],
    ['500', 500, { code: 'SLACK_API_response_url_500', retryable: true }],
    ['no answer in time', 0, { code: 'SLACK_TIMEOUT', retryable: true }],
  ])('%s → %j', async (_label, status, error) => {
    await expect(respond()(`${origin}/response/${status}`, message)).rejects.toMatchObject(error);
  });

  it('a refused connection is a retryable network error; a foreign URL is refused before any request', async () => {
    await expect(createResponder({ apiUrl: 'http://127.0.0.1:9/api/' })('http://127.0.0.1:9/response/1', message)).rejects.toMatchObject({ code: 'SLACK_NETWORK', retryable: true });
    const before = received.length;
    await expect(respond()('https://example.com/response/200', message)).rejects.toMatchObject({ code: 'SLACK_BAD_RESPONSE_URL', retryable: false });
    expect(received.length).toBe(before);
  });
});
