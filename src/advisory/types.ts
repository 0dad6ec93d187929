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

/**
 * A condition the advisory puts on exploitation beyond the version: only Windows nodes, only
 * when a gitRepo volume is used, only with a feature gate on, only with the ingress-nginx
 * admission webhook enabled. Kinds are a small table in the parser (advisory/conditions.ts);
 * triage turns them into verdicts (os) and exposure (the rest).
 */
export type ConditionKind = 'os' | 'volume' | 'feature-gate' | 'admission-webhook';

export interface AdvisoryCondition {
  kind: ConditionKind;
  /** os: "windows" | "linux"; volume: "gitRepo"; feature-gate: the gate's name; admission-webhook: "ingress-nginx". */
  value: string;
  /** The sentence of the advisory the condition was read from (for people). */
  text: string;
}

/**
 * How the component list was obtained:
 * - stated: named in the advisory (affected-versions lines, components section, OSV block);
 * - inferred: read from the title or description ("the kubelet …"), not from a list;
 * - assumed: nothing names a component; every core component is assumed (a guess: triage says `unknown`).
 */
export type ComponentSource = 'stated' | 'inferred' | 'assumed';

/**
 * Whether a fix exists: `available` (some fixed version exists), `pending` (no fix yet; may come;
 * open issues), `none` (the advisory says no fix will be released: mitigate).
 */
export type FixState = 'available' | 'pending' | 'none';

/** Components that are clients or libraries, not cluster components: judged as their own section. */
export const CLIENT_COMPONENTS = ['kubectl', 'client-go', 'kubernetes-client-csharp', 'kubernetes-client-python', 'kubernetes-client-java', 'kubernetes-client-javascript'] as const;

export function isClientComponent(name: string): boolean {
  return (CLIENT_COMPONENTS as readonly string[]).includes(name);
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
  /** available | pending (no fix yet) | none (no fix will be released). */
  fixState: FixState;
  /**
   * Conditions beyond the version (platform, feature, use). Empty when the advisory names none.
   * Several of one kind are alternatives (any one gate on exposes the cluster); different kinds all apply.
   */
  conditions: AdvisoryCondition[];
  /** How `components` was obtained; `assumed` is a guess. With no components at all: `inferred` (or `stated` when the text says nothing is affected). */
  componentSource: ComponentSource;
  /** True for an empty or placeholder issue body (re-parsed when the body is edited). */
  placeholder: boolean;
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
