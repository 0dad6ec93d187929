import type { Advisory } from '../advisory/types.ts';

export type Verdict = 'affected' | 'not-affected' | 'unfixed' | 'unknown';

/** One advisory × cluster × component (DESIGN.md contract, plus context fields). */
export interface Finding {
  advisory: string;
  cluster: string;
  component: string;
  /** The version judged, raw as the cluster reports it (the oldest node's for node components). */
  version: string | null;
  verdict: Verdict;
  /** Smallest fixed version this cluster can move to, "v1.27.3"; null when none. */
  fixedTarget: string | null;
  /** Minors to pass through in order when the fix is in a later minor ("1.28", "1.29"); [] otherwise. */
  upgradePath: string[];
  reason: string;
  environment: string;
  /** Per-node detail for node components: the nodes found affected. */
  affectedNodes?: string[];
  /** Extra advice: provider build needed, upgrade node components first for skew, EOL … */
  notes?: string[];
  /**
   * Node components on several versions: one target per node-version group (no group is ever
   * given a target below its own version). Absent when every node is on one version.
   */
  groups?: FindingGroup[];
  /** Whether the vulnerable feature is in use now (affected findings of advisories with conditions). */
  exposure?: Exposure;
  /** An active risk acceptance (`/k8s accept`): the verdict stands, it needs no attention until then. */
  accepted?: { until: string; by: string; reason: string };
}

export interface FindingGroup {
  version: string;
  nodes: string[];
  verdict: Verdict;
  fixedTarget: string | null;
  upgradePath: string[];
}

export type ExposureStatus = 'exposed' | 'not-exposed' | 'unknown';

export interface Exposure {
  status: ExposureStatus;
  /** One sentence for people: "3 pods in team-a use gitRepo", "no pod uses gitRepo", "pods not listable (needs list pods)". */
  evidence: string;
  /** Machine-readable detail, e.g. { pods: ["team-a/web-1"] } or { gates: { Foo: true } }. */
  details?: Record<string, unknown>;
}

/** One client/library advisory (kubectl, client-go …): not a cluster component, its own section. */
export interface ClientAdvisory {
  advisory: string;
  component: string;
  /** "workstations running kubectl < v1.x.y", "programs built with client-go < v0.x.y". */
  summary: string;
  fixed: string[];
  fixState: 'available' | 'pending' | 'none';
}

/** One step of a cluster's remediation path: the minor and the patch to use there. */
export interface RemediationStep {
  minor: string;
  version: string;
}

/**
 * The one next step for a cluster across every open advisory (DESIGN: "one remediation per cluster").
 */
export interface Remediation {
  /** The one version that clears every fixable open advisory (usually the latest patch of the target minor), or null. */
  target: string | null;
  /** Minor hops with the patch to use at each ([] when the target is in the current minor). */
  path: RemediationStep[];
  /** Advisory ids this target clears. */
  clears: string[];
  /** Advisory ids it does not clear (unfixed, won't fix, unknown) with why and the mitigation. */
  remains: { advisory: string; reason: string; mitigation?: string | null }[];
  /** Managed clusters: the provider build to look for ("1.35-eks-17"), and support from the provider's calendar. */
  provider?: { name: string; build?: string | null; supported: boolean | null; supportEnds?: string | null; note?: string };
  /** For people: "v1.35.2 → v1.35.8 clears 4 advisories", "7 minor hops: replacing the cluster may be the realistic path". */
  summary: string;
}

export interface ReleaseDataInfo {
  /** Day the release calendar speaks for (YYYY-MM-DD). */
  asOf: string;
  source: 'bundled' | 'live';
  stale: boolean;
}

export interface ClusterPosture {
  cluster: string;
  environment: string;
  provider: string;
  server: string | null;
  minor: string | null;
  /** End-of-life date of the cluster's minor when it is past EOL, else null. */
  eol: string | null;
  supported: boolean | null;
  inventoryError: string | null;
  /** How long ago the versions were read, for people: "just now", "12 min ago", "3 h ago", "2 d ago". */
  inventoryAge: string | null;
  /** Where the versions came from (inventory `source`). */
  source?: 'static' | 'live' | 'cached';
  /** Posture findings independent of any advisory: EOL kubelets, skew violations, unknown minors. */
  notes?: string[];
  /** The cluster's one remediation across every open advisory. */
  remediation?: Remediation;
  /** False when the cluster's versions could not be read (it is `unknown` everywhere, counted apart). */
  readable?: boolean;
}

export interface TriageResult {
  advisories: Advisory[];
  findings: Finding[];
  clusters: ClusterPosture[];
  releaseData: ReleaseDataInfo;
  /** Run-level warnings: stale release data, CVE filter without a match, duplicate clusters … */
  warnings: string[];
  /** The date the triage was computed for (ISO time). */
  generatedAt?: string;
  /** Client and library advisories (kubectl, client-go): workstations and programs, not clusters. */
  clients?: ClientAdvisory[];
  /** Verdicts per advisory id, findings left out by `omitNotAffected` included. */
  counts?: Record<string, VerdictCounts>;
}

export type VerdictCounts = Record<Verdict, number>;
