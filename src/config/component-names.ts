/**
 * Which keys a static `versions:` map may use, and the closest one to a typo. A key is known when
 * it is `kubernetes`, a core or client component, or a name the advisory parser recognises as
 * exactly itself (advisory/components.ts decides what advisories can name, so a key it cannot
 * produce would never match a finding: "ingres-nginx" would silently read as not affected).
 */
import { componentsIn } from '../advisory/components.ts';
import { CLIENT_COMPONENTS, CORE_COMPONENTS } from '../advisory/types.ts';

/**
 * Add-ons listed in errors and offered as corrections. advisory/components.ts does not export its
 * names, so they are listed here; test/unit/config/versions.test.ts holds each one to be a name the
 * parser produces, and `isKnownComponent` accepts any other name the parser produces as well.
 */
const ADDONS = [
  'ingress-nginx', 'secrets-store-csi-driver', 'image-builder', 'csi-driver-nfs', 'csi-driver-smb',
  'azure-file-csi-driver', 'azure-disk-csi-driver', 'csi-proxy', 'external-provisioner', 'external-snapshotter',
  'external-resizer', 'external-attacher', 'node-driver-registrar', 'metrics-server', 'cluster-autoscaler',
  'kube-state-metrics',
] as const;

/** Components judged like the control plane though not core (triage/evaluate.ts SERVER_LIKE). */
const SERVER_LIKE = ['cloud-controller-manager'] as const;

export const KNOWN_VERSION_KEYS: readonly string[] = [
  'kubernetes', ...CORE_COMPONENTS, ...SERVER_LIKE,
  ...CLIENT_COMPONENTS.filter((c) => !(CORE_COMPONENTS as readonly string[]).includes(c)), ...ADDONS,
];

export function isKnownComponent(key: string): boolean {
  if (KNOWN_VERSION_KEYS.includes(key)) return true;
  const { names } = componentsIn(key);
  return names.length === 1 && names[0] === key;
}

/** Damerau–Levenshtein (optimal string alignment): a swapped pair of letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known key closest to `key` when it is a plausible typo (at most a third of it changed), else null. */
export function closestComponent(key: string): string | null {
  const k = key.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of KNOWN_VERSION_KEYS) {
    const dist = editDistance(k, name);
    if (dist < bestDistance) {
      best = name;
      bestDistance = dist;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}
