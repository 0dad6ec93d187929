/**
 * rbac: each configured expectation (environments.<env>.checks.rbac) checked with a
 * SubjectAccessReview; a deny that became allow is a fail. Needs: create subjectaccessreviews.
 */
import type { V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import type { RbacCheck } from '../../config/schema.ts';
import type { Probe } from '../context.ts';

/** "user:developer get secrets -n kube-system" */
export function rbacCheckKey(check: RbacCheck): string {
  const res = `${check.resource}${check.subresource ? `/${check.subresource}` : ''}${check.group ? `.${check.group}` : ''}`;
  return `${check.as} ${check.verb} ${res}${check.namespace ? ` -n ${check.namespace}` : ''}`;
}

/**
 * The SubjectAccessReview spec for "as": users also get `system:authenticated` (every real
 * authenticated user has it, and bindings to it apply), service accounts get their groups.
 */
export function reviewSpec(check: RbacCheck): V1SubjectAccessReviewSpec {
  const resourceAttributes = {
    verb: check.verb,
    resource: check.resource,
    group: check.group,
    ...(check.subresource ? { subresource: check.subresource } : {}),
    ...(check.namespace ? { namespace: check.namespace } : {}),
  };
  const [kind, ...rest] = check.as.split(':');
  const name = rest.join(':');
  if (kind === 'group') return { groups: [name, 'system:authenticated'], resourceAttributes };
  if (kind === 'serviceaccount') {
    const [ns = '', sa = ''] = name.split(':');
    return {
      user: `system:serviceaccount:${ns}:${sa}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      resourceAttributes,
    };
  }
  return { user: name, groups: ['system:authenticated'], resourceAttributes };
}

export const rbacProbe: Probe = {
  id: 'rbac',
  title: 'RBAC expectations',
  needs: ['create subjectaccessreviews.authorization.k8s.io'],
  async run({ kube, checks, cluster }) {
    if (checks.rbac.length === 0) {
      return { status: 'skip', summary: `no RBAC expectations configured (environments.${cluster.environment}.checks.rbac)`, evidence: [] };
    }
    const results = await Promise.all(checks.rbac.map(async (check) => {
      const review = await kube.call('create subjectaccessreviews.authorization.k8s.io', () =>
        kube.authorization.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: reviewSpec(check) } }));
      const allowed = review.status?.allowed === true;
      return { check, key: rbacCheckKey(check), actual: allowed ? 'allow' as const : 'deny' as const, reason: review.status?.reason ?? review.status?.evaluationError ?? '' };
    }));
    const facts: Record<string, string> = {};
    const evidence: string[] = [];
    const opened: string[] = [];
    const closed: string[] = [];
    for (const r of results) {
      facts[r.key] = r.actual;
      const ok = r.actual === r.check.expect;
      evidence.push(`${ok ? 'ok' : 'MISMATCH'}: ${r.key}: ${r.actual} (expected ${r.check.expect})${r.reason ? ` — ${r.reason}` : ''}`);
      if (!ok && r.actual === 'allow') opened.push(r.key);
      if (!ok && r.actual === 'deny') closed.push(r.key);
    }
    // Mismatches first.
    evidence.sort((a, b) => (a.startsWith('MISMATCH') ? 0 : 1) - (b.startsWith('MISMATCH') ? 0 : 1));
    if (opened.length + closed.length === 0) {
      return { status: 'pass', summary: `all ${results.length} expectations hold`, evidence, facts };
    }
    const bits = [
      opened.length > 0 ? `${opened.length} expected deny now allowed (${opened.join('; ')})` : '',
      closed.length > 0 ? `${closed.length} expected allow now denied (${closed.join('; ')})` : '',
    ].filter(Boolean);
    return { status: 'fail', summary: bits.join('; '), evidence, facts };
  },
};
