/**
 * The one place that knows how Kubernetes version strings look. Wraps semver.
 *
 * Managed providers decorate upstream versions: `v1.29.4-eks-036c24b`, `v1.30.5-gke.1014001`,
 * `v1.28.3+k3s1`, `v1.27.9-aks.1`, `v1.26.4+openshift-1a2b`, `v1.25.9+rke2r1`. To semver a
 * `-eks-…` suffix is a prerelease that sorts *before* 1.29.4, which is wrong: the provider
 * build contains the upstream patch. So only real prereleases (alpha/beta/rc) are kept as
 * prereleases; any other suffix is the provider's build and is set aside.
 */
import semver from 'semver';

export type Provider = 'eks' | 'gke' | 'aks' | 'k3s' | 'rke2' | 'openshift' | 'upstream';

export interface KubeVersion {
  /** As given, trimmed. */
  raw: string;
  /** Upstream semver without "v" or provider build: "1.29.4", "1.10.0-beta.3". */
  semver: string;
  major: number;
  minor: number;
  patch: number;
  prerelease: string | null;
  /** Provider build suffix ("eks-036c24b", "gke.1014001", "k3s1"), or null. */
  build: string | null;
  /** Provider guessed from the suffix alone; inventory refines it from node labels. */
  provider: Provider;
}

const VERSION_RE = /^[vV]?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.+-]+))?$/;
const REAL_PRERELEASE_RE = /^(alpha|beta|rc)(\.?\d+)?(\.\d+)*$/i;

/** Parse a Kubernetes or add-on version string; null when it is not one. */
export function parseVersion(input: string): KubeVersion | null {
  const raw = input.trim();
  const m = VERSION_RE.exec(raw);
  if (!m) return null;
  const [, maj, min, pat, pre, plus] = m;
  const major = Number(maj);
  const minor = Number(min);
  const patch = pat === undefined ? 0 : Number(pat);
  let prerelease: string | null = null;
  const buildParts: string[] = [];
  if (pre !== undefined) {
    if (REAL_PRERELEASE_RE.test(pre)) prerelease = pre.toLowerCase();
    else buildParts.push(pre);
  }
  if (plus !== undefined) buildParts.push(plus);
  const build = buildParts.length > 0 ? buildParts.join('+') : null;
  const core = `${major}.${minor}.${patch}`;
  return {
    raw,
    semver: prerelease ? `${core}-${prerelease}` : core,
    major,
    minor,
    patch,
    prerelease,
    build,
    provider: providerOf(build),
  };
}

function providerOf(build: string | null): Provider {
  if (!build) return 'upstream';
  const b = build.toLowerCase();
  if (b.startsWith('eks')) return 'eks';
  if (b.startsWith('gke')) return 'gke';
  if (b.startsWith('aks')) return 'aks';
  if (b.startsWith('k3s')) return 'k3s';
  if (b.startsWith('rke2')) return 'rke2';
  if (b.includes('openshift') || b.startsWith('ocp')) return 'openshift';
  return 'upstream';
}

/** "1.27" for any version string, or null. */
export function minorOf(input: string): string | null {
  const v = parseVersion(input);
  return v ? `${v.major}.${v.minor}` : null;
}

/** Bare semver ("1.27.3") for any version string, or null. */
export function normalize(input: string): string | null {
  return parseVersion(input)?.semver ?? null;
}

/** Compare two version strings (provider builds ignored). Throws on unparseable input. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(must(a), must(b));
}

export function compareMinors(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** Minor distance b − a ("1.27" → "1.30" is 3). Same major assumed, as in all of Kubernetes 1.x. */
export function minorDistance(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return (bm - am) * 1000 + (bn - an);
}

export function nextMinor(minor: string): string {
  const [maj = 1, min = 0] = minor.split('.').map(Number);
  return `${maj}.${min + 1}`;
}

function must(input: string): string {
  const v = parseVersion(input);
  if (!v) throw new TypeError(`not a version: ${JSON.stringify(input)}`);
  return v.semver;
}

/** Display form with a leading "v": "v1.27.3". */
export function display(input: string): string {
  const v = normalize(input);
  return v ? `v${v}` : input;
}

/** Is the whole-minor form ("1.21.x")? */
export function isWholeMinor(input: string): boolean {
  return /^[vV]?\d+\.\d+\.[xX*]$/.test(input.trim());
}

/**
 * Is `version` inside the range? `introduced` inclusive (null = from the start),
 * `lastAffected` inclusive (a version or whole minor "1.21.x"), `fixed` exclusive.
 * Prereleases compare in order (1.10.0-beta.3 < 1.10.0).
 */
export function inRange(
  version: string,
  range: { introduced: string | null; lastAffected: string | null; fixed: string | null },
): boolean {
  const v = must(version);
  if (range.introduced !== null && semver.lt(v, lowerBound(range.introduced))) return false;
  if (range.lastAffected !== null) {
    if (isWholeMinor(range.lastAffected)) {
      const minor = minorOf(range.lastAffected.replace(/\.[xX*]$/, '.0'));
      if (minor === null) return false;
      return semver.lt(v, `${nextMinor(minor)}.0-0`);
    }
    return semver.lte(v, must(range.lastAffected));
  }
  if (range.fixed !== null) return semver.lt(v, must(range.fixed));
  return true;
}

/** `introduced` may be "0" (OSV) or a whole minor "1.16.x". */
function lowerBound(introduced: string): string {
  if (introduced === '0') return '0.0.0-0';
  if (isWholeMinor(introduced)) return `${introduced.replace(/\.[xX*]$/, '.0')}-0`.replace(/^[vV]/, '');
  const v = must(introduced);
  // A range that starts at x.y.0 also covers that minor's prereleases (1.10.0-beta.3).
  return v.endsWith('.0') && !v.includes('-') ? `${v}-0` : v;
}

export function sortVersions(list: string[]): string[] {
  return [...list].sort(compareVersions);
}

/**
 * Minors after `from` up to and including `to`, in order: ("1.27", "1.30") → ["1.28", "1.29", "1.30"].
 * Empty when `to` is not after `from`. Same major assumed.
 */
export function minorsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let cur = from;
  while (compareMinors(cur, to) < 0 && out.length < 1000) {
    cur = nextMinor(cur);
    out.push(cur);
  }
  return out;
}

/** Is `a` a later version than `b` (provider builds ignored)? Throws on unparseable input. */
export function isNewer(a: string, b: string): boolean {
  return compareVersions(a, b) > 0;
}
