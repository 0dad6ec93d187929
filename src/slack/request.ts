/**
 * The edges of an HTTP request from Slack, as pure functions: is it signed by Slack and recent
 * (in either direction), can its body be read, and is it a payload this app handles. The HTTP
 * receiver answers 401 / 400 / 415 from these before Bolt sees the request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { appRateLimitedSchema, blockActionBodySchema, viewSubmissionSchema, commandBodySchema, eventEnvelopeSchema, urlVerificationSchema } from './payloads.ts';

/** Slack's replay window: a request whose timestamp is further than this from now, either way, is refused. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

export type Check<T = undefined> = { ok: true; value: T } | { ok: false; status: 400 | 401 | 415; reason: string };

const fail = (status: 400 | 401 | 415, reason: string): { ok: false; status: 400 | 401 | 415; reason: string } => ({ ok: false, status, reason });

export interface SignedRequest {
  /** X-Slack-Request-Timestamp. */
  timestamp: string | undefined;
  /** X-Slack-Signature. */
  signature: string | undefined;
  rawBody: string;
}

/** v0 = HMAC-SHA256(signing secret, `v0:${timestamp}:${rawBody}`), hex; the timestamp within ±5 minutes of `nowMs`. */
export function verifySignature(secret: string, req: SignedRequest, nowMs: number): Check {
  if (req.timestamp === undefined || req.timestamp === '') return fail(401, 'missing X-Slack-Request-Timestamp header');
  if (!/^\d{1,12}$/.test(req.timestamp)) return fail(401, 'X-Slack-Request-Timestamp is not a number of seconds');
  const skew = Math.floor(nowMs / 1000) - Number(req.timestamp);
  if (skew > MAX_CLOCK_SKEW_S) return fail(401, `request timestamp is ${skew} s old (more than ${MAX_CLOCK_SKEW_S} s): stale or replayed`);
  if (-skew > MAX_CLOCK_SKEW_S) return fail(401, `request timestamp is ${-skew} s in the future (more than ${MAX_CLOCK_SKEW_S} s): check the clock`);
  if (req.signature === undefined || req.signature === '') return fail(401, 'missing X-Slack-Signature header');
  const m = /^v0=([0-9a-f]{64})$/.exec(req.signature);
  if (!m) return fail(401, 'X-Slack-Signature is not a v0 signature');
  const expected = createHmac('sha256', secret).update(`v0:${req.timestamp}:${req.rawBody}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(m[1] as string, 'hex'))) return fail(401, 'signature does not match (wrong signing secret?)');
  return { ok: true, value: undefined };
}

/** The media type alone: `application/json; charset=utf-8` → `application/json`. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Slack's SSL check (form `ssl_check=1`) carries no signature; it is answered 200 and nothing else is read. */
export function isSslCheck(contentType: string | undefined, rawBody: string): boolean {
  return mediaType(contentType) === 'application/x-www-form-urlencoded' && new URLSearchParams(rawBody).get('ssl_check') === '1';
}

export type ParsedBody = Record<string, unknown>;

/**
 * Slash commands and interactivity arrive form-encoded (interactivity as `payload=<json>`), events
 * as JSON. The result is the object Bolt expects.
 */
export function parseBody(contentType: string | undefined, rawBody: string): Check<ParsedBody> {
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(rawBody);
    const payload = form.get('payload');
    if (payload === null) return { ok: true, value: Object.fromEntries(form) };
    return jsonObject(payload, 'the form field payload');
  }
  if (type === 'application/json') return jsonObject(rawBody, 'the body');
  return fail(415, `content type "${type || '(none)'}" is not one Slack sends (application/x-www-form-urlencoded or application/json)`);
}

function jsonObject(text: string, what: string): Check<ParsedBody> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(400, `${what} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(400, `${what} is not a JSON object`);
  return { ok: true, value: value as ParsedBody };
}

/** zod issues as one line: `user_id: must be a Slack user id; actions: Too small…`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export type PayloadKind = 'command' | 'block_actions' | 'view_submission' | 'event_callback' | 'url_verification' | 'app_rate_limited';

function shaped(kind: PayloadKind, label: string, schema: z.ZodType, body: ParsedBody): Check<PayloadKind> {
  const res = schema.safeParse(body);
  return res.success ? { ok: true, value: kind } : fail(400, `${label} of the wrong shape: ${describeIssues(res.error.issues)}`);
}

/**
 * Which payload this is, checked against its schema: a slash command (form fields), a
 * block_actions interaction, an Events API envelope, Slack's URL verification or its Events API
 * rate-limit notice. Anything else
 * is not something this app registered for.
 */
export function classifyPayload(body: ParsedBody): Check<PayloadKind> {
  if ('command' in body) return shaped('command', 'slash command', commandBodySchema, body);
  const type = body.type;
  if (typeof type !== 'string') return fail(400, 'payload has neither a "command" field (slash command) nor a "type" (interaction or event)');
  switch (type) {
    case 'block_actions': return shaped('block_actions', 'block_actions payload', blockActionBodySchema, body);
    case 'view_submission': return shaped('view_submission', 'view_submission payload', viewSubmissionSchema, body);
    case 'event_callback': return shaped('event_callback', 'event envelope', eventEnvelopeSchema, body);
    case 'url_verification': return shaped('url_verification', 'url_verification payload', urlVerificationSchema, body);
    case 'app_rate_limited': return shaped('app_rate_limited', 'app_rate_limited payload', appRateLimitedSchema, body);
    default: return fail(400, `payload type "${type.slice(0, 40)}" is not handled by this app (slash commands, block_actions, view_submission, event_callback)`);
  }
}
