/**
 * Triage: advisories × cluster inventories × release calendar → findings (DESIGN.md contract),
 * cluster posture and run warnings. Pure: `now` is injected, nothing is read from outside.
 *
 * Per advisory and component a plan is made once; per distinct version the verdict and fixed
 * target are computed once (see evaluate.ts) and found again by a small integer id. Per cluster,
 * nodes are grouped by version so a 50-node cluster on two kubelet versions costs two lookups per
 * advisory. Clusters with the same facts share the rest: affected single-version findings are
 * templates per plan × version × cluster facts, note lists are interned, reasons are made once per
 * version × node counts. The fleet is walked cluster by cluster (its facts hot in cache, dropped
 * once judged); each finding is then one object allocation whose strings and arrays are shared.
 * Findings are therefore read-only: their arrays may be frozen and shared with other findings.
 * test/unit/triage/shared-templates.test.ts holds this equal to triaging each cluster alone.
 *
 * Exposure and the one remediation per cluster (issue 8) are made in the same loop: exposure as an
 * affected finding is made, the remediation from the cluster's open findings once it is judged.
 * test/unit/triage/fleet-golden.test.ts holds this equal to the output of separate passes.
 */
import semver from 'semver';
import type { Advisory, AffectedRange } from '../advisory/types.ts';
import { CORE_COMPONENTS, isClientComponent } from '../advisory/types.ts';
import { minorsBetween, type KubeVersion } from '../advisory/versions.ts';
import type { ClusterInventory, ClusterProvider, NodeVersions } from '../inventory/types.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { isoDay, STALE_AFTER_DAYS } from '../releases/calendar.ts';
import { createEvaluator, minorKeyOf, minorName, type ComponentPlan, type Evaluator, type JudgedVersion, type SupportState } from './evaluate.ts';
import { createExposureRun, type ClusterExposure, type ExposureRun } from './exposure.ts';
import { isManaged, providerEolNote, providerTargetNote } from './providers.ts';
import { createRemediator, type Remediator } from './remediation.ts';
import { skewRole } from './skew.ts';
import type { ClientAdvisory, ClusterPosture, Exposure, Finding, FindingGroup, Remediation, TriageResult, Verdict, VerdictCounts } from './types.ts';

export interface TriageOptions {
  advisories: Advisory[];
  inventories: ClusterInventory[];
  calendar: ReleaseCalendar;
  now: Date;
  /** Only this CVE id (matched against ids and aliases, case-insensitive). */
  cve?: string;
  /** Leave not-affected findings out (a fleet-wide run that only acts on the rest). Default false. */
  omitNotAffected?: boolean;
  /** Work shared by calls over chunks of one fleet (createTriageSession with the same inputs). */
  session?: TriageSession;
}

interface NodeGroup {
  raw: string;
  version: KubeVersion | null;
  /** major × 1000 + minor, or -1 when unreadable. */
  minorKey: number;
  /** Run-wide id of `version.semver` (index into PlanInfo.judged), or -1 when unreadable. */
  vid: number;
  /** Node names in inventory order; shared by findings as `affectedNodes` (read-only). */
  names: string[];
  /** groupNote() by target; null until needed. */
  notes: Map<string, string> | null;
}

interface ClusterContext {
  inv: ClusterInventory;
  cluster: string;
  environment: string;
  provider: ClusterProvider;
  server: KubeVersion | null;
  serverMinor: string | null;
  serverMinorKey: number | null;
  /** Ascending by version; unreadable versions last. */
  kubelet: NodeGroup[];
  /** The kubelet groups themselves when kube-proxy is not reported anywhere. */
  kubeProxy: NodeGroup[];
  /** kube-proxy's version was not reported and is taken to be the kubelet's. */
  kubeProxyAssumed: boolean;
  nodeCount: number;
  /** Inventory failed and holds no versions at all. */
  unavailable: string | null;
  /** Note for every finding when the versions are a cached read. */
  cacheNote: string | null;
  /** Notes on every kubelet / kube-proxy finding (cached read, assumed kube-proxy version); shared. */
  kubeletExtra: readonly string[];
  proxyExtra: readonly string[];
  /** Unreadable node version note, [kubelet, kube-proxy]; undefined until needed. */
  unreadable: [string | null | undefined, string | null | undefined];
  /** singleVersion() answers by component index (Run.componentIds). */
  single: (SingleVersion | undefined)[];
  /** Everything targetNotes() reads from the cluster, as a cache key; null until needed. */
  targetKey: string | null;
  /** Concatenated names of several affected node groups, by (group set, groups array); shared. */
  nodeLists: Map<number, string[]> | null;
  /** Some node reports its operating system (else OS views need not look at every node). */
  nodeOs: boolean;
  /** What the cluster's nodes run, per operating system an advisory is limited to; null until needed. */
  os: Map<string, OsView> | null;
  /** The cluster's exposure answers; null until an affected finding of an advisory with conditions needs one. */
  exposure: ClusterExposure | null;
}

/**
 * A cluster seen through an advisory's OS condition ("only Windows nodes"): `none` when no node
 * runs that OS (known per node or from static `os:`), `some` with the node groups to judge
 * (null: every node, because which ones run it is not known), `unknown` when the OS is not known.
 */
interface OsView {
  status: 'none' | 'some' | 'unknown';
  /** none: the not-affected reason; some/unknown: appended to affected reasons. */
  text: string;
  kubelet: NodeGroup[] | null;
  kubeProxy: NodeGroup[] | null;
  nodeCount: number;
}

interface SingleVersion {
  raw: string | null;
  /** Parsed `raw`, or null (then `missing` says why it cannot be judged). */
  version: KubeVersion | null;
  /** Run-wide id of `version.semver`, or -1. */
  vid: number;
  /** Notes for every finding on this component (cached read, assumed version); interned, frozen. */
  notes: readonly string[];
  /** Interning key of `notes`. */
  notesKey: string;
  missing: string;
  /** Template key: notes and the cluster facts that target notes read; null until needed. */
  key: string | null;
}

/** The parts of an affected/unfixed single-version finding that clusters with the same facts share. */
interface Template {
  verdict: Verdict;
  fixedTarget: string | null;
  upgradePath: string[];
  reason: string;
  notes: readonly string[];
}

/** An advisory × component plan with what the hot loop reads from it precomputed. */
interface PlanInfo {
  plan: ComponentPlan;
  advisory: string;
  component: string;
  addon: boolean;
  /** 0: single-version component, 1: kubelet, 2: kube-proxy. */
  node: 0 | 1 | 2;
  /** Run-wide index of the component (ClusterContext.single). */
  ci: number;
  /** Judged versions by version id: the evaluator's cache without hashing a string per finding. */
  judged: (JudgedVersion | undefined)[];
  /** Reason of a multi-version node component outside every range; built once per plan. */
  everyNodeOutside: string;
  /** The operating system the advisory is limited to ("windows"), or null. */
  os: string | null;
  /** Index of the advisory in the run (counts). */
  ai: number;
  /** The advisory's verdict counts, shared by its plans; bumped as findings are made. */
  counts: VerdictCounts;
  /** The advisory when it names conditions (its affected findings carry exposure), else null. */
  conditional: Advisory | null;
}

/**
 * Per-run state: evaluator, memoised note strings and finding templates, shared by every
 * cluster with the same facts. Findings share these strings and arrays: they are read-only.
 */
interface Run {
  ev: Evaluator;
  calendar: ReleaseCalendar;
  /** Target notes by component, then server minor × 10⁴ + target minor (control plane first). */
  cpFirst: Map<string, Map<number, string | null>>;
  /** Provider notes [control plane, nodes] by provider, then target; end-of-life notes by provider, then minor key. */
  providerNotes: [Map<ClusterProvider, Map<string, string | null>>, Map<ClusterProvider, Map<string, string | null>>];
  providerEol: Map<ClusterProvider, Map<number, string | null>>;
  /** Reasons of affected node findings by judged version, then affected count × 10⁶ + node count. */
  nodeReasons: Map<JudgedVersion, Map<number, string>>;
  /** Component name → index, version semver → id: array slots instead of map lookups per finding. */
  componentIds: Map<string, number>;
  versionIds: Map<string, number>;
  /** Identical note lists share one frozen array. */
  noteLists: Map<string, readonly string[]>;
  /** Affected/unfixed single-version findings by judged version (plan × version), then cluster facts. */
  templates: Map<JudgedVersion, Map<string, Template>>;
  /** Minors between two minor keys (from × 10⁴ + to), for cluster targets above the oldest node's. */
  paths: Map<number, string[]>;
  /** Not-affected findings left out (omitNotAffected), by advisory index: still counted. */
  omitted: number[];
  exposure: ExposureRun;
  /** The open (not not-affected) findings of the cluster being judged, for its remediation; reused. */
  open: Finding[];
}

const CORE_ORDER = new Map<string, number>(CORE_COMPONENTS.map((c, i) => [c, i]));
const MAX_GROUP_NOTES = 4;
const NO_NOTES: readonly string[] = Object.freeze([]);
/** The upgrade path of findings without a target; frozen and shared (findings are read-only). */
const NO_PATH = Object.freeze([]) as readonly string[] as string[];
const PROXY_ASSUMED = 'kube-proxy version not reported; taken to be the kubelet version';
const PROXY_ASSUMED_NOTES: readonly string[] = Object.freeze([PROXY_ASSUMED]);
const CONTROL_PLANE_STEP = 'upgrade kube-controller-manager and kube-scheduler after each kube-apiserver minor (at most one minor older)';
/** Beyond this many node groups in a cluster, affected-node lists are built directly instead of cached by bit set. */
const MAX_MASK_GROUPS = 30;

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

/** A note memoised by two keys (no key strings built per finding); null answers are kept too. */
function memo<K1, K2>(cache: Map<K1, Map<K2, string | null>>, k1: K1, k2: K2, make: () => string | null): string | null {
  let inner = cache.get(k1);
  if (inner === undefined) {
    inner = new Map();
    cache.set(k1, inner);
  }
  let v = inner.get(k2);
  if (v === undefined) {
    v = make();
    inner.set(k2, v);
  }
  return v;
}

/** Run-wide small integer for a version's semver. */
function versionId(run: Run, v: KubeVersion | null): number {
  if (v === null) return -1;
  let id = run.versionIds.get(v.semver);
  if (id === undefined) {
    id = run.versionIds.size;
    run.versionIds.set(v.semver, id);
  }
  return id;
}

/** `ev.evaluate(plan, version)` through the plan's array by version id. */
function judgedAt(run: Run, pi: PlanInfo, vid: number, version: KubeVersion): JudgedVersion {
  let e = pi.judged[vid];
  if (e === undefined) {
    e = run.ev.evaluate(pi.plan, version);
    pi.judged[vid] = e;
  }
  return e;
}

/** One shared frozen array per distinct list of notes. */
function noteList(run: Run, key: string, notes: string[]): readonly string[] {
  if (notes.length === 0) return NO_NOTES;
  let list = run.noteLists.get(key);
  if (list === undefined) {
    list = Object.freeze(notes);
    run.noteLists.set(key, list);
  }
  return list;
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

/**
 * Accumulates nodes into groups by raw version. Clusters run a handful of versions, so a linear
 * scan beats hashing every node's version string; a map takes over for unusually many versions.
 */
class GroupBuilder {
  readonly groups: NodeGroup[] = [];
  private byRaw: Map<string, NodeGroup> | null = null;
  private last: NodeGroup | null = null;
  private readonly run: Run;

  constructor(run: Run) {
    this.run = run;
  }

  add(raw: string, name: string): void {
    let g = this.last;
    if (g === null || g.raw !== raw) {
      g = this.find(raw);
      this.last = g;
    }
    g.names.push(name);
  }

  private find(raw: string): NodeGroup {
    const { groups } = this;
    if (this.byRaw !== null) {
      const hit = this.byRaw.get(raw);
      if (hit) return hit;
    } else {
      for (let i = 0; i < groups.length; i++) if ((groups[i] as NodeGroup).raw === raw) return groups[i] as NodeGroup;
    }
    const version = this.run.ev.parse(raw);
    const g: NodeGroup = { raw, version, minorKey: version ? minorKeyOf(version) : -1, vid: versionId(this.run, version), names: [], notes: null };
    groups.push(g);
    if (this.byRaw !== null) this.byRaw.set(raw, g);
    else if (groups.length > 8) this.byRaw = new Map(groups.map((x) => [x.raw, x]));
    return g;
  }

  /** Sorted in place (insertion sort: a handful of groups, no allocation). */
  sorted(): NodeGroup[] {
    const g = this.groups;
    for (let i = 1; i < g.length; i++) {
      const x = g[i] as NodeGroup;
      let j = i - 1;
      while (j >= 0 && compareGroups(g[j] as NodeGroup, x) > 0) {
        g[j + 1] = g[j] as NodeGroup;
        j--;
      }
      g[j + 1] = x;
    }
    return g;
  }
}

function prepareCluster(run: Run, inv: ClusterInventory): ClusterContext {
  const { ev } = run;
  const server = inv.server === null ? null : ev.parse(inv.server);
  const proxyDefault = inv.components['kube-proxy'] ?? null;
  const nodes = inv.nodes;
  const kubeletGroups = new GroupBuilder(run);
  let proxyReported = proxyDefault !== null && proxyDefault !== '';
  let nodeOs = false;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i] as NodeVersions;
    kubeletGroups.add(n.kubelet, n.name);
    if (n.kubeProxy) proxyReported = true;
    if (n.os !== undefined && n.os !== '') nodeOs = true;
  }
  const kubelet = kubeletGroups.sorted();
  let kubeProxy = kubelet;
  let kubeProxyAssumed = nodes.length > 0;
  if (proxyReported) {
    // Some node reports kube-proxy: group it on its own (nodes without one run the kubelet's).
    kubeProxyAssumed = false;
    const proxyGroups = new GroupBuilder(run);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i] as NodeVersions;
      const proxy = n.kubeProxy || proxyDefault;
      if (proxy) {
        proxyGroups.add(proxy, n.name);
      } else {
        kubeProxyAssumed = true;
        proxyGroups.add(n.kubelet, n.name);
      }
    }
    kubeProxy = proxyGroups.sorted();
  }
  const empty = inv.server === null && nodes.length === 0 && Object.keys(inv.components).length === 0;
  let provider = inv.provider;
  if (provider === 'unknown') {
    const guessed = server?.provider ?? kubelet.find((g) => g.version && g.version.provider !== 'upstream')?.version?.provider;
    if (guessed && guessed !== 'upstream') provider = guessed;
  }
  const cacheNote = inv.error ? `versions from an earlier read (${inv.collectedAt}); the last read failed: ${inv.error.code}` : null;
  let kubeletExtra = NO_NOTES;
  let proxyExtra = kubeProxyAssumed ? PROXY_ASSUMED_NOTES : NO_NOTES;
  if (cacheNote !== null) {
    kubeletExtra = noteList(run, cacheNote, [cacheNote]);
    proxyExtra = kubeProxyAssumed ? noteList(run, `${cacheNote}\u0000${PROXY_ASSUMED}`, [cacheNote, PROXY_ASSUMED]) : kubeletExtra;
  }
  return {
    inv,
    cluster: inv.cluster,
    environment: inv.environment,
    provider,
    server,
    serverMinor: server ? `${server.major}.${server.minor}` : null,
    serverMinorKey: server ? minorKeyOf(server) : null,
    kubelet,
    kubeProxy,
    kubeProxyAssumed,
    nodeCount: nodes.length,
    unavailable: empty && inv.error ? `inventory unavailable (${inv.error.code}: ${inv.error.message})` : empty ? 'the inventory holds no versions' : null,
    cacheNote,
    kubeletExtra,
    proxyExtra,
    unreadable: [undefined, undefined],
    single: [],
    targetKey: null,
    nodeLists: null,
    nodeOs,
    os: null,
    exposure: null,
  };
}

function advisoryComponents(a: Advisory): string[] {
  const set = new Set<string>(a.components);
  for (const r of a.ranges) set.add(r.component);
  return [...set].sort(byComponent);
}

/** The operating system an advisory is limited to ("windows"), or null (first os condition wins). */
function osCondition(a: Advisory): string | null {
  for (const c of a.conditions) if (c.kind === 'os') return c.value.toLowerCase();
  return null;
}

function osLabel(os: string): string {
  return os === 'windows' ? 'Windows' : os === 'linux' ? 'Linux' : os;
}

/** "< v1.27.3", "v1.27.0 to < v1.27.3", "≤ v1.24.14", "all versions". */
function clientRange(r: AffectedRange): string {
  const v = (x: string) => (/^\d/.test(x) ? `v${x}` : x);
  const from = r.introduced === null || r.introduced === '0' ? null : v(r.introduced);
  if (r.lastAffected !== null) return from === null ? `≤ ${v(r.lastAffected)}` : from === v(r.lastAffected) ? from : `${from} – ${v(r.lastAffected)}`;
  if (r.fixed !== null) return from === null ? `< ${v(r.fixed)}` : `${from} to < ${v(r.fixed)}`;
  return from === null ? 'all versions' : `≥ ${from}`;
}

/**
 * Clients and libraries (kubectl, client-go …) run on workstations and in programs, not in the
 * cluster: one entry per advisory and component, never a cluster finding.
 */
function clientAdvisory(a: Advisory, component: string): ClientAdvisory {
  const ranges = a.ranges.filter((r) => r.component === component);
  const who = component === 'kubectl' ? 'workstations running kubectl' : `programs built with ${component}`;
  const fixed = [...new Set(ranges.flatMap((r) => (r.fixed === null ? [] : [r.fixed])))]
    .sort((x, y) => semver.compare(semver.coerce(x) ?? '0.0.0', semver.coerce(y) ?? '0.0.0'))
    .map((f) => (/^\d/.test(f) ? `v${f}` : f));
  let versions: string;
  if (a.parse.confidence === 'low') versions = ': the affected versions could not be read with confidence (check the advisory)';
  else if (ranges.length === 0) versions = ': the advisory gives no affected versions';
  else versions = ` ${ranges.map(clientRange).join(', ')}`;
  const fix = a.fixState === 'none' ? '; no fix will be released: mitigate'
    : fixed.length > 0 ? `; fixed in ${fixed.join(', ')}`
    : a.fixState === 'pending' ? '; no fix yet' : '';
  return { advisory: a.id, component, summary: `${who}${versions}${fix}`, fixed, fixState: a.fixState };
}

function matchesCve(a: Advisory, cve: string): boolean {
  const id = cve.trim().toUpperCase();
  return a.id.toUpperCase() === id || a.aliases.some((x) => x.toUpperCase() === id);
}

function planInfo(run: Run, plan: ComponentPlan, ai: number, counts: VerdictCounts): PlanInfo {
  const component = plan.component;
  let ci = run.componentIds.get(component);
  if (ci === undefined) {
    ci = run.componentIds.size;
    run.componentIds.set(component, ci);
  }
  return {
    plan,
    advisory: plan.advisory.id,
    component,
    addon: plan.kind === 'addon',
    node: component === 'kubelet' ? 1 : component === 'kube-proxy' ? 2 : 0,
    ci,
    judged: [],
    everyNodeOutside: `every node's ${component} is outside the affected versions (${plan.rangeText})`,
    os: osCondition(plan.advisory),
    ai,
    counts,
    conditional: plan.advisory.conditions.length > 0 ? plan.advisory : null,
  };
}

/**
 * Everything a triage run memoises that depends on the advisories, the calendar and `now` alone
 * (never on which clusters are judged): plans, verdicts per version, notes, templates, exposure of
 * evidence-free clusters, remediation shapes, postures' support and ages.
 */
interface Session {
  /** The caller's array, and its elements as they were (an array changed in place is not the same input). */
  advisories: readonly Advisory[];
  elements: readonly Advisory[];
  calendar: ReleaseCalendar;
  nowMs: number;
  cve: string | undefined;
  run: Run;
  /** The advisories after the CVE filter, their plans, and their client entries. */
  selected: Advisory[];
  planLists: PlanInfo[][];
  clients: ClientAdvisory[];
  remediator: Remediator;
  postureCache: PostureCache;
}

/**
 * What chunked triage of one fleet shares: triageFleet() triages a large fleet in chunks of
 * clusters, one triage() call each with the same advisories, calendar and time; with one session
 * the chunks build plans and judge every version once instead of once per chunk (at 10,000
 * clusters, 100 chunks). Sharing cannot change an answer: nothing in a session depends on the
 * clusters (test/unit/triage/fleet-golden.test.ts triages a fleet in chunks). Its per-call state
 * (counts, the open list) is reset by each call: triage() is synchronous.
 */
export type TriageSession = Session;

export function createTriageSession(options: Pick<TriageOptions, 'advisories' | 'calendar' | 'now' | 'cve'>): TriageSession {
  const { calendar, now } = options;
  const run: Run = {
    ev: createEvaluator({ calendar, now }), calendar,
    cpFirst: new Map(), providerNotes: [new Map(), new Map()], providerEol: new Map(), nodeReasons: new Map(),
    componentIds: new Map(), versionIds: new Map(), noteLists: new Map(), templates: new Map(), paths: new Map(), omitted: [],
    exposure: createExposureRun(), open: [],
  };
  let selected = options.advisories;
  if (options.cve !== undefined) {
    const cve = options.cve;
    selected = selected.filter((a) => matchesCve(a, cve));
  }
  const clients: ClientAdvisory[] = [];
  const noCounts: VerdictCounts = { affected: 0, unfixed: 0, unknown: 0, 'not-affected': 0 };
  const planLists: PlanInfo[][] = selected.map((advisory, ai) => {
    const all = advisoryComponents(advisory);
    // A guessed component list names kubectl too; the guess is shown on the cluster findings, not as a client entry.
    const guessed = advisory.componentSource === 'assumed';
    const components = all.filter((c) => guessed || !isClientComponent(c));
    if (!guessed) for (const c of all) if (isClientComponent(c)) clients.push(clientAdvisory(advisory, c));
    if (components.length > 0) return components.map((c) => planInfo(run, run.ev.plan(advisory, c), ai, noCounts));
    if (all.length > 0) return []; // clients and libraries only
    // No component at all: the text either says Kubernetes itself is not affected (`stated`), or names nothing.
    const base = run.ev.plan(advisory, 'kubernetes');
    const none = advisory.componentSource === 'stated' && advisory.ranges.length === 0 && !advisory.placeholder && advisory.parse.confidence !== 'low'
      ? { unknownReason: null, notAffectedReason: 'the advisory says no Kubernetes component is affected (read it if it names a tool or installer you use)' }
      // A placeholder or unreadable advisory keeps its own reason.
      : { unknownReason: advisory.placeholder || advisory.parse.confidence === 'low' ? base.unknownReason : 'the advisory names no affected component' };
    return [planInfo(run, { ...base, ...none }, ai, noCounts)];
  });
  return {
    advisories: options.advisories, elements: [...options.advisories], calendar, nowMs: now.getTime(), cve: options.cve, run, selected, planLists, clients,
    remediator: createRemediator({ advisories: selected, calendar, now }),
    postureCache: { today: isoDay(now), support: new Map(), age: new Map() },
  };
}

/** The caller's session when it was built for this call's inputs (a mismatch is a bug: say so), else a new one. */
function sessionFor(options: TriageOptions): Session {
  const s = options.session;
  if (s === undefined) return createTriageSession(options);
  if (s.advisories === options.advisories && s.calendar === options.calendar && s.nowMs === options.now.getTime() && s.cve === options.cve
    && sameElements(s.elements, options.advisories)) {
    return s;
  }
  throw new TypeError('triage(): the session was built for other advisories, calendar, time or CVE filter');
}

function sameElements(a: readonly Advisory[], b: readonly Advisory[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function triage(options: TriageOptions): TriageResult {
  const { calendar, now } = options;
  const session = sessionFor(options);
  const { run, planLists, remediator } = session;
  const warnings: string[] = [];

  if (calendar.isStale(now)) {
    warnings.push(`release data as of ${calendar.asOf} is ${calendar.ageDays(now)} days old (over ${STALE_AFTER_DAYS}): newer minors, patches and changed support dates may be missing`);
  }
  const advisories = session.selected;
  if (options.cve !== undefined && advisories.length === 0) warnings.push(`no advisory ${options.cve.trim().toUpperCase()} in the feed`);

  const seen = new Set<string>();
  for (const inv of options.inventories) {
    if (seen.has(inv.cluster)) warnings.push(`cluster ${inv.cluster} appears more than once in the inventory`);
    seen.add(inv.cluster);
  }
  const sorted = [...options.inventories].sort(byName);
  run.omitted = advisories.map(() => 0);
  const omit = options.omitNotAffected === true;
  // This call's verdict counts, shared by each advisory's plans (the plans are the session's).
  const perAdvisoryCounts: VerdictCounts[] = advisories.map(() => ({ affected: 0, unfixed: 0, unknown: 0, 'not-affected': 0 }));
  for (let a = 0; a < planLists.length; a++) for (const pi of planLists[a] as PlanInfo[]) pi.counts = perAdvisoryCounts[a] as VerdictCounts;
  run.open.length = 0;
  // Cluster by cluster: its facts are prepared, judged against every advisory while they are in
  // cache, summed up in its posture and remediation, and dropped (they die young instead of being
  // kept for the whole run). Exposure is made with each finding, and the remediation from the
  // cluster's open findings as it is done: no pass over every finding afterwards. Each advisory's
  // findings go to their own list; joined in advisory order, that is the advisory → cluster →
  // component order.
  const perAdvisory: Finding[][] = advisories.map(() => []);
  const postures: ClusterPosture[] = new Array<ClusterPosture>(sorted.length);
  const cache = session.postureCache;
  for (let c = 0; c < sorted.length; c++) {
    const ctx = prepareCluster(run, sorted[c] as ClusterInventory);
    for (let a = 0; a < planLists.length; a++) {
      const plans = planLists[a] as PlanInfo[];
      const out = perAdvisory[a] as Finding[];
      for (let p = 0; p < plans.length; p++) judge(run, ctx, plans[p] as PlanInfo, out, omit);
    }
    postures[c] = posture(run.ev, calendar, now, ctx, cache, remediator.add(ctx.inv, ctx.provider, run.open, ctx.server));
    run.open.length = 0;
  }
  const findings = perAdvisory.length === 1 ? perAdvisory[0] as Finding[] : ([] as Finding[]).concat(...perAdvisory);
  // Verdicts per advisory (counted as findings were made), the left-out not-affected ones included:
  // a filtered output still says how many.
  const counts: Record<string, VerdictCounts> = {};
  for (let a = 0; a < advisories.length; a++) {
    const c = perAdvisoryCounts[a] as VerdictCounts;
    c['not-affected'] += run.omitted[a] ?? 0;
    counts[(advisories[a] as Advisory).id] = c;
  }
  return {
    // The caller's own array, or (CVE filter) a copy of the session's.
    advisories: options.cve === undefined ? options.advisories : [...advisories],
    findings,
    clusters: postures,
    releaseData: calendar.info(now),
    warnings,
    generatedAt: now.toISOString(),
    clients: [...session.clients],
    counts,
  };
}

/** Named increments: a keyed `counts[verdict]++` per finding goes megamorphic in the hot loop. */
function count(c: VerdictCounts, verdict: Verdict): void {
  if (verdict === 'not-affected') c['not-affected']++;
  else if (verdict === 'affected') c.affected++;
  else if (verdict === 'unknown') c.unknown++;
  else c.unfixed++;
}

/**
 * Appends one finding, made in its final shape: exposure is answered here (not added afterwards,
 * which would move 500k objects to new hidden classes), and an open finding is kept for the
 * cluster's remediation. The only allocation per finding in the hot loop: every string and array
 * in it is shared (read-only). One object literal per shape keeps the findings monomorphic.
 */
function emit(
  run: Run, out: Finding[], pi: PlanInfo, ctx: ClusterContext, version: string | null, verdict: Verdict,
  fixedTarget: string | null, upgradePath: string[], reason: string,
  affectedNodes: string[] | null, notes: readonly string[], groups: FindingGroup[] | null = null,
): void {
  const advisory = pi.advisory;
  const cluster = ctx.cluster;
  const component = pi.component;
  const environment = ctx.environment;
  count(pi.counts, verdict);
  let f: Finding;
  const exposure = pi.conditional !== null && (verdict === 'affected' || verdict === 'unfixed') ? exposureOf(run, ctx, pi.conditional) : undefined;
  if (exposure !== undefined) {
    f = withExposure({ advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment }, affectedNodes, notes, groups, exposure);
  } else if (affectedNodes === null) {
    f = notes.length === 0
      ? { advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment }
      : { advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment, notes: notes as string[] };
  } else if (groups !== null) {
    f = notes.length === 0
      ? { advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment, affectedNodes, groups }
      : { advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment, affectedNodes, notes: notes as string[], groups };
  } else {
    f = notes.length === 0
      ? { advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment, affectedNodes }
      : { advisory, cluster, component, version, verdict, fixedTarget, upgradePath, reason, environment, affectedNodes, notes: notes as string[] };
  }
  out.push(f);
  if (verdict !== 'not-affected') run.open.push(f);
}

/** The rare finding with exposure (affected, of an advisory with conditions): fields in output order. */
function withExposure(f: Finding, affectedNodes: string[] | null, notes: readonly string[], groups: FindingGroup[] | null, exposure: Exposure): Finding {
  if (affectedNodes !== null) f.affectedNodes = affectedNodes;
  if (notes.length > 0) f.notes = notes as string[];
  if (groups !== null) f.groups = groups;
  f.exposure = exposure;
  return f;
}

function exposureOf(run: Run, ctx: ClusterContext, advisory: Advisory): Exposure | undefined {
  return run.exposure.of(advisory, ctx.exposure ??= run.exposure.cluster(ctx.inv));
}

/** The raw version of a single-version component in this cluster, with notes when it was assumed. */
function singleVersion(run: Run, ctx: ClusterContext, component: string, ci: number): SingleVersion {
  let sv = ctx.single[ci];
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
    const version = raw === null ? null : run.ev.parse(raw);
    if (raw !== null && version === null) missing = `"${raw}" is not a version`;
    const cacheNote = ctx.cacheNote;
    const notesKey = cacheNote === null ? note ?? '' : note === null ? cacheNote : `${cacheNote}\u0000${note}`;
    const notes = cacheNote === null
      ? (note === null ? NO_NOTES : noteList(run, notesKey, [note]))
      : noteList(run, notesKey, note === null ? [cacheNote] : [cacheNote, note]);
    sv = { raw, version, vid: versionId(run, version), notes, notesKey, missing, key: null };
    ctx.single[ci] = sv;
  }
  return sv;
}

function judge(run: Run, ctx: ClusterContext, pi: PlanInfo, out: Finding[], omit: boolean): void {
  if (ctx.unavailable !== null) {
    emit(run, out, pi, ctx, null, 'unknown', null, NO_PATH, ctx.unavailable, null, NO_NOTES);
    return;
  }
  // Add-ons are judged only where installed; where the inventory could not look, that is said.
  if (pi.addon && ctx.inv.components[pi.component] === undefined) {
    const unseen = ctx.inv.unseenAddons;
    if (unseen !== undefined) {
      emit(run, out, pi, ctx, null, 'unknown', null, NO_PATH, `whether ${pi.component} is installed is not known: ${unseen.reason} (needs ${unseen.needs})`, null, NO_NOTES);
    }
    return;
  }
  if (pi.os !== null && pi.plan.unknownReason === null) {
    judgeWithOs(run, ctx, pi, out, omit, pi.os);
    return;
  }
  judgeVersions(run, ctx, pi, out, omit);
}

/** An advisory limited to one OS: not affected without such nodes; judged on those nodes only when known. */
function judgeWithOs(run: Run, ctx: ClusterContext, pi: PlanInfo, out: Finding[], omit: boolean, os: string): void {
  const view = osView(run, ctx, os);
  if (view.status === 'none') {
    if (!omit) emit(run, out, pi, ctx, versionJudged(run, ctx, pi), 'not-affected', null, NO_PATH, view.text, null, NO_NOTES);
    else run.omitted[pi.ai] = (run.omitted[pi.ai] ?? 0) + 1;
    return;
  }
  const before = out.length;
  // A component that is not per node (kube-apiserver, an add-on) is judged once for the cluster.
  const text = pi.node === 0 && view.status === 'some' ? `the cluster has ${osLabel(os)} nodes (the advisory affects only ${osLabel(os)} nodes)` : view.text;
  if (pi.node !== 0 && view.kubelet !== null) {
    const isProxy = pi.node === 2;
    const groups = (isProxy ? view.kubeProxy : view.kubelet) as NodeGroup[];
    const whole = groups === (isProxy ? ctx.kubeProxy : ctx.kubelet);
    judgeNodes(run, ctx, pi, out, omit, groups, view.nodeCount, whole ? (isProxy ? 1 : 0) : -1);
  } else {
    judgeVersions(run, ctx, pi, out, omit);
  }
  // The finding was just made for this cluster (its strings are shared, the object is not).
  for (let i = before; i < out.length; i++) {
    const f = out[i] as Finding;
    if (f.verdict === 'affected' || f.verdict === 'unfixed') f.reason = `${f.reason}; ${text}`;
  }
}

/** The version a not-affected-by-condition finding shows: the oldest node's, or the component's. */
function versionJudged(run: Run, ctx: ClusterContext, pi: PlanInfo): string | null {
  if (pi.node !== 0) return ((pi.node === 2 ? ctx.kubeProxy : ctx.kubelet)[0] as NodeGroup | undefined)?.raw ?? null;
  return singleVersion(run, ctx, pi.component, pi.ci).raw;
}

function osView(run: Run, ctx: ClusterContext, os: string): OsView {
  let view = ctx.os?.get(os);
  if (view !== undefined) return view;
  const label = osLabel(os);
  const nodes = ctx.inv.nodes;
  let known = 0;
  const matching: NodeVersions[] = [];
  // Most fleets report no node OS: then nothing is looked at or allocated per node.
  let others: Set<string> | null = null;
  if (ctx.nodeOs) {
    for (const n of nodes) {
      if (n.os === undefined || n.os === '') continue;
      known++;
      if (n.os.toLowerCase() === os) matching.push(n);
      else (others ??= new Set()).add(n.os.toLowerCase());
    }
  }
  const clusterOs = ctx.inv.os?.map((o) => o.toLowerCase());
  if (matching.length > 0) {
    const all = matching.length === nodes.length;
    view = {
      status: 'some',
      text: all ? `the advisory affects only ${label} nodes (every node runs ${label})` : `judged on the ${plural(matching.length, `${label} node`)} only (the advisory affects only ${label} nodes)`,
      kubelet: all ? ctx.kubelet : groupsOf(run, matching, (n) => n.kubelet),
      kubeProxy: all ? ctx.kubeProxy : groupsOf(run, matching, (n) => n.kubeProxy || ctx.inv.components['kube-proxy'] || n.kubelet),
      nodeCount: matching.length,
    };
  } else if (nodes.length > 0 && known === nodes.length) {
    view = { status: 'none', text: `not affected: the advisory affects only ${label} nodes, and no node runs ${label} (${plural(nodes.length, 'node')}: ${[...(others ?? [])].join(', ')})`, kubelet: null, kubeProxy: null, nodeCount: 0 };
  } else if (clusterOs !== undefined && !clusterOs.includes(os)) {
    view = { status: 'none', text: `not affected: the advisory affects only ${label} nodes, and the cluster's nodes run ${clusterOs.join(', ')} (config os)`, kubelet: null, kubeProxy: null, nodeCount: 0 };
  } else if (clusterOs !== undefined) {
    view = { status: 'some', text: `the advisory affects only ${label} nodes; which nodes run ${label} is not known, so every node was judged`, kubelet: null, kubeProxy: null, nodeCount: nodes.length };
  } else {
    view = { status: 'unknown', text: `only if the cluster has ${label} nodes (the nodes' operating system is not known)`, kubelet: null, kubeProxy: null, nodeCount: nodes.length };
  }
  (ctx.os ??= new Map()).set(os, view);
  return view;
}

function groupsOf(run: Run, nodes: NodeVersions[], version: (n: NodeVersions) => string): NodeGroup[] {
  const b = new GroupBuilder(run);
  for (const n of nodes) b.add(version(n), n.name);
  return b.sorted();
}

function judgeVersions(run: Run, ctx: ClusterContext, pi: PlanInfo, out: Finding[], omit: boolean): void {
  if (pi.node !== 0) {
    const isProxy = pi.node === 2;
    judgeNodes(run, ctx, pi, out, omit, isProxy ? ctx.kubeProxy : ctx.kubelet, ctx.nodeCount, isProxy ? 1 : 0);
    return;
  }
  const plan = pi.plan;
  const sv = singleVersion(run, ctx, pi.component, pi.ci);
  if (plan.notAffectedReason !== undefined) {
    if (!omit) emit(run, out, pi, ctx, sv.raw, 'not-affected', null, NO_PATH, plan.notAffectedReason, null, sv.notes);
    else run.omitted[pi.ai] = (run.omitted[pi.ai] ?? 0) + 1;
  } else if (plan.unknownReason !== null) {
    emit(run, out, pi, ctx, sv.raw, 'unknown', null, NO_PATH, plan.unknownReason, null, sv.notes);
  } else if (sv.version === null) {
    emit(run, out, pi, ctx, sv.raw, 'unknown', null, NO_PATH, sv.missing, null, sv.notes);
  } else {
    const e = judgedAt(run, pi, sv.vid, sv.version);
    if (e.verdict === 'not-affected') {
      if (!omit) emit(run, out, pi, ctx, sv.raw, 'not-affected', null, e.upgradePath, e.reason, null, sv.notes);
      else run.omitted[pi.ai] = (run.omitted[pi.ai] ?? 0) + 1;
    } else {
      const t = singleTemplate(run, ctx, plan, sv, e);
      emit(run, out, pi, ctx, sv.raw, t.verdict, t.fixedTarget, t.upgradePath, t.reason, null, t.notes);
    }
  }
}

/** Everything targetNotes() reads from a cluster besides the judged version, as a key. */
function targetKey(ctx: ClusterContext): string {
  if (ctx.targetKey === null) {
    let key = `${ctx.provider}|${ctx.serverMinorKey ?? ''}|`;
    for (const g of ctx.kubelet) key += `${g.minorKey}:${g.names.length},`;
    ctx.targetKey = key;
  }
  return ctx.targetKey;
}

/** An affected/unfixed single-version finding, made once per plan × version × cluster facts. */
function singleTemplate(run: Run, ctx: ClusterContext, plan: ComponentPlan, sv: SingleVersion, e: JudgedVersion): Template {
  let byFacts = run.templates.get(e);
  if (byFacts === undefined) {
    byFacts = new Map();
    run.templates.set(e, byFacts);
  }
  const withTarget = e.target !== null && plan.kind === 'core';
  let key = sv.notesKey;
  if (withTarget) key = sv.key ??= `${sv.notesKey}\u0001${targetKey(ctx)}`;
  let t = byFacts.get(key);
  if (t === undefined) {
    const notes = [...e.notes, ...sv.notes];
    if (withTarget) targetNotes(run, ctx, plan.component, e, notes);
    t = { verdict: e.verdict, fixedTarget: e.fixedTarget, upgradePath: e.upgradePath, reason: e.reason, notes: notes.length > 0 ? Object.freeze(notes) : NO_NOTES };
    byFacts.set(key, t);
  }
  return t;
}

/** "2 nodes report an unreadable kubelet version ("x", "y")", or null; once per cluster and component. */
function unreadableNote(ctx: ClusterContext, pi: PlanInfo, groups: NodeGroup[], cached: boolean): string | null {
  const i = pi.node === 2 ? 1 : 0;
  let note = cached ? ctx.unreadable[i] : undefined;
  if (note === undefined) {
    let unreadableNodes = 0;
    const raws: string[] = [];
    for (const g of groups) {
      if (g.version) continue;
      unreadableNodes += g.names.length;
      raws.push(`"${g.raw}"`);
    }
    note = unreadableNodes > 0
      ? `${plural(unreadableNodes, 'node')} ${unreadableNodes === 1 ? 'reports' : 'report'} an unreadable ${pi.component} version (${raws.join(', ')})`
      : null;
    if (cached) ctx.unreadable[i] = note;
  }
  return note;
}

/**
 * A node component on `groups` (ascending by version). `set` names the group set for the
 * per-cluster caches: 0 the kubelet groups, 1 the kube-proxy groups, -1 another subset (the nodes
 * of one OS), not cached.
 */
function judgeNodes(run: Run, ctx: ClusterContext, pi: PlanInfo, out: Finding[], omit: boolean, groups: NodeGroup[], nodeCount: number, set: number): void {
  const plan = pi.plan;
  const isProxy = pi.node === 2;
  const extra = isProxy ? ctx.proxyExtra : ctx.kubeletExtra;
  if (groups.length === 0) {
    emit(run, out, pi, ctx, null, 'unknown', null, NO_PATH, 'the inventory lists no nodes', null, extra);
    return;
  }
  const oldest = groups[0] as NodeGroup;
  if (plan.unknownReason !== null) {
    emit(run, out, pi, ctx, oldest.raw, 'unknown', null, NO_PATH, plan.unknownReason, null, extra);
    return;
  }

  // Groups are ascending: the first affected one is the oldest affected version; the highest
  // target among affected groups is the one target that is no downgrade for any affected node.
  let first: NodeGroup | null = null;
  let firstEval: JudgedVersion | null = null;
  let oldestEval: JudgedVersion | null = null;
  let maxEval: JudgedVersion | null = null;
  let newest: NodeGroup | null = null;
  let newestEval: JudgedVersion | null = null;
  let affectedGroups = 0;
  let affectedCount = 0;
  let unreadable = false;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as NodeGroup;
    if (!g.version) {
      unreadable = true;
      continue;
    }
    const e = judgedAt(run, pi, g.vid, g.version);
    if (i === 0) oldestEval = e;
    newest = g;
    newestEval = e;
    if (e.verdict === 'not-affected') continue;
    affectedGroups++;
    affectedCount += g.names.length;
    if (first === null) {
      first = g;
      firstEval = e;
    }
    if (e.target !== null && (maxEval === null || maxEval.target === null || compareTargets(run, e, maxEval) > 0)) maxEval = e;
  }
  const unreadableText = unreadable ? unreadableNote(ctx, pi, groups, set >= 0) : null;

  if (first === null || firstEval === null) {
    if (unreadableText !== null) {
      emit(run, out, pi, ctx, oldest.raw, 'unknown', null, NO_PATH, unreadableText, null, extra);
      return;
    }
    // Every group readable and outside the ranges: the oldest version speaks for the cluster.
    const e = oldestEval as JudgedVersion;
    if (!omit) emit(run, out, pi, ctx, oldest.raw, 'not-affected', null, e.upgradePath, groups.length === 1 ? e.reason : pi.everyNodeOutside, null, extra);
    else run.omitted[pi.ai] = (run.omitted[pi.ai] ?? 0) + 1;
    return;
  }

  const e = firstEval;
  // The cluster's target: the highest any affected group needs, raised to the newest node's own
  // version when that node is not affected and newer still (a lower target would be its downgrade).
  let t: TargetView = e;
  let targetNote: string | null = null;
  if (maxEval !== null && maxEval !== e && maxEval.target !== null) {
    t = targetView(run, e, maxEval.target, maxEval.targetMinorKey);
    targetNote = `target v${maxEval.target}: the highest any affected node needs (${plural(first.names.length, 'node')} on ${first.raw} alone would need ${e.fixedTarget ?? 'a fix'})`;
  }
  if (newest !== null && newestEval !== null && newestEval.verdict === 'not-affected' && t.target !== null && newest.version !== null
    && compareVersionsFast(newest.version, run.ev.parse(t.target) as KubeVersion) > 0) {
    const v = newest.version;
    const target = v.semver;
    targetNote = `target v${target}: the newest node's version (not affected); a lower target would be a downgrade for ${plural(newest.names.length, 'node')} on ${newest.raw}`;
    t = targetView(run, e, target, minorKeyOf(v));
  }

  const notes = e.notes.length > 0 ? [...e.notes] : [];
  let affectedNodes: string[];
  if (affectedGroups === 1) {
    affectedNodes = first.names; // shared, read-only
  } else {
    // A bit per group names the affected set (cached per cluster); very many groups list directly.
    const direct: string[] | null = groups.length > MAX_MASK_GROUPS || set < 0 ? [] : null;
    let mask = 0;
    let others = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as NodeGroup;
      if (!g.version) continue;
      const x = judgedAt(run, pi, g.vid, g.version);
      if (x.verdict === 'not-affected') continue;
      if (direct === null) mask |= 1 << i;
      else for (const n of g.names) direct.push(n);
      if (g === first || x.target === e.target) continue;
      if (others++ < MAX_GROUP_NOTES) notes.push(groupNote(g, x.target));
    }
    if (others > MAX_GROUP_NOTES) notes.push(`… and ${others - MAX_GROUP_NOTES} more node versions with other targets`);
    affectedNodes = direct ?? affectedNodeList(ctx, groups, mask, set);
  }
  if (targetNote !== null) notes.push(targetNote);
  if (unreadableText !== null) notes.push(unreadableText);
  for (const x of extra) notes.push(x);
  if (t.target !== null) targetNotes(run, ctx, pi.component, t, notes);
  const reason = nodeReason(run, pi, e, affectedCount, nodeCount);
  const verdict: Verdict = t.target === null ? e.verdict : 'affected';
  const fixedTarget = t === e ? e.fixedTarget : `v${t.target as string}`;
  // Groups say which node version needs which target; with no target anywhere there is nothing to
  // tell apart (affectedNodes lists the nodes), and 10,000 clusters × unfixed advisories would pay for them.
  emit(run, out, pi, ctx, first.raw, verdict, fixedTarget, t.upgradePath, reason, affectedNodes, notes, groups.length === 1 || maxEval === null ? null : findingGroups(run, pi, groups));
}

/** The target-related part of a judged version that targetNotes() reads. */
interface TargetView {
  target: string | null;
  minorKey: number;
  targetMinorKey: number | null;
  upgradePath: string[];
}

/** `e` moved to another target: its minor stays, the path leads to the target's minor. */
function targetView(run: Run, e: JudgedVersion, target: string, targetMinorKey: number | null): TargetView {
  let upgradePath: string[] = NO_PATH;
  if (targetMinorKey !== null && targetMinorKey > e.minorKey) {
    const key = e.minorKey * 10_000 + targetMinorKey;
    let path = run.paths.get(key);
    if (path === undefined) {
      path = Object.freeze(minorsBetween(minorName(e.minorKey), minorName(targetMinorKey))) as readonly string[] as string[];
      run.paths.set(key, path);
    }
    upgradePath = path;
  }
  return { target, minorKey: e.minorKey, targetMinorKey, upgradePath };
}

function compareTargets(run: Run, a: JudgedVersion, b: JudgedVersion): number {
  const x = run.ev.parse(a.target as string);
  const y = run.ev.parse(b.target as string);
  if (x === null || y === null) return 0;
  return compareVersionsFast(x, y);
}

/** One entry per node-version group: its own verdict and target (never below its own version). */
function findingGroups(run: Run, pi: PlanInfo, groups: NodeGroup[]): FindingGroup[] {
  const list: FindingGroup[] = new Array<FindingGroup>(groups.length);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as NodeGroup;
    if (!g.version) {
      list[i] = { version: g.raw, nodes: g.names, verdict: 'unknown', fixedTarget: null, upgradePath: NO_PATH };
      continue;
    }
    const x = judgedAt(run, pi, g.vid, g.version);
    list[i] = { version: g.raw, nodes: g.names, verdict: x.verdict, fixedTarget: x.fixedTarget, upgradePath: x.upgradePath };
  }
  return list;
}

/** "2 nodes on v1.27.3 need v1.27.8", once per group and target. */
function groupNote(g: NodeGroup, target: string | null): string {
  const key = target ?? '';
  let note = g.notes?.get(key);
  if (note === undefined) {
    const n = g.names.length;
    note = [plural(n, 'node'), ' on ', g.raw, target ? (n === 1 ? ' needs v' : ' need v') + target : n === 1 ? ' has no fixed version' : ' have no fixed version'].join('');
    (g.notes ??= new Map()).set(key, note);
  }
  return note;
}

/** "3 of 12 nodes run an affected kubelet; oldest: …", one string per version and counts. */
function nodeReason(run: Run, pi: PlanInfo, e: JudgedVersion, affectedCount: number, nodeCount: number): string {
  let byCount = run.nodeReasons.get(e);
  if (byCount === undefined) {
    byCount = new Map();
    run.nodeReasons.set(e, byCount);
  }
  const key = affectedCount * 1_000_000 + nodeCount;
  let reason = byCount.get(key);
  if (reason === undefined) {
    // Joined, not concatenated: one flat string instead of a chain of cons strings (most of these
    // differ per cluster and live as long as the findings).
    reason = [affectedCount, ' of ', plural(nodeCount, 'node'), affectedCount === 1 ? ' runs' : ' run', ' an affected ', pi.component, '; oldest: ', e.reason].join('');
    byCount.set(key, reason);
  }
  return reason;
}

/** Names of the node groups in `mask`, in group order; one shared array per cluster and group set. */
function affectedNodeList(ctx: ClusterContext, groups: NodeGroup[], mask: number, set: number): string[] {
  const key = mask * 2 + (set === 1 && groups !== ctx.kubelet ? 1 : 0);
  let names = ctx.nodeLists?.get(key);
  if (names === undefined) {
    names = [];
    for (let i = 0; i < groups.length; i++) {
      if ((mask & (1 << i)) === 0) continue;
      for (const n of (groups[i] as NodeGroup).names) names.push(n);
    }
    (ctx.nodeLists ??= new Map()).set(key, names);
  }
  return names;
}

/** Skew and provider advice for moving this component to the target, appended to `out`. */
function targetNotes(run: Run, ctx: ClusterContext, component: string, e: TargetView, out: string[]): void {
  const target = e.target as string;
  const to = e.targetMinorKey;
  const role = skewRole(component);
  const server = ctx.serverMinorKey;
  if (to !== null && server !== null) {
    if ((role === 'node' || role === 'control-plane') && to > server) {
      const note = memo(run.cpFirst, component, server * 10_000 + to, () => {
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
        out.push(`upgrade node components along the way: ${nodesRun(count)} kubelet ${minorName(lastMinor)}, outside the skew policy once kube-apiserver reaches ${minorName(breakAt)} (kubelet/kube-proxy at most ${lastMinor < 1025 ? 2 : 3} minors older); move them up before that step`);
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
  const onNodes = role === 'node';
  const pn = memo(run.providerNotes[onNodes ? 1 : 0], ctx.provider, target, () => providerTargetNote(ctx.provider, target, onNodes));
  if (pn) out.push(pn);
  if (isManaged(ctx.provider) && run.ev.support(minorName(e.minorKey)) === 'no') {
    const en = memo(run.providerEol, ctx.provider, e.minorKey, () => providerEolNote(ctx.provider, minorName(e.minorKey), run.calendar));
    if (en) out.push(en);
  }
}

/** Run-level answers posture() would otherwise recompute per cluster. */
interface PostureCache {
  today: string;
  /** ev.support() by minor key. */
  support: Map<number, SupportState>;
  /** formatAge() by collectedAt. */
  age: Map<string, string | null>;
}

function posture(ev: Evaluator, calendar: ReleaseCalendar, now: Date, ctx: ClusterContext, cache: PostureCache, remediation: Remediation | undefined): ClusterPosture {
  const { inv, serverMinor, serverMinorKey } = ctx;
  const notes: string[] = [];
  const today = cache.today;
  let eol: string | null = null;
  let supported: boolean | null = null;
  if (serverMinor) {
    const s = ev.support(serverMinor);
    supported = s === 'yes' ? true : s === 'no' ? false : null;
    const eolDate = calendar.eolDate(serverMinor);
    if (s === 'no' && eolDate !== null && eolDate <= today) {
      eol = eolDate;
      notes.push(`${serverMinor} is end-of-life since ${eolDate}`);
      const pn = providerEolNote(ctx.provider, serverMinor, calendar);
      if (pn) notes.push(pn);
    } else if (s === 'no' && !calendar.minor(serverMinor)) {
      notes.push(`${serverMinor} is not in the release data`);
    } else if (s === 'assumed') {
      notes.push(`release data (as of ${calendar.asOf}) does not know ${serverMinor} yet`);
    }
  }
  // Kubelet minors in ascending order with their node counts: the groups are sorted by version
  // (unreadable last), so each minor's groups are adjacent.
  const groups = ctx.kubelet;
  for (let i = 0; i < groups.length;) {
    const key = (groups[i] as NodeGroup).minorKey;
    if (key < 0) break;
    let count = 0;
    for (; i < groups.length && (groups[i] as NodeGroup).minorKey === key; i++) count += (groups[i] as NodeGroup).names.length;
    if (key === serverMinorKey) continue;
    if (serverMinorKey !== null) {
      // withinSkew('kubelet', m, serverMinor), on minor keys.
      const behind = serverMinorKey - key;
      if (!(behind >= 0 && behind <= (key < 1025 ? 2 : 3))) {
        notes.push([nodesRun(count), ' kubelet ', minorName(key), ', outside the skew policy with kube-apiserver ', serverMinor].join(''));
      }
    }
    let s = cache.support.get(key);
    if (s === undefined) {
      s = ev.support(minorName(key));
      cache.support.set(key, s);
    }
    if (s === 'no') {
      const m = minorName(key);
      const d = calendar.eolDate(m);
      notes.push([nodesRun(count), ' kubelet ', m, d ? ', end-of-life since ' : ', not a supported minor', d ?? ''].join(''));
    }
  }
  for (const w of inv.warnings ?? []) notes.push(`inventory: ${w}`);
  let age = cache.age.get(inv.collectedAt);
  if (age === undefined) {
    age = formatAge(inv.collectedAt, now);
    cache.age.set(inv.collectedAt, age);
  }
  const p: ClusterPosture = {
    cluster: inv.cluster,
    environment: inv.environment,
    provider: ctx.provider,
    server: inv.server,
    minor: serverMinor,
    eol,
    supported,
    inventoryError: inv.error ? `${inv.error.code}: ${inv.error.message}` : null,
    inventoryAge: age,
    source: inv.source,
    notes,
    // No versions at all: every finding is `unknown`; counted apart from affected clusters.
    readable: ctx.unavailable === null,
  };
  if (remediation !== undefined) p.remediation = remediation;
  return p;
}
