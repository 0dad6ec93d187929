import { describe, expect, it } from 'vitest';
import { featureGatesFromMetrics, isIngressNginxWebhook } from '../../../src/inventory/live.ts';

describe('featureGatesFromMetrics', () => {
  it.each([
    ['one enabled gate', 'kubernetes_feature_enabled{name="SidecarContainers",stage="BETA"} 1', { SidecarContainers: true }],
    ['a disabled gate', 'kubernetes_feature_enabled{name="Foo",stage="ALPHA"} 0', { Foo: false }],
    ['labels in another order, GA stage empty', 'kubernetes_feature_enabled{stage="",name="Bar"} 1', { Bar: true }],
    ['other metrics and comments ignored', '# HELP kubernetes_feature_enabled x\n# TYPE kubernetes_feature_enabled gauge\napiserver_request_total{code="200"} 5\nkubernetes_feature_enabled{name="A",stage="BETA"} 1', { A: true }],
    ['no feature metric at all', 'process_start_time_seconds 1.7e9', {}],
    ['a line without a name label is skipped', 'kubernetes_feature_enabled{stage="BETA"} 1', {}],
  ])('%s', (_name, body, gates) => {
    expect(featureGatesFromMetrics(body)).toEqual(gates);
  });
});

describe('isIngressNginxWebhook', () => {
  const config = (name: string, webhooks: { name: string; service?: string }[], labels: Record<string, string> = {}) => ({
    metadata: { name, labels }, webhooks: webhooks.map((w) => ({ name: w.name, clientConfig: w.service ? { service: { name: w.service, namespace: 'x' } } : {} })),
  });
  it.each([
    ['the chart\'s webhook name', config('anything', [{ name: 'validate.nginx.ingress.kubernetes.io' }]), true],
    ['the admission service', config('custom', [{ name: 'v.example.com', service: 'my-ingress-nginx-controller-admission' }]), true],
    ['the chart label', config('x', [], { 'app.kubernetes.io/name': 'ingress-nginx' }), true],
    ['another product (NGINX Inc\'s controller)', config('nginx-ingress', [{ name: 'v.nginx.org', service: 'nginx-ingress-controller' }]), false],
    ['gatekeeper', config('gatekeeper', [{ name: 'validation.gatekeeper.sh', service: 'gatekeeper-webhook-service' }]), false],
  ])('%s → %s', (_name, c, expected) => {
    expect(isIngressNginxWebhook(c)).toBe(expected);
  });
});
