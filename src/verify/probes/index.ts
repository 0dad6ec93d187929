/** Every probe, in report order. */
import type { Probe } from '../context.ts';
import type { ProbeId } from '../types.ts';
import { admissionWebhooksProbe } from './admission-webhooks.ts';
import { admissionProbe } from './admission.ts';
import { apiserverHealthProbe } from './apiserver-health.ts';
import { controlPlaneVersionsProbe } from './control-plane-versions.ts';
import { deprecatedApisProbe } from './deprecated-apis.ts';
import { disruptionReadinessProbe } from './disruption-readiness.ts';
import { networkPolicyProbe } from './network-policy.ts';
import { nodeReadinessProbe } from './node-readiness.ts';
import { podSecurityLabelsProbe } from './pod-security-labels.ts';
import { rbacProbe } from './rbac.ts';
import { systemPodsProbe } from './system-pods.ts';
import { versionSkewProbe } from './version-skew.ts';
import { versionSupportProbe } from './version-support.ts';

export const ALL_PROBES: readonly Probe[] = [
  apiserverHealthProbe,
  versionSupportProbe,
  nodeReadinessProbe,
  versionSkewProbe,
  controlPlaneVersionsProbe,
  systemPodsProbe,
  deprecatedApisProbe,
  rbacProbe,
  admissionProbe,
  networkPolicyProbe,
  podSecurityLabelsProbe,
  admissionWebhooksProbe,
  disruptionReadinessProbe,
];

export function probeById(id: ProbeId): Probe | undefined {
  return ALL_PROBES.find((p) => p.id === id);
}
