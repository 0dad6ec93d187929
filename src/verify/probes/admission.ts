/**
 * admission: server-side dry-run create (dryRun=All: nothing is persisted) of a privileged pod in a
 * namespace labelled pod-security.kubernetes.io/enforce=restricted must be rejected, and of a
 * compliant pod accepted. The rejection message is the evidence.
 * Needs: list namespaces, create pods (dry-run only).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { httpStatusOf, statusOf } from '../../kube/errors.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Probe } from '../context.ts';

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const IMAGE = 'registry.k8s.io/pause:3.10';

const meta = (name: string) => ({ name, labels: { 'app.kubernetes.io/name': 'k8s-advisor-verify', 'app.kubernetes.io/managed-by': 'k8s-advisor' } });
const resources = { requests: { cpu: '1m', memory: '8Mi' }, limits: { cpu: '10m', memory: '16Mi' } };

export function privilegedPod(): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: meta('k8s-advisor-verify-privileged'),
    spec: {
      hostPID: true,
      containers: [{ name: 'probe', image: IMAGE, resources, securityContext: { privileged: true, allowPrivilegeEscalation: true, runAsUser: 0 } }],
    },
  };
}

/** Meets the "restricted" Pod Security Standard. */
export function compliantPod(): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: meta('k8s-advisor-verify-compliant'),
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'probe', image: IMAGE, resources,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
      }],
    },
  };
}

export interface DryRunOutcome {
  accepted: boolean;
  /** The API server's message when rejected. */
  message: string;
}

/** RBAC refusals say `User "x" cannot create resource "pods"`; policy refusals do not. */
export function isRbacRefusal(message: string): boolean {
  return /cannot create resource/.test(message);
}

/**
 * Dry-run create. Resolves with accepted/rejected for admission answers (400/403/422 with a Status);
 * rejects with a ClusterAccessError for RBAC refusals, 404 and transport failures.
 */
export async function dryRunCreate(kube: KubeClient, action: string, create: () => Promise<unknown>): Promise<DryRunOutcome> {
  try {
    await create();
    return { accepted: true, message: '' };
  } catch (err) {
    const code = httpStatusOf(err);
    const status = statusOf(err);
    const message = status?.message ?? '';
    if ((code === 400 || code === 403 || code === 422) && message !== '' && !isRbacRefusal(message)) {
      return { accepted: false, message };
    }
    throw kube.toError(err, action);
  }
}

export const admissionProbe: Probe = {
  id: 'admission',
  title: 'PodSecurity admission',
  needs: ['list namespaces', 'create pods (dry-run)'],
  async run({ kube, read, checks, cluster }) {
    const namespaces = await read.namespaces();
    const restricted = namespaces.filter((ns) => ns.metadata?.labels?.[ENFORCE_LABEL] === 'restricted').map((ns) => ns.metadata?.name ?? '');
    const configured = checks.admission.namespace;
    const namespace = configured ?? restricted[0];
    if (namespace === undefined) {
      return {
        status: 'warn',
        summary: `no namespace labelled ${ENFORCE_LABEL}=restricted; set one, or environments.${cluster.environment}.checks.admission.namespace`,
        evidence: [],
      };
    }
    const evidence: string[] = [];
    const ns = namespaces.find((n) => n.metadata?.name === namespace);
    const level = ns?.metadata?.labels?.[ENFORCE_LABEL];
    evidence.push(`namespace ${namespace}: ${ENFORCE_LABEL}=${level ?? '(unset)'}${configured ? ' (configured)' : ''}`);
    const action = `create pods in namespace ${namespace}`;
    const [bad, good] = await Promise.all([
      dryRunCreate(kube, action, () => kube.core.createNamespacedPod({ namespace, body: privilegedPod(), dryRun: 'All' })),
      dryRunCreate(kube, action, () => kube.core.createNamespacedPod({ namespace, body: compliantPod(), dryRun: 'All' })),
    ]);
    const facts = { 'privileged-pod': bad.accepted ? 'accepted' : 'rejected', 'compliant-pod': good.accepted ? 'accepted' : 'rejected' };
    evidence.push(bad.accepted ? 'privileged pod: ACCEPTED (dry-run)' : `privileged pod rejected: ${bad.message}`);
    evidence.push(good.accepted ? 'compliant pod: accepted (dry-run)' : `compliant pod REJECTED: ${good.message}`);
    if (bad.accepted) {
      return { status: 'fail', summary: `a privileged pod is admitted in ${namespace} (${ENFORCE_LABEL}=${level ?? 'unset'})`, evidence, facts };
    }
    if (!good.accepted) {
      return { status: 'warn', summary: `privileged pod rejected in ${namespace}, but a restricted-compliant pod is rejected too`, evidence, facts };
    }
    if (level !== 'restricted') {
      return { status: 'warn', summary: `privileged pod rejected in ${namespace}, but it is not labelled enforce=restricted`, evidence, facts };
    }
    return { status: 'pass', summary: `privileged pod rejected, compliant pod accepted in ${namespace}`, evidence, facts };
  },
};
