/**
 * Managed providers ship their own builds of upstream Kubernetes. We target the upstream patch;
 * the note tells the operator which provider build carries it.
 */
import type { ClusterProvider } from '../inventory/types.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { MANAGED_PROVIDERS, type ManagedProvider } from '../releases/schema.ts';

function isManagedProvider(p: ClusterProvider): p is ManagedProvider {
  return (MANAGED_PROVIDERS as readonly string[]).includes(p);
}

const LABEL: Partial<Record<ClusterProvider, string>> = {
  eks: 'EKS', gke: 'GKE', aks: 'AKS', k3s: 'k3s', rke2: 'RKE2', openshift: 'OpenShift',
};

/** Providers that run the control plane for you and keep their own support calendars. */
const HOSTED: readonly ClusterProvider[] = ['eks', 'gke', 'aks'];

export function providerLabel(provider: ClusterProvider): string | null {
  return LABEL[provider] ?? null;
}

export function isManaged(provider: ClusterProvider): boolean {
  return LABEL[provider] !== undefined;
}

/** "EKS: move to an EKS platform version based on v1.29.5 or later", or null for self-managed. */
export function providerTargetNote(provider: ClusterProvider, target: string, onNodes: boolean): string | null {
  const v = `v${target}`;
  switch (provider) {
    case 'eks':
      return onNodes
        ? `EKS: roll nodes to an EKS-optimized AMI (or managed node group release) with kubelet ${v} or later`
        : `EKS: move to an EKS platform version based on ${v} or later`;
    case 'gke':
      return onNodes
        ? `GKE: upgrade node pools to a GKE version based on ${v} or later (${v}-gke.N)`
        : `GKE: upgrade the control plane to a GKE version based on ${v} or later (${v}-gke.N)`;
    case 'aks':
      return onNodes
        ? `AKS: upgrade node pools to an AKS patch version ${v} or later`
        : `AKS: upgrade to an AKS patch version ${v} or later`;
    case 'k3s':
      return `k3s: move to a k3s release ${v}+k3s1 or later`;
    case 'rke2':
      return `RKE2: move to an RKE2 release ${v}+rke2r1 or later`;
    case 'openshift':
      return `OpenShift: move to an OpenShift release that ships Kubernetes ${v} or later`;
    default:
      return null;
  }
}

/**
 * Hosted providers support minors past upstream EOL on their own calendars (e.g. EKS extended
 * support). Null when the provider's own calendar (release data) lists the minor: the cluster's
 * remediation then says what that calendar says, and "may still support" would contradict it.
 */
export function providerEolNote(provider: ClusterProvider, minor: string, calendar?: Pick<ReleaseCalendar, 'hasProviderCalendar' | 'providerRelease'>): string | null {
  if (!HOSTED.includes(provider)) return null;
  if (calendar && isManagedProvider(provider) && calendar.hasProviderCalendar(provider) && calendar.providerRelease(provider, minor) !== null) return null;
  return `${LABEL[provider]} may still support ${minor} on its own (extended) support calendar; the target follows upstream support`;
}
