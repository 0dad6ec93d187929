/**
 * Version expressions as advisories write them on one line: "v1.27.0 - v1.27.2", "<= v1.24.13",
 * "<=1.16.10", "< v1.11.0", "v1.30.0 to v1.30.2", "v1.0.x-1.9.x", "kubelet v1.20 - v1.21",
 * "v1.8.0+", "prior to 1.15.0, 1.14.4, and 1.13.8", "<= v1.15.9, resolved in 1.15.10 by <PR>".
 */
import { compareVersions } from './versions.ts';

export interface VersionToken {
  major: number;
  minor: number;
  /** null for a whole minor ("1.21.x", "v1.20"). */
  patch: number | null;
  pre: string | null;
  start: number;
  end: number;
}

export type ExprOp = 'range' | 'le' | 'lt' | 'ge' | 'exact';

/** `lo`/`hi` are inclusive except for `lt`, whose `hi` is the first unaffected version (its `lo`, when set, is inclusive). */
export interface VersionExpr {
  op: ExprOp;
  lo: VersionToken | null;
  hi: VersionToken | null;
}

const TOKEN_RE = /(?<![\w.])([vV]?)(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}|[xX*]))?(?:-((?:alpha|beta|rc)(?:\.?\d+)*))?(?![\w]|\.\d)/g;

/** Every version in `text`. A bare "1.16" without "v" or patch is prose ("in 1.16"), not a version. */
export function tokenize(text: string): VersionToken[] {
  const out: VersionToken[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const [whole, v, maj, min, pat, pre] = m;
    if (!v && pat === undefined) continue;
    const patch = pat === undefined || /^[xX*]$/.test(pat) ? null : Number(pat);
    out.push({
      major: Number(maj),
      minor: Number(min),
      patch,
      pre: pre ?? null,
      start: m.index,
      end: m.index + whole.length,
    });
  }
  return out;
}

export function minorKey(t: { major: number; minor: number }): string {
  return `${t.major}.${t.minor}`;
}

/** Bare semver; a whole minor is its first version as a lower bound and "1.21.x" as an upper one. */
export function tokenString(t: VersionToken, as: 'lower' | 'upper' | 'exact' = 'exact'): string {
  if (t.patch === null) return as === 'upper' ? `${t.major}.${t.minor}.x` : `${t.major}.${t.minor}.0`;
  return `${t.major}.${t.minor}.${t.patch}${t.pre ? `-${t.pre}` : ''}`;
}

export function compareTokens(a: VersionToken, b: VersionToken): number {
  const byMinor = a.major - b.major || a.minor - b.minor;
  if (byMinor !== 0) return byMinor;
  // A whole minor sorts after every patch of it when used as an upper bound.
  if (a.patch === null || b.patch === null) return (a.patch === null ? 1 : 0) - (b.patch === null ? 1 : 0);
  return compareVersions(tokenString(a), tokenString(b));
}

const FIX_WORDS = String.raw`(?:fixed|resolved|patched|fix(?:ed)?\s+(?:is\s+)?available|fix)`;
const VERSION_SRC = String.raw`[vV]?\d{1,3}\.\d{1,3}(?:\.(?:\d{1,4}|[xX]))?(?:-(?:alpha|beta|rc)(?:\.?\d+)*)?`;
/** "fixed in v1.11.8", "resolved in 1.15.10", "Fixed in v1.13.9 by", "fix in v1.16.0". */
const FIX_CLAUSE_RE = new RegExp(
  String.raw`\b${FIX_WORDS}\s+(?:(?:in|by|with|on|to)\s+)?(?:(?:kubernetes|version|release|versions|releases)\s+)*(${VERSION_SRC}(?:\s*(?:,|and|or|&)\s*${VERSION_SRC})*)`,
  'gi',
);

/** Versions given as fixes inside a line, and the line with those clauses removed. */
export function takeFixClauses(text: string): { fixes: VersionToken[]; rest: string } {
  const fixes: VersionToken[] = [];
  const rest = text.replace(FIX_CLAUSE_RE, (_whole, list: string) => {
    fixes.push(...tokenize(list));
    return ' ';
  });
  return { fixes, rest };
}

// "prior to version 0.8.6", "up to release v1.2.3": a version word may sit between operator and number.
const WORD = String.raw`(?:\s+(?:versions?|releases?|kubernetes))?\s*$`;
const LE_RE = new RegExp(String.raw`(?:<=|=<|≤|\bup\s+to(?:\s+and\s+including)?|\bthrough|\buntil)` + WORD, 'i');
const LT_RE = new RegExp(String.raw`(?:<|\bbefore|\bprior\s+to|\bolder\s+than|\bearlier\s+than|\blower\s+than|\bbelow)` + WORD, 'i');
const GE_RE = new RegExp(String.raw`(?:>=|=>|≥|\bsince|\bstarting\s+(?:with|from|at))` + WORD, 'i');
const GE_SUFFIX_RE = /^\s*(?:\+|and\s+(?:later|above|newer|up)\b|or\s+(?:later|above|newer|higher)\b|onwards?\b|and\s+all\s+later\b)/i;
const LE_SUFFIX_RE = /^\s*(?:or|and)\s+(?:earlier|older|below|lower|prior)\b/i;
// "v1.31.0 up to and including v1.31.8" is inclusive; "up to but not including" became "before" first (exclusiveToBefore).
const RANGE_SEP_RE = /^\s*(?:-|–|—|to|through|thru|\.\.\.?|up\s+to(?:\s+and\s+including)?|(?:to|through)\s+and\s+including)\s*$/i;
/** "1.32 before 1.32.6": a bare minor right before an exclusive bound of the same minor starts the branch. */
const MINOR_BEFORE_RE = /(?<![\w.])[vV]?(\d{1,3})\.(\d{1,3})\s+(?:versions?\s+)?(?:before|prior\s+to|<|earlier\s+than|older\s+than|below)\s*$/i;
const LIST_SEP_RE = /^\s*(?:,|and|or|&|\/)(?:\s*(?:,|and|or))*\s*$/i;

// "up to but not including v1.30.3", "up to (but not including) v1.30.3", "up to, but excluding, v1.30.3":
// the version named is the first one NOT affected. Read as "before" so it never becomes "<=" (an inverted answer).
const EXCLUSIVE_BEFORE_RE = /\bup\s+to\s*[,(]?\s*(?:but\s+)?(?:not\s+including|excluding|exclusive(?:ly)?)\s*[,)]?\s*/gi;
// "up to v1.30.3 (exclusive)", "v1.30.3 (not included)": the same, written after the version.
const EXCLUSIVE_AFTER_RE = new RegExp(
  String.raw`\b(?:up\s+to|through|until|to)?\s*(${VERSION_SRC})\s*\(\s*(?:exclusive|excluded|not\s+included|not\s+inclusive)\s*\)`,
  'gi',
);
/** Between two versions: the second is the first unaffected one ("v1.30.0 up to but not including v1.30.3" → "v1.30.0 before v1.30.3"). */
const HALF_OPEN_SEP_RE = /^\s*(?:,\s*)?(?:-|–|to\s+)?\s*(?:before|prior\s+to|<)\s*$/i;
/** ">= v1.30.0, < v1.30.3", ">=1.30.0 <1.30.3": one branch with an exclusive upper bound. */
const AND_SEP_RE = /^\s*(?:,|and|&|&&)?\s*$/i;

export function exclusiveToBefore(text: string): string {
  let s = text;
  if (/\bup\s+to\b/i.test(s)) s = s.replace(EXCLUSIVE_BEFORE_RE, 'before ');
  if (s.includes('(')) s = s.replace(EXCLUSIVE_AFTER_RE, (_whole, version: string) => `before ${version}`);
  return s;
}

/** Affected-version expressions on one (cleaned) line; parenthetical notes are ignored. */
export function parseExpressions(text: string): { exprs: VersionExpr[]; fixes: VersionToken[]; prefix: string; suffix: string } {
  const { fixes, rest } = takeFixClauses(exclusiveToBefore(text));
  let line = rest;
  // "(Note: EndpointSlices were not enabled by default in 1.16-1.18)" is not a version statement.
  for (let i = 0; i < 3; i++) line = line.replace(/\([^()]*\)/g, ' ');
  const tokens = tokenize(line);
  const exprs: VersionExpr[] = [];
  let prevEnd = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok) continue;
    const gap = line.slice(prevEnd, tok.start);
    const next = tokens[i + 1];
    const previous = exprs[exprs.length - 1];
    if (next && RANGE_SEP_RE.test(line.slice(tok.end, next.start))) {
      exprs.push({ op: 'range', lo: tok, hi: next });
      prevEnd = next.end;
      i++;
      continue;
    }
    if (next && HALF_OPEN_SEP_RE.test(line.slice(tok.end, next.start)) && !LT_RE.test(gap) && !LE_RE.test(gap)) {
      exprs.push({ op: 'lt', lo: tok, hi: next });
      prevEnd = next.end;
      i++;
      continue;
    }
    prevEnd = tok.end;
    if (previous?.op === 'ge' && previous.lo && LT_RE.test(gap) && AND_SEP_RE.test(gap.replace(LT_RE, ''))) {
      // ">= v1.30.0, < v1.30.3": the lower bound and the first unaffected version of one branch.
      exprs[exprs.length - 1] = { op: 'lt', lo: previous.lo, hi: tok };
      continue;
    }
    if (previous?.op === 'ge' && previous.lo && LE_RE.test(gap) && AND_SEP_RE.test(gap.replace(LE_RE, ''))) {
      exprs[exprs.length - 1] = { op: 'range', lo: previous.lo, hi: tok };
      continue;
    }
    if (LE_RE.test(gap) || LE_SUFFIX_RE.test(line.slice(tok.end))) exprs.push({ op: 'le', lo: null, hi: tok });
    else if (LT_RE.test(gap)) exprs.push({ op: 'lt', lo: minorBefore(gap, tok), hi: tok });
    else if (GE_RE.test(gap) || GE_SUFFIX_RE.test(line.slice(tok.end))) exprs.push({ op: 'ge', lo: tok, hi: null });
    else if (previous && i > 0 && LIST_SEP_RE.test(gap) && previous.op !== 'range' && previous.op !== 'exact') {
      // "prior to 1.15.0, 1.14.4, and 1.13.8": the operator covers the whole list.
      exprs.push(previous.op === 'ge' ? { op: 'ge', lo: tok, hi: null } : { op: previous.op, lo: null, hi: tok });
    } else exprs.push({ op: 'exact', lo: tok, hi: tok });
  }
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  return { exprs, fixes, prefix: first ? line.slice(0, first.start) : line, suffix: last ? line.slice(last.end) : '' };
}

function minorBefore(gap: string, hi: VersionToken): VersionToken | null {
  const m = MINOR_BEFORE_RE.exec(gap);
  if (!m || Number(m[1]) !== hi.major || Number(m[2]) !== hi.minor || hi.patch === null || hi.patch === 0) return null;
  return { major: hi.major, minor: hi.minor, patch: 0, pre: null, start: m.index, end: m.index + m[0].length };
}

/** Does the line hold a "from – to" range (used to reject ranges in a Fixed list)? */
export function hasRange(text: string): boolean {
  const tokens = tokenize(text);
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i];
    const b = tokens[i + 1];
    if (a && b && RANGE_SEP_RE.test(text.slice(a.end, b.start))) return true;
  }
  return false;
}
