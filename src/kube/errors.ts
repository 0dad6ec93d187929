/**
 * The one place that turns whatever @kubernetes/client-node (or undici beneath it) throws into a
 * `ClusterAccessError` with a stable code and a message an operator can act on.
 *
 * What the library throws, and how we recognise it:
 * - `ApiException` (`.code` = HTTP status, `.body` = Status JSON text for most non-2xx, undefined for 401).
 * - `DOMException` named `TimeoutError` / `AbortError` when our per-request signal fires.
 * - `TypeError('fetch failed')` whose `cause` (possibly an AggregateError) carries a Node/undici
 *   error `code`: ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, UND_ERR_SOCKET …
 * - `SyntaxError` from JSON.parse, or "Cannot parse content" from the serializer, for garbage bodies;
 *   `ZodError` from our own schemas for JSON of an unexpected shape.
 */
import { z } from 'zod';
import { ClusterAccessError, errorMessage, type ClusterErrorCode } from '../errors.ts';

export interface KubeErrorContext {
  /** Cluster name from the config. */
  cluster: string;
  /** API server URL, for messages. */
  server?: string | null;
  /** Kubeconfig file the credentials came from; null for in-cluster. */
  kubeconfig?: string | null;
  /** What we were doing, as RBAC would name it: "list nodes", "get /metrics". */
  action?: string;
  timeoutMs?: number;
}

const statusSchema = z.object({
  kind: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z.object({ kind: z.string().optional(), group: z.string().optional(), name: z.string().optional() }).loose().optional(),
}).loose();

export type KubeStatus = z.infer<typeof statusSchema>;

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'EADDRNOTAVAIL',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);

/** HTTP status of a client-node ApiException (or anything shaped like one), else null. */
export function httpStatusOf(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && code >= 100 && code <= 599) return code;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : null;
}

/** The Kubernetes `Status` object carried by an ApiException body, if any. */
export function statusOf(err: unknown): KubeStatus | null {
  if (typeof err !== 'object' || err === null) return null;
  const body = (err as { body?: unknown }).body;
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return null;
    }
  }
  const parsed = statusSchema.safeParse(value);
  return parsed.success && (parsed.data.kind === 'Status' || parsed.data.message !== undefined) ? parsed.data : null;
}

/**
 * "needs: list nodes" from the API server's own 403 message
 * (`nodes is forbidden: User "x" cannot list resource "nodes" in API group "" at the cluster scope`),
 * else from the action we were attempting.
 */
export function forbiddenNeeds(status: KubeStatus | null, action: string | undefined): string | null {
  const msg = status?.message ?? '';
  const m = /cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(msg);
  if (m) {
    const [, verb, resource, group, namespace] = m;
    const qualified = group ? `${resource}.${group}` : resource;
    return `${verb} ${qualified}${namespace ? ` in namespace ${namespace}` : ''}`;
  }
  const nonResource = /cannot (\S+) path "([^"]+)"/.exec(msg);
  if (nonResource) return `${nonResource[1]} ${nonResource[2]}`;
  return action ?? null;
}

/** Error codes (Node/undici/OpenSSL) found anywhere along the cause chain, AggregateErrors included. */
export function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 8 || typeof e !== 'object' || e === null || seen.has(e)) return;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') codes.push(name);
    visit((e as { cause?: unknown }).cause, depth + 1);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return codes;
}

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || /^ERR_SSL_|^ERR_TLS_|CERT/.test(code);
}

function deepestMessage(err: unknown): string {
  let cur: unknown = err;
  let msg = errorMessage(err);
  for (let i = 0; i < 8 && typeof cur === 'object' && cur !== null; i++) {
    const cause = (cur as { cause?: unknown }).cause;
    if (cause === undefined) break;
    msg = errorMessage(cause);
    cur = cause;
  }
  return msg;
}

/**
 * Map any error from a Kubernetes call to a ClusterAccessError. An existing ClusterAccessError is
 * returned unchanged. Retryable: timeouts, 5xx, 429, unreachable. Never retryable: 401, 403, TLS,
 * garbage, config.
 */
export function toClusterAccessError(err: unknown, ctx: KubeErrorContext): ClusterAccessError {
  if (err instanceof ClusterAccessError) return err;
  const { cluster } = ctx;
  const server = ctx.server ?? 'the API server';
  const creds = ctx.kubeconfig ? ctx.kubeconfig : 'the in-cluster service account token';
  const doing = ctx.action ? ` (${ctx.action})` : '';
  const make = (code: ClusterErrorCode, message: string, options: { retryable?: boolean; hint?: string } = {}) =>
    new ClusterAccessError(code, cluster, `${cluster}: ${message}`, { ...options, cause: err });

  const status = httpStatusOf(err);
  if (status !== null) {
    const body = statusOf(err);
    const said = body?.message ? `: ${body.message}` : '';
    if (status === 401) {
      return make('CLUSTER_UNAUTHORIZED', `credentials rejected (401)${doing}: refresh the token in ${creds}`, {
        hint: `refresh the token in ${creds} (expired or revoked credentials)`,
      });
    }
    if (status === 403) {
      const needs = forbiddenNeeds(body, ctx.action);
      return make('CLUSTER_FORBIDDEN', `forbidden (403)${needs ? `, needs: ${needs}` : ''}${said}`, {
        hint: needs ? `grant the k8s-advisor identity "${needs}" (ClusterRole)` : 'grant the k8s-advisor identity read access',
      });
    }
    if (status === 429 || status >= 500) {
      return make('CLUSTER_BAD_RESPONSE', `API server answered ${status}${doing}${said}`, { retryable: true });
    }
    return make('CLUSTER_BAD_RESPONSE', `API server answered ${status}${doing}${said}`);
  }

  const codes = causeCodes(err);
  if (codes.some((c) => c === 'TimeoutError' || c === 'AbortError' || TIMEOUT_CODES.has(c))) {
    const within = ctx.timeoutMs !== undefined ? ` within ${ctx.timeoutMs} ms` : '';
    return make('CLUSTER_TIMEOUT', `no answer from ${server}${within}${doing}`, { retryable: true });
  }
  const tls = codes.find(isTlsCode);
  if (tls !== undefined) {
    return make('CLUSTER_TLS', `TLS with ${server} failed (${tls}): ${deepestMessage(err)}`, {
      hint: `check certificate-authority / insecure-skip-tls-verify for this cluster in ${creds}`,
    });
  }
  const net = codes.find((c) => UNREACHABLE_CODES.has(c));
  if (net !== undefined) {
    return make('CLUSTER_UNREACHABLE', `cannot reach ${server} (${net})${doing}`, { retryable: true });
  }
  if (err instanceof z.ZodError) {
    const issues = err.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return make('CLUSTER_BAD_RESPONSE', `unexpected answer from ${server}${doing}: ${issues}`);
  }
  if (err instanceof SyntaxError || (err instanceof Error && /Cannot parse content|not supported by ObjectSerializer/i.test(err.message))) {
    return make('CLUSTER_BAD_RESPONSE', `unexpected answer from ${server}${doing}: ${errorMessage(err).split('\n')[0]}`);
  }
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    return make('CLUSTER_UNREACHABLE', `cannot reach ${server}${doing}: ${deepestMessage(err)}`, { retryable: true });
  }
  return make('CLUSTER_BAD_RESPONSE', `unexpected error talking to ${server}${doing}: ${errorMessage(err).split('\n')[0]}`);
}

/** Errors that mean "this cluster cannot be read at all right now", as opposed to a partial RBAC gap. */
export function isWholeClusterFailure(err: ClusterAccessError): boolean {
  return err.code === 'CLUSTER_UNREACHABLE' || err.code === 'CLUSTER_TIMEOUT' || err.code === 'CLUSTER_TLS'
    || err.code === 'CLUSTER_UNAUTHORIZED' || err.code === 'CLUSTER_CONFIG';
}
