/**
 * Version-skew policy (kubernetes.io/releases/version-skew-policy), relative to kube-apiserver:
 * kubelet/kube-proxy never newer and at most 3 minors older (2 when the kubelet is older than 1.25);
 * controller-manager/scheduler same minor or one older; kubectl within one minor either way.
 */
import { compareMinors, minorDistance } from '../advisory/versions.ts';

/** How many minors a kubelet/kube-proxy of this minor may lag kube-apiserver. */
export function maxNodeSkew(nodeMinor: string): number {
  return compareMinors(nodeMinor, '1.25') < 0 ? 2 : 3;
}

export type SkewRole = 'node' | 'control-plane' | 'client' | 'apiserver';

export function skewRole(component: string): SkewRole {
  switch (component) {
    case 'kubelet':
    case 'kube-proxy':
      return 'node';
    case 'kube-controller-manager':
    case 'kube-scheduler':
    case 'cloud-controller-manager':
      return 'control-plane';
    case 'kubectl':
      return 'client';
    default:
      return 'apiserver';
  }
}

/** Is a component of `componentMinor` allowed next to kube-apiserver `serverMinor`? */
export function withinSkew(component: string, componentMinor: string, serverMinor: string): boolean {
  const behind = minorDistance(componentMinor, serverMinor); // > 0: component older
  switch (skewRole(component)) {
    case 'node':
      return behind >= 0 && behind <= maxNodeSkew(componentMinor);
    case 'control-plane':
      return behind >= 0 && behind <= 1;
    case 'client':
      return Math.abs(behind) <= 1;
    case 'apiserver':
      return behind === 0;
  }
}

/**
 * The first API server minor in `path` at which a node component of `nodeMinor` falls out of
 * skew, or null when it stays within skew all the way.
 */
export function firstNodeSkewBreak(nodeMinor: string, path: string[]): string | null {
  for (const step of path) {
    if (!withinSkew('kubelet', nodeMinor, step)) return step;
  }
  return null;
}
