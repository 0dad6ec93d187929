/**
 * Advisories × the fleet → one triage result: the step the CLI (`triage`, `demo`) and the hub
 * (feed polls, fleet re-triage) share. Inventories are collected (the last good one per cluster
 * kept in `previous`, served with its age when a read fails) and triaged in chunks of clusters,
 * yielding to the event loop between chunks: with 10,000 clusters one synchronous triage holds
 * the loop for a second or more, long enough to delay Slack acks and BullMQ lock renewals.
 *
 * The result is the one `triage()` gives for the whole fleet at once: findings in advisory →
 * cluster → component order, postures in cluster order, warnings once each.
 */
import type { Advisory } from '../advisory/types.ts';
import type { ClusterConfig, Config } from '../config/schema.ts';
import { collectInventories } from '../inventory/collect.ts';
import { staticInventory } from '../inventory/static.ts';
import type { ClusterInventory } from '../inventory/types.ts';
import type { Logger } from '../log.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { createTriageSession, triage } from '../triage/index.ts';
import type { Finding, TriageResult } from '../triage/types.ts';

export interface TriageFleetOptions {
  config: Config;
  advisories: Advisory[];
  calendar: ReleaseCalendar;
  now: Date;
  logger?: Logger;
  /** Only this CVE id. */
  cve?: string;
  /** Leave not-affected findings out (still counted in `counts`): the CLI's default JSON. */
  omitNotAffected?: boolean;
  /**
   * Last good inventory per cluster. Read on failure (the cached one is served with its age) and
   * updated with every inventory read without error. Omit for a one-shot run.
   */
  previous?: Map<string, ClusterInventory>;
  /** Reads an agent-served cluster (the hub's dispatcher). */
  readAgent?: (cluster: ClusterConfig) => Promise<ClusterInventory>;
  /** Inventories given already (tests, benchmarks); skips collecting. */
  inventories?: ClusterInventory[];
  /** Clusters per synchronous triage call at most (default 100: a few milliseconds each). */
  chunkClusters?: number;
  /**
   * Milliseconds one chunk (its triage and `onFindings`) should take (default 15): a chunk that
   * took longer (a slow advisory, a busy machine) makes the next one smaller, down to 20 clusters,
   * and quick ones grow it back to `chunkClusters`. Counts alone do not bound a turn of the loop.
   */
  chunkBudgetMs?: number;
  /**
   * Receives the findings chunk by chunk (clusters in name order, each chunk advisory by
   * advisory) instead of in the result, whose `findings` is then empty: a consumer that encodes
   * them as they come (the hub's notify stage) never holds the whole fleet's findings as objects.
   */
  onFindings?: (findings: Finding[]) => void;
}

/** Lets timers, I/O callbacks and lock renewals run between two chunks of CPU work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Static clusters are read from the config here, in slices with a yield between them (10,000 of
 * them are a long synchronous loop otherwise: promises alone never let timers run); the others
 * go through collectInventories (live reads, agents, last good inventory on failure).
 */
async function collect(options: TriageFleetOptions): Promise<ClusterInventory[]> {
  const { config, now } = options;
  const statics = config.clusters.filter((c) => c.versions !== undefined);
  const others = config.clusters.filter((c) => c.versions === undefined);
  const out: ClusterInventory[] = [];
  for (let i = 0; i < statics.length; i += 500) {
    for (const c of statics.slice(i, i + 500)) {
      try {
        out.push(staticInventory(c, now));
      } catch {
        // collectInventories turns the failure into that cluster's error inventory.
        others.push(c);
      }
    }
    if (statics.length > 500) await yieldToEventLoop();
  }
  if (others.length === 0) return out;
  const live = await collectInventories({
    config: { ...config, clusters: others }, now,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.previous ? { previous: options.previous } : {}),
    ...(options.readAgent ? { readAgent: options.readAgent } : {}),
  });
  return [...out, ...live];
}

/**
 * The smallest chunk: each triage() call has a fixed cost (advisories prepared per call), so on a
 * machine busy enough to make every chunk look slow, smaller chunks would only add calls.
 */
const MIN_CHUNK = 20;

/** The next chunk's size from how long this one's longest turn took against the budget. */
export function nextChunk(size: number, spentMs: number, budgetMs: number, max: number): number {
  if (spentMs <= 0) return max;
  return Math.max(Math.min(MIN_CHUNK, max), Math.min(max, Math.floor(size * (budgetMs / spentMs))));
}

export async function triageFleet(options: TriageFleetOptions): Promise<TriageResult> {
  const { now, calendar } = options;
  const inventories = options.inventories ?? await collect(options);
  if (options.previous) for (const inv of inventories) if (inv.error === null) options.previous.set(inv.cluster, inv);
  const chunk = Math.max(1, options.chunkClusters ?? 100);
  const base = { calendar, now, ...(options.cve === undefined ? {} : { cve: options.cve }), ...(options.omitNotAffected ? { omitNotAffected: true } : {}) };
  // Plans and verdicts per version are built once for the whole fleet, not once per chunk.
  const session = createTriageSession({ ...base, advisories: options.advisories });
  if (inventories.length <= chunk) {
    const whole = triage({ ...base, advisories: options.advisories, inventories });
    if (options.onFindings === undefined) return whole;
    options.onFindings(whole.findings);
    return { ...whole, findings: [] };
  }

  // Same order as one triage() call: clusters by name, then findings regrouped per advisory.
  const sorted = [...inventories].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const warnings = new Set<string>();
  const seen = new Set<string>();
  for (const inv of sorted) {
    if (seen.has(inv.cluster)) warnings.add(`cluster ${inv.cluster} appears more than once in the inventory`);
    seen.add(inv.cluster);
  }
  let first: TriageResult | null = null;
  const perAdvisory = new Map<string, Finding[][]>();
  const clusters: TriageResult['clusters'] = [];
  // Verdict counts add up over the chunks; client advisories do not depend on clusters (any chunk's).
  const counts: NonNullable<TriageResult['counts']> = {};
  const budget = Math.max(1, options.chunkBudgetMs ?? 15);
  let size = chunk;
  for (let i = 0; i < sorted.length;) {
    const started = performance.now();
    const slice = sorted.slice(i, i + size);
    i += slice.length;
    const part = triage({ ...base, advisories: options.advisories, inventories: slice, session });
    let spent = performance.now() - started;
    first ??= part;
    for (const [id, c] of Object.entries(part.counts ?? {})) {
      const sum = counts[id] ?? { affected: 0, 'not-affected': 0, unfixed: 0, unknown: 0 };
      for (const v of ['affected', 'not-affected', 'unfixed', 'unknown'] as const) sum[v] += c[v];
      counts[id] = sum;
    }
    for (const w of part.warnings) if (!w.startsWith('cluster ') || !w.endsWith('appears more than once in the inventory')) warnings.add(w);
    for (const c of part.clusters) clusters.push(c);
    if (options.onFindings) {
      // Triaging a chunk and routing it are two turns of the loop, not one.
      await yieldToEventLoop();
      const routed = performance.now();
      options.onFindings(part.findings);
      spent = Math.max(spent, performance.now() - routed);
      size = nextChunk(size, spent, budget, chunk);
      await yieldToEventLoop();
      continue;
    }
    size = nextChunk(size, spent, budget, chunk);
    // Findings of one chunk come advisory by advisory: cut them into runs.
    let start = 0;
    const fs = part.findings;
    for (let j = 1; j <= fs.length; j++) {
      if (j < fs.length && (fs[j] as Finding).advisory === (fs[start] as Finding).advisory) continue;
      const id = (fs[start] as Finding).advisory;
      let runs = perAdvisory.get(id);
      if (runs === undefined) perAdvisory.set(id, (runs = []));
      runs.push(fs.slice(start, j));
      start = j;
    }
    await yieldToEventLoop();
  }
  const result = first as TriageResult;
  const findings: Finding[] = [];
  const done = new Set<string>();
  for (const a of result.advisories) {
    if (done.has(a.id)) continue;
    done.add(a.id);
    for (const run of perAdvisory.get(a.id) ?? []) for (const f of run) findings.push(f);
  }
  return { ...result, findings, clusters, warnings: [...warnings], counts };
}
