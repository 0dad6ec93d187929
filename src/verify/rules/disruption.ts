/** Pure rules behind disruption-readiness: blocking PDBs, resource quantities, drain capacity. */

export interface PdbShape {
  name: string;
  namespace: string;
  minAvailable?: number | string | undefined;
  maxUnavailable?: number | string | undefined;
  disruptionsAllowed?: number | undefined;
  currentHealthy?: number | undefined;
  desiredHealthy?: number | undefined;
  expectedPods?: number | undefined;
}

/**
 * Why this PDB blocks every voluntary eviction (so `kubectl drain` hangs), or null.
 * maxUnavailable 0 / "0%" and minAvailable "100%" always block; otherwise a PDB that allows no
 * disruption although all its pods are healthy blocks too (minAvailable equal to the replica count).
 * Zero allowed because pods are *unhealthy* is transient, and a PDB matching no pods blocks nothing.
 */
export function pdbBlockReason(pdb: PdbShape): string | null {
  const expected = pdb.expectedPods ?? 0;
  if (expected === 0) return null;
  if (pdb.maxUnavailable === 0 || pdb.maxUnavailable === '0%' || pdb.maxUnavailable === '0') return 'maxUnavailable is 0';
  if (pdb.minAvailable === '100%') return 'minAvailable is 100%';
  if (typeof pdb.minAvailable === 'number' && pdb.minAvailable >= expected) return `minAvailable ${pdb.minAvailable} ≥ ${expected} pods`;
  const healthy = pdb.currentHealthy ?? 0;
  const desired = pdb.desiredHealthy ?? 0;
  if (pdb.disruptionsAllowed === 0 && healthy > 0 && healthy >= desired && healthy >= expected) {
    return `0 disruptions allowed with all ${healthy} pods healthy`;
  }
  return null;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes resource quantity ("250m", "1.5", "128Mi", "1e3", "2G") as a number; null when unreadable. */
export function parseQuantity(q: string | number | undefined | null): number | null {
  if (q === undefined || q === null) return null;
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) return null;
  const [, num, exp, suffix = ''] = m;
  const base = Number(num) * (exp === undefined ? 1 : 10 ** Number(exp));
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  return mult === undefined ? null : base * mult;
}

export interface NodeCapacity {
  name: string;
  /** Allocatable CPU cores and memory bytes. */
  cpu: number;
  memory: number;
  /** Requests of pods on the node that a drain would move (not DaemonSet or mirror pods). */
  movableCpu: number;
  movableMemory: number;
  /** Requests of every pod on the node (for the free capacity it offers others). */
  requestedCpu: number;
  requestedMemory: number;
  /** Ready and schedulable: can take pods from a drained node. */
  schedulable: boolean;
}

export interface DrainCapacity {
  /** The node whose movable requests are largest (the hardest to drain). */
  node: string;
  needCpu: number;
  needMemory: number;
  spareCpu: number;
  spareMemory: number;
  fits: boolean;
}

/**
 * Could the other schedulable nodes absorb the requests of the node that is hardest to drain?
 * Aggregate arithmetic: ignores bin-packing, affinity, taints and per-node pod limits, so "fits" is
 * necessary, not sufficient. Null when there are no nodes.
 */
export function drainCapacity(nodes: readonly NodeCapacity[]): DrainCapacity | null {
  if (nodes.length === 0) return null;
  // "Hardest" = largest share of the fleet's CPU plus share of its memory that would have to move.
  const totalCpu = nodes.reduce((sum, n) => sum + n.cpu, 0) || 1;
  const totalMemory = nodes.reduce((sum, n) => sum + n.memory, 0) || 1;
  const weight = (n: NodeCapacity) => n.movableCpu / totalCpu + n.movableMemory / totalMemory;
  const hardest = [...nodes].sort((a, b) => weight(b) - weight(a) || a.name.localeCompare(b.name))[0];
  if (hardest === undefined) return null;
  let spareCpu = 0;
  let spareMemory = 0;
  for (const n of nodes) {
    if (n.name === hardest.name || !n.schedulable) continue;
    spareCpu += Math.max(0, n.cpu - n.requestedCpu);
    spareMemory += Math.max(0, n.memory - n.requestedMemory);
  }
  return {
    node: hardest.name,
    needCpu: hardest.movableCpu,
    needMemory: hardest.movableMemory,
    spareCpu,
    spareMemory,
    fits: spareCpu >= hardest.movableCpu && spareMemory >= hardest.movableMemory,
  };
}

export function formatCpu(cores: number): string {
  return cores >= 10 ? `${cores.toFixed(0)} CPU` : `${Math.round(cores * 1000)}m CPU`;
}

export function formatBytes(bytes: number): string {
  const gi = bytes / 2 ** 30;
  return gi >= 1 ? `${gi.toFixed(1)}Gi` : `${Math.round(bytes / 2 ** 20)}Mi`;
}
