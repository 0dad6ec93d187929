/**
 * The structured advisory: the contract between the feed parser, triage, Slack and the
 * CLI's JSON output (see DESIGN.md "Contracts"). Versions in `ranges` are bare semver
 * ("1.27.2", no leading "v"); `lastAffected` may also be a whole minor ("1.21.x").
 */
export type AdvisoryStatus = 'open' | 'fixed' | 'unfixed' | 'unknown';

export type SeverityRating = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface Severity {
  rating: SeverityRating | null;
  score: number | null;
  /** CVSS vector as written, e.g. "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H". */
  vector: string | null;
}

/**
 * One affected release branch of one component.
 * - `introduced`: first affected version, inclusive; null = every older version too.
 * - `lastAffected`: last affected version, inclusive ("1.27.2" or a whole minor "1.21.x"); null = see `fixed`.
 * - `fixed`: the version in this branch that carries the fix; null = no fix in this branch.
 * With neither `lastAffected` nor `fixed`, everything from `introduced` on is affected.
 */
export interface AffectedRange {
  component: string;
  introduced: string | null;
  lastAffected: string | null;
  fixed: string | null;
}

export type ParseSource = 'osv-block' | 'prose' | 'none';
export type Confidence = 'high' | 'medium' | 'low';

export interface ParseInfo {
  source: ParseSource;
  confidence: Confidence;
  /** Why confidence is below high, and anything skipped. Empty when high. */
  warnings: string[];
}

export interface Advisory {
  /** One CVE id. Combined feed items ("CVE-2023-2727, CVE-2023-2728") become one advisory per id. */
  id: string;
  /** The other CVE ids announced in the same issue. */
  aliases: string[];
  title: string;
  /** The GitHub issue. */
  url: string;
  externalUrl: string | null;
  /** The creation time as the feed gives it; never used to detect changes. */
  published: string | null;
  status: AdvisoryStatus;
  severity: Severity;
  /** Normalized component names: kube-apiserver, kubelet, …, or add-ons by upstream repository name. */
  components: string[];
  ranges: AffectedRange[];
  /** True when the advisory says no fix exists (for some or all affected versions). */
  unfixed: boolean;
  /** "Am I vulnerable?" text, trimmed, or null. */
  vulnerableIf: string | null;
  /** Mitigation text, trimmed, or null. */
  mitigation: string | null;
  /** sha256 of the fields that matter (summary, body, status): changes when the upstream issue is edited. */
  contentHash: string;
  parse: ParseInfo;
}

/** Core components: the config key `kubernetes` stands for all of these. */
export const CORE_COMPONENTS = [
  'kube-apiserver',
  'kubelet',
  'kube-proxy',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
] as const;

export type CoreComponent = (typeof CORE_COMPONENTS)[number];

/** Components that run on every node and are judged per node. */
export const NODE_COMPONENTS: readonly string[] = ['kubelet', 'kube-proxy'];

export function isCoreComponent(name: string): name is CoreComponent {
  return (CORE_COMPONENTS as readonly string[]).includes(name);
}
