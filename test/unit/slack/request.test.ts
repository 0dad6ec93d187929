/** The request edges as pure rules: signature and clock (both directions), body, payload shape. */
import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_S, classifyPayload, isSslCheck, parseBody, verifySignature } from '../../../src/slack/request.ts';
import { blockAction, commandBody, eventBody, slackSignature } from '../../helpers/slack-sign.ts';

const SECRET = 'unit-signing-secret';
const NOW_S = 1_800_000_000;
const NOW_MS = NOW_S * 1000 + 400;
const BODY = commandBody({ text: 'help', response_url: 'https://hooks.slack.com/commands/T0/1/x' });
const signed = (ts: number, body = BODY) => ({ timestamp: String(ts), signature: slackSignature(SECRET, ts, body), rawBody: body });

describe('verifySignature', () => {
  it.each([
    ['now', 0],
    ['5 minutes old exactly', -MAX_CLOCK_SKEW_S],
    ['5 minutes ahead exactly', MAX_CLOCK_SKEW_S],
    ['a minute ahead (a fast clock)', 60],
  ])('accepts a correctly signed request: %s', (_label, offset) => {
    expect(verifySignature(SECRET, signed(NOW_S + offset), NOW_MS)).toEqual({ ok: true, value: undefined });
  });

  it.each([
    ['stale: 6 minutes old', signed(NOW_S - 360), /360 s old/],
    ['future: 6 minutes ahead', signed(NOW_S + 360), /360 s in the future/],
    ['future: a day ahead', signed(NOW_S + 86_400), /in the future/],
    ['no timestamp', { ...signed(NOW_S), timestamp: undefined }, /missing X-Slack-Request-Timestamp/],
    ['timestamp not a number', { ...signed(NOW_S), timestamp: '17e8' }, /not a number of seconds/],
    ['negative timestamp', { ...signed(NOW_S), timestamp: '-5' }, /not a number of seconds/],
    ['no signature', { ...signed(NOW_S), signature: undefined }, /missing X-Slack-Signature/],
    ['not a v0 signature', { ...signed(NOW_S), signature: 'v1=abc' }, /not a v0 signature/],
    ['wrong secret', { ...signed(NOW_S), signature: slackSignature('other-secret', NOW_S, BODY) }, /does not match/],
    ['body changed after signing', { ...signed(NOW_S), rawBody: `${BODY}&x=1` }, /does not match/],
    ['timestamp changed after signing', { ...signed(NOW_S), timestamp: String(NOW_S + 1) }, /does not match/],
    ['uppercase hex (Slack signs lowercase)', { ...signed(NOW_S), signature: signed(NOW_S).signature.toUpperCase().replace('V0=', 'v0=') }, /not a v0 signature/],
  ])('refuses 401: %s', (_label, req, reason) => {
    const res = verifySignature(SECRET, req, NOW_MS);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.status).toBe(401);
      expect(res.reason).toMatch(reason);
    }
  });
});

describe('parseBody', () => {
  it('reads a slash command form', () => {
    const res = parseBody('application/x-www-form-urlencoded', BODY);
    expect(res.ok && res.value.command).toBe('/k8s');
  });

  it('reads an interaction from the payload field, and JSON with a charset', () => {
    const form = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions' }) }).toString();
    expect(parseBody('application/x-www-form-urlencoded', form)).toEqual({ ok: true, value: { type: 'block_actions' } });
    expect(parseBody('application/json; charset=utf-8', '{"type":"event_callback"}')).toEqual({ ok: true, value: { type: 'event_callback' } });
  });

  it.each([
    ['application/json', '{"type":', 400, /not valid JSON/],
    ['application/json', '[1,2]', 400, /not a JSON object/],
    ['application/json', 'null', 400, /not a JSON object/],
    ['application/x-www-form-urlencoded', 'payload=%7Bnope', 400, /payload is not valid JSON/],
    ['application/x-www-form-urlencoded', `payload=${encodeURIComponent('"a string"')}`, 400, /not a JSON object/],
    ['text/plain', 'hello', 415, /content type "text\/plain"/],
    [undefined, 'hello', 415, /\(none\)/],
  ] as const)('%s %j → %i', (type, body, status, reason) => {
    const res = parseBody(type, body);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.status).toBe(status);
      expect(res.reason).toMatch(reason);
    }
  });

  it('knows the SSL check, and nothing else as one', () => {
    expect(isSslCheck('application/x-www-form-urlencoded', 'ssl_check=1&token=x')).toBe(true);
    expect(isSslCheck('application/json', '{"ssl_check":"1"}')).toBe(false);
    expect(isSslCheck('application/x-www-form-urlencoded', BODY)).toBe(false);
  });
});

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));
const action = blockAction({ actionId: 'advisory_acknowledge', value: 'CVE-2023-2727', responseUrl: 'https://hooks.slack.com/actions/x' });

describe('classifyPayload', () => {
  it.each([
    ['a slash command', form(BODY), 'command'],
    ['a block_actions press', action, 'block_actions'],
    ['an event envelope', JSON.parse(eventBody({ type: 'app_home_opened', user: 'U01AAA' })) as Record<string, unknown>, 'event_callback'],
    ['the URL verification', { type: 'url_verification', challenge: 'abc', token: 't' }, 'url_verification'],
    ['the Events API rate-limit notice', { token: 't', type: 'app_rate_limited', team_id: 'T0', minute_rate_limited: 1518467820, api_app_id: 'A0' }, 'app_rate_limited'],
  ])('%s', (_label, body, kind) => {
    expect(classifyPayload(body)).toEqual({ ok: true, value: kind });
  });

  it.each([
    ['empty object', {}, /neither a "command" field .* nor a "type"/],
    ['command without user', { ...form(BODY), user_id: undefined }, /slash command of the wrong shape: user_id/],
    ['command with a bad channel id', { ...form(BODY), channel_id: 'prod' }, /channel_id: must be a Slack channel id/],
    ['command that is not a slash command', { ...form(BODY), command: 'k8s' }, /command: must be a slash command/],
    ['block_actions without actions', { ...action, actions: [] }, /block_actions payload of the wrong shape: actions/],
    ['block_actions without user', { ...action, user: 'U01AAA' }, /user: /],
    ['event envelope without event', { type: 'event_callback', team_id: 'T0' }, /event envelope of the wrong shape: event/],
    ['event without a type', { type: 'event_callback', event: { user: 'U1' } }, /event\.type/],
    ['url_verification without challenge', { type: 'url_verification' }, /challenge/],
    ['app_rate_limited without its minute', { type: 'app_rate_limited' }, /minute_rate_limited/],
    ['a type this app does not handle', { type: 'view_closed', view: {} }, /"view_closed" is not handled/],
    ['a view_submission without a user', { type: 'view_submission', view: { callback_id: 'signoff_reject_reason' } }, /view_submission payload of the wrong shape: user/],
    ['type not a string', { type: 42 }, /neither/],
  ])('400: %s', (_label, body, reason) => {
    const res = classifyPayload(body as Record<string, unknown>);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.status).toBe(400);
      expect(res.reason).toMatch(reason);
    }
  });
});
