/**
 * Feed item → Advisory[]: one advisory per CVE id, ranges from the embedded OSV block when there
 * is one, else from the prose. Never throws on odd content: whatever the text does not support
 * lowers `parse.confidence` and says why in `parse.warnings`.
 */
import { contentHash } from '../feed/hash.ts';
import type { FeedItem } from '../feed/item.ts';
import type { AdvisoryCondition, AffectedRange, Advisory, AdvisoryStatus, ComponentSource, Confidence, FixState, ParseInfo, ParseSource, Severity } from './types.ts';
import { componentsIn } from './components.ts';
import { conditionsFrom, mergeConditions } from './conditions.ts';
import { fixStateOf } from './fix-state.ts';
import { isPlaceholder } from './placeholder.ts';
import { advisoryLines, parseProse } from './prose.ts';
import type { Warning } from './prose.ts';
import { fromOsv, osvBlocks, pickOsv } from './osv.ts';
import { headingOf, mitigationText, vulnerableText } from './sections.ts';
import { NO_SEVERITY, severityFromLines } from './severity.ts';
import { normalizeNewlines, stripHtmlComments, toLines } from './text.ts';

export interface BodyResult {
  components: string[];
  ranges: AffectedRange[];
  unfixed: boolean;
  fixState: FixState;
  /** Why fixState is `none` (the phrase read), for the feed-status conflict warning. */
  fixWhy: string | null;
  conditions: AdvisoryCondition[];
  componentSource: ComponentSource;
  placeholder: boolean;
  severity: Severity;
  vulnerableIf: string | null;
  mitigation: string | null;
  parse: ParseInfo;
}

const CVE_RE = /\bCVE-\d{4}-\d{4,}\b/gi;
const STATUSES: readonly AdvisoryStatus[] = ['open', 'fixed', 'unfixed', 'unknown'];

/** No ranges, no components: `confidence: low` with the reason. */
function unparsed(reason: string, placeholder = false): BodyResult {
  return {
    components: [], ranges: [], unfixed: false, fixState: 'pending', fixWhy: null, conditions: [], componentSource: 'inferred', placeholder,
    severity: NO_SEVERITY, vulnerableIf: null, mitigation: null,
    parse: info('none', [{ level: 'low', text: reason }]),
  };
}

/** Parses one advisory body. `id` picks that CVE's part of a body announcing several. */
export function parseBody(text: string, context: { summary?: string; id?: string } = {}): BodyResult {
  const summary = context.summary?.trim() ?? '';
  const normalized = stripHtmlComments(normalizeNewlines(text));
  const body = context.id ? sectionFor(normalized, context.id) : normalized;
  // An empty body still has a title: the component it names is kept (as for other placeholders).
  if (body.trim().length === 0) return { ...unparsed('empty body (placeholder issue)', true), components: componentsIn(summary).names };

  const allLines = toLines(body);
  const allHeads = allLines.map(headingOf);
  const lines = advisoryLines(allLines);
  const heads = allHeads.slice(0, lines.length);
  const vulnerableIf = vulnerableText(lines, heads);
  const mitigation = mitigationText(lines, heads);
  const prose = parseProse(lines, heads, summary);
  const proseSeverity = severityFromLines(lines.map((l) => l.clean));
  const plainText = lines.filter((l) => !l.code).map((l) => l.clean).join('\n');

  const blocks = osvBlocks(body);
  const picked = blocks.length > 0 ? pickOsv(blocks, context.id) : null;
  if (picked && 'record' in picked) {
    const osv = fromOsv(picked.record);
    if (osv.ranges.length > 0 || prose.ranges.length === 0) {
      const fix = fixStateOf({ ranges: osv.ranges, text: plainText, allVersions: prose.allVersions, unfixed: prose.unfixed });
      const conditions = mergeConditions(osv.conditions, conditionsFrom(lines, heads, summary, osv.components));
      const warnings = [...osv.warnings, ...titleOnly(conditions, summary), ...osvDisagrees(osv.ranges, prose.ranges)];
      if (osv.componentSource === 'assumed') warnings.push({ level: 'medium', text: 'OSV package is Kubernetes as a whole; assuming every core component' });
      return {
        components: osv.components,
        ranges: osv.ranges,
        unfixed: prose.unfixed || fix.fixState === 'none',
        fixState: fix.fixState,
        fixWhy: fix.why,
        conditions,
        componentSource: osv.componentSource,
        placeholder: false,
        severity: osv.severity ?? proseSeverity,
        vulnerableIf,
        mitigation,
        parse: info('osv-block', warnings),
      };
    }
  }

  const held = isPlaceholder(lines, plainText, prose.ranges.length > 0);
  if (held.placeholder) {
    // Nothing to judge yet: no ranges (a guess would become a verdict), the components the title names.
    return {
      components: prose.components,
      ranges: [],
      unfixed: false,
      fixState: 'pending',
      fixWhy: null,
      conditions: [],
      componentSource: prose.componentSource === 'assumed' ? 'inferred' : prose.componentSource,
      placeholder: true,
      severity: proseSeverity,
      vulnerableIf,
      mitigation,
      parse: info('none', [{ level: 'low', text: held.why ?? 'placeholder issue' }]),
    };
  }

  const warnings: Warning[] = [];
  if (picked && 'error' in picked) warnings.push({ level: 'medium', text: `${picked.error}; versions taken from the prose` });
  else if (picked) warnings.push({ level: 'medium', text: 'OSV block lists no ranges; versions taken from the prose' });
  warnings.push(...prose.warnings);
  if (held.why) warnings.push({ level: 'medium', text: held.why });
  if (prose.ranges.length === 0) {
    if (prose.noImpact) warnings.push({ level: 'medium', text: 'text says Kubernetes is not affected; no ranges' });
    else warnings.push({ level: 'low', text: 'no affected versions stated' });
  }
  const fix = fixStateOf({ ranges: prose.ranges, text: plainText, allVersions: prose.allVersions, unfixed: prose.unfixed });
  // "No fix will be released" is the strongest "no fix exists": `unfixed` says so too.
  const unfixed = prose.unfixed || fix.fixState === 'none';
  const conditions = conditionsFrom(lines, heads, summary, prose.components);
  warnings.push(...titleOnly(conditions, summary));
  return {
    components: prose.components,
    ranges: prose.ranges,
    unfixed,
    fixState: fix.fixState,
    fixWhy: fix.why,
    conditions,
    componentSource: prose.componentSource,
    placeholder: false,
    severity: proseSeverity,
    vulnerableIf,
    mitigation,
    parse: info(prose.ranges.length > 0 ? 'prose' : 'none', warnings),
  };
}

/**
 * The OSV block is preferred, but when the prose names other fixed versions for a component both
 * state, one of them is wrong and the text cannot say which: say so and lower the confidence.
 */
function osvDisagrees(osv: AffectedRange[], prose: AffectedRange[]): Warning[] {
  const fixes = (ranges: AffectedRange[], component: string): string =>
    [...new Set(ranges.filter((r) => r.component === component && r.fixed !== null).map((r) => r.fixed as string))].sort().join(', ');
  const out: Warning[] = [];
  for (const component of new Set(osv.map((r) => r.component))) {
    const inProse = fixes(prose, component);
    const inOsv = fixes(osv, component);
    if (inProse === '' || inOsv === '' || inProse === inOsv) continue;
    out.push({ level: 'medium', text: `OSV block and prose disagree on ${component}'s fixed versions (OSV: ${inOsv}; prose: ${inProse}); the OSV block is used` });
  }
  return out;
}

/**
 * The title is read last, so an os condition quoting it has no sentence of the body behind it: a
 * restriction that turns into "not affected" deserves more than a title.
 */
function titleOnly(conditions: AdvisoryCondition[], summary: string): Warning[] {
  return conditions
    .filter((c) => c.kind === 'os' && summary.length > 0 && c.text === summary)
    .map((c) => ({ level: 'medium', text: `only ${c.value} nodes are affected according to the title alone; the body does not say so` }));
}

/** One Advisory per CVE id; a combined "CVE-2023-2727, CVE-2023-2728" item becomes two sharing the body. */
export function parseItem(item: FeedItem): Advisory[] {
  const ids = idsOf(item.id);
  const hash = contentHash(item);
  const text = item.content_text ?? '';
  return ids.map((id) => {
    const aliases = ids.filter((other) => other !== id);
    const result = safeParseBody(text, { summary: item.summary ?? '', id: ids.length > 1 ? id : undefined });
    const { status, warning } = statusOf(item.status, result);
    const warnings = warning ? [...result.parse.warnings, warning] : result.parse.warnings;
    return {
      id,
      aliases,
      title: (ids.length > 1 ? headingTitle(text, id) : null) ?? (item.summary ?? '').trim(),
      url: item.url,
      externalUrl: externalUrlFor(item.external_url ?? null, item.id, id),
      published: item.date_published ?? null,
      status,
      severity: result.severity,
      components: result.components,
      ranges: result.ranges,
      unfixed: result.unfixed,
      fixState: result.fixState,
      conditions: result.conditions,
      componentSource: result.componentSource,
      placeholder: result.placeholder,
      vulnerableIf: result.vulnerableIf,
      mitigation: result.mitigation,
      contentHash: hash,
      parse: { source: result.parse.source, confidence: lowest(result.parse.confidence, warning ? 'medium' : 'high'), warnings },
    };
  });
}

/** sha256 of what an upstream edit changes: summary, body (CRLF → LF, trailing spaces trimmed), status. */
export { contentHash };

function safeParseBody(text: string, context: { summary: string; id: string | undefined }): BodyResult {
  try {
    return parseBody(text, context.id ? { summary: context.summary, id: context.id } : { summary: context.summary });
  } catch (err) {
    // A parser bug must not drop an advisory from the feed: report it unparsed instead.
    return unparsed(`parser error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function idsOf(raw: string): string[] {
  const ids = [...new Set((raw.match(CVE_RE) ?? []).map((s) => s.toUpperCase()))];
  return ids.length > 0 ? ids : [raw.trim()];
}

/** The part of a multi-CVE body under "### CVE-2023-2727: …" up to the next CVE heading. */
function sectionFor(body: string, id: string): string {
  const lines = body.split('\n');
  const starts: { at: number; ids: string[] }[] = [];
  lines.forEach((line, at) => {
    if (!/^\s{0,3}(?:#{1,6}\s|\*\*)/.test(line)) return;
    const ids = (line.match(CVE_RE) ?? []).map((s) => s.toUpperCase());
    if (ids.length > 0) starts.push({ at, ids });
  });
  const own = starts.findIndex((s) => s.ids.includes(id.toUpperCase()));
  const mine = starts[own];
  if (!mine || starts.length < 2) return body;
  const end = starts[own + 1]?.at ?? lines.length;
  return lines.slice(mine.at, end).join('\n');
}

function headingTitle(body: string, id: string): string | null {
  const re = new RegExp(String.raw`^\s{0,3}#{1,6}\s+${id}\s*[:\-–]\s*(.+)$`, 'im');
  const m = re.exec(normalizeNewlines(body));
  return m?.[1]?.trim() ?? null;
}

/** cve.org links of combined items carry both ids ("…?id=CVE-2023-2727, CVE-2023-2728"). */
function externalUrlFor(url: string | null, rawId: string, id: string): string | null {
  if (!url) return null;
  return rawId.includes(',') ? url.replace(rawId, id) : url;
}

/** The feed's status is kept as the feed says; where the text disagrees, a warning says so. */
function statusOf(given: string | null | undefined, result: BodyResult): { status: AdvisoryStatus; warning: string | null } {
  const hasFix = result.ranges.some((r) => r.fixed !== null);
  const normalized = given?.trim().toLowerCase();
  const known = STATUSES.find((s) => s === normalized);
  if (known) {
    let warning: string | null = null;
    if (known === 'fixed' && result.fixState === 'none') {
      warning = `feed status is fixed but the text says no fix will be released${result.fixWhy ? ` (${result.fixWhy})` : ''}: mitigate`;
    } else if (known === 'fixed' && result.unfixed && !hasFix) warning = 'feed status is fixed but the text says no fix exists';
    else if (known === 'fixed' && !hasFix && result.ranges.length > 0) warning = 'feed status is fixed but the text names no fixed version';
    return { status: known, warning };
  }
  if (result.unfixed && !hasFix) return { status: 'unfixed', warning: null };
  if (hasFix) return { status: 'fixed', warning: null };
  if (result.unfixed) return { status: 'unfixed', warning: null };
  return { status: 'unknown', warning: null };
}

function info(source: ParseSource, warnings: Warning[]): ParseInfo {
  const confidence: Confidence = warnings.some((w) => w.level === 'low') ? 'low' : warnings.length > 0 ? 'medium' : 'high';
  return { source, confidence, warnings: [...new Set(warnings.map((w) => w.text))] };
}

const RANK: Record<Confidence, number> = { high: 2, medium: 1, low: 0 };

function lowest(a: Confidence, b: Confidence): Confidence {
  return RANK[a] <= RANK[b] ? a : b;
}
