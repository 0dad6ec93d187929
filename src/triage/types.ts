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
}
