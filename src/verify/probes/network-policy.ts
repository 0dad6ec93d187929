/**
 * network-policy: a server-side dry-run create of a NetworkPolicy is accepted, and namespaces without
 * any NetworkPolicy are listed (warn). Acceptance proves the API path, not that the CNI enforces it.
 * Needs: list namespaces, list networkpolicies, create networkpolicies (dry-run only).
 */
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { listSome, watchedNamespaces, type Probe } from '../context.ts';
import { dryRunCreate } from './admission.ts';

export function probeNetworkPolicy(): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name: 'k8s-advisor-verify', labels: { 'app.kubernetes.io/managed-by': 'k8s-advisor' } },
    spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'k8s-advisor-verify' } }, policyTypes: ['Ingress'], ingress: [] },
  };
}

export const networkPolicyProbe: Probe = {
  id: 'network-policy',
  title: 'NetworkPolicy',
  needs: ['list namespaces', 'list networkpolicies.networking.k8s.io', 'create networkpolicies.networking.k8s.io (dry-run)'],
  async run({ kube, read, checks }) {
    const namespace = checks.networkPolicy.namespace;
    const [namespaces, policies, created] = await Promise.all([
      read.namespaces(),
      read.networkPolicies(),
      dryRunCreate(kube, `create networkpolicies.networking.k8s.io in namespace ${namespace}`,
        () => kube.networking.createNamespacedNetworkPolicy({ namespace, body: probeNetworkPolicy(), dryRun: 'All' })),
    ]);
    const covered = new Set(policies.map((p) => p.metadata?.namespace ?? ''));
    const bare = watchedNamespaces(namespaces, checks).map((n) => n.metadata?.name ?? '').filter((n) => !covered.has(n)).sort();
    const evidence = [
      created.accepted ? `dry-run NetworkPolicy in ${namespace}: accepted` : `dry-run NetworkPolicy in ${namespace} REJECTED: ${created.message}`,
      `${policies.length} NetworkPolicies in ${covered.size} namespaces`,
      ...(bare.length > 0 ? [`namespaces without a NetworkPolicy: ${bare.join(', ')}`] : []),
    ];
    const facts = { 'dry-run': created.accepted ? 'accepted' : 'rejected' };
    if (!created.accepted) return { status: 'fail', summary: `dry-run NetworkPolicy rejected in ${namespace}`, evidence, facts };
    if (bare.length > 0) {
      return { status: 'warn', summary: `dry-run accepted; ${bare.length} namespace${bare.length === 1 ? '' : 's'} without a NetworkPolicy: ${listSome(bare, 5)}`, evidence, facts };
    }
    return { status: 'pass', summary: 'dry-run accepted; every namespace has a NetworkPolicy', evidence, facts };
  },
};
