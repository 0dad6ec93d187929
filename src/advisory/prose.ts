/**
 * Affected ranges from an advisory's prose. Three passes, most trusted first:
 * 1. sections: lines under an "Affected Versions"/"Fixed Versions" heading (any heading style),
 *    and lists introduced by a sentence ("… fixed in the following releases:");
 * 2. "All versions … are affected" statements;
 * 3. sentences ("discovered in kubectl versions v1.13.10, v1.14.6 …") — lowers confidence.
 * Then affected lines are paired with fixed versions by minor (see `buildRanges`).
 */
import type { AffectedRange, ComponentSource } from './types.ts';
import { CORE_COMPONENTS } from './types.ts';
import type { BodyLine } from './text.ts';
import { cleanLine, sentences } from './text.ts';
import type { Heading, SectionKind } from './sections.ts';
import { componentAtStart, componentLabel, componentsIn, impliedComponents } from './components.ts';
import type { VersionExpr, VersionToken } from './version-expr.ts';
import { compareTokens, hasRange, minorKey, parseExpressions, takeFixClauses, tokenize, tokenString } from './version-expr.ts';

export interface Warning {
  level: 'medium' | 'low';
  text: string;
}

type Origin = 'section' | 'list' | 'sentence';

interface AffectedEntry {
  /** Specific components named on the line (or by a label line above it); [] = advisory default. */
  comps: string[];
  expr: VersionExpr;
  fix: VersionToken | null;
  origin: Origin;
}

interface FixedEntry {
  comps: string[];
  version: VersionToken;
  origin: Origin | 'mitigation';
}

export interface ProseResult {
  components: string[];
  ranges: AffectedRange[];
  unfixed: boolean;
  /** The text says no Kubernetes version is affected. */
  noImpact: boolean;
  /** Any affected-version statement was found (lines, "all versions", sentences). */
  stated: boolean;
  /** How `components` was obtained (types.ts ComponentSource). */
  componentSource: ComponentSource;
  /** An "all versions are affected" statement was read. */
  allVersions: boolean;
  warnings: Warning[];
}

const FIX_CUE = /\b(?:fix(?:ed|es)?|resolved|patched|remediated|addressed|backport(?:ed|s)?|contains?\s+the\s+fix)\b/i;
const AFFECT_CUE = /\b(?:affect(?:s|ed)?|vulnerable|impacted|exposed)\b/i;
const SENTENCE_AFFECT_CUE = /\b(?:affect(?:s|ed)?|vulnerable|impacted|(?:discovered|found|present|exists)\s+in)\b/i;
const UPGRADE_CUE = /\bupgrad(?:e|ing)\b[^.]*?\bto\b|\bpatched\s+versions?\b|\bfixed\s+versions?\b/i;
const GATED_RE = /\balpha\b|\bbeta\b|feature[\s-]?gates?\b|\bbehind\s+a\s+(?:feature\s+)?(?:flag|gate)\b|\bopt[\s-]in\b/i;
const ALL_VERSIONS_RE =
  /\ball\s+(?:(?:current|supported|released|kubernetes|[\w-]+)\s+){0,2}versions\b(?!\s+(?:prior|before|older|earlier|up\s+to|below|since|from|after|starting))|\bevery\s+(?:kubernetes\s+)?version\b/i;
const UNFIXED_RES = [
  /\bthere\s+(?:is|are)\s+no\s+(?:patch|fix)(?:es)?\b/i,
  /\bno\s+(?:patch|fix)(?:es)?\s+(?:is\s+|are\s+|has\s+been\s+)?(?:available|exists?|planned|released)\b/i,
  /\bwill\s+not\s+(?:be\s+)?(?:patched|fixed)\b/i,
  /\bwill\s+not\s+receive\s+(?:any\s+)?(?:security\s+)?(?:updates|fixes|patches)\b/i,
  /\b(?:has|have)\s+not\s+(?:yet\s+)?been\s+(?:patched|fixed)\b/i,
  /\bno\s+fixed\s+versions?\b/i,
];
const NO_IMPACT_RES = [
  /\bno\s+security\s+impact\s+(?:to|on|for)\s+kubernetes\b/i,
  /\bkubernetes\s+(?:itself\s+)?is\s+not\s+(?:vulnerable|affected)\b/i,
  /\bdoes\s+not\s+affect\s+kubernetes\b/i,
  /\bno\s+(?:released\s+)?(?:kubernetes\s+)?versions?\s+(?:is|are)\s+affected\b/i,
];
const CUT_RE = /original\s+(?:issue\s+)?(?:description|report)\s+follows/i;
/**
 * A sentence beside a version list that says where the problem *starts* or what is *not* affected
 * ("introduced in v1.34.0", "not available before v1.34.0", "1.29 and earlier do not have it"):
 * its versions are neither affected lines nor fixes. Read as either, "not available before v1.34.0"
 * would call every older release vulnerable and "introduced in v1.34.0" would call v1.34.0 the fix.
 */
const STARTS_CUE =
  /\b(?:introduced|appeared|regressed)\s+(?:in|with|since)\b|\b(?:was|were)\s+added\s+in\b|\bnot\s+(?:\w+\s+){0,2}(?:before|prior\s+to|until)\b|\b(?:do|does|did)\s+not\s+(?:have|contain|include|ship)\b|\b(?:is|are|was|were)\s+not\s+(?:affected|vulnerable|impacted)\b/i;
const FUTURE_CUE = /\bwill\s+(?:be\s+)?(?:included|released|available|shipped|published)\b|\bnext\s+(?:patch\s+)?releases?\b|\bupcoming\b|\bplanned\b|\bnot\s+yet\s+(?:been\s+)?released\b/i;
/** A line led by its own label: "Fixed in: v1.35.3, v1.34.7", "Affected versions: v1.34.0 - v1.34.2". */
const INLINE_LABEL_RE = /^((?:fixed|patched)\s+(?:in|versions?|releases?)|fix(?:ed)?\s+available\s+in|(?:affected|vulnerable)\s+(?:versions?|releases?))\s*:\s*/i;
/** Column headers of a version table ("| Component | Affected versions | Fixed version |"). */
const TABLE_AFFECTED_RE = /\b(?:affected|vulnerable|impacted)\b/i;
const TABLE_FIXED_RE = /\b(?:fix(?:ed|es)?|patched|resolved)\b/i;
const TABLE_COMPONENT_RE = /\b(?:component|package|project|binary|product)s?\b/i;

/** Lines up to "original description follows": what comes after is a bug report, not the advisory. */
export function advisoryLines(lines: BodyLine[]): BodyLine[] {
  const cut = lines.findIndex((l) => !l.code && CUT_RE.test(l.raw));
  return cut === -1 ? lines : lines.slice(0, cut);
}

export function parseProse(lines: BodyLine[], heads: (Heading | null)[], summary: string): ProseResult {
  const warnings: Warning[] = [];
  const walked = walk(lines, heads, warnings);
  const text = describedText(lines, heads);
  const unfixed = UNFIXED_RES.some((re) => re.test(text.all));
  let affected = walked.affected;
  const fixed = walked.fixed;
  let allVersions: string[] | null = null;

  if (affected.length === 0) {
    allVersions = allVersionsStatement(lines, heads);
    if (allVersions === null) {
      const fromSentences = sentenceEntries(lines, heads);
      affected = fromSentences.affected;
      fixed.push(...fromSentences.fixed);
      if (affected.length > 0) warnings.push({ level: 'medium', text: 'no affected-versions section; versions taken from a sentence' });
      else {
        affected = titleEntries(summary);
        if (affected.length > 0) warnings.push({ level: 'medium', text: 'versions taken from the title alone' });
      }
    }
  } else if (walked.listOnly) {
    warnings.push({ level: 'medium', text: 'no affected-versions section; versions taken from a list after a sentence' });
  }

  const needsDefault = affected.some((e) => e.comps.length === 0) || (allVersions !== null && allVersions.length === 0);
  const fallback = needsDefault ? defaultComponents(walked.sectionComps, text.described, summary, warnings) : { names: [], source: 'stated' as const };
  const defaults = fallback.names;
  // The weakest source of any range's component is the advisory's (one guessed component makes the list a guess).
  const componentSource: ComponentSource = needsDefault ? fallback.source : 'stated';

  if (allVersions !== null) {
    const comps = allVersions.length > 0 ? allVersions : defaults;
    if (fixed.length === 0 && !unfixed) {
      // "All supported versions are affected" with only "Upgrade to v1.35.6, v1.34.10 or v1.33.13": branches up to those fixes.
      const fromMitigation = mitigationFixes(lines, heads);
      if (fromMitigation.length > 0) {
        fixed.push(...fromMitigation);
        warnings.push({ level: 'medium', text: 'no fixed-versions list; fixed versions taken from a sentence' });
      }
    }
    const ranges = fixed.length > 0 ? [] : comps.map((c) => ({ component: c, introduced: null, lastAffected: null, fixed: null }));
    if (fixed.length > 0) {
      // "All versions are affected" plus fixed versions: every branch up to its fix.
      for (const c of comps) affected.push({ comps: [c], expr: { op: 'ge', lo: null, hi: null }, fix: null, origin: 'section' });
    } else {
      return { components: uniq(comps), ranges, unfixed, noImpact: false, stated: true, componentSource, allVersions: true, warnings };
    }
  }

  const upgrades = affected.length > 0 ? upgradeTargets(lines, heads) : [];
  const resolved = resolveContradictions(affected, fixed, upgrades);
  if (resolved.contradicted.length > 0) {
    affected = resolved.affected;
    const list = resolved.contradicted.join(', ');
    warnings.push({
      level: 'medium',
      text: `sections contradict: ${list} ${resolved.contradicted.length > 1 ? 'are' : 'is'} listed as affected and as the version to upgrade to; read as fixed in ${list} (the remediation sentence)`,
    });
    if (fixed.length === 0) fixed.push(...upgrades);
  }

  if (affected.length > 0 && fixed.length === 0 && affected.every((e) => e.fix === null) && !unfixed) {
    const fromMitigation = mitigationFixes(lines, heads);
    if (fromMitigation.length > 0) {
      fixed.push(...fromMitigation);
      warnings.push({ level: 'medium', text: 'no fixed-versions list; fixed versions taken from a sentence' });
    }
  }

  const ranges = buildRanges(affected, fixed, defaults, unfixed, warnings);
  const noImpact = ranges.length === 0 && NO_IMPACT_RES.some((re) => re.test(text.all));
  if (ranges.length > 0) {
    return { components: uniq(ranges.map((r) => r.component)), ranges, unfixed, noImpact, stated: true, componentSource, allVersions: allVersions !== null, warnings };
  }
  const mentioned = noImpact ? { names: [], source: 'stated' as const } : mentionedComponents(walked.sectionComps, text.described, summary);
  return { components: mentioned.names, ranges, unfixed, noImpact, stated: false, componentSource: mentioned.source, allVersions: allVersions !== null, warnings };
}

const UPGRADE_TO_RE = /\bupgrad(?:e|ing)\b[^.]*?\bto\b/i;

/** "Upgrade ingress-nginx to v1.11.5, v1.12.1, or any later version": the versions after "to". */
function upgradeTargets(lines: BodyLine[], heads: (Heading | null)[]): FixedEntry[] {
  const out: FixedEntry[] = [];
  lines.forEach((line, i) => {
    // "pgrad" finds Upgrade/upgrading without a regular expression per line (this runs on every body).
    if (line.code || heads[i] || !line.clean.includes('pgrad') || !UPGRADE_TO_RE.test(line.clean)) return;
    for (const s of sentences(line.clean)) {
      const m = UPGRADE_TO_RE.exec(s);
      if (!m) continue;
      const comps = componentsIn(s).names;
      for (const version of tokenize(s)) if (version.start >= m.index + m[0].length && version.patch !== null) out.push({ comps, version, origin: 'mitigation' });
    }
  });
  return out;
}

/**
 * An Affected list naming exactly a version the text says to upgrade to (or lists as fixed) cannot
 * both be right; the remediation sentence is the one people act on, and reading it the other way
 * would call the fixed release vulnerable and the old ones clean. Such entries become "before vX".
 */
function resolveContradictions(affected: AffectedEntry[], fixed: FixedEntry[], upgrades: FixedEntry[]): { affected: AffectedEntry[]; contradicted: string[] } {
  const fixes = [...fixed, ...upgrades].filter((f) => f.version.patch !== null);
  if (fixes.length === 0) return { affected, contradicted: [] };
  const contradicted: string[] = [];
  const out = affected.map((e): AffectedEntry => {
    const { op, lo, hi } = e.expr;
    if (!hi || hi.patch === null || (op !== 'exact' && op !== 'range' && op !== 'le')) return e;
    const v = tokenString(hi);
    // Only a fix for the same component contradicts ("external-snapshotter v0.4.2" fixes nothing of external-provisioner).
    const same = fixes.some((f) => tokenString(f.version) === v && (f.comps.length === 0 || e.comps.length === 0 || f.comps.some((c) => e.comps.includes(c))));
    if (!same) return e;
    contradicted.push(`v${v}`);
    const lower = op === 'range' && lo && compareTokens(lo, hi) < 0 ? lo : null;
    return { ...e, expr: { op: 'lt', lo: lower, hi } };
  });
  return { affected: out, contradicted: uniq(contradicted) };
}

interface WalkResult {
  affected: AffectedEntry[];
  fixed: FixedEntry[];
  sectionComps: string[];
  /** Affected lines came only from lists introduced by a sentence, never from a heading. */
  listOnly: boolean;
}

type Context = SectionKind | 'none';

function walk(lines: BodyLine[], heads: (Heading | null)[], warnings: Warning[]): WalkResult {
  const affected: AffectedEntry[] = [];
  const fixed: FixedEntry[] = [];
  const sectionComps: string[] = [];
  let ctx: Context = 'none';
  let intro: 'affected' | 'fixed' | null = null;
  let label: string[] | null = null;
  let table: TableColumns | null = null;

  lines.forEach((line, i) => {
    const head = heads[i];
    if (head) {
      ctx = head.kind;
      intro = null;
      label = null;
      return;
    }
    const effective: Context = intro ?? ctx;
    // Under an Affected/Fixed heading a list is part of the section even when a sentence introduces it.
    const origin: Origin = intro && ctx !== 'affected' && ctx !== 'fixed' ? 'list' : 'section';
    if (line.code) {
      // Only "external-provisioner: v0.4.1-0.4.2, v1.0.0-1.0.1" shaped lines carry versions in code.
      const m = /^\s*([A-Za-z][\w.-]*)\s*:\s*(.*\d.*)$/.exec(line.raw);
      const comps = m ? componentLabel(m[1] ?? '') : null;
      if (!m || !comps) return;
      const rest = cleanLine(m[2] ?? '');
      if (effective === 'affected') affected.push(...affectedEntries(rest, comps, origin));
      if (effective === 'fixed') fixed.push(...tokenize(rest).map((version) => ({ comps, version, origin })));
      return;
    }
    const { clean, bullet } = line;
    if (clean.length === 0) {
      table = null;
      return;
    }
    if (clean.startsWith('|')) {
      table = tableRow(clean, table, label ?? [], affected, fixed);
      return;
    }
    table = null;
    const tokens = tokenize(clean);
    const inline = tokens.length > 0 ? INLINE_LABEL_RE.exec(clean) : null;
    if (inline) {
      // "**Fixed in:** v1.35.3, v1.34.7" inside an Affected section is the fix list, not more affected versions.
      const rest = clean.slice(inline[0].length);
      const comps = label ?? [];
      if (/^(?:fix|patch)/i.test(inline[1] ?? '')) fixed.push(...tokenize(rest).map((version) => ({ comps, version, origin: 'section' as const })));
      else affected.push(...affectedEntries(rest, comps, 'section'));
      return;
    }
    if (tokens.length === 0) {
      if (ctx === 'affected' && /\bv\d+\.\d|\b\d+\.\d+\.\S/i.test(clean) && !intro) {
        warnings.push({ level: 'medium', text: `could not read affected line: "${clean.slice(0, 80)}"` });
      }
      const lab = componentLabel(clean);
      if (ctx === 'components') sectionComps.push(...(lab ?? componentsIn(clean).names));
      if (lab) {
        label = lab;
        return;
      }
      intro = introKind(clean);
      if (intro === null) label = null;
      return;
    }

    const lineComps = (prefix: string): string[] => {
      const named = componentsIn(prefix).names;
      if (named.length > 0) return named;
      const project = projectName(prefix);
      return project ? [project] : (label ?? []);
    };

    // "The bug was introduced in v1.34.0." under a heading is context, not an affected or fixed line.
    if ((effective === 'affected' || effective === 'fixed') && !bullet && STARTS_CUE.test(clean)) return;
    if (effective === 'affected') {
      if (origin === 'list' && !bullet && (tokens[0]?.start ?? 0) > 40) return;
      affected.push(...affectedEntries(clean, label ?? [], origin));
      return;
    }
    if (effective === 'fixed') {
      if (!(bullet || clean.length <= 100 || FIX_CUE.test(clean))) return;
      // "Fixes will be included in the next patch releases of v1.33 and v1.32" names branches, not fixed versions.
      if (FUTURE_CUE.test(clean) && tokens.every((t) => t.patch === null)) return;
      const withoutVersions = tokens.reduceRight((s, t) => s.slice(0, t.start) + s.slice(t.end), clean);
      if (GATED_RE.test(withoutVersions)) {
        warnings.push({ level: 'medium', text: `fix behind a feature gate or alpha feature not counted as fixed: "${clean.slice(0, 80)}"` });
        return;
      }
      if (hasRange(clean)) {
        warnings.push({ level: 'medium', text: `could not read fixed line: "${clean.slice(0, 80)}"` });
        return;
      }
      const comps = lineComps(clean.slice(0, tokens[0]?.start ?? 0));
      fixed.push(...tokens.map((version) => ({ comps, version, origin })));
      return;
    }
    // Elsewhere only explicit "fixed in vX" clauses count ("* Fixed in v1.5.5 in <commit>").
    const { fixes } = takeFixClauses(clean);
    if (fixes.length > 0) {
      const comps = lineComps(clean.slice(0, tokens[0]?.start ?? 0));
      fixed.push(...fixes.map((version) => ({ comps, version, origin: 'section' as const })));
    }
  });
  // Lists introduced by a sentence are a fallback for bodies without an Affected Versions heading;
  // beside one they are usually third-party notes ("CNI plugins prior to version 0.8.6").
  const fromSections = affected.filter((e) => e.origin === 'section');
  const kept = fromSections.length > 0 ? fromSections : affected;
  const listOnly = kept.length > 0 && fromSections.length === 0;
  return { affected: kept, fixed, sectionComps: uniq(sectionComps), listOnly };
}

function affectedEntries(clean: string, fallbackComps: string[], origin: Origin): AffectedEntry[] {
  const { exprs, fixes, prefix, suffix } = parseExpressions(clean);
  // "kube-apiserver v1.27.0 - v1.27.2", or now and then "v1.27.0 - v1.27.2 of kube-apiserver".
  const before = componentsIn(prefix).names;
  const named = before.length > 0 ? before : origin === 'sentence' ? [] : componentsIn(suffix).names;
  const project = named.length === 0 && origin !== 'sentence' ? projectName(prefix) : null;
  const comps = named.length > 0 ? named : project ? [project] : fallbackComps;
  return exprs.map((expr) => ({
    comps,
    expr,
    // An inline fix belongs to the expression it follows ("v1.11.0-1.11.7 (fixed in v1.11.8)").
    fix: exprs.length === 1 ? (fixes[0] ?? null) : (fixes.find((f) => exprMinor(expr) === minorKey(f)) ?? null),
    origin,
  }));
}

/**
 * A versions line led by a name we have no pattern for ("cloud-provider-openstack v1.32.0 - v1.32.2"):
 * a hyphenated lower-case project name is the component, by its repository name, as add-ons are.
 * Without this every core component would be assumed for a project that is none of them.
 */
const PROJECT_RE =
  /^(?:kubernetes[\s/]+|kubernetes-sigs\/)?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)(?:\s+(?:versions?|releases?))?\s*(?::|<=?|>=?|=<|=>|≤|≥|before|prior\s+to|up\s+to|through|until|since|from|older\s+than|earlier\s+than)?\s*$/;

export function projectName(prefix: string): string | null {
  const m = PROJECT_RE.exec(prefix.trim());
  return m?.[1] ?? null;
}

interface TableColumns {
  component: number;
  affected: number;
  fixed: number;
}

/**
 * One row of a Markdown version table ("| kube-controller-manager | v1.34.0 - v1.34.4 | v1.34.5 |").
 * The header row says which column is which; a row is read only under a header naming an affected
 * column, so other tables (a changelog, a timeline) are not taken for versions.
 */
function tableRow(clean: string, columns: TableColumns | null, label: string[], affected: AffectedEntry[], fixed: FixedEntry[]): TableColumns | null {
  const cells = clean.replace(/^\|/, '').replace(/\|\s*$/, '').split('|').map((c) => c.trim());
  if (cells.every((c) => /^:?-{2,}:?$/.test(c) || c === '')) return columns;
  if (tokenize(clean).length === 0) {
    const find = (re: RegExp): number => cells.findIndex((c) => re.test(c));
    const affectedAt = find(TABLE_AFFECTED_RE);
    if (affectedAt === -1) return null;
    const fixedAt = cells.findIndex((c, i) => i !== affectedAt && TABLE_FIXED_RE.test(c));
    const componentAt = find(TABLE_COMPONENT_RE);
    return { component: componentAt, affected: affectedAt, fixed: fixedAt };
  }
  if (!columns) return null;
  const name = columns.component >= 0 ? (cells[columns.component] ?? '') : '';
  const named = componentsIn(name).names;
  const project = named.length === 0 ? projectName(name) : null;
  const comps = named.length > 0 ? named : project ? [project] : label;
  affected.push(...affectedEntries(cells[columns.affected] ?? '', comps, 'section'));
  if (columns.fixed >= 0) fixed.push(...tokenize(cells[columns.fixed] ?? '').map((version) => ({ comps, version, origin: 'section' as const })));
  return columns;
}

/** "Fixes are available in the following versions:" → fixed; "… the following vulnerable versions:" → affected. */
function introKind(clean: string): 'affected' | 'fixed' | null {
  if (!/:\s*$/.test(clean) && !/\bfollowing\b/i.test(clean)) return null;
  if (FIX_CUE.test(clean)) return 'fixed';
  if (AFFECT_CUE.test(clean) || /\bfollowing\s+(?:\w+\s+)?(?:versions|releases)\b/i.test(clean)) return 'affected';
  return null;
}

/** "All Kubernetes versions are affected", "All versions of Kubernetes": the components it names ([] = default), or null. */
function allVersionsStatement(lines: BodyLine[], heads: (Heading | null)[]): string[] | null {
  let ctx: Context = 'none';
  for (let i = 0; i < lines.length; i++) {
    const head = heads[i];
    const line = lines[i];
    if (head) {
      ctx = head.kind;
      continue;
    }
    if (!line || line.code) continue;
    const clean = line.clean;
    if (!ALL_VERSIONS_RE.test(clean) || tokenize(clean).length > 0) continue;
    if (ctx !== 'affected' && ctx !== 'components' && !AFFECT_CUE.test(clean)) continue;
    return componentsIn(clean).names;
  }
  return null;
}

/** Last resort: versions inside sentences ("discovered in kubectl versions v1.13.10, v1.14.6 …"). */
function sentenceEntries(lines: BodyLine[], heads: (Heading | null)[]): { affected: AffectedEntry[]; fixed: FixedEntry[] } {
  const affected: AffectedEntry[] = [];
  const fixed: FixedEntry[] = [];
  let ctx: Context = 'none';
  lines.forEach((line, i) => {
    const head = heads[i];
    if (head) ctx = head.kind;
    // Fixed sections were read line by line already (feature-gated lines deliberately skipped).
    if (line.code || head || ctx === 'fixed') return;
    for (const s of sentences(line.clean)) {
      const tokens = tokenize(s);
      if (tokens.length === 0) continue;
      const hasFix = FIX_CUE.test(s) || UPGRADE_CUE.test(s);
      if (SENTENCE_AFFECT_CUE.test(s)) {
        affected.push(...affectedEntries(s, [], 'sentence'));
      } else if (hasFix && !GATED_RE.test(s)) {
        const comps = componentsIn(s.slice(0, tokens[0]?.start ?? 0)).names;
        fixed.push(...tokens.map((version) => ({ comps, version, origin: 'sentence' as const })));
      }
    }
  });
  return { affected: dedupeEntries(affected), fixed };
}

const TITLE_BOUND_RE = /<|\b(?:before|prior\s+to|earlier\s+than|older\s+than|up\s+to|through|and\s+(?:earlier|older))\b/i;

/**
 * "kube-apiserver before v1.34.4 and v1.33.9 lets users …" with nothing in the body: the title is the
 * only statement. Only a bounded one counts (a bare version in a title is as often the fix as the bug).
 */
function titleEntries(summary: string): AffectedEntry[] {
  if (!TITLE_BOUND_RE.test(summary) || tokenize(summary).length === 0) return [];
  return affectedEntries(summary, [], 'sentence');
}

/** "Upgrade ingress-nginx to v1.11.5, v1.12.1, or any later version." when no Fixed list exists. */
function mitigationFixes(lines: BodyLine[], heads: (Heading | null)[]): FixedEntry[] {
  const out: FixedEntry[] = [];
  lines.forEach((line, i) => {
    if (line.code || heads[i]) return;
    for (const s of sentences(line.clean)) {
      if (!UPGRADE_CUE.test(s)) continue;
      const at = s.search(UPGRADE_CUE);
      const comps = componentsIn(s).names;
      for (const version of tokenize(s)) if (version.start > at) out.push({ comps, version, origin: 'mitigation' });
    }
  });
  return out;
}

/** Text that describes the issue (not how to fix, detect or credit it), for finding component names. */
function describedText(lines: BodyLine[], heads: (Heading | null)[]): { described: string; all: string } {
  const described: string[] = [];
  const all: string[] = [];
  let ctx: Context = 'none';
  lines.forEach((line, i) => {
    const head = heads[i];
    if (head) ctx = head.kind;
    if (line.code) return;
    const clean = line.clean;
    all.push(clean);
    if (head) return;
    if (ctx === 'mitigation' || ctx === 'fixed' || ctx === 'detection' || ctx === 'credits') return;
    described.push(clean);
  });
  return { described: described.join('\n'), all: all.join('\n') };
}

const STATEMENT_RES = [
  /\b(?:this|the)\s+(?:bug|issue|vulnerability|cve|flaw)\s+(?:only\s+)?affects\s+(?:the\s+)?(?:kubernetes\s+)?/gi,
  /\b(?:discovered|found)\s+in\s+(?:the\s+)?(?:kubernetes\s+)?/gi,
];

interface Named {
  names: string[];
  source: ComponentSource;
}

/** Components for lines that name none, and a warning when they had to be inferred. */
function defaultComponents(sectionComps: string[], described: string, summary: string, warnings: Warning[]): Named {
  if (sectionComps.length > 0) return { names: sectionComps, source: 'stated' };
  const stated = statedComponents(described);
  if (stated.length > 0) return { names: stated, source: 'inferred' };
  const inSummary = componentsIn(summary).names;
  if (inSummary.length > 0) return { names: inSummary, source: 'inferred' };
  const scanned = componentsIn(described, { scan: true }).names;
  if (scanned.length > 0) {
    warnings.push({ level: 'medium', text: `component not named with the versions; taken from the description (${scanned.join(', ')})` });
    return { names: scanned, source: 'inferred' };
  }
  const implied = impliedComponents(summary);
  if (implied.length > 0) {
    warnings.push({ level: 'medium', text: `component not named; implied by the title (${implied.join(', ')})` });
    return { names: implied, source: 'inferred' };
  }
  warnings.push({ level: 'medium', text: 'component not named; assuming every core component' });
  return { names: [...CORE_COMPONENTS], source: 'assumed' };
}

/** "This bug affects Kubelet", "discovered in kube-apiserver": the component right after the phrase. */
function statedComponents(described: string): string[] {
  const out: string[] = [];
  for (const re of STATEMENT_RES) {
    for (const m of described.matchAll(re)) {
      const after = described.slice(m.index + m[0].length, m.index + m[0].length + 60);
      const first = componentAtStart(after);
      if (first) out.push(first);
    }
  }
  return uniq(out);
}

/** Components to report when no ranges were found (placeholders, advisories without versions). */
function mentionedComponents(sectionComps: string[], described: string, summary: string): Named {
  if (sectionComps.length > 0) return { names: sectionComps, source: 'stated' };
  const stated = statedComponents(described);
  if (stated.length > 0) return { names: stated, source: 'inferred' };
  const inSummary = componentsIn(summary).names;
  if (inSummary.length > 0) return { names: inSummary, source: 'inferred' };
  return { names: componentsIn(described, { scan: true }).names, source: 'inferred' };
}

// ── pairing ────────────────────────────────────────────────────────────────────────────────

interface Draft {
  component: string;
  introduced: string | null;
  lastAffected: string | null;
  fixed: string | null;
  /** Highest affected version, for ordering and pairing. */
  upper: VersionToken | null;
  lower: VersionToken | null;
  minor: string | null;
  oldest: boolean;
}

/**
 * Per component: a `<=`/`<` line bounds its own minor, except the oldest line, which also covers
 * every older minor; each line gets the fixed version of its own minor. A `>= X` line is split into
 * branches by the fixed versions. A branch with no fix in its minor takes the next fixed version
 * when no other affected line lies between (the fix shipped in a later minor).
 */
export function buildRanges(affected: AffectedEntry[], fixed: FixedEntry[], defaults: string[], unfixed: boolean, warnings: Warning[]): AffectedRange[] {
  const components = uniq(affected.flatMap((e) => (e.comps.length > 0 ? e.comps : defaults)));
  const out: AffectedRange[] = [];
  const missing: string[] = [];
  const unpaired: string[] = [];
  for (const component of components) {
    const entries = affected.filter((e) => (e.comps.length > 0 ? e.comps : defaults).includes(component));
    const pool = fixedPool(fixed, component);
    const { drafts, used } = draftsFor(component, entries, pool, warnings);
    pairAcrossMinors(drafts, pool, used, warnings);
    // A fix stated for some branches (a list, "< v1.29.7", an inline "fixed in") but not for this one.
    const someFixed = pool.length > 0 || drafts.some((x) => x.fixed !== null);
    for (const d of drafts) {
      if (d.fixed === null && !d.oldest && !unfixed && d.minor !== null && someFixed) missing.push(d.minor);
    }
    const highest = drafts.reduce<VersionToken | null>((hi, d) => (d.upper && (!hi || compareTokens(d.upper, hi) > 0) ? d.upper : hi), null);
    for (const f of pool) {
      if (used.has(f) || f.pre) continue;
      // Fixed versions newer than every affected line are the release from main/master.
      if (highest && compareTokens(f, highest) > 0) continue;
      unpaired.push(tokenString(f));
    }
    out.push(...drafts.map(({ component: c, introduced, lastAffected, fixed: fx }) => ({ component: c, introduced, lastAffected, fixed: fx })));
  }
  for (const minor of uniq(missing)) warnings.push({ level: 'medium', text: `fixed version for ${minor} not listed` });
  for (const v of uniq(unpaired)) warnings.push({ level: 'medium', text: `fixed version ${v} matches no affected line` });
  if (out.length > 0 && out.every((r) => r.fixed === null) && !unfixed) warnings.push({ level: 'medium', text: 'no fixed version stated' });
  return dedupeRanges(out);
}

function fixedPool(fixed: FixedEntry[], component: string): VersionToken[] {
  const seen = new Set<string>();
  const pool: VersionToken[] = [];
  for (const f of fixed) {
    if (f.comps.length > 0 && !f.comps.includes(component)) continue;
    // "v1.14+" in a Fixed list means the minor's first release.
    const version = f.version.patch === null ? { ...f.version, patch: 0 } : f.version;
    const key = tokenString(version);
    if (seen.has(key)) continue;
    seen.add(key);
    pool.push(version);
  }
  return pool.sort(compareTokens);
}

function draftsFor(component: string, entries: AffectedEntry[], pool: VersionToken[], warnings: Warning[]): { drafts: Draft[]; used: Set<VersionToken> } {
  const used = new Set<VersionToken>();
  const bounded = entries.filter((e) => e.expr.op !== 'ge');
  const oldestMinor = bounded.reduce<VersionToken | null>((lo, e) => {
    const t = effectiveUpper(e.expr);
    return t && (!lo || compareTokens(t, lo) < 0) ? t : lo;
  }, null);
  const isOldest = (t: VersionToken | null): boolean => !!t && !!oldestMinor && minorKey(t) === minorKey(oldestMinor);
  const fixFor = (minor: string, inline: VersionToken | null): string | null => {
    if (inline) {
      const same = pool.find((f) => tokenString(f) === tokenString(inline));
      if (same) used.add(same);
      return tokenString(inline);
    }
    const f = pool.find((p) => minorKey(p) === minor && !p.pre) ?? pool.find((p) => minorKey(p) === minor);
    if (!f) return null;
    used.add(f);
    return tokenString(f);
  };

  const drafts: Draft[] = [];
  // The first version of a bound's minor; "<= v2.0.0-alpha.0" starts at 2.0.0's first prerelease, not at 2.0.0.
  const lowerOf = (t: VersionToken): VersionToken => (t.pre && t.patch === 0 ? { ...t, pre: '0' } : { ...t, patch: 0, pre: null });
  for (const e of bounded) {
    const { op, lo, hi } = e.expr;
    if (op === 'lt' && hi && lo) {
      // ">= v1.30.0, < v1.30.3", "v1.30.0 up to but not including v1.30.3": the upper version is the fix.
      const first = { ...hi, patch: hi.patch ?? 0 };
      const f = pool.find((p) => tokenString(p) === tokenString(first));
      if (f) used.add(f);
      drafts.push(draft(component, tokenString(lo, 'lower'), null, tokenString(e.fix ?? first), hi, lo, minorKey(hi), false));
      continue;
    }
    if (op === 'lt' && hi) {
      if (hi.patch === null || hi.patch === 0) {
        const below = effectiveUpper(e.expr);
        const first = { ...hi, patch: 0 };
        const f = pool.find((p) => tokenString(p) === tokenString(first));
        if (!isOldest(below)) {
          // "prior to 1.15.0" among per-branch bounds: 1.15 ships fixed; nothing of it is affected.
          if (f) used.add(f);
          continue;
        }
        // "< v1.11.0" beside "v1.11.0 - v1.11.4": every older minor, no fix of its own. Alone
        // ("All versions prior to v1.30.0 are affected"), the version named is the fix.
        const covered = entries.some((o) => o !== e && coversMinorOf(o.expr, hi));
        const fix = covered ? null : tokenString(first);
        if (fix && f) used.add(f);
        if (below && below !== hi) drafts.push(draft(component, null, tokenString(below, 'upper'), fix, below, null, minorKey(below), true));
        else drafts.push(draft(component, null, null, tokenString(first), hi, null, minorKey(hi), true));
        continue;
      }
      const inPool = pool.find((p) => minorKey(p) === minorKey(hi) && !p.pre);
      if (inPool) {
        used.add(inPool);
        if (compareTokens(inPool, hi) !== 0) warnings.push({ level: 'medium', text: `"< ${tokenString(hi)}" disagrees with fixed version ${tokenString(inPool)}` });
      }
      let oldest = isOldest(hi);
      // "before 1.32.3" with a fix list that also names 1.31.7: the older fixes are backports, one
      // branch each (otherwise 1.31.7 would be read as affected, and the list would disagree with itself).
      const backports = oldest && !e.fix
        ? pool.filter((p) => !used.has(p) && !p.pre && compareTokens(p, { ...hi, patch: 0, pre: null }) < 0 && !entries.some((o) => o !== e && coversMinorOf(o.expr, p)))
        : [];
      if (backports.length > 0) {
        oldest = false;
        backports.forEach((p, at) => {
          used.add(p);
          const lower = at === 0 ? null : lowerOf(p);
          drafts.push(draft(component, lower ? tokenString(lower) : null, null, tokenString(p), p, lower, minorKey(p), at === 0));
        });
      }
      drafts.push(draft(component, oldest ? null : tokenString(lowerOf(hi)), null, tokenString(e.fix ?? hi), hi, oldest ? null : lowerOf(hi), minorKey(hi), oldest));
      continue;
    }
    if (op === 'le' && hi) {
      const oldest = isOldest(hi);
      drafts.push(draft(component, oldest ? null : tokenString(lowerOf(hi)), tokenString(hi, 'upper'), hi.patch === null ? null : fixFor(minorKey(hi), e.fix), hi, oldest ? null : lowerOf(hi), minorKey(hi), oldest));
      continue;
    }
    if ((op === 'range' || op === 'exact') && lo && hi) {
      const fix = hi.patch === null ? (e.fix ? fixFor(minorKey(hi), e.fix) : null) : fixFor(minorKey(hi), e.fix);
      drafts.push(draft(component, tokenString(lo, 'lower'), tokenString(hi, 'upper'), fix, hi, lo, minorKey(hi), isOldest(hi)));
    }
  }

  for (const e of entries.filter((x) => x.expr.op === 'ge')) drafts.push(...openDrafts(component, e.expr.lo, pool, used, drafts, warnings));
  drafts.sort((a, b) => (a.upper && b.upper ? compareTokens(a.upper, b.upper) : a.upper ? 1 : -1));
  return { drafts, used };
}

function draft(component: string, introduced: string | null, lastAffected: string | null, fixed: string | null, upper: VersionToken | null, lower: VersionToken | null, minor: string | null, oldest: boolean): Draft {
  return { component, introduced, lastAffected, fixed, upper, lower, minor, oldest };
}

/** ">= v1.8.0" with fixes in 1.25–1.28: 1.8.0–1.24.x unfixed, then one branch per fixed version. */
function openDrafts(component: string, from: VersionToken | null, pool: VersionToken[], used: Set<VersionToken>, others: Draft[], warnings: Warning[]): Draft[] {
  const taken = new Set(others.map((d) => d.minor));
  const fixes = pool.filter((f) => !used.has(f) && !f.pre && !taken.has(minorKey(f)) && (!from || compareTokens(f, from) >= 0));
  const start = from ? tokenString(from, 'lower') : null;
  if (fixes.length === 0) {
    return [draft(component, start, null, null, null, from, from ? minorKey(from) : null, true)];
  }
  warnings.push({ level: 'medium', text: `open-ended affected range${start ? ` from ${start}` : ''}; branches taken from the fixed versions` });
  const out: Draft[] = [];
  const first = fixes[0];
  if (first && (!from || minorKey(from) !== minorKey(first)) && first.minor > 0) {
    const before = { ...first, minor: first.minor - 1, patch: null, pre: null };
    if (!from || compareTokens(before, from) >= 0) out.push(draft(component, start, tokenString(before, 'upper'), null, before, from, minorKey(before), true));
  }
  for (const f of fixes) {
    used.add(f);
    const lower = from && minorKey(from) === minorKey(f) ? from : { ...f, patch: 0, pre: null };
    out.push(draft(component, tokenString(lower, 'lower'), null, tokenString(f), f, lower, minorKey(f), false));
  }
  return out;
}

/** A branch without a fix in its own minor takes the next fixed version if no affected line lies between. */
function pairAcrossMinors(drafts: Draft[], pool: VersionToken[], used: Set<VersionToken>, warnings: Warning[]): void {
  for (const d of drafts) {
    if (d.fixed !== null || !d.upper) continue;
    const upper = d.upper;
    const next = pool.find((f) => !used.has(f) && !f.pre && compareTokens(f, upper) > 0);
    if (!next) continue;
    const between = drafts.some((o) => o !== d && o.lower && o.upper && compareTokens(o.upper, upper) > 0 && compareTokens(o.lower, next) < 0);
    if (between) continue;
    d.fixed = tokenString(next);
    used.add(next);
    // A next minor's first release is the usual "fixed from 1.14 on"; a later patch is a guess worth flagging.
    if (next.patch !== 0) warnings.push({ level: 'medium', text: `fix for ${d.minor ?? 'the oldest branch'} taken from the later release ${tokenString(next)}` });
  }
}

/** Does the expression state anything about the minor of `t` (so "< t" is not the whole story)? */
function coversMinorOf(expr: VersionExpr, t: VersionToken): boolean {
  const key = minorKey(t);
  if ((expr.lo && minorKey(expr.lo) === key) || (expr.hi && minorKey(expr.hi) === key)) return true;
  if (expr.op === 'ge' && expr.lo) return compareTokens(expr.lo, t) <= 0;
  if (expr.lo && expr.hi) return compareTokens(expr.lo, t) <= 0 && compareTokens(expr.hi, t) >= 0;
  return false;
}

/** The highest affected version an expression stands for; "< 1.11.0" stands for 1.10.x. */
function effectiveUpper(expr: VersionExpr): VersionToken | null {
  const t = expr.hi ?? expr.lo;
  if (!t) return null;
  if (expr.op === 'lt' && (t.patch === null || t.patch === 0) && t.minor > 0) return { ...t, minor: t.minor - 1, patch: null, pre: null };
  return t;
}

function exprMinor(expr: VersionExpr): string | null {
  const t = expr.hi ?? expr.lo;
  return t ? minorKey(t) : null;
}

function dedupeEntries(entries: AffectedEntry[]): AffectedEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = JSON.stringify([e.comps, e.expr.op, e.expr.lo && tokenString(e.expr.lo), e.expr.hi && tokenString(e.expr.hi)]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function dedupeRanges(ranges: AffectedRange[]): AffectedRange[] {
  const seen = new Set<string>();
  return ranges.filter((r) => {
    const key = JSON.stringify(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function uniq<T>(list: T[]): T[] {
  return [...new Set(list)];
}
