/**
 * The ```json osv block that announcement issues embed since 2026-01 (OSV 1.6: one `affected`
 * entry per component, SEMVER ranges of introduced / fixed / last_affected events). Read
 * permissively: unknown fields are ignored, odd ones become warnings.
 */
import { z } from 'zod';
import type { AdvisoryCondition, AffectedRange, ComponentSource, Severity } from './types.ts';
import type { Warning } from './prose.ts';
import { normalizeComponentName } from './components.ts';
import { cvss3BaseScore, normalizeVector, ratingOf } from './severity.ts';
import { normalize } from './versions.ts';

const eventSchema = z.object({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

const osvSchema = z.object({
  id: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  severity: z.array(z.object({ type: z.string(), score: z.string() })).optional(),
  affected: z
    .array(
      z.object({
        package: z.object({ ecosystem: z.string().optional(), name: z.string() }),
        ranges: z.array(z.object({ type: z.string(), events: z.array(eventSchema) })).optional(),
        versions: z.array(z.string()).optional(),
        ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
        database_specific: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

export type OsvRecord = z.infer<typeof osvSchema>;

export interface OsvResult {
  components: string[];
  ranges: AffectedRange[];
  severity: Severity | null;
  /** Platform conditions from `ecosystem_specific` / `database_specific` ({ "os": ["windows"] }). */
  conditions: AdvisoryCondition[];
  /** `stated`, or `assumed` when a package is the whole of Kubernetes (k8s.io/kubernetes): which binary is a guess. */
  componentSource: ComponentSource;
  warnings: Warning[];
}

const BLOCK_RE = /^[ \t]{0,3}(`{3,}|~{3,})[ \t]*(?:json[ \t,:]*osv|osv[ \t,:-]*json|osv)[ \t]*\n([\s\S]*?)\n[ \t]{0,3}\1[ \t]*$/gim;

/** Raw JSON texts of every OSV block in the body. */
export function osvBlocks(body: string): string[] {
  return [...body.matchAll(BLOCK_RE)].map((m) => m[2] ?? '');
}

/** Parses one block; null with a reason when it is not usable OSV. */
export function readOsv(json: string): { record: OsvRecord } | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    return { error: `OSV block is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const parsed = osvSchema.safeParse(data);
  if (!parsed.success) return { error: `OSV block does not match the OSV schema (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  return { record: parsed.data };
}

/** The block about `id` when several are embedded, else the first usable one. */
export function pickOsv(blocks: string[], id: string | undefined): { record: OsvRecord } | { error: string } | null {
  const read = blocks.map(readOsv);
  const usable = read.filter((r): r is { record: OsvRecord } => 'record' in r);
  if (id) {
    const match = usable.find((r) => r.record.id === id || (r.record.aliases ?? []).includes(id));
    if (match) return match;
  }
  return usable[0] ?? read[0] ?? null;
}

export function fromOsv(record: OsvRecord): OsvResult {
  const warnings: Warning[] = [];
  const ranges: AffectedRange[] = [];
  const affected = record.affected ?? [];
  if (affected.length === 0) warnings.push({ level: 'low', text: 'OSV block lists no affected packages' });
  for (const entry of affected) {
    if (entry.package.ecosystem && entry.package.ecosystem.toLowerCase() !== 'kubernetes') {
      warnings.push({ level: 'medium', text: `OSV package ${entry.package.name} is in ecosystem ${entry.package.ecosystem}, not Kubernetes` });
    }
    const names = normalizeComponentName(entry.package.name);
    const own: Omit<AffectedRange, 'component'>[] = [];
    for (const range of entry.ranges ?? []) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') {
        warnings.push({ level: 'medium', text: `OSV ${range.type} range for ${entry.package.name} skipped` });
        continue;
      }
      own.push(...eventsToRanges(range.events, entry.package.name, warnings));
    }
    for (const v of entry.versions ?? []) {
      const n = osvVersion(v);
      if (n === null) warnings.push({ level: 'medium', text: `OSV version "${v}" of ${entry.package.name} is not a version` });
      else if (!own.some((r) => r.introduced === n && r.lastAffected === n)) own.push({ introduced: n, lastAffected: n, fixed: null });
    }
    if (own.length === 0) warnings.push({ level: 'medium', text: `OSV entry ${entry.package.name} has no ranges` });
    for (const component of names) for (const r of own) ranges.push({ component, ...r });
  }
  const generic = affected.some((e) => /^(?:(?:https?:\/\/)?(?:github\.com\/)?(?:k8s\.io\/|kubernetes\/)?(?:kubernetes|k8s))$/i.test(e.package.name.trim()));
  return {
    components: [...new Set(ranges.map((r) => r.component))],
    ranges,
    severity: osvSeverity(record),
    conditions: osvConditions(record, warnings),
    componentSource: generic ? 'assumed' : 'stated',
    warnings,
  };
}

const OS_KEY_RE = /^(?:os|oses|platforms?|operating[_-]?systems?|node[_-]?os)$/i;
const GATE_KEY_RE = /^(?:feature[_-]?gates?)$/i;
const VOLUME_KEY_RE = /^(?:volumes?|volume[_-]?types?)$/i;

/**
 * OSV leaves platform data to `ecosystem_specific` / `database_specific`; read the obvious keys.
 * One OS named means "only there"; several (linux and windows) is no condition.
 */
function osvConditions(record: OsvRecord, warnings: Warning[]): AdvisoryCondition[] {
  const out: AdvisoryCondition[] = [];
  const bags: [string, Record<string, unknown> | undefined][] = [
    ['database_specific', record.database_specific],
    ...(record.affected ?? []).flatMap((a): [string, Record<string, unknown> | undefined][] => [
      [`affected[${a.package.name}].ecosystem_specific`, a.ecosystem_specific],
      [`affected[${a.package.name}].database_specific`, a.database_specific],
    ]),
  ];
  for (const [where, bag] of bags) {
    for (const [key, raw] of Object.entries(bag ?? {})) {
      if (!OS_KEY_RE.test(key) && !GATE_KEY_RE.test(key) && !VOLUME_KEY_RE.test(key)) continue;
      const list = Array.isArray(raw) ? raw : [raw];
      const values = list.filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v.length > 0);
      if (values.length !== list.length) warnings.push({ level: 'medium', text: `OSV ${where}.${key} holds values that are not names; ignored` });
      if (values.length === 0) continue;
      const text = `OSV block: ${where}.${key} = ${values.join(', ')}`;
      if (OS_KEY_RE.test(key)) {
        // "Windows Server 2022" is Windows; anything else is named in a warning rather than dropped unseen.
        const oses = [...new Set(values.map((v) => (/windows/i.test(v) ? 'windows' : /linux/i.test(v) ? 'linux' : v)))];
        const unknown = oses.filter((v) => v !== 'windows' && v !== 'linux');
        if (unknown.length > 0) warnings.push({ level: 'medium', text: `OSV ${where}.${key} names an operating system not judged: ${unknown.join(', ')}` });
        else if (oses.length === 1 && oses[0]) out.push({ kind: 'os', value: oses[0], text });
      } else if (GATE_KEY_RE.test(key)) {
        for (const v of values) out.push({ kind: 'feature-gate', value: v, text });
      } else if (VOLUME_KEY_RE.test(key)) {
        for (const v of values) if (/^git[-_]?repo$/i.test(v)) out.push({ kind: 'volume', value: 'gitRepo', text });
      }
    }
  }
  return out;
}

/** introduced/fixed pairs in order; an unclosed introduced means "and every later version". */
function eventsToRanges(events: z.infer<typeof eventSchema>[], name: string, warnings: Warning[]): Omit<AffectedRange, 'component'>[] {
  const out: Omit<AffectedRange, 'component'>[] = [];
  let open: { introduced: string | null } | null = null;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (open) out.push({ introduced: open.introduced, lastAffected: null, fixed: null });
      if (e.introduced === '0') open = { introduced: null };
      else {
        const n = osvVersion(e.introduced);
        if (n === null) warnings.push({ level: 'medium', text: `OSV introduced "${e.introduced}" of ${name} is not a version` });
        open = { introduced: n };
      }
      continue;
    }
    const end = e.fixed ?? e.last_affected;
    if (end === undefined) continue;
    const n = osvVersion(end);
    if (n === null) {
      warnings.push({ level: 'medium', text: `OSV event "${end}" of ${name} is not a version` });
      continue;
    }
    const introduced = open ? open.introduced : null;
    out.push(e.fixed !== undefined ? { introduced, lastAffected: null, fixed: n } : { introduced, lastAffected: n, fixed: null });
    open = null;
  }
  if (open) out.push({ introduced: open.introduced, lastAffected: null, fixed: null });
  return out;
}

function osvVersion(v: string): string | null {
  return normalize(v);
}

function osvSeverity(record: OsvRecord): Severity | null {
  const cvss = (record.severity ?? []).find((s) => /^CVSS_V[34]/i.test(s.type));
  const word = [record.database_specific?.['severity'], ...(record.affected ?? []).map((a) => a.database_specific?.['severity'])].find(
    (s): s is string => typeof s === 'string',
  );
  if (!cvss && !word) return null;
  const vector = cvss ? normalizeVector(cvss.score.trim()) : null;
  const score = vector ? cvss3BaseScore(vector) : null;
  const lowered = word?.toLowerCase();
  const rating =
    lowered === 'low' || lowered === 'medium' || lowered === 'high' || lowered === 'critical' || lowered === 'none'
      ? lowered
      : lowered === 'moderate'
        ? 'medium'
        : score === null
          ? null
          : ratingOf(score);
  return { rating, score, vector };
}
