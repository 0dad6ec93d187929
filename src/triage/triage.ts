/**
 * Triage: advisories × cluster inventories × release calendar → findings (DESIGN.md contract),
 * cluster posture and run warnings. Pure: `now` is injected, nothing is read from outside.
 *
 * Per advisory and component a plan is made once; per distinct version string the verdict and
 * fixed target are computed once (see evaluate.ts). Per cluster, nodes are grouped by version
 * so a 50-node cluster on two kubelet versions costs two lookups per advisory.
 */
import semver from 'semver';
import type { Advisory } from '../advisory/types.ts';
import { CORE_COMPONENTS } from '../advisory/types.ts';
import { compareMinors, minorsBetween, type KubeVersion } from '../advisory/versions.ts';
import type { ClusterInventory, ClusterProvider } from '../inventory/types.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { isoDay, STALE_AFTER_DAYS } from '../releases/calendar.ts';
import { createEvaluator, minorKeyOf, minorName, type ComponentPlan, type Evaluator, type JudgedVersion } from './evaluate.ts';
import { isManaged, providerEolNote, providerTargetNote } from './providers.ts';
import { maxNodeSkew, skewRole, withinSkew } from './skew.ts';
import type { ClusterPosture, Finding, TriageResult } from './types.ts';

export interface TriageOptions {
  advisories: Advisory[];
  inventories: ClusterInventory[];
  calendar: ReleaseCalendar;
  now: Date;
  /** Only this CVE id (matched against ids and aliases, case-insensitive). */
  cve?: string;
  /** Leave not-affected findings out (a fleet-wide run that only acts on the rest). Default false. */
  omitNotAffected?: boolean;
}

interface NodeGroup {
  raw: string;
  version: KubeVersion | null;
  /** major × 1000 + minor, or -1 when unreadable. */
  minorKey: number;
  names: string[];
}

interface ClusterContext {
  inv: ClusterInventory;
  provider: ClusterProvider;
  server: KubeVersion | null;
  serverMinor: string | null;
  serverMinorKey: number | null;
  /** Ascending by version; unreadable versions last. */
  kubelet: NodeGroup[];
  kubeProxy: NodeGroup[];
  /** kube-proxy's version was not reported and is taken to be the kubelet's. */
  kubeProxyAssumed: boolean;
  nodeCount: number;
  /** Inventory failed and holds no versions at all. */
  unavailable: string | null;
  /** Note for every finding when the versions are a cached read. */
  cacheNote: string | null;
  /** singleVersion() answers per component. */
  single: Map<string, SingleVersion>;
}

interface SingleVersion {
  raw: string | null;
  /** Notes for every finding on this component (cached read, assumed version); shared, copy before adding. */
  notes: readonly string[];
  missing: string;
}

/** Per-run state: evaluator and memoised note strings (shared by every cluster with the same facts). */
interface Run {
  ev: Evaluator;
  calendar: ReleaseCalendar;
  memo: Map<string, string>;
}

const CORE_ORDER = new Map<string, number>(CORE_COMPONENTS.map((c, i) => [c, i]));
const MAX_GROUP_NOTES = 4;
const NO_NOTES: readonly string[] = Object.freeze([]);
/** The upgrade path of findings without a target; frozen and shared (findings are read-only). */
const NO_PATH = Object.freeze([]) as readonly string[] as string[];
const PROXY_ASSUMED = 'kube-proxy version not reported; taken to be the kubelet version';
const CONTROL_PLANE_STEP = 'upgrade kube-controller-manager and kube-scheduler after each kube-apiserver minor (at most one minor older)';

function byComponent(a: string, b: string): number {
  const ia = CORE_ORDER.get(a) ?? CORE_COMPONENTS.length;
  const ib = CORE_ORDER.get(b) ?? CORE_COMPONENTS.length;
  return ia - ib || (a < b ? -1 : a > b ? 1 : 0);
}

function byName(a: { cluster: string }, b: { cluster: string }): number {
  return a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "1 node runs" / "3 nodes run". */
function nodesRun(n: number): string {
  return n === 1 ? '1 node runs' : `${n} nodes run`;
}

function memo(run: Run, key: string, make: () => string | null): string | null {
  let v = run.memo.get(key);
  if (v === undefined) {
    const made = make();
    if (made === null) return null;
    v = made;
    run.memo.set(key, v);
  }
  return v;
}

/** "just now", "12 min ago", "3 h ago", "2 d ago"; null for an unreadable time. */
export function formatAge(collectedAt: string, now: Date): string | null {
  const t = Date.parse(collectedAt);
  if (Number.isNaN(t)) return null;
  const min = Math.floor((now.getTime() - t) / 60_000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  if (min < 48 * 60) return `${Math.floor(min / 60)} h ago`;
  return `${Math.floor(min / 1440)} d ago`;
}

function compareVersionsFast(a: KubeVersion, b: KubeVersion): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0 || (a.prerelease === null && b.prerelease === null)) return d;
  return semver.compare(a.semver, b.semver);
}

function compareGroups(a: NodeGroup, b: NodeGroup): number {
  if (a.version && b.version) return compareVersionsFast(a.version, b.version) || (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0);
  if (a.version) return -1;
  if (b.version) return 1;
  return a.raw < b.raw ? -1 : 1;
}

function prepareCluster(ev: Evaluator, inv: ClusterInventory): ClusterContext {
  const server = inv.server === null ? null : ev.parse(inv.server);
  const proxyDefault = inv.components['kube-proxy'] ?? null;
  const kubeletByRaw = new Map<string, NodeGroup>();
  const proxyByRaw = new Map<string, NodeGroup>();
  let proxyReported = false;
  let kubeProxyAssumed = false;
  const add = (groups: Map<string, NodeGroup>, raw: string, name: string) => {
    let g = groups.get(raw);
    if (!g) {
      const version = ev.parse(raw);
      g = { raw, version, minorKey: version ? minorKeyOf(version) : -1, names: [] };
      groups.set(raw, g);
    }
    g.names.push(name);
  };
  for (const n of inv.nodes) {
    add(kubeletByRaw, n.kubelet, n.name);
    const proxy = n.kubeProxy || proxyDefault;
    if (proxy) {
      proxyReported = true;
      add(proxyByRaw, proxy, n.name);
    } else {
      kubeProxyAssumed = true;
      add(proxyByRaw, n.kubelet, n.name);
    }
  }
  const kubelet = [...kubeletByRaw.values()].sort(compareGroups);
  // Nothing reported for kube-proxy: it is grouped exactly like the kubelet, share the groups.
  const kubeProxy = proxyReported ? [...proxyByRaw.values()].sort(compareGroups) : kubelet;
  const empty = inv.server === null && inv.nodes.length === 0 && Object.keys(inv.components).length === 0;
  let provider = inv.provider;
  if (provider === 'unknown') {
    const guessed = server?.provider ?? kubelet.find((g) => g.version && g.version.provider !== 'upstream')?.version?.provider;
    if (guessed && guessed !== 'upstream') provider = guessed;
  }
  return {
    inv,
    provider,
    server,
    serverMinor: server ? `${server.major}.${server.minor}` : null,
    serverMinorKey: server ? minorKeyOf(server) : null,
    kubelet,
    kubeProxy,
    kubeProxyAssumed,
    nodeCount: inv.nodes.length,
    unavailable: empty && inv.error ? `inventory unavailable (${inv.error.code}: ${inv.error.message})` : empty ? 'the inventory holds no versions' : null,
    cacheNote: inv.error ? `versions from an earlier read (${inv.collectedAt}); the last read failed: ${inv.error.code}` : null,
    single: new Map(),
  };
}

function advisoryComponents(a: Advisory): string[] {
  const set = new Set<string>(a.components);
  for (const r of a.ranges) set.add(r.component);
  return [...set].sort(byComponent);
}

function matchesCve(a: Advisory, cve: string): boolean {
  const id = cve.trim().toUpperCase();
  return a.id.toUpperCase() === id || a.aliases.some((x) => x.toUpperCase() === id);
}

export function triage(options: TriageOptions): TriageResult {
  const { calendar, now } = options;
  const run: Run = { ev: createEvaluator({ calendar, now }), calendar, memo: new Map() };
  const warnings: string[] = [];

  if (calendar.isStale(now)) {
    warnings.push(`release data as of ${calendar.asOf} is ${calendar.ageDays(now)} days old (over ${STALE_AFTER_DAYS}): newer minors, patches and changed support dates may be missing`);
  }
  let advisories = options.advisories;
  if (options.cve !== undefined) {
    const cve = options.cve;
    advisories = advisories.filter((a) => matchesCve(a, cve));
    if (advisories.length === 0) warnings.push(`no advisory ${cve.trim().toUpperCase()} in the feed`);
  }

  const seen = new Set<string>();
  for (const inv of options.inventories) {
    if (seen.has(inv.cluster)) warnings.push(`cluster ${inv.cluster} appears more than once in the inventory`);
    seen.add(inv.cluster);
  }
  const clusters = [...options.inventories].sort(byName).map((inv) => prepareCluster(run.ev, inv));

  const findings: Finding[] = [];
  const omit = options.omitNotAffected === true;
  for (const advisory of advisories) {
    const components = advisoryComponents(advisory);
    const plans: ComponentPlan[] = components.length > 0
      ? components.map((c) => run.ev.plan(advisory, c))
      : [{ ...run.ev.plan(advisory, 'kubernetes'), unknownReason: 'the advisory names no affected component' }];
    for (const ctx of clusters) {
      for (const plan of plans) {
        const f = judge(run, ctx, plan);
        if (f && !(omit && f.verdict === 'not-affected')) findings.push(f);
      }
    }
  }

  return {
    advisories,
    findings,
    clusters: clusters.map((ctx) => posture(run.ev, calendar, now, ctx)),
    releaseData: calendar.info(now),
    warnings,
    generatedAt: now.toISOString(),
  };
}

function unknown(ctx: ClusterContext, plan: ComponentPlan, version: string | null, reason: string, notes: readonly string[] = NO_NOTES): Finding {
  const f: Finding = {
    advisory: plan.advisory.id, cluster: ctx.inv.cluster, component: plan.component, version,
    verdict: 'unknown', fixedTarget: null, upgradePath: NO_PATH, reason, environment: ctx.inv.environment,
  };
  if (notes.length > 0) f.notes = [...notes];
  return f;
}

/** The raw version of a single-version component in this cluster, with notes when it was assumed. */
function singleVersion(ctx: ClusterContext, component: string): SingleVersion {
  let sv = ctx.single.get(component);
  if (sv === undefined) {
    const own = ctx.inv.components[component];
    let raw: string | null = null;
    let note: string | null = null;
    let missing = '';
    if (own !== undefined) {
      raw = own;
    } else if (component === 'kube-apiserver' || component === 'kubernetes') {
      raw = ctx.inv.server;
      missing = 'the API server version is unknown';
    } else if (component === 'kube-controller-manager' || component === 'kube-scheduler' || component === 'cloud-controller-manager') {
      raw = ctx.inv.server;
      if (raw === null) missing = `the ${component} and API server versions are unknown`;
      else note = `${component} version not reported; assumed to match kube-apiserver`;
    } else if (component === 'kubectl') {
      missing = 'kubectl runs on client machines and its version is not in the inventory (set versions.kubectl)';
    } else {
      missing = `${component} is not in the inventory`;
    }
    const notes = [ctx.cacheNote, note].filter((n): n is string => n !== null);
    sv = { raw, notes: notes.length > 0 ? notes : NO_NOTES, missing };
    ctx.single.set(component, sv);
  }
  return sv;
}

function judge(run: Run, ctx: ClusterContext, plan: ComponentPlan): Finding | null {
  // Add-ons are judged only where installed (unless we cannot tell).
  if (plan.kind === 'addon' && ctx.unavailable === null && ctx.inv.components[plan.component] === undefined) return null;
  if (ctx.unavailable !== null) return unknown(ctx, plan, null, ctx.unavailable);
  if (plan.component === 'kubelet' || plan.component === 'kube-proxy') return judgeNodes(run, ctx, plan);

  const { raw, notes, missing } = singleVersion(ctx, plan.component);
  if (plan.unknownReason !== null) return unknown(ctx, plan, raw, plan.unknownReason, notes);
  if (raw === null) return unknown(ctx, plan, null, missing, notes);
  const v = run.ev.parse(raw);
  if (v === null) return unknown(ctx, plan, raw, `"${raw}" is not a version`, notes);
  const e = run.ev.evaluate(plan, v);
  if (e.verdict === 'not-affected') return notAffected(ctx, plan, raw, e, e.reason, notes);
  return finish(run, ctx, plan, raw, e, [...e.notes, ...notes], undefined, e.reason);
}

function notAffected(ctx: ClusterContext, plan: ComponentPlan, raw: string, e: JudgedVersion, reason: string, notes: readonly string[]): Finding {
  const f: Finding = {
    advisory: plan.advisory.id, cluster: ctx.inv.cluster, component: plan.component, version: raw,
    verdict: 'not-affected', fixedTarget: null, upgradePath: e.upgradePath, reason, environment: ctx.inv.environment,
  };
  if (notes.length > 0) f.notes = [...notes];
  return f;
}

function judgeNodes(run: Run, ctx: ClusterContext, plan: ComponentPlan): Finding {
  const isProxy = plan.component === 'kube-proxy';
  const groups = isProxy ? ctx.kubeProxy : ctx.kubelet;
  const extra: readonly string[] = ctx.cacheNote === null && !(isProxy && ctx.kubeProxyAssumed)
    ? NO_NOTES
    : [ctx.cacheNote, isProxy && ctx.kubeProxyAssumed ? PROXY_ASSUMED : null].filter((n): n is string => n !== null);
  if (groups.length === 0) return unknown(ctx, plan, null, 'the inventory lists no nodes', extra);
  const oldestRaw = (groups[0] as NodeGroup).raw;
  if (plan.unknownReason !== null) return unknown(ctx, plan, oldestRaw, plan.unknownReason, extra);

  // Groups are ascending: the first affected one is the oldest affected version.
  let first: NodeGroup | null = null;
  let firstEval: JudgedVersion | null = null;
  let affectedGroups = 0;
  let affectedCount = 0;
  let unreadableNodes = 0;
  let onlyEval: JudgedVersion | null = null;
  for (const g of groups) {
    if (!g.version) {
      unreadableNodes += g.names.length;
      continue;
    }
    const e = run.ev.evaluate(plan, g.version);
    if (groups.length === 1) onlyEval = e;
    if (e.verdict === 'not-affected') continue;
    affectedGroups++;
    affectedCount += g.names.length;
    if (first === null) {
      first = g;
      firstEval = e;
    }
  }
  const unreadableNote = unreadableNodes > 0
    ? `${plural(unreadableNodes, 'node')} ${unreadableNodes === 1 ? 'reports' : 'report'} an unreadable ${plan.component} version (${groups.filter((g) => !g.version).map((g) => `"${g.raw}"`).join(', ')})`
    : null;

  if (first === null || firstEval === null) {
    if (unreadableNote !== null) return unknown(ctx, plan, oldestRaw, unreadableNote, extra);
    // Shared strings: one per advisory × component × version, not per cluster.
    const reason = onlyEval ? onlyEval.reason : `every node's ${plan.component} is outside the affected versions (${plan.rangeText})`;
    return notAffected(ctx, plan, oldestRaw, onlyEval ?? (run.ev.evaluate(plan, (groups[0] as NodeGroup).version as KubeVersion)), reason, extra);
  }

  const e = firstEval;
  let affectedNodes: string[];
  const notes = e.notes.length > 0 ? [...e.notes] : [];
  if (affectedGroups === 1) {
    affectedNodes = first.names; // shared, read-only
  } else {
    affectedNodes = [];
    let others = 0;
    for (const g of groups) {
      if (!g.version) continue;
      const x = run.ev.evaluate(plan, g.version);
      if (x.verdict === 'not-affected') continue;
      for (const n of g.names) affectedNodes.push(n);
      if (g === first || x.target === e.target) continue;
      if (others++ < MAX_GROUP_NOTES) {
        const n = g.names.length;
        notes.push(`${plural(n, 'node')} on ${g.raw} ${x.target ? `${n === 1 ? 'needs' : 'need'} v${x.target}` : `${n === 1 ? 'has' : 'have'} no fixed version`}`);
      }
    }
    if (others > MAX_GROUP_NOTES) notes.push(`… and ${others - MAX_GROUP_NOTES} more node versions with other targets`);
  }
  if (unreadableNote !== null) notes.push(unreadableNote);
  for (const x of extra) notes.push(x);
  const reason = `${affectedCount} of ${plural(ctx.nodeCount, 'node')} ${affectedCount === 1 ? 'runs' : 'run'} an affected ${plan.component}; oldest: ${e.reason}`;
  return finish(run, ctx, plan, first.raw, e, notes, affectedNodes, reason);
}

function finish(
  run: Run, ctx: ClusterContext, plan: ComponentPlan,
  raw: string, e: JudgedVersion, notes: string[], affectedNodes: string[] | undefined, reason: string,
): Finding {
  const f: Finding = {
    advisory: plan.advisory.id, cluster: ctx.inv.cluster, component: plan.component, version: raw,
    verdict: e.verdict,
    fixedTarget: e.fixedTarget,
    upgradePath: e.upgradePath, // shared between findings with the same version: read-only
    reason,
    environment: ctx.inv.environment,
  };
  if (affectedNodes) f.affectedNodes = affectedNodes;
  if (e.target !== null && plan.kind === 'core') targetNotes(run, ctx, plan.component, e, notes);
  if (notes.length > 0) f.notes = notes;
  return f;
}

/** Skew and provider advice for moving this component to the target, appended to `out`. */
function targetNotes(run: Run, ctx: ClusterContext, component: string, e: JudgedVersion, out: string[]): void {
  const target = e.target as string;
  const to = e.targetMinorKey;
  const role = skewRole(component);
  const server = ctx.serverMinorKey;
  if (to !== null && server !== null) {
    if ((role === 'node' || role === 'control-plane') && to > server) {
      const note = memo(run, `cp-first|${component}|${server}|${to}`, () => {
        const from = minorName(server);
        return `${component} must not be newer than kube-apiserver: upgrade the control plane first (${[from, ...minorsBetween(from, minorName(to))].join(' → ')})`;
      });
      if (note) out.push(note);
    }
    if (role === 'client' && Math.abs(to - server) > 1) {
      out.push(`kubectl is supported within one minor of kube-apiserver (${ctx.serverMinor})`);
    }
  }
  if (role === 'apiserver' && e.upgradePath.length > 0 && to !== null) {
    // A kubelet of minor k falls out of skew when the API server reaches k + maxSkew + 1.
    let lastMinor = -2;
    let count = 0;
    let breakAt = 0;
    const flush = () => {
      if (count > 0) {
        out.push(`upgrade node components along the way: ${nodesRun(count)} kubelet ${minorName(lastMinor)}, outside the skew policy once kube-apiserver reaches ${minorName(breakAt)} (kubelet/kube-proxy at most ${maxNodeSkew(minorName(lastMinor))} minors older); move them up before that step`);
      }
    };
    for (const g of ctx.kubelet) {
      if (g.minorKey < 0) continue;
      const brk = Math.max(g.minorKey + (g.minorKey < 1025 ? 2 : 3) + 1, e.minorKey + 1);
      if (brk > to) continue;
      if (g.minorKey !== lastMinor) {
        flush();
        lastMinor = g.minorKey;
        count = 0;
        breakAt = brk;
      }
      count += g.names.length;
    }
    flush();
    out.push(CONTROL_PLANE_STEP);
  }
  const pn = memo(run, `provider|${ctx.provider}|${target}|${role === 'node'}`, () => providerTargetNote(ctx.provider, target, role === 'node'));
  if (pn) out.push(pn);
  if (isManaged(ctx.provider) && run.ev.support(minorName(e.minorKey)) === 'no') {
    const en = memo(run, `provider-eol|${ctx.provider}|${e.minorKey}`, () => providerEolNote(ctx.provider, minorName(e.minorKey)));
    if (en) out.push(en);
  }
}

function posture(ev: Evaluator, calendar: ReleaseCalendar, now: Date, ctx: ClusterContext): ClusterPosture {
  const { inv, serverMinor } = ctx;
  const notes: string[] = [];
  const today = isoDay(now);
  let eol: string | null = null;
  let supported: boolean | null = null;
  if (serverMinor) {
    const s = ev.support(serverMinor);
    supported = s === 'yes' ? true : s === 'no' ? false : null;
    const eolDate = calendar.eolDate(serverMinor);
    if (s === 'no' && eolDate !== null && eolDate <= today) {
      eol = eolDate;
      notes.push(`${serverMinor} is end-of-life since ${eolDate}`);
      const pn = providerEolNote(ctx.provider, serverMinor);
      if (pn) notes.push(pn);
    } else if (s === 'no' && !calendar.minor(serverMinor)) {
      notes.push(`${serverMinor} is not in the release data`);
    } else if (s === 'assumed') {
      notes.push(`release data (as of ${calendar.asOf}) does not know ${serverMinor} yet`);
    }
  }
  const nodeMinors = new Map<string, number>();
  for (const g of ctx.kubelet) {
    if (!g.version) continue;
    const m = `${g.version.major}.${g.version.minor}`;
    nodeMinors.set(m, (nodeMinors.get(m) ?? 0) + g.names.length);
  }
  for (const [m, count] of [...nodeMinors].sort((a, b) => compareMinors(a[0], b[0]))) {
    if (serverMinor && m !== serverMinor && !withinSkew('kubelet', m, serverMinor)) {
      notes.push(`${nodesRun(count)} kubelet ${m}, outside the skew policy with kube-apiserver ${serverMinor}`);
    }
    if (m !== serverMinor && ev.support(m) === 'no') {
      const d = calendar.eolDate(m);
      notes.push(`${nodesRun(count)} kubelet ${m}${d ? `, end-of-life since ${d}` : ', not a supported minor'}`);
    }
  }
  for (const w of inv.warnings ?? []) notes.push(`inventory: ${w}`);
  return {
    cluster: inv.cluster,
    environment: inv.environment,
    provider: ctx.provider,
    server: inv.server,
    minor: serverMinor,
    eol,
    supported,
    inventoryError: inv.error ? `${inv.error.code}: ${inv.error.message}` : null,
    inventoryAge: formatAge(inv.collectedAt, now),
    source: inv.source,
    notes,
  };
}
