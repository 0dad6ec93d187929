/**
 * One remediation per cluster: across every advisory open on the cluster, the ONE version that
 * clears all that can be cleared (the latest patch of the lowest minor that does), the path to it
 * one minor at a time (the API server cannot skip minors; each hop's latest patch), what it clears
 * and what remains (no fix yet, no fix will be released, unknown, add-ons with their own version
 * line). Managed clusters get the provider build to look for and the support posture from the
 * PROVIDER's calendar (EKS keeps 1.34 in standard support after upstream's EOL). Pure.
 *
 * Cost: per cluster one pass over its open findings; the answer is memoised per (server version,
 * provider, open findings) so a fleet of look-alike clusters computes it once per shape, and
 * candidate × advisory verdicts come from the evaluator's per-version cache.
 */
import semver from 'semver';
import type { Advisory } from '../advisory/types.ts';
import { minorsBetween, type KubeVersion } from '../advisory/versions.ts';
import type { ClusterInventory, ClusterProvider } from '../inventory/types.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { isoDay } from '../releases/calendar.ts';
import { isManagedProvider, managedProviderLabel, type ProviderSupport } from '../releases/providers.ts';
import type { ManagedProvider, ProviderRelease } from '../releases/schema.ts';
import { componentKind, createEvaluator, type ComponentPlan, type Evaluator } from './evaluate.ts';
import type { ClusterPosture, Finding, Remediation, RemediationStep, TriageResult } from './types.ts';

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

function blockedReason(f: Finding, advisory: Advisory): string {
  if (f.verdict === 'unknown') return `unknown: ${f.reason}`;
  if (f.verdict === 'unfixed') return noFixReason(advisory);
  // An affected add-on: its own version line, not the cluster version.
  return `${f.component} ${f.version ?? '?'} → ${f.fixedTarget ?? '?'}: upgrade the add-on itself`;
}

interface Run {
  ev: Evaluator;
  calendar: ReleaseCalendar;
  now: Date;
  today: string;
  plans: Map<Advisory, Map<string, ComponentPlan>>;
  /** Candidates by floor minor × provider. */
  candidates: Map<string, Candidate[]>;
  memo: Map<string, Remediation>;
}

function planOf(run: Run, advisory: Advisory, component: string): ComponentPlan {
  let byComponent = run.plans.get(advisory);
  if (byComponent === undefined) {
    byComponent = new Map();
    run.plans.set(advisory, byComponent);
  }
  let plan = byComponent.get(component);
  if (plan === undefined) {
    plan = run.ev.plan(advisory, component);
    byComponent.set(component, plan);
  }
  return plan;
}

function latestReleased(run: Run, minor: string): string | null {
  const released = run.calendar.patches(minor).filter((p) => p.date <= run.today);
  return released.at(-1)?.version ?? null;
}

/** A minor a cluster may be moved to: supported by its provider when the provider's calendar knows it, else upstream. */
function acceptable(run: Run, minor: string, provider: ManagedProvider | null): boolean {
  if (provider !== null) {
    const s = run.calendar.providerSupport(provider, minor, run.now);
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
    if (run.ev.evaluate(planOf(run, open.advisory, component), c.parsed).verdict !== 'not-affected') return false;
  }
  return true;
}

function providerPart(run: Run, provider: ManagedProvider, current: string | null, target: Candidate | null): NonNullable<Remediation['provider']> {
  const label = managedProviderLabel(provider);
  const known = run.calendar.hasProviderCalendar(provider);
  const cur: ProviderRelease | null = current === null ? null : run.calendar.providerRelease(provider, current);
  const support: ProviderSupport = current === null ? { state: 'unknown', until: null } : run.calendar.providerSupport(provider, current, run.now);
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
        ? `look for a ${label} ${cycle(t, target.minor)} build based on v${target.version} or later (newest known: ${build}, older: check the release notes)`
        : `look for ${label} ${cycle(t, target.minor)} build ${build} or later, based on v${target.version} or later`);
    } else {
      notes.push(`look for a ${label} ${cycle(t, target.minor)} version based on v${target.version} or later`);
    }
  }
  const supported = support.state === 'unknown' ? null : support.state === 'standard' || support.state === 'extended';
  return { name: label, build, supported, supportEnds: support.until, note: notes.join('; ') };
}

function compareVersionsSem(a: string, b: string): number {
  return semver.compare(a, b);
}

function summarize(
  run: Run, server: KubeVersion | null, target: Candidate | null, path: RemediationStep[],
  clears: string[], remains: Remains[], provider: ManagedProvider | null,
): string {
  if (clears.length === 0 && remains.length === 0) return 'nothing to do: no open advisory affects this cluster';
  const rest = remains.length > 0 ? `; ${plural(remains.length, 'advisory remains', 'advisories remain')} (see below)` : '';
  if (target === null || server === null) {
    return `no version clears the open advisories: ${plural(remains.length, 'advisory remains', 'advisories remain')} (mitigate)`;
  }
  const from = `v${server.semver}`;
  const all = clears.length > 1 && remains.length === 0 ? `all ${clears.length} open advisories` : plural(clears.length, 'advisory', 'advisories');
  if (path.length === 0 && target.version === server.semver) return `upgrade the nodes to the API server's ${from}: clears ${all}${rest}`;
  if (path.length === 0) return `${from} → v${target.version} clears ${all}${rest}`;
  const hops = path.length <= 4 ? `${plural(path.length, 'minor hop')} (${[minorOfKey(server), ...path.map((p) => p.minor)].join(' → ')})` : plural(path.length, 'minor hop');
  let text = `${from} → v${target.version} in ${hops} clears ${all}${rest}`;
  const currentMinor = minorOfKey(server);
  const eol = run.calendar.eolDate(currentMinor);
  const providerKeeps = provider !== null && run.calendar.providerSupport(provider, currentMinor, run.now).state === 'standard';
  if (path.length >= REPLACE_AFTER_HOPS && eol !== null && eol <= run.today && !providerKeeps) {
    text += `; ${currentMinor} is end of life since ${eol}: ${path.length} upgrades one minor at a time, so replacing the cluster with a new ${target.minor} cluster may be the realistic path`;
  }
  return text;
}

function remediateCluster(run: Run, inv: ClusterInventory, providerName: ClusterProvider, open: Map<string, Open>): Remediation {
  const server = inv.server === null ? null : run.ev.parse(inv.server);
  const provider = isManagedProvider(providerName) ? providerName : null;
  const remains: Remains[] = [];
  const coreOpen: Open[] = [];
  for (const o of open.values()) {
    if (o.blocked !== null || o.core.size === 0) remains.push({ advisory: o.advisory.id, reason: o.blocked ?? 'unknown', mitigation: o.advisory.mitigation });
    else coreOpen.push(o);
  }
  let target: Candidate | null = null;
  let cleared: Open[] = [];
  if (server !== null && coreOpen.length > 0) {
    // The lowest candidate clearing the most open advisories: usually all of them.
    const candidates = candidatesFor(run, minorOfKey(server), provider).filter((c) => compareVersionsSem(c.version, server.semver) >= 0);
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
    const reason = target === null && server === null ? 'cluster version unknown' : o.advisory.fixState === 'available'
      ? `no supported version clears it${target ? ` together with the others (v${target.version} does not)` : ''}`
      : noFixReason(o.advisory);
    remains.push({ advisory: o.advisory.id, reason, mitigation: o.advisory.mitigation });
  }
  const path: RemediationStep[] = [];
  if (server !== null && target !== null) {
    for (const m of minorsBetween(minorOfKey(server), target.minor)) {
      path.push({ minor: m, version: m === target.minor ? target.version : latestReleased(run, m) ?? `${m}.0` });
    }
  }
  const clears = cleared.map((o) => o.advisory.id).sort();
  remains.sort((a, b) => a.advisory.localeCompare(b.advisory));
  const remediation: Remediation = {
    target: target === null ? null : `v${target.version}`,
    path,
    clears,
    remains,
    summary: summarize(run, server, target, path, clears, remains, provider),
  };
  if (provider !== null) remediation.provider = providerPart(run, provider, server === null ? null : minorOfKey(server), target);
  return remediation;
}

/** Per cluster, the one next step across every open advisory. */
export function remediate(options: RemediateOptions): Map<string, Remediation> {
  const { calendar, now } = options;
  const run: Run = {
    ev: createEvaluator({ calendar, now }), calendar, now, today: isoDay(now),
    plans: new Map(), candidates: new Map(), memo: new Map(),
  };
  const advisories = new Map(options.advisories.map((a) => [a.id, a]));
  const providers = new Map((options.clusters ?? []).map((c) => [c.cluster, c.provider as ClusterProvider]));

  const openBy = new Map<string, Map<string, Open>>();
  const keys = new Map<string, number[]>();
  // Findings share their strings: a small id per distinct string keeps the memo keys short.
  const ids = new Map<string, number>();
  const id = (s: string): number => {
    let n = ids.get(s);
    if (n === undefined) {
      n = ids.size;
      ids.set(s, n);
    }
    return n;
  };
  for (const f of options.findings) {
    if (f.verdict === 'not-affected') continue;
    const advisory = advisories.get(f.advisory);
    if (advisory === undefined) continue;
    let open = openBy.get(f.cluster);
    if (open === undefined) {
      open = new Map();
      openBy.set(f.cluster, open);
      keys.set(f.cluster, []);
    }
    let o = open.get(f.advisory);
    if (o === undefined) {
      o = { advisory, core: new Set(), blocked: null };
      open.set(f.advisory, o);
    }
    const core = f.verdict === 'affected' && componentKind(f.component) === 'core';
    if (core) o.core.add(f.component);
    else o.blocked ??= blockedReason(f, advisory);
    (keys.get(f.cluster) as number[]).push(id(f.advisory), id(f.component), id(f.verdict), core ? -1 : id(o.blocked ?? ''));
  }

  const out = new Map<string, Remediation>();
  for (const inv of options.inventories) {
    const provider = providers.get(inv.cluster) ?? inv.provider;
    const open = openBy.get(inv.cluster) ?? new Map<string, Open>();
    if (inv.server === null && open.size === 0) continue;
    // Clusters with the same server version, provider and open findings share one (read-only) answer.
    const key = `${inv.server ?? ''}\u0001${provider}\u0001${(keys.get(inv.cluster) ?? []).join(',')}`;
    let r = run.memo.get(key);
    if (r === undefined) {
      r = remediateCluster(run, inv, provider, open);
      run.memo.set(key, r);
    }
    out.set(inv.cluster, r);
  }
  return out;
}

/** Sets `clusters[].remediation` on a triage result (one call at the end of triage()). */
export function attachRemediation(result: TriageResult, options: { inventories: readonly ClusterInventory[]; calendar: ReleaseCalendar; now: Date }): void {
  const map = remediate({ findings: result.findings, inventories: options.inventories, advisories: result.advisories, calendar: options.calendar, now: options.now, clusters: result.clusters });
  for (const c of result.clusters) {
    const r = map.get(c.cluster);
    if (r !== undefined) c.remediation = r;
  }
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
