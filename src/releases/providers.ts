/**
 * Managed providers' own support calendars (EKS, GKE, AKS, OpenShift): which Kubernetes minor a
 * provider cycle ships, and whether the provider supports it on a given day. A managed cluster's
 * support posture follows its provider, not upstream: EKS keeps 1.34 in standard support until
 * 2026-12-02 while upstream 1.34 is end of life since 2026-10-27. Pure.
 */
import type { EndoflifeProduct, ManagedProvider, ProviderRelease } from './schema.ts';
import { MANAGED_PROVIDERS } from './schema.ts';

export type ProviderSupportState = 'standard' | 'extended' | 'ended' | 'not-yet' | 'unknown';

export interface ProviderSupport {
  state: ProviderSupportState;
  /** Last day-boundary of the current phase (standard: `eol`; extended: `eoes`), else null. */
  until: string | null;
}

const LABELS: Readonly<Record<ManagedProvider, string>> = { eks: 'EKS', gke: 'GKE', aks: 'AKS', openshift: 'OpenShift' };

export function isManagedProvider(name: string): name is ManagedProvider {
  return (MANAGED_PROVIDERS as readonly string[]).includes(name);
}

export function managedProviderLabel(provider: ManagedProvider): string {
  return LABELS[provider];
}

/**
 * The Kubernetes minor of a provider cycle. EKS, GKE and AKS name cycles by the Kubernetes minor;
 * OpenShift 4.N ships Kubernetes 1.(N+13) (4.14 → 1.27, 4.18 → 1.31, 4.21 → 1.34), constant since 4.1.
 * Null for a cycle we cannot map (an OpenShift 3.x).
 */
export function kubernetesMinorOfCycle(provider: ManagedProvider, cycle: string): string | null {
  const m = /^(\d+)\.(\d+)$/.exec(cycle.trim());
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (provider !== 'openshift') return major === 1 ? `1.${minor}` : null;
  return major === 4 ? `1.${minor + 13}` : null;
}

/** Support on `day` (YYYY-MM-DD): standard until `eol`, extended until `eoes`; "until" dates are exclusive like upstream EOL. */
export function providerSupportOn(release: ProviderRelease, day: string): ProviderSupport {
  if (release.ga !== null && day < release.ga) return { state: 'not-yet', until: null };
  if (release.eol === null) return { state: release.ga === null ? 'unknown' : 'standard', until: null };
  if (day < release.eol) return { state: 'standard', until: release.eol };
  if (release.eoes !== null && day < release.eoes) return { state: 'extended', until: release.eoes };
  return { state: 'ended', until: null };
}

/** endoflife.date API v1 answer for a provider product → our provider releases (unmappable cycles dropped). */
export function providerReleasesFromApi(provider: ManagedProvider, live: EndoflifeProduct): ProviderRelease[] {
  const out: ProviderRelease[] = [];
  for (const r of live.result.releases) {
    const minor = kubernetesMinorOfCycle(provider, r.name);
    if (minor === null) continue;
    out.push({
      cycle: r.name,
      minor,
      ga: r.releaseDate,
      eoas: r.eoasFrom,
      eol: r.eolFrom,
      eoes: r.eoesFrom ?? null,
      latest: r.latest?.name ?? null,
      latestDate: r.latest?.date ?? null,
    });
  }
  return out;
}
