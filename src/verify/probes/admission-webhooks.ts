/**
 * admission-webhooks: webhooks with failurePolicy Fail (the v1 default) whose service has no ready
 * endpoints — every matching request is then refused — or whose caBundle expires within 30 days.
 * Needs: list validating/mutatingwebhookconfigurations, list endpointslices.
 */
import type { AdmissionregistrationV1WebhookClientConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubeClient } from '../../kube/client.ts';
import { listSome, type Probe } from '../context.ts';
import { certificatesInBundle } from '../rules/text-formats.ts';

export const CA_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

const endpointSliceListSchema = z.object({
  items: z.array(z.object({
    metadata: z.object({ labels: z.record(z.string(), z.string()).nullish() }).loose().nullish(),
    endpoints: z.array(z.object({
      conditions: z.object({ ready: z.boolean().nullish() }).loose().nullish(),
    }).loose()).nullish(),
  }).loose()).default([]),
}).loose();

/** Ready endpoints behind a service, from its EndpointSlices. `ready` unset means ready (API docs). */
export async function readyEndpoints(kube: KubeClient, namespace: string, service: string): Promise<number> {
  const selector = encodeURIComponent(`kubernetes.io/service-name=${service}`);
  const res = await kube.raw(`/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices?labelSelector=${selector}`, {
    action: `list endpointslices.discovery.k8s.io in namespace ${namespace}`,
  });
  if (res.status === 404) return 0;
  if (res.status !== 200) throw kube.toError(new Error(`HTTP ${res.status} listing endpointslices`), `list endpointslices.discovery.k8s.io in namespace ${namespace}`);
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch (err) {
    throw kube.toError(err, `list endpointslices.discovery.k8s.io in namespace ${namespace}`);
  }
  const parsed = endpointSliceListSchema.safeParse(json);
  if (!parsed.success) throw kube.toError(parsed.error, `list endpointslices.discovery.k8s.io in namespace ${namespace}`);
  let ready = 0;
  // Filter again client-side: the selector is what matters, whatever the server did with it.
  const slices = parsed.data.items.filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === service);
  for (const slice of slices) for (const ep of slice.endpoints ?? []) if (ep.conditions?.ready !== false) ready += 1;
  return ready;
}

interface Hook {
  kind: 'validating' | 'mutating';
  config: string;
  name: string;
  failurePolicy: string;
  clientConfig: AdmissionregistrationV1WebhookClientConfig;
}

export const admissionWebhooksProbe: Probe = {
  id: 'admission-webhooks',
  title: 'Admission webhooks',
  needs: ['list validatingwebhookconfigurations.admissionregistration.k8s.io', 'list mutatingwebhookconfigurations.admissionregistration.k8s.io', 'list endpointslices.discovery.k8s.io'],
  async run({ kube, now }) {
    const [validating, mutating] = await Promise.all([
      kube.call('list validatingwebhookconfigurations.admissionregistration.k8s.io', () => kube.admission.listValidatingWebhookConfiguration()),
      kube.call('list mutatingwebhookconfigurations.admissionregistration.k8s.io', () => kube.admission.listMutatingWebhookConfiguration()),
    ]);
    const hooks: Hook[] = [];
    for (const c of validating.items) for (const w of c.webhooks ?? []) hooks.push({ kind: 'validating', config: c.metadata?.name ?? '?', name: w.name, failurePolicy: w.failurePolicy ?? 'Fail', clientConfig: w.clientConfig });
    for (const c of mutating.items) for (const w of c.webhooks ?? []) hooks.push({ kind: 'mutating', config: c.metadata?.name ?? '?', name: w.name, failurePolicy: w.failurePolicy ?? 'Fail', clientConfig: w.clientConfig });
    const failing = hooks.filter((h) => h.failurePolicy === 'Fail');

    const endpointCache = new Map<string, Promise<number>>();
    const failures: string[] = [];
    const warnings: string[] = [];
    const facts: Record<string, string> = {};
    await Promise.all(failing.map(async (h) => {
      const label = `${h.kind} ${h.name} (${h.config})`;
      const svc = h.clientConfig.service;
      if (svc) {
        const key = `${svc.namespace}/${svc.name}`;
        let p = endpointCache.get(key);
        if (!p) {
          p = readyEndpoints(kube, svc.namespace, svc.name);
          endpointCache.set(key, p);
        }
        const ready = await p;
        facts[`${h.name} endpoints`] = ready > 0 ? 'ready' : 'not-ready';
        if (ready === 0) failures.push(`${label}: failurePolicy Fail and service ${key} has no ready endpoints — matching requests are refused`);
      }
      if (h.clientConfig.caBundle) {
        const certs = certificatesInBundle(h.clientConfig.caBundle);
        if (certs.length === 0) {
          warnings.push(`${label}: caBundle could not be read as PEM certificates`);
        }
        for (const cert of certs) {
          const days = Math.floor((cert.validTo.getTime() - now.getTime()) / DAY_MS);
          if (days < 0) failures.push(`${label}: CA ${cert.subject} expired on ${cert.validTo.toISOString().slice(0, 10)}`);
          else if (days <= CA_WARN_DAYS) warnings.push(`${label}: CA ${cert.subject} expires on ${cert.validTo.toISOString().slice(0, 10)} (${days} days)`);
        }
      }
    }));
    failures.sort();
    warnings.sort();
    const evidence = [...failures, ...warnings, `${hooks.length} webhooks, ${failing.length} with failurePolicy Fail`];
    if (failures.length > 0) return { status: 'fail', summary: listSome(failures.map((f) => f.split(':')[0] ?? f), 3) + ` will refuse requests (${failures.length} problem${failures.length === 1 ? '' : 's'})`, evidence, facts };
    if (warnings.length > 0) return { status: 'warn', summary: `${warnings.length} webhook CA${warnings.length === 1 ? '' : 's'} expiring within ${CA_WARN_DAYS} days or unreadable`, evidence, facts };
    return { status: 'pass', summary: failing.length === 0 ? `${hooks.length} webhooks, none with failurePolicy Fail` : `${failing.length} Fail-policy webhooks served and CAs valid > ${CA_WARN_DAYS} days`, evidence, facts };
  },
};
