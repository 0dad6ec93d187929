/**
 * The per-version core of triage: is this version of this component affected by this advisory,
 * and what is the smallest fixed version it can move to? Everything here is computed once per
 * advisory × component ("plan") and once per distinct version, then shared by every cluster and
 * node that runs that version — a fleet of 10,000 clusters has only a few dozen distinct versions.
 */
import semver from 'semver';
import type { Advisory, AffectedRange } from '../advisory/types.ts';
import { isCoreComponent } from '../advisory/types.ts';
import { compareMinors, inRange, isWholeMinor, minorOf, minorsBetween, nextMinor, parseVersion, type KubeVersion } from '../advisory/versions.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { isoDay } from '../releases/calendar.ts';

export type ComponentKind = 'core' | 'addon';

export interface ComponentPlan {
  advisory: Advisory;
  component: string;
  kind: ComponentKind;
  ranges: AffectedRange[];
  /** Every `fixed` version of this component's ranges, bare semver, ascending, unique. */
  fixes: string[];
  /** Why this component of this advisory cannot be judged (low confidence, no ranges …), else null. */
  unknownReason: string | null;
  /** Set when the advisory itself says no Kubernetes component is affected: every cluster is not affected, for this reason. */
  notAffectedReason?: string;
  /** "1.27.0–1.27.1, 1.26.0–1.26.4, ≤ 1.24.13". */
  rangeText: string;
  /** Minors worth looking at for a fix: calendar minors and the minors of `fixes`, ascending. */
  minors: string[];
  /** `minors` as numeric keys (major × 1000 + minor), same order. */
  minorKeys: number[];
  /** Versions of a minor that are not affected, ascending (released by `now` or named as fixes). */
  fixedByMinor: Map<string, string[]>;
  byVersion: Map<string, JudgedVersion>;
  /** `ranges` compiled to parsed bounds on first use (see compileRange); null until then. */
  tests?: RangeTest[] | null;
}

/**
 * One affected range with its bounds parsed once: exactly `inRange` of advisory/versions.ts, minus
 * the re-parsing of every bound on every call. `slow` ranges (a bound that does not parse) go
 * through `inRange` itself, which throws as it always did.
 */
interface RangeTest {
  range: AffectedRange;
  slow: boolean;
  /** Inclusive lower bound, or null. */
  lo: semver.SemVer | null;
  /** Upper bound, or null for none. */
  hi: semver.SemVer | null;
  hiInclusive: boolean;
  /** A whole-minor lastAffected without a minor: nothing at or above `lo` is affected. */
  none: boolean;
}

export interface VersionEval {
  verdict: 'affected' | 'not-affected' | 'unfixed';
  /** Bare semver of the smallest fixed version to move to, or null. */
  target: string | null;
  upgradePath: string[];
  notes: string[];
  /** One sentence about this version: why affected or not, where the fix is. */
  reason: string;
}

/** A VersionEval with numeric minor keys (major × 1000 + minor) for cheap skew arithmetic. */
export interface JudgedVersion extends VersionEval {
  minorKey: number;
  targetMinorKey: number | null;
  /** "v1.27.2" (display form of `target`), or null. */
  fixedTarget: string | null;
}

export function minorKeyOf(v: { major: number; minor: number }): number {
  return v.major * 1000 + v.minor;
}

/** "1.27" for a minor key. */
export function minorName(key: number): string {
  return `${Math.floor(key / 1000)}.${key % 1000}`;
}

/** Components judged like the control plane (version = API server) though not in CORE_COMPONENTS. */
const SERVER_LIKE = new Set(['kubernetes', 'cloud-controller-manager']);

export function componentKind(component: string): ComponentKind {
  return isCoreComponent(component) || SERVER_LIKE.has(component) ? 'core' : 'addon';
}

export interface EvaluatorOptions {
  calendar: ReleaseCalendar;
  now: Date;
}

export interface Evaluator {
  plan(advisory: Advisory, component: string): ComponentPlan;
  /** `version` must be a parsed version; provider builds are ignored. Cached per plan and version. */
  evaluate(plan: ComponentPlan, version: KubeVersion): JudgedVersion;
  /** Parse with a cache (raw string → version or null). */
  parse(raw: string): KubeVersion | null;
  /** 'yes' | 'no' | 'assumed' (a minor newer than the release data knows). */
  support(minor: string): SupportState;
}

export type SupportState = 'yes' | 'no' | 'assumed';

function validBound(value: string | null, allowWholeMinor: boolean): boolean {
  if (value === null || value === '0') return true;
  if (allowWholeMinor && isWholeMinor(value)) return true;
  return parseVersion(value) !== null;
}

/**
 * Why an affected version has no target, keeping "won't be fixed" apart from "not fixed yet":
 * one asks for a mitigation now, the other for a watch on the advisory.
 */
export function noFixText(p: { advisory: Advisory }): string {
  switch (p.advisory.fixState) {
    case 'none':
      return '; no fix will be released: mitigate';
    case 'pending':
      return '; no fix yet (one may come: watch the advisory, mitigate meanwhile)';
    case 'available':
      return '; no fixed version exists for this version line';
  }
}

export function describeRange(r: AffectedRange): string {
  const last = r.lastAffected;
  if (r.introduced === null || r.introduced === '0') {
    if (last !== null) return `≤ ${last}`;
    if (r.fixed !== null) return `< ${r.fixed}`;
    return 'all versions';
  }
  if (last !== null) return last === r.introduced ? r.introduced : `${r.introduced}–${last}`;
  if (r.fixed !== null) return `${r.introduced} to < ${r.fixed}`;
  return `≥ ${r.introduced}`;
}

export function createEvaluator(options: EvaluatorOptions): Evaluator {
  const { calendar, now } = options;
  const today = isoDay(now);
  const newest = calendar.newestMinor();
  const parsed = new Map<string, KubeVersion | null>();
  const supportCache = new Map<string, SupportState>();

  const parse = (raw: string): KubeVersion | null => {
    let v = parsed.get(raw);
    if (v === undefined) {
      v = parseVersion(raw);
      parsed.set(raw, v);
    }
    return v;
  };

  const support = (minor: string): SupportState => {
    let s = supportCache.get(minor);
    if (s === undefined) {
      if (calendar.minor(minor)) s = calendar.isSupported(minor, now) ? 'yes' : 'no';
      else s = newest !== null && compareMinors(minor, newest) > 0 ? 'assumed' : 'no';
      supportCache.set(minor, s);
    }
    return s;
  };

  // Parsed semver objects by bare version: semver's functions re-parse string arguments on every
  // call, but return SemVer arguments as they are.
  const semverCache = new Map<string, semver.SemVer>();
  const sem = (v: string): semver.SemVer => {
    let s = semverCache.get(v);
    if (s === undefined) {
      s = new semver.SemVer(v);
      semverCache.set(v, s);
    }
    return s;
  };
  const compareSem = (a: string, b: string): number => sem(a).compare(sem(b));

  /** Bare semver of a version string, as `must` in advisory/versions.ts (null where it throws). */
  const bare = (v: string): string | null => parse(v)?.semver ?? null;

  const lowerBound = (introduced: string): string => {
    if (introduced === '0') return '0.0.0-0';
    if (isWholeMinor(introduced)) return `${introduced.replace(/\.[xX*]$/, '.0')}-0`.replace(/^[vV]/, '');
    const v = bare(introduced);
    if (v === null) throw new TypeError(`not a version: ${JSON.stringify(introduced)}`);
    // A range that starts at x.y.0 also covers that minor's prereleases (1.10.0-beta.3).
    return v.endsWith('.0') && !v.includes('-') ? `${v}-0` : v;
  };

  const compileRange = (range: AffectedRange): RangeTest => {
    const t: RangeTest = { range, slow: false, lo: null, hi: null, hiInclusive: false, none: false };
    try {
      if (range.introduced !== null) t.lo = sem(lowerBound(range.introduced));
      const last = range.lastAffected;
      if (last !== null) {
        if (isWholeMinor(last)) {
          const minor = minorOf(last.replace(/\.[xX*]$/, '.0'));
          if (minor === null) t.none = true;
          else t.hi = sem(`${nextMinor(minor)}.0-0`);
        } else {
          const v = bare(last);
          if (v === null) t.slow = true;
          else {
            t.hi = sem(v);
            t.hiInclusive = true;
          }
        }
      } else if (range.fixed !== null) {
        const v = bare(range.fixed);
        if (v === null) t.slow = true;
        else t.hi = sem(v);
      }
    } catch {
      t.slow = true;
    }
    return t;
  };

  const inTest = (t: RangeTest, v: string, s: semver.SemVer): boolean => {
    if (t.slow) return inRange(v, t.range);
    if (t.lo !== null && s.compare(t.lo) < 0) return false;
    if (t.none) return false;
    if (t.hi === null) return true;
    const c = s.compare(t.hi);
    return t.hiInclusive ? c <= 0 : c < 0;
  };

  const releasedPatches = (minor: string): string[] =>
    calendar.patches(minor).filter((p) => p.date <= today).map((p) => p.version);

  // Most plans look at the same minors (the calendar's): sorted once and shared, read-only.
  const minorLists = new Map<string, { minors: string[]; minorKeys: number[] }>();
  const minorList = (unsorted: string[]): { minors: string[]; minorKeys: number[] } => {
    const key = unsorted.join(',');
    let list = minorLists.get(key);
    if (list === undefined) {
      const minors = unsorted.sort(compareMinors);
      list = { minors, minorKeys: minors.map((m) => minorKeyOf(parseVersion(`${m}.0`) ?? { major: 0, minor: 0 })) };
      minorLists.set(key, list);
    }
    return list;
  };

  // Upgrade paths by from → to minor; shared by every version with the same path (read-only).
  const paths = new Map<string, Map<string, string[]>>();
  const between = (from: string, to: string): string[] => {
    let byTo = paths.get(from);
    if (byTo === undefined) {
      byTo = new Map();
      paths.set(from, byTo);
    }
    let path = byTo.get(to);
    if (path === undefined) {
      path = minorsBetween(from, to);
      byTo.set(to, path);
    }
    return path;
  };

  const plan = (advisory: Advisory, component: string): ComponentPlan => {
    const ranges = advisory.ranges.filter((r) => r.component === component);
    let unknownReason: string | null = null;
    if (advisory.placeholder) {
      unknownReason = 'the advisory is a placeholder with no details yet (judged again when its text is filled in)';
    } else if (advisory.parse.confidence === 'low') {
      const why = advisory.parse.warnings.length > 0 ? `: ${advisory.parse.warnings.join('; ')}` : '';
      unknownReason = `the advisory's versions could not be read with confidence${why}`;
    } else if (advisory.componentSource === 'assumed') {
      // A guess is not a verdict: a confident "affected" on kubectl or the scheduler would be wrong as often as right.
      unknownReason = `the advisory names no component; assuming every core component: ${advisory.components.join(', ')} (a guess, so no verdict: check the advisory)`;
    } else if (ranges.length === 0) {
      unknownReason = `the advisory gives no affected versions for ${component}${advisory.fixState === 'none' ? ' (it says no fix will be released)' : advisory.unfixed ? ' (it says no fix exists)' : ''}`;
    } else {
      const bad = ranges.find((r) => !validBound(r.introduced, true) || !validBound(r.lastAffected, true) || !validBound(r.fixed, false));
      if (bad) unknownReason = `the advisory's range ${describeRange(bad)} is not made of versions`;
    }
    const fixes = unknownReason
      ? []
      : [...new Set(ranges.flatMap((r) => (r.fixed === null ? [] : [parseVersion(r.fixed)?.semver ?? ''])).filter((s) => s !== ''))]
        .sort(semver.compare);
    const minorSet = new Set<string>(calendar.minors().map((m) => m.minor));
    for (const f of fixes) {
      const m = minorOf(f);
      if (m) minorSet.add(m);
    }
    const { minors, minorKeys } = minorList([...minorSet]);
    return {
      advisory,
      component,
      kind: componentKind(component),
      ranges,
      fixes,
      unknownReason,
      rangeText: ranges.map(describeRange).join(', '),
      minors,
      minorKeys,
      fixedByMinor: new Map(),
      byVersion: new Map(),
    };
  };

  const affects = (p: ComponentPlan, v: string): AffectedRange | null => {
    const b = bare(v);
    if (b === null) {
      for (const r of p.ranges) if (inRange(v, r)) return r; // throws, as it always did
      return null;
    }
    const tests = p.tests ??= p.ranges.map(compileRange);
    const s = sem(b);
    for (const t of tests) if (inTest(t, b, s)) return t.range;
    return null;
  };

  const fixedIn = (p: ComponentPlan, minor: string): string[] => {
    let list = p.fixedByMinor.get(minor);
    if (list === undefined) {
      // A released patch past the affected ranges counts as a fix only when the advisory says fixes
      // exist: when it says a fix is still to come (or never will), a later patch may not carry it.
      const candidates = new Set<string>(p.advisory.fixState === 'available' ? releasedPatches(minor) : []);
      for (const f of p.fixes) if (minorOf(f) === minor) candidates.add(f);
      list = [...candidates].filter((c) => affects(p, c) === null).sort(compareSem);
      p.fixedByMinor.set(minor, list);
    }
    return list;
  };

  const firstFixed = (p: ComponentPlan, minor: string, above: string | null): string | null =>
    fixedIn(p, minor).find((c) => above === null || compareSem(c, above) > 0) ?? null;

  const eolPhrase = (minor: string): string => {
    const eol = calendar.eolDate(minor);
    return eol ? `is end-of-life since ${eol}` : 'is not a supported minor';
  };

  const unknownMinorNote = (minor: string): string =>
    `release data (as of ${calendar.asOf}) does not know ${minor} yet; assumed supported`;

  const evalCore = (p: ComponentPlan, v: string, minor: string, minorKey: number, matched: AffectedRange): VersionEval => {
    const where = `v${v} is affected (${describeRange(matched)})`;
    const notes: string[] = [];
    const same = firstFixed(p, minor, v);
    const sameSupport = support(minor);
    if (same !== null && sameSupport !== 'no') {
      if (sameSupport === 'assumed') notes.push(unknownMinorNote(minor));
      return { verdict: 'affected', target: same, upgradePath: [], notes, reason: [where, '; fixed in v', same].join('') };
    }
    if (same !== null) notes.push(`v${same} fixes this but ${minor} ${eolPhrase(minor)}`);
    else if (sameSupport === 'no') notes.push(`${minor} ${eolPhrase(minor)} and has no fixed patch`);

    for (let i = 0; i < p.minors.length; i++) {
      if ((p.minorKeys[i] as number) <= minorKey) continue;
      const n = p.minors[i] as string;
      const s = support(n);
      if (s === 'no') continue;
      const fix = firstFixed(p, n, null);
      if (fix === null) continue;
      if (s === 'assumed') notes.push(unknownMinorNote(n));
      const path = between(minor, n);
      return {
        verdict: 'affected', target: fix, upgradePath: path, notes,
        reason: [where, '; smallest fix in a supported minor is v', fix, ' (upgrade ', [minor, ...path].join(' → '), ')'].join(''),
      };
    }
    // No supported minor has a fix: an end-of-life fix is still better than none.
    let eolFix: string | null = same;
    for (let i = 0; i < p.minors.length && eolFix === null; i++) {
      if ((p.minorKeys[i] as number) > minorKey) eolFix = firstFixed(p, p.minors[i] as string, null);
    }
    if (eolFix !== null) {
      notes.push('no supported minor carries a fix; only end-of-life minors do');
      const fixMinor = minorOf(eolFix) ?? minor;
      return {
        verdict: 'affected', target: eolFix, upgradePath: between(minor, fixMinor), notes,
        reason: [where, '; only an end-of-life fix exists: v', eolFix].join(''),
      };
    }
    return { verdict: 'unfixed', target: null, upgradePath: [], notes, reason: [where, noFixText(p)].join('') };
  };

  const evalAddon = (p: ComponentPlan, v: string, matched: AffectedRange): VersionEval => {
    const where = `v${v} is affected (${describeRange(matched)})`;
    const fix = p.fixes.find((f) => compareSem(f, v) > 0 && affects(p, f) === null) ?? null;
    if (fix === null) return { verdict: 'unfixed', target: null, upgradePath: [], notes: [], reason: [where, noFixText(p)].join('') };
    return { verdict: 'affected', target: fix, upgradePath: [], notes: [], reason: [where, '; fixed in v', fix].join('') };
  };

  // Reasons are joined, not template-concatenated: findings keep them, and a joined string is one
  // flat string where a template literal leaves a chain of cons strings.
  const evaluate = (p: ComponentPlan, version: KubeVersion): JudgedVersion => {
    const key = version.semver;
    let judged = p.byVersion.get(key);
    if (judged === undefined) {
      const matched = affects(p, key);
      let e: VersionEval;
      if (matched === null) {
        e = { verdict: 'not-affected', target: null, upgradePath: [], notes: [], reason: ['v', key, ' is outside the affected versions (', p.rangeText, ')'].join('') };
      } else if (p.kind === 'core') {
        e = evalCore(p, key, `${version.major}.${version.minor}`, minorKeyOf(version), matched);
      } else {
        e = evalAddon(p, key, matched);
      }
      const t = e.target === null ? null : parse(e.target);
      judged = { ...e, minorKey: minorKeyOf(version), targetMinorKey: t ? minorKeyOf(t) : null, fixedTarget: e.target === null ? null : `v${e.target}` };
      p.byVersion.set(key, judged);
    }
    return judged;
  };

  return { plan, evaluate, parse, support };
}
