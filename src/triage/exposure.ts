/**
 * Exposure: "affected" (the version is vulnerable) versus "reachable now" (the feature or use the
 * exploit needs is present). Pure: an advisory's conditions × a cluster's read-only evidence
 * (inventory `exposure` facts, node operating systems) → `Exposure`. The verdict stays as triage
 * gave it; exposure only says whether the vulnerable thing is in use today.
 *
 * Which fact answers which condition kind is the table CONDITION_FACTS. Several conditions of one
 * kind are alternatives (any gate enabled exposes); conditions of different kinds must all hold.
 */
import type { Advisory, AdvisoryCondition, ConditionKind } from '../advisory/types.ts';
import type { ClusterInventory, ExposureFacts } from '../inventory/types.ts';
import type { Exposure, ExposureStatus, TriageResult } from './types.ts';

export interface ConditionFact {
  /** The fact (ExposureFacts key, or `os` for node operating systems) that answers the condition. */
  fact: keyof Omit<ExposureFacts, 'unavailable'> | 'os';
  /** The read-only permission that collects it, for "unknown" answers. */
  needs: string;
}

/** Condition kind → the evidence that answers it. */
export const CONDITION_FACTS: Readonly<Record<ConditionKind, ConditionFact>> = {
  os: { fact: 'os', needs: 'list nodes' },
  volume: { fact: 'gitRepoPods', needs: 'list pods (all namespaces)' },
  'feature-gate': { fact: 'featureGates', needs: 'get /metrics' },
  'admission-webhook': { fact: 'ingressNginxWebhooks', needs: 'list validatingwebhookconfigurations.admissionregistration.k8s.io' },
};

export interface Answer {
  status: ExposureStatus;
  evidence: string;
  details?: Record<string, unknown>;
}

const MAX_NAMES = 5;

function names(list: readonly string[]): string {
  const shown = list.slice(0, MAX_NAMES).join(', ');
  return list.length > MAX_NAMES ? `${shown} +${list.length - MAX_NAMES} more` : shown;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

const OS_LABEL: Record<string, string> = { windows: 'Windows', linux: 'Linux' };

function osLabel(os: string): string {
  return OS_LABEL[os.toLowerCase()] ?? os;
}

/** Without live facts the inventory came from config (static) or a failed read. */
function notCollected(inv: ClusterInventory, fact: ConditionFact): Answer {
  const why = inv.source === 'static'
    ? 'not checked: static versions from the config carry no exposure evidence'
    : `not checked (needs ${fact.needs})`;
  return { status: 'unknown', evidence: why };
}

function unavailable(inv: ClusterInventory, key: string, fact: ConditionFact, what: string): Answer | null {
  const reason = inv.exposure?.unavailable?.[key];
  if (reason === undefined) return null;
  return { status: 'unknown', evidence: `${what} (${reason.startsWith('needs') ? reason : `needs ${fact.needs}: ${reason}`})` };
}

function answerOs(c: AdvisoryCondition, inv: ClusterInventory): Answer {
  const want = c.value.toLowerCase();
  const label = osLabel(c.value);
  const known = inv.nodes.filter((n) => n.os !== undefined && n.os !== '');
  if (known.length > 0) {
    const matching = known.filter((n) => n.os?.toLowerCase() === want).map((n) => n.name);
    const unknownCount = inv.nodes.length - known.length;
    if (matching.length > 0) return { status: 'exposed', evidence: `${label} nodes present: ${names(matching)}`, details: { nodes: matching } };
    if (unknownCount > 0) {
      return { status: 'unknown', evidence: `no ${label} node among ${known.length} with a known OS; ${unknownCount} ${plural(unknownCount, 'node does', 'nodes do')} not report one` };
    }
    return { status: 'not-exposed', evidence: `no ${label} nodes (${known.length} ${plural(known.length, 'node', 'nodes')}, all ${[...new Set(known.map((n) => osLabel(n.os ?? '')))].join(', ')})` };
  }
  if (inv.os !== undefined && inv.os.length > 0) {
    const has = inv.os.some((o) => o.toLowerCase() === want);
    return has
      ? { status: 'exposed', evidence: `${label} nodes present (config os: ${inv.os.join(', ')})` }
      : { status: 'not-exposed', evidence: `no ${label} nodes (config os: ${inv.os.join(', ')})` };
  }
  if (inv.source === 'static') return { status: 'unknown', evidence: `only if the cluster has ${label} nodes: set nodes[].os or os: [...] in the config to know` };
  const blocked = unavailable(inv, 'nodes', CONDITION_FACTS.os, 'node operating systems not readable');
  return blocked ?? { status: 'unknown', evidence: `only if the cluster has ${label} nodes: node operating systems not reported` };
}

function answerVolume(c: AdvisoryCondition, inv: ClusterInventory): Answer {
  const fact = CONDITION_FACTS.volume;
  if (c.value !== 'gitRepo') return { status: 'unknown', evidence: `no evidence collected for ${c.value} volumes` };
  const pods = inv.exposure?.gitRepoPods;
  if (pods === undefined) return unavailable(inv, 'gitRepoPods', fact, 'pods not listable') ?? notCollected(inv, fact);
  if (pods.length === 0) return { status: 'not-exposed', evidence: 'no pod uses gitRepo' };
  const byNs = new Map<string, number>();
  for (const p of pods) {
    const ns = p.includes('/') ? p.slice(0, p.indexOf('/')) : '(unknown namespace)';
    byNs.set(ns, (byNs.get(ns) ?? 0) + 1);
  }
  const verb = plural(pods.length, 'uses', 'use');
  const count = `${pods.length} ${plural(pods.length, 'pod', 'pods')}`;
  const evidence = byNs.size === 1
    ? `${count} in ${[...byNs.keys()][0] ?? ''} ${verb} gitRepo`
    : `${count} ${verb} gitRepo (${[...byNs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_NAMES).map(([ns, n]) => `${n} in ${ns}`).join(', ')}${byNs.size > MAX_NAMES ? ', …' : ''})`;
  return { status: 'exposed', evidence, details: { pods: [...pods] } };
}

function answerGate(c: AdvisoryCondition, inv: ClusterInventory): Answer {
  const fact = CONDITION_FACTS['feature-gate'];
  const gates = inv.exposure?.featureGates;
  if (gates === undefined) return unavailable(inv, 'featureGates', fact, 'feature gates not readable') ?? notCollected(inv, fact);
  const on = gates[c.value];
  if (on === undefined) return { status: 'unknown', evidence: `the API server's /metrics does not report feature gate ${c.value}` };
  return on
    ? { status: 'exposed', evidence: `feature gate ${c.value} is enabled`, details: { gates: { [c.value]: true } } }
    : { status: 'not-exposed', evidence: `feature gate ${c.value} is disabled`, details: { gates: { [c.value]: false } } };
}

function answerWebhook(c: AdvisoryCondition, inv: ClusterInventory): Answer {
  const fact = CONDITION_FACTS['admission-webhook'];
  if (c.value !== 'ingress-nginx') return { status: 'unknown', evidence: `no evidence collected for the ${c.value} admission webhook` };
  const hooks = inv.exposure?.ingressNginxWebhooks;
  if (hooks === undefined) return unavailable(inv, 'ingressNginxWebhooks', fact, 'webhook configurations not listable') ?? notCollected(inv, fact);
  if (hooks.length === 0) return { status: 'not-exposed', evidence: 'no ingress-nginx admission webhook configured' };
  return { status: 'exposed', evidence: `ingress-nginx admission webhook enabled: ${names(hooks)}`, details: { webhooks: [...hooks] } };
}

const ANSWER: Readonly<Record<ConditionKind, (c: AdvisoryCondition, inv: ClusterInventory) => Answer>> = {
  os: answerOs,
  volume: answerVolume,
  'feature-gate': answerGate,
  'admission-webhook': answerWebhook,
};

const RANK: Record<ExposureStatus, number> = { exposed: 0, unknown: 1, 'not-exposed': 2 };

/** Alternatives of one kind: the most exposed answer wins. */
function anyOf(answers: Answer[]): Answer {
  return answers.reduce((best, a) => (RANK[a.status] < RANK[best.status] ? a : best));
}

/**
 * Whether the advisory's conditions hold on this cluster now; undefined when the advisory names
 * no condition (exposure is then the version alone).
 */
export function exposureFor(advisory: Pick<Advisory, 'conditions'>, inventory: ClusterInventory, answers?: Map<string, Answer>): Exposure | undefined {
  if (advisory.conditions.length === 0) return undefined;
  const byKind = new Map<ConditionKind, Answer[]>();
  for (const c of advisory.conditions) {
    // A condition's answer depends on the cluster alone: advisories with the same condition share it.
    const key = `${c.kind}\u0000${c.value}`;
    let answer = answers?.get(key);
    if (answer === undefined) {
      answer = ANSWER[c.kind](c, inventory);
      answers?.set(key, answer);
    }
    const list = byKind.get(c.kind);
    if (list) list.push(answer);
    else byKind.set(c.kind, [answer]);
  }
  const perKind = [...byKind.values()].map(anyOf);
  // Every kind must hold: one "not exposed" clears it, else one "unknown" leaves it open.
  const status: ExposureStatus = perKind.some((a) => a.status === 'not-exposed') ? 'not-exposed'
    : perKind.some((a) => a.status === 'unknown') ? 'unknown' : 'exposed';
  const deciding = status === 'exposed' ? perKind : perKind.filter((a) => a.status === status);
  const evidence = deciding.map((a) => a.evidence).join('; ');
  const details = Object.assign({}, ...deciding.map((a) => a.details ?? {})) as Record<string, unknown>;
  return Object.keys(details).length > 0 ? { status, evidence, details } : { status, evidence };
}

/** Inventories without any evidence answer alike: their exposure is shared (read-only) per advisory. */
function factless(inv: ClusterInventory): boolean {
  return inv.exposure === undefined && inv.os === undefined && inv.nodes.every((n) => n.os === undefined);
}

/** One cluster's answers, kept while its findings are made (and dropped with it). */
export interface ClusterExposure {
  readonly inv: ClusterInventory;
  /** No evidence at all: answers depend on the source alone and are shared across the run. */
  readonly bare: boolean;
  readonly byAdvisory: Map<Advisory, Exposure | undefined>;
  /** A condition's answer depends on the cluster alone: advisories with the same condition share it. */
  readonly answers: Map<string, Answer>;
}

/**
 * Exposure for a run of many clusters: each advisory × cluster answered once, and clusters without
 * evidence share one frozen answer per advisory × source, so a fleet of static clusters costs one
 * evaluation per advisory. triage() asks it as it makes each affected or unfixed finding.
 */
export interface ExposureRun {
  cluster(inv: ClusterInventory): ClusterExposure;
  /** The exposure of `advisory` on the cluster; undefined when the advisory names no condition. */
  of(advisory: Advisory, cluster: ClusterExposure): Exposure | undefined;
}

export function createExposureRun(): ExposureRun {
  const shared = new Map<Advisory, Map<string, Exposure | undefined>>();
  return {
    cluster: (inv) => ({ inv, bare: factless(inv), byAdvisory: new Map(), answers: new Map() }),
    of(advisory, c) {
      if (advisory.conditions.length === 0) return undefined;
      if (c.byAdvisory.has(advisory)) return c.byAdvisory.get(advisory);
      let exposure: Exposure | undefined;
      if (c.bare) {
        let bySource = shared.get(advisory);
        if (bySource === undefined) {
          bySource = new Map();
          shared.set(advisory, bySource);
        }
        if (bySource.has(c.inv.source)) exposure = bySource.get(c.inv.source);
        else {
          const made = exposureFor(advisory, c.inv);
          exposure = made === undefined ? undefined : Object.freeze(made);
          bySource.set(c.inv.source, exposure);
        }
      } else {
        exposure = exposureFor(advisory, c.inv, c.answers);
      }
      c.byAdvisory.set(advisory, exposure);
      return exposure;
    },
  };
}

/**
 * Sets `exposure` on every affected or unfixed finding of an advisory with conditions, in any
 * order of findings (triage() makes exposure as it makes findings; this is the same answer for
 * findings from elsewhere).
 */
export function attachExposure(result: TriageResult, inventories: readonly ClusterInventory[]): void {
  const conditional = new Map<string, Advisory>();
  for (const a of result.advisories) if (a.conditions.length > 0) conditional.set(a.id, a);
  if (conditional.size === 0) return;
  const byCluster = new Map<string, ClusterInventory>();
  for (const inv of inventories) byCluster.set(inv.cluster, inv);
  const run = createExposureRun();
  const clusters = new Map<ClusterInventory, ClusterExposure>();
  for (const f of result.findings) {
    if (f.verdict !== 'affected' && f.verdict !== 'unfixed') continue;
    const advisory = conditional.get(f.advisory);
    const inv = byCluster.get(f.cluster);
    if (advisory === undefined || inv === undefined) continue;
    let c = clusters.get(inv);
    if (c === undefined) {
      c = run.cluster(inv);
      clusters.set(inv, c);
    }
    const exposure = run.of(advisory, c);
    if (exposure !== undefined) f.exposure = exposure;
  }
}

/** For people: "affected and exposed: 3 pods in team-a use gitRepo", "affected, not exposed now: no pod uses gitRepo". */
export function exposureText(exposure: Exposure): string {
  switch (exposure.status) {
    case 'exposed':
      return `exposed: ${exposure.evidence}`;
    case 'not-exposed':
      return `not exposed now: ${exposure.evidence}`;
    case 'unknown':
      return `exposure unknown: ${exposure.evidence}`;
  }
}
