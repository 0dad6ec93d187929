// Error mapping for src/kube/errors.ts (kept beside the inventory tests, which own this boundary's tests).
import { describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';
import { ClusterAccessError } from '../../../src/errors.ts';
import { causeCodes, forbiddenNeeds, statusOf, toClusterAccessError } from '../../../src/kube/errors.ts';

const ctx = { cluster: 'prod-eu', server: 'https://10.0.0.1:6443', kubeconfig: '/etc/k8s-advisor/kubeconfig', timeoutMs: 5000 };

const forbiddenBody = JSON.stringify({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
  message: 'nodes is forbidden: User "system:serviceaccount:k8s-advisor:k8s-advisor" cannot list resource "nodes" in API group "" at the cluster scope',
  details: { kind: 'nodes' },
});

function fetchFailed(code: string, message = code): TypeError {
  const cause = Object.assign(new Error(message), { code });
  return new TypeError('fetch failed', { cause });
}

describe('toClusterAccessError', () => {
  it.each<[string, unknown, string, boolean]>([
    ['401', new ApiException(401, 'Unauthorized', undefined, {}), 'CLUSTER_UNAUTHORIZED', false],
    ['403', new ApiException(403, 'Unknown API Status Code!', forbiddenBody, {}), 'CLUSTER_FORBIDDEN', false],
    ['404', new ApiException(404, 'Unknown API Status Code!', '{"kind":"Status","message":"the server could not find the requested resource"}', {}), 'CLUSTER_BAD_RESPONSE', false],
    ['429', new ApiException(429, 'Unknown API Status Code!', '', {}), 'CLUSTER_BAD_RESPONSE', true],
    ['500', new ApiException(500, 'Unknown API Status Code!', '{"kind":"Status","message":"Internal error occurred: etcdserver: request timed out"}', {}), 'CLUSTER_BAD_RESPONSE', true],
    ['503', new ApiException(503, 'Unknown API Status Code!', '', {}), 'CLUSTER_BAD_RESPONSE', true],
    ['abort signal timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'CLUSTER_TIMEOUT', true],
    ['undici headers timeout', fetchFailed('UND_ERR_HEADERS_TIMEOUT'), 'CLUSTER_TIMEOUT', true],
    ['connection refused', fetchFailed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'CLUSTER_UNREACHABLE', true],
    ['DNS', fetchFailed('ENOTFOUND', 'getaddrinfo ENOTFOUND api.example.invalid'), 'CLUSTER_UNREACHABLE', true],
    ['refused inside an AggregateError', new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) }), 'CLUSTER_UNREACHABLE', true],
    ['self-signed', fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'CLUSTER_TLS', false],
    ['expired', fetchFailed('CERT_HAS_EXPIRED', 'certificate has expired'), 'CLUSTER_TLS', false],
    ['wrong host', fetchFailed('ERR_TLS_CERT_ALTNAME_INVALID'), 'CLUSTER_TLS', false],
    ['garbage JSON', new SyntaxError('Unexpected token < in JSON at position 0'), 'CLUSTER_BAD_RESPONSE', false],
    ['wrong shape', new z.ZodError([{ code: 'custom', path: ['items'], message: 'expected array', input: 'x' }]), 'CLUSTER_BAD_RESPONSE', false],
    ['no content type', new Error('Cannot parse content. No Content-Type defined.'), 'CLUSTER_BAD_RESPONSE', false],
  ])('%s', (_label, err, code, retryable) => {
    const mapped = toClusterAccessError(err, { ...ctx, action: 'list nodes' });
    expect(mapped).toBeInstanceOf(ClusterAccessError);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.cluster).toBe('prod-eu');
    expect(mapped.message.startsWith('prod-eu: ')).toBe(true);
  });

  it('401 names the kubeconfig to refresh', () => {
    const mapped = toClusterAccessError(new ApiException(401, 'Unauthorized', undefined, {}), ctx);
    expect(mapped.message).toContain('credentials rejected');
    expect(mapped.message).toContain('refresh the token in /etc/k8s-advisor/kubeconfig');
  });

  it('401 in-cluster names the service account token', () => {
    const mapped = toClusterAccessError(new ApiException(401, 'Unauthorized', undefined, {}), { ...ctx, kubeconfig: null });
    expect(mapped.message).toContain('in-cluster service account token');
  });

  it('403 says what permission is needed, from the server message', () => {
    const mapped = toClusterAccessError(new ApiException(403, 'x', forbiddenBody, {}), { ...ctx, action: 'something else' });
    expect(mapped.message).toContain('needs: list nodes');
    expect(mapped.hint).toContain('list nodes');
  });

  it('403 without a Status body falls back to the attempted action', () => {
    const mapped = toClusterAccessError(new ApiException(403, 'x', '', {}), { ...ctx, action: 'get /metrics' });
    expect(mapped.message).toContain('needs: get /metrics');
  });

  it('timeout names the server and the limit', () => {
    const mapped = toClusterAccessError(new DOMException('aborted', 'TimeoutError'), ctx);
    expect(mapped.message).toBe('prod-eu: no answer from https://10.0.0.1:6443 within 5000 ms');
  });

  it('keeps an existing ClusterAccessError as is', () => {
    const original = new ClusterAccessError('CLUSTER_CONFIG', 'x', 'x: nope');
    expect(toClusterAccessError(original, ctx)).toBe(original);
  });

  it('never leaks the bearer token from a client-node message', () => {
    const err = new ApiException(500, 'boom', '{"message":"oops"}', { 'content-type': 'application/json' });
    expect(toClusterAccessError(err, ctx).message).not.toContain('Headers');
  });
});

describe('forbiddenNeeds', () => {
  it.each([
    ['pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "kube-system"', 'list pods in namespace kube-system'],
    ['deployments.apps is forbidden: User "u" cannot list resource "deployments" in API group "apps" at the cluster scope', 'list deployments.apps'],
    ['forbidden: User "u" cannot get path "/metrics"', 'get /metrics'],
  ])('%s', (message, needs) => {
    expect(forbiddenNeeds({ kind: 'Status', message }, undefined)).toBe(needs);
  });
});

describe('statusOf / causeCodes', () => {
  it('parses a Status body given as text', () => {
    expect(statusOf({ body: forbiddenBody })?.reason).toBe('Forbidden');
    expect(statusOf({ body: '<html>' })).toBeNull();
  });

  it('walks nested causes', () => {
    expect(causeCodes(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }))).toContain('ECONNRESET');
  });
});
