/**
 * Version-skew policy relative to kube-apiserver (data/releases/version-skew-policy.md). Pure.
 * kubelet/kube-proxy: never newer, at most 3 minors older (2 when the node component is older than 1.25).
 * kube-controller-manager/kube-scheduler: same minor or one older. HA kube-apiservers: within one minor.
 */
import { minorDistance, minorOf } from '../../advisory/versions.ts';
import { maxNodeSkew } from '../../triage/skew.ts';

export type SkewComponent = 'kubelet' | 'kube-proxy' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-apiserver';

/**
 * Why this component version breaks the policy next to this API server version, or null when it is
 * allowed. Throws nothing: unparseable versions give a problem that says so.
 */
export function skewProblem(component: SkewComponent, version: string, server: string): string | null {
  const c = minorOf(version);
  const s = minorOf(server);
  if (c === null) return `cannot read version "${version}"`;
  if (s === null) return `cannot read API server version "${server}"`;
  const behind = minorDistance(c, s); // > 0: the component is older
  if (behind < 0) return `${c} is newer than the API server (${s}); never allowed`;
  switch (component) {
    case 'kubelet':
    case 'kube-proxy': {
      const max = maxNodeSkew(c);
      if (behind > max) {
        return `${c} is ${behind} minors older than the API server (${s}); at most ${max}${max === 2 ? ' below 1.25' : ''}`;
      }
      return null;
    }
    case 'kube-controller-manager':
    case 'kube-scheduler':
      return behind > 1 ? `${c} is ${behind} minors older than the API server (${s}); at most 1` : null;
    case 'kube-apiserver':
      return behind > 1 ? `${c} is ${behind} minors older than the newest API server (${s}); HA instances must be within 1` : null;
  }
}

/** True when the component sits at the edge: one more API server minor and it breaks the policy. */
export function atSkewLimit(component: SkewComponent, version: string, server: string): boolean {
  const c = minorOf(version);
  const s = minorOf(server);
  if (c === null || s === null) return false;
  const behind = minorDistance(c, s);
  if (component === 'kubelet' || component === 'kube-proxy') return behind === maxNodeSkew(c);
  return behind === 1;
}

/** Distinct versions with the names that run them, most common first. */
export function groupVersions(items: readonly { name: string; version: string }[]): { version: string; names: string[] }[] {
  const by = new Map<string, string[]>();
  for (const { name, version } of items) {
    const list = by.get(version) ?? [];
    list.push(name);
    by.set(version, list);
  }
  return [...by.entries()]
    .map(([version, names]) => ({ version, names: names.sort() }))
    .sort((a, b) => b.names.length - a.names.length || a.version.localeCompare(b.version));
}
