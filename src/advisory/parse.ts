/**
 * Feed item → Advisory[]: one advisory per CVE id, ranges from the embedded OSV block when there
 * is one, else from the prose. Never throws on odd content: whatever the text does not support
 * lowers `parse.confidence` and says why in `parse.warnings`.
 */
import { contentHash } from '../feed/hash.ts';
import type { FeedItem } from '../feed/item.ts';
import type { AffectedRange, Advisory, AdvisoryStatus, Confidence, ParseInfo, ParseSource, Severity } from './types.ts';
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
  severity: Severity;
  vulnerableIf: string | null;
  mitigation: string | null;
  parse: ParseInfo;
}

const CVE_RE = /\bCVE-\d{4}-\d{4,}\b/gi;
const STATUSES: readonly AdvisoryStatus[] = ['open', 'fixed', 'unfixed', 'unknown'];

/** Parses one advisory body. `id` picks that CVE's part of a body announcing several. */
/** No ranges, no components: `confidence: low` with the reason. */
function unparsed(reason: string): BodyResult {
  return {
    components: [], ranges: [], unfixed: false, severity: NO_SEVERITY, vulnerableIf: null, mitigation: null,
    parse: info('none', [{ level: 'low', text: reason }]),
  };
}

export function parseBody(text: string, context: { summary?: string; id?: string } = {}): BodyResult {
  const summary = context.summary?.trim() ?? '';
  const normalized = stripHtmlComments(normalizeNewlines(text));
  const body = context.id ? sectionFor(normalized, context.id) : normalized;
  if (body.trim().length === 0) return unparsed('empty body (placeholder issue)');

  const allLines = toLines(body);
  const allHeads = allLines.map(headingOf);
  const lines = advisoryLines(allLines);
  const heads = allHeads.slice(0, lines.length);
  const vulnerableIf = vulnerableText(lines, heads);
  const mitigation = mitigationText(lines, heads);
  const prose = parseProse(lines, heads, summary);
  const proseSeverity = severityFromLines(lines.map((l) => l.clean));

  const blocks = osvBlocks(body);
  const picked = blocks.length > 0 ? pickOsv(blocks, context.id) : null;
  if (picked && 'record' in picked) {
    const osv = fromOsv(picked.record);
    if (osv.ranges.length > 0 || prose.ranges.length === 0) {
      return {
        components: osv.components,
        ranges: osv.ranges,
        unfixed: prose.unfixed,
        severity: osv.severity ?? proseSeverity,
        vulnerableIf,
        mitigation,
        parse: info('osv-block', osv.warnings),
      };
    }
  }

  const warnings: Warning[] = [];
  if (picked && 'error' in picked) warnings.push({ level: 'medium', text: `${picked.error}; versions taken from the prose` });
  else if (picked) warnings.push({ level: 'medium', text: 'OSV block lists no ranges; versions taken from the prose' });
  warnings.push(...prose.warnings);
  if (prose.ranges.length === 0) {
    if (prose.noImpact) warnings.push({ level: 'medium', text: 'text says Kubernetes is not affected; no ranges' });
    else warnings.push({ level: 'low', text: 'no affected versions stated' });
  }
  return {
    components: prose.components,
    ranges: prose.ranges,
    unfixed: prose.unfixed,
    severity: proseSeverity,
    vulnerableIf,
    mitigation,
    parse: info(prose.ranges.length > 0 ? 'prose' : 'none', warnings),
  };
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
      // Filled by the condition/fix-state rules (issue 8); neutral defaults until then.
      fixState: result.ranges.some((r) => r.fixed !== null) ? 'available' : result.unfixed ? 'pending' : 'available',
      conditions: [],
      componentSource: 'stated',
      placeholder: text.trim().length === 0,
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

function statusOf(given: string | null | undefined, result: BodyResult): { status: AdvisoryStatus; warning: string | null } {
  const hasFix = result.ranges.some((r) => r.fixed !== null);
  const normalized = given?.trim().toLowerCase();
  const known = STATUSES.find((s) => s === normalized);
  if (known) {
    const warning = known === 'fixed' && result.unfixed && !hasFix ? 'feed status is fixed but the text says no fix exists' : null;
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
