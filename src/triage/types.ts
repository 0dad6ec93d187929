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
  inventoryAge: string | null;
}

export interface TriageResult {
  advisories: Advisory[];
  findings: Finding[];
  clusters: ClusterPosture[];
  releaseData: ReleaseDataInfo;
  warnings: string[];
}
