/**
 * One remediation per cluster: across every advisory open on the cluster, the ONE version that
 * clears all that can be cleared (the latest patch of the lowest minor that does), the path to it
 * one minor at a time (the API server cannot skip minors; each hop's latest patch), what it clears
 * and what remains (no fix yet, no fix will be released, unknown, add-ons with their own version
 * line). Managed clusters get the provider build to look for and the support posture from the
 * PROVIDER's calendar (EKS keeps 1.34 in standard support after upstream's EOL). Pure.
 *
 * Cost: triage() hands each cluster's open findings to a Remediator as it finishes the cluster (no
 * pass over every finding afterwards); they are hashed, the answer is computed once per shape
 * (provider, server minor, open findings) and its summary once per server patch, so a fleet of
 * look-alike clusters costs a few hundred computations; whether a candidate version clears an
 * advisory is read from its ranges once per advisory × component × version.
 */
import semver from 'semver';
import type { Advisory } from '../advisory/types.ts';
import { inRange, minorsBetween, type KubeVersion } from '../advisory/versions.ts';
import type { ClusterInventory } from '../inventory/types.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { isoDay } from '../releases/calendar.ts';
import { isManagedProvider, managedProviderLabel, type ProviderSupport } from '../releases/providers.ts';
import type { ManagedProvider, ProviderRelease } from '../releases/schema.ts';
import { componentKind, createEvaluator, type Evaluator } from './evaluate.ts';
import type { ClusterPosture, Finding, Remediation, RemediationStep } from './types.ts';

export interface RemediateOptions {
  findings: readonly Finding[];
  inventories: readonly ClusterInventory[];
  advisories: readonly Advisory[];
  calendar: ReleaseCalendar;
  now: Date;
  /** Cluster postures (their detected provider wins over the inventory's). */
  clusters?: readonly ClusterPosture[];
}

/** From this many minor hops on an end-of-life cluster, replacing it may be the realistic path. */
export const REPLACE_AFTER_HOPS = 3;

interface Candidate {
  minor: string;
  /** Bare semver of the minor's latest released patch. */
  version: string;
  parsed: KubeVersion;
}

interface Open {
  advisory: Advisory;
  /** Core components of the advisory open on this cluster (judged against the target). */
  core: Set<string>;
  /** Why it cannot be cleared by the cluster version (unknown, add-on, no fix), first one found. */
  blocked: string | null;
}

type Remains = Remediation['remains'][number];

function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function minorOfKey(v: KubeVersion): string {
  return `${v.major}.${v.minor}`;
}

function compareMinor(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

function noFixReason(a: Advisory): string {
  if (a.fixState === 'none') return 'no fix will be released: mitigate';
  if (a.fixState === 'pending') return 'no fix released yet (one may come): mitigate meanwhile';
  return 'no fixed version exists for this cluster\'s line: mitigate';
}

function blockedReason(run: Run, f: Finding, advisory: Advisory): string {
  if (f.verdict === 'unfixed') return noFixReason(advisory);
  // Interned: a fleet shares a few dozen of these, not one copy per cluster.
  const key = f.verdict === 'unknown' ? f.reason : `\u0000${f.component}\u0000${f.version ?? ''}\u0000${f.fixedTarget ?? ''}`;
  let text = run.reasons.get(key);
  if (text === undefined) {
    // An affected add-on follows its own version line, not the cluster version.
    text = f.verdict === 'unknown' ? `unknown: ${f.reason}` : `${f.component} ${f.version ?? '?'} → ${f.fixedTarget ?? '?'}: upgrade the add-on itself`;
    run.reasons.set(key, text);
  }
  return text;
}

/** One shared (frozen) entry per advisory × reason. */
function remainsEntry(run: Run, advisory: Advisory, reason: string): Remains {
  let byReason = run.remains.get(advisory);
  if (byReason === undefined) {
    byReason = new Map();
    run.remains.set(advisory, byReason);
  }
  let entry = byReason.get(reason);
  if (entry === undefined) {
    entry = Object.freeze({ advisory: advisory.id, reason, mitigation: advisory.mitigation });
    byReason.set(reason, entry);
  }
  return entry;
}

interface Run {
  ev: Evaluator;
  calendar: ReleaseCalendar;
  now: Date;
  today: string;
  /** Is this candidate version outside every range of the advisory's component? By advisory, component, version. */
  clear: Map<Advisory, Map<string, Map<string, boolean>>>;
  /** Candidates by floor minor × provider. */
  candidates: Map<string, Candidate[]>;
  /** Interned reason texts and remains entries (see blockedReason, remainsEntry). */
  reasons: Map<string, string>;
  remains: Map<Advisory, Map<string, Remains>>;
  /** Latest released patch by minor; provider support by "provider|minor". */
  latest: Map<string, string | null>;
  support: Map<string, ProviderSupport>;
}

/**
 * Only "is this version affected?" is needed here, not a target: the ranges are checked directly
 * (as the evaluator does) and remembered per advisory × component × version. A range that does not
 * parse cannot prove the version clear.
 */
function clearOf(run: Run, advisory: Advisory, component: string, version: string): boolean {
  let byComponent = run.clear.get(advisory);
  if (byComponent === undefined) {
    byComponent = new Map();
    run.clear.set(advisory, byComponent);
  }
  let byVersion = byComponent.get(component);
  if (byVersion === undefined) {
    byVersion = new Map();
    byComponent.set(component, byVersion);
  }
  let clear = byVersion.get(version);
  if (clear === undefined) {
    try {
      clear = !advisory.ranges.some((r) => r.component === component && inRange(version, r));
    } catch {
      clear = false;
    }
    byVersion.set(version, clear);
  }
  return clear;
}

/** The provider's support for a minor today, once per provider × minor. */
function supportOf(run: Run, provider: ManagedProvider, minor: string): ProviderSupport {
  const key = `${provider}|${minor}`;
  let support = run.support.get(key);
  if (support === undefined) {
    support = run.calendar.providerSupport(provider, minor, run.now);
    run.support.set(key, support);
  }
  return support;
}

function latestReleased(run: Run, minor: string): string | null {
  let latest = run.latest.get(minor);
  if (latest === undefined) {
    const released = run.calendar.patches(minor).filter((p) => p.date <= run.today);
    latest = released.at(-1)?.version ?? null;
    run.latest.set(minor, latest);
  }
  return latest;
}

/** A minor a cluster may be moved to: supported by its provider when the provider's calendar knows it, else upstream. */
function acceptable(run: Run, minor: string, provider: ManagedProvider | null): boolean {
  if (provider !== null) {
    const s = supportOf(run, provider, minor);
    if (s.state !== 'unknown') return s.state === 'standard';
  }
  return run.ev.support(minor) !== 'no';
}

function candidatesFor(run: Run, floor: string, provider: ManagedProvider | null): Candidate[] {
  const key = `${floor}|${provider ?? ''}`;
  let list = run.candidates.get(key);
  if (list === undefined) {
    list = [];
    for (const m of run.calendar.minors()) {
      if (compareMinor(m.minor, floor) < 0 || !acceptable(run, m.minor, provider)) continue;
      const version = latestReleased(run, m.minor);
      const parsed = version === null ? null : run.ev.parse(version);
      if (version !== null && parsed !== null) list.push({ minor: m.minor, version, parsed });
    }
    run.candidates.set(key, list);
  }
  return list;
}

function clearsAt(run: Run, open: Open, c: Candidate): boolean {
  for (const component of open.core) {
    if (!clearOf(run, open.advisory, component, c.version)) return false;
  }
  return true;
}

function providerPart(run: Run, provider: ManagedProvider, current: string | null, target: Candidate | null): NonNullable<Remediation['provider']> {
  const label = managedProviderLabel(provider);
  const known = run.calendar.hasProviderCalendar(provider);
  const cur: ProviderRelease | null = current === null ? null : run.calendar.providerRelease(provider, current);
  const support: ProviderSupport = current === null ? { state: 'unknown', until: null } : supportOf(run, provider, current);
  const notes: string[] = [];
  const cycle = (r: ProviderRelease | null, minor: string) => (r !== null && r.cycle !== minor ? `${r.cycle} (Kubernetes ${minor})` : minor);
  if (current !== null) {
    const upstreamEol = run.calendar.eolDate(current);
    const upstreamEnded = upstreamEol !== null && upstreamEol <= run.today;
    switch (support.state) {
      case 'standard':
        notes.push(`${label} supports ${cycle(cur, current)} until ${support.until ?? '?'}${upstreamEnded ? ` (upstream ${current} is end of life since ${upstreamEol})` : ''}`);
        break;
      case 'extended':
        notes.push(`${label} ${cycle(cur, current)} is in extended support until ${support.until ?? '?'} (standard support ended ${cur?.eol ?? '?'})`);
        break;
      case 'ended':
        notes.push(`${label} support for ${cycle(cur, current)} ended ${cur?.eoes ?? cur?.eol ?? '?'}`);
        break;
      case 'not-yet':
        notes.push(`${label} does not offer ${cycle(cur, current)} yet`);
        break;
      case 'unknown':
        notes.push(known ? `${label}'s calendar does not list ${current}` : `no ${label} calendar in the release data`);
        break;
    }
  }
  let build: string | null = null;
  if (target !== null) {
    const t = run.calendar.providerRelease(provider, target.minor);
    build = t?.latest ?? null;
    // GKE builds name their upstream patch ("1.35.7-gke.1222000"): say when the newest one known predates the target.
    const based = build === null ? null : /^(\d+\.\d+\.\d+)-gke\./.exec(build)?.[1] ?? null;
    const older = based !== null && run.ev.parse(based) !== null && compareVersionsSem(based, target.version) < 0;
    if (build !== null) {
      notes.push(older
        ? `look for ${article(label)} ${label} ${cycle(t, target.minor)} build based on v${target.version} or later (newest known: ${build}, older: check the release notes)`
        : `look for ${label} ${cycle(t, target.minor)} build ${build} or later, based on v${target.version} or later`);
    } else {
      notes.push(`look for ${article(label)} ${label} ${cycle(t, target.minor)} version based on v${target.version} or later`);
    }
  }
  const supported = support.state === 'unknown' ? null : support.state === 'standard' || support.state === 'extended';
  return { name: label, build, supported, supportEnds: support.until, note: notes.join('; ') };
}

/** "an EKS", "a GKE". */
function article(label: string): string {
  return /^[AEIOU]/.test(label) ? 'an' : 'a';
}

function compareVersionsSem(a: string, b: string): number {
  return semver.compare(a, b);
}

/** Parsed versions compared without re-parsing (prereleases sort before their release). */
function compareKube(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
    || (a.prerelease === b.prerelease ? 0 : a.prerelease === null ? 1 : b.prerelease === null ? -1 : compareVersionsSem(a.semver, b.semver));
}

/**
 * The summary of a shape: constant, or a tail to put after the server's own version ("v1.35.2" +
 * " → v1.35.8 clears …"), so clusters of one shape on different patches share all but the prefix.
 */
type SummaryParts = { text: string; afterVersion: boolean };

function summaryParts(
  run: Run, serverMinor: string | null, target: Candidate | null, path: RemediationStep[],
  clears: string[], remains: Remains[], provider: ManagedProvider | null,
): SummaryParts {
  const fixed = (text: string): SummaryParts => ({ text, afterVersion: false });
  if (clears.length === 0 && remains.length === 0) return fixed('nothing to do: no open advisory affects this cluster');
  const ids = remains.slice(0, 3).map((x) => x.advisory).join(', ') + (remains.length > 3 ? ', …' : '');
  const rest = remains.length > 0 ? `; ${plural(remains.length, 'advisory remains', 'advisories remain')} (${ids})` : '';
  if (serverMinor === null) return fixed(`cluster version unknown: ${plural(remains.length, 'advisory remains', 'advisories remain')} (${ids})`);
  if (target === null) {
    // Add-ons and advisories without a fix are not cleared by the cluster version: say which case it is.
    const onlyElsewhere = remains.every((x) => !x.reason.startsWith('no supported version clears it'));
    return fixed(onlyElsewhere
      ? `no Kubernetes upgrade is known to clear what is open: ${plural(remains.length, 'advisory remains', 'advisories remain')} (${ids})`
      : `no version clears the open advisories: ${plural(remains.length, 'advisory remains', 'advisories remain')} (mitigate)`);
  }
  const all = clears.length > 1 && remains.length === 0 ? `all ${clears.length} open advisories` : plural(clears.length, 'advisory', 'advisories');
  if (path.length === 0) return { text: ` → v${target.version} clears ${all}${rest}`, afterVersion: true };
  const hops = path.length <= 4 ? `${plural(path.length, 'minor hop')} (${[serverMinor, ...path.map((p) => p.minor)].join(' → ')})` : plural(path.length, 'minor hop');
  let text = ` → v${target.version} in ${hops} clears ${all}${rest}`;
  const eol = run.calendar.eolDate(serverMinor);
  const providerKeeps = provider !== null && supportOf(run, provider, serverMinor).state === 'standard';
  if (path.length >= REPLACE_AFTER_HOPS && eol !== null && eol <= run.today && !providerKeeps) {
    text += `; ${serverMinor} is end of life since ${eol}: ${path.length} upgrades one minor at a time, so replacing the cluster with a new ${target.minor} cluster may be the realistic path`;
  }
  return { text, afterVersion: true };
}

function summaryFor(core: Core, parts: SummaryParts, server: KubeVersion | null): string {
  if (core.unreadable !== undefined) return core.unreadable;
  if (!parts.afterVersion || server === null) return parts.text;
  const from = `v${server.semver}`;
  // Already on the target: only the nodes lag behind.
  if (core.path.length === 0 && core.targetCandidate?.version === server.semver) {
    return `upgrade the nodes to the API server's ${from}: clears${parts.text.slice(parts.text.indexOf(' clears') + ' clears'.length)}`;
  }
  return `${from}${parts.text}`;
}

/** Everything but the summary: depends on the server's minor, not its patch (shared more widely). */
type Core = Omit<Remediation, 'summary'> & { targetCandidate: Candidate | null; unreadable?: string };

function remediateCore(run: Run, server: KubeVersion | null, provider: ManagedProvider | null, open: Map<string, Open>): Core {
  const remains: Remains[] = [];
  const coreOpen: Open[] = [];
  for (const o of open.values()) {
    if (o.blocked !== null || o.core.size === 0) remains.push(remainsEntry(run, o.advisory, o.blocked ?? 'unknown'));
    else coreOpen.push(o);
  }
  let target: Candidate | null = null;
  let cleared: Open[] = [];
  if (server !== null && coreOpen.length > 0) {
    // The lowest candidate clearing the most open advisories: usually all of them.
    const candidates = candidatesFor(run, minorOfKey(server), provider).filter((c) => compareKube(c.parsed, server) >= 0);
    let best = 0;
    for (const c of candidates) {
      const ok = coreOpen.filter((o) => clearsAt(run, o, c));
      if (ok.length > best) {
        best = ok.length;
        target = c;
        cleared = ok;
        if (best === coreOpen.length) break;
      }
    }
  }
  const clearedSet = new Set(cleared);
  for (const o of coreOpen) {
    if (clearedSet.has(o)) continue;
    const reason = server === null ? 'cluster version unknown' : o.advisory.fixState === 'available'
      ? `no supported version clears it${target ? ` together with the others (v${target.version} does not)` : ''}`
      : noFixReason(o.advisory);
    remains.push(remainsEntry(run, o.advisory, reason));
  }
  const path: RemediationStep[] = [];
  if (server !== null && target !== null) {
    for (const m of minorsBetween(minorOfKey(server), target.minor)) {
      path.push({ minor: m, version: m === target.minor ? target.version : latestReleased(run, m) ?? `${m}.0` });
    }
  }
  // Code-unit order: ids are ASCII, and localeCompare (ICU) is far slower.
  remains.sort((a, b) => (a.advisory < b.advisory ? -1 : a.advisory > b.advisory ? 1 : 0));
  const core: Core = {
    target: target === null ? null : `v${target.version}`,
    path,
    clears: cleared.map((o) => o.advisory.id).sort(),
    remains,
    targetCandidate: target,
  };
  if (provider !== null) core.provider = providerPart(run, provider, server === null ? null : minorOfKey(server), target);
  return core;
}

function withSummary(core: Core, summary: string): Remediation {
  const remediation: Remediation = { target: core.target, path: core.path, clears: core.clears, remains: core.remains, summary };
  if (core.provider !== undefined) remediation.provider = core.provider;
  return remediation;
}

/** One shape's answer: the core, its summary parts, and the remediation per server patch. */
interface Shape {
  core: Core;
  parts: SummaryParts;
  bySemver: Map<string, Remediation>;
}

/** One cluster's open findings by advisory: the core components to judge, or why it cannot be cleared. */
function openOf(run: Run, findings: readonly Finding[], advisories: ReadonlyMap<string, Advisory>): Map<string, Open> {
  const open = new Map<string, Open>();
  for (const f of findings) {
    const advisory = advisories.get(f.advisory);
    if (advisory === undefined) continue;
    let o = open.get(f.advisory);
    if (o === undefined) {
      o = { advisory, core: new Set(), blocked: null };
      open.set(f.advisory, o);
    }
    if (f.verdict === 'affected' && componentKind(f.component) === 'core') o.core.add(f.component);
    else o.blocked ??= blockedReason(run, f, advisory);
  }
  return open;
}

/**
 * Remediation for a run of many clusters, one cluster at a time: triage() hands each cluster's open
 * findings over as it finishes judging it, so no pass over every finding is needed afterwards, and
 * nothing is kept per cluster but its answer.
 */
export interface Remediator {
  /**
   * One cluster's open findings (every verdict but not-affected; others are skipped), in advisory
   * order. `provider` is the detected one (the posture's); `server`, when given, is `inv.server`
   * already parsed (triage() has it; managed builds make most server strings unique, so parsing
   * them again costs a regular expression per cluster). Undefined: nothing to say (no versions,
   * no findings).
   */
  add(inv: ClusterInventory, provider: string, open: readonly Finding[], server?: KubeVersion | null): Remediation | undefined;
}

/** FNV-1a and a murmur-style mix, 2 × 32 bits over the facts that decide a cluster's answer. */
const H1 = 0x811c9dc5;
const H2 = 0x01000193;

export function createRemediator(options: { advisories: readonly Advisory[]; calendar: ReleaseCalendar; now: Date }): Remediator {
  const { calendar, now } = options;
  const run: Run = {
    ev: createEvaluator({ calendar, now }), calendar, now, today: isoDay(now),
    clear: new Map(), candidates: new Map(), reasons: new Map(), remains: new Map(), latest: new Map(), support: new Map(),
  };
  const advisories = new Map(options.advisories.map((a) => [a.id, a]));
  // Small integers for the strings hashed; findings share their strings, so the lookups are
  // cached per run of equal ones.
  const ids = new Map<string, number>();
  const id = (str: string | null): number => {
    if (str === null) return 0x7fffffff;
    let k = ids.get(str);
    if (k === undefined) {
      k = ids.size;
      ids.set(str, k);
    }
    return k;
  };
  const components = new Map<string, number>();
  // The ids of the strings at each position of the open list, as of the last cluster: clusters of
  // a fleet have much the same open findings in the same order, so most positions hold the very
  // strings they held before, and a comparison replaces a map lookup.
  const posAdvisory: string[] = [];
  const posAdvId: number[] = [];
  const posComponent: string[] = [];
  const posCompInfo: number[] = [];
  const posReason: string[] = [];
  const posReasonId: number[] = [];
  // Clusters of the same shape (provider, server minor, open findings) share the answer; the
  // summary also names the server patch. 64 hash bits over at most a few thousand shapes: a
  // collision is below one in a billion.
  const shapes = new Map<string, Shape>();

  return {
    add(inv, providerName, open, parsedServer) {
      // What decides the answer: advisory, component, verdict, and the text a non-core finding remains with.
      let a = H1;
      let b = H2;
      let count = 0;
      for (let i = 0; i < open.length; i++) {
        const f = open[i] as Finding;
        const verdict = f.verdict;
        if (verdict === 'not-affected') continue;
        if (f.advisory !== posAdvisory[i]) {
          posAdvisory[i] = f.advisory;
          posAdvId[i] = id(f.advisory);
        }
        const advId = posAdvId[i] as number;
        if (f.component !== posComponent[i]) {
          posComponent[i] = f.component;
          let info = components.get(f.component);
          if (info === undefined) {
            // id × 2, plus 1 for an add-on.
            info = id(f.component) * 2 + (componentKind(f.component) === 'addon' ? 1 : 0);
            components.set(f.component, info);
          }
          posCompInfo[i] = info;
        }
        const info = posCompInfo[i] as number;
        const compId = info >> 1;
        let x = verdict === 'affected' ? 1 : verdict === 'unfixed' ? 2 : 3;
        if (verdict === 'unknown') {
          if (f.reason !== posReason[i]) {
            posReason[i] = f.reason;
            posReasonId[i] = id(f.reason);
          }
          x += (posReasonId[i] as number) * 4;
        } else if (verdict === 'affected' && (info & 1) === 1) {
          x += (id(f.version) * 65_599 + id(f.fixedTarget)) * 4;
        }
        a = Math.imul(a ^ advId, 0x01000193);
        b = Math.imul(b + advId, 0x5bd1e995) ^ (b >>> 15);
        a = Math.imul(a ^ compId, 0x01000193);
        b = Math.imul(b + compId, 0x5bd1e995) ^ (b >>> 15);
        a = Math.imul(a ^ x, 0x01000193);
        b = Math.imul(b + x, 0x5bd1e995) ^ (b >>> 15);
        count++;
      }
      if (inv.server === null && count === 0) return undefined;
      const provider = isManagedProvider(providerName) ? providerName : null;
      const server = inv.server === null ? null : parsedServer !== undefined ? parsedServer : run.ev.parse(inv.server);
      let key: string;
      if (inv.server === null && inv.error !== null) {
        // Unreadable: every finding is unknown for that reason; listing them as "remaining" says nothing.
        key = `unreadable|${inv.error.code}`;
        if (!shapes.has(key)) {
          const core: Core = { target: null, path: [], clears: [], remains: [], targetCandidate: null, unreadable: `the cluster's versions could not be read (${inv.error.code}): no remediation until it can be read` };
          shapes.set(key, { core, parts: { text: core.unreadable ?? '', afterVersion: false }, bySemver: new Map() });
        }
      } else {
        const floor = server === null ? '' : minorOfKey(server);
        const latest = server === null ? null : latestReleased(run, floor);
        const latestParsed = latest === null ? null : run.ev.parse(latest);
        const ahead = server !== null && (latestParsed === null || compareKube(server, latestParsed) > 0);
        key = `${floor}|${ahead ? 1 : 0}|${provider ?? ''}|${a | 0}:${b | 0}:${count}`;
        if (!shapes.has(key)) {
          const core = remediateCore(run, server, provider, openOf(run, open.filter((f) => f.verdict !== 'not-affected'), advisories));
          const parts = summaryParts(run, server === null ? null : minorOfKey(server), core.targetCandidate, core.path, core.clears, core.remains, provider);
          shapes.set(key, { core, parts, bySemver: new Map() });
        }
      }
      const shape = shapes.get(key) as Shape;
      const semver = server?.semver ?? '';
      let r = shape.bySemver.get(semver);
      if (r === undefined) {
        r = withSummary(shape.core, summaryFor(shape.core, shape.parts, server));
        shape.bySemver.set(semver, r);
      }
      return r;
    },
  };
}

/**
 * Per cluster, the one next step across every open advisory, for findings in any order (triage()
 * makes the same answers as it judges; this is for findings from elsewhere).
 */
export function remediate(options: RemediateOptions): Map<string, Remediation> {
  const inventories = options.inventories;
  const index = new Map<string, number>();
  for (let i = 0; i < inventories.length; i++) index.set((inventories[i] as ClusterInventory).cluster, i);
  // Each cluster's open findings in the order given (advisory order, as triage() makes them).
  const lists: Finding[][] = inventories.map(() => []);
  for (const f of options.findings) {
    if (f.verdict === 'not-affected') continue;
    const i = index.get(f.cluster);
    if (i !== undefined) (lists[i] as Finding[]).push(f);
  }
  const providers = new Map((options.clusters ?? []).map((c) => [c.cluster, c.provider]));
  const remediator = createRemediator(options);
  const out = new Map<string, Remediation>();
  for (let i = 0; i < inventories.length; i++) {
    const inv = inventories[i] as ClusterInventory;
    const r = remediator.add(inv, providers.get(inv.cluster) ?? inv.provider, lists[i] as Finding[]);
    if (r !== undefined) out.set(inv.cluster, r);
  }
  return out;
}

/** "recommended v1.35.8 (clears all 4 open advisories)" for an advisory message's cluster line; null without a target. */
export function recommendedText(r: Remediation): string | null {
  if (r.target === null) return null;
  const n = r.clears.length;
  const what = n > 1 && r.remains.length === 0 ? `clears all ${n} open advisories` : `clears ${plural(n, 'open advisory', 'open advisories')}`;
  return `recommended ${r.target} (${what})`;
}

/** Plain-text lines for one cluster's remediation (terminal renderings). */
export function remediationLines(cluster: string, r: Remediation): string[] {
  const lines = [`${cluster}: ${r.summary}`];
  if (r.path.length > 0) lines.push(`  path: ${r.path.map((s) => `${s.minor} (v${s.version})`).join(' → ')}`);
  if (r.provider?.note) lines.push(`  ${r.provider.note}`);
  for (const x of r.remains) lines.push(`  remains ${x.advisory}: ${x.reason}${x.mitigation ? ` — mitigation: ${x.mitigation.split('\n')[0]}` : ''}`);
  return lines;
}
