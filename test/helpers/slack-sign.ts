/**
 * Sign requests exactly as Slack does: v0 = HMAC-SHA256(signing secret, `v0:${timestamp}:${rawBody}`),
 * hex, in `X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp` (seconds).
 */
import { createHmac } from 'node:crypto';

export interface SignOptions {
  secret: string;
  body: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(options: SignOptions & { contentType?: string }): Record<string, string> {
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': slackSignature(options.secret, ts, options.body),
  };
}

export interface CommandFields {
  text: string;
  user_id?: string;
  channel_id?: string;
  response_url: string;
  command?: string;
  trigger_id?: string;
}

/** A slash-command body as Slack sends it (form-encoded). */
export function commandBody(fields: CommandFields): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    team_domain: 'example',
    channel_id: fields.channel_id ?? 'C0PROD',
    channel_name: 'prod',
    user_id: fields.user_id ?? 'U01AAA',
    user_name: 'someone',
    command: fields.command ?? '/k8s',
    text: fields.text,
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? '123.456.abc',
  }).toString();
}

/** An interactivity body (`payload=<json>`), e.g. a block_actions button press. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function blockAction(fields: { actionId: string; value: string; user?: string; channel?: string; responseUrl: string; messageTs?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'example' },
    user: { id: fields.user ?? 'U01AAA', username: 'someone', team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: fields.messageTs ?? '1700000000.000100', channel_id: fields.channel ?? 'C0PROD', is_ephemeral: false },
    trigger_id: '123.456.abc',
    channel: { id: fields.channel ?? 'C0PROD', name: 'prod' },
    message: { type: 'message', ts: fields.messageTs ?? '1700000000.000100', text: 'x' },
    response_url: fields.responseUrl,
    actions: [{ type: 'button', action_id: fields.actionId, block_id: 'advisory_actions', value: fields.value, action_ts: '1700000001.000200' }],
  };
}

/** An Events API envelope (JSON). */
export function eventBody(event: Record<string, unknown>): string {
  return JSON.stringify({
    token: 'legacy-verification-token', team_id: 'T0TEAM', api_app_id: 'A0APP', type: 'event_callback',
    event_id: `Ev${Math.random().toString(36).slice(2, 10).toUpperCase()}`, event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEAM', user_id: 'UBOT', is_bot: true }], event,
  });
}

export async function postSigned(url: string, body: string, options: { secret: string; timestamp?: number; contentType?: string; signature?: string }): Promise<Response> {
  const headers = signedHeaders({ secret: options.secret, body, ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}), ...(options.contentType ? { contentType: options.contentType } : {}) });
  if (options.signature !== undefined) headers['x-slack-signature'] = options.signature;
  return fetch(url, { method: 'POST', headers, body });
}
