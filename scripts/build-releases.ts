/**
 * Generates data/releases.json — the bundled release calendar — from the upstream snapshots in
 * ../shared/data/releases (facts only: versions and dates, in our own structure; no prose).
 *
 *   node scripts/build-releases.ts [--shared DIR] [--out FILE] [--as-of YYYY-MM-DD]
 *
 * Sources:
 * - endoflife-date.kubernetes.md: per minor GA, end of active support, EOL, latest (1.16 …).
 * - endoflife-release-data.kubernetes.json: every tagged version with its date.
 * - kubernetes-website-eol.yaml: EOL date and final patch of older branches (1.2 …), and the
 *   CVE ids of patches shipped after EOL (ids extracted from the notes; the notes themselves stay out).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { releaseDataSchema, type MinorRelease, type ReleaseData } from '../src/releases/schema.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const eolMdSchema = z.object({
  releases: z.array(z.object({
    releaseCycle: z.coerce.string(),
    releaseDate: z.union([z.string(), z.date()]),
    eoas: z.union([z.string(), z.date(), z.boolean()]),
    eol: z.union([z.string(), z.date(), z.boolean()]),
    latest: z.coerce.string(),
    latestReleaseDate: z.union([z.string(), z.date()]),
  })),
});

const releaseDataJsonSchema = z.object({
  versions: z.record(z.string(), z.object({ name: z.string(), date: z.string() })),
});

const websiteEolSchema = z.object({
  branches: z.array(z.object({
    release: z.coerce.string(),
    endOfLifeDate: z.union([z.string(), z.date()]),
    finalPatchRelease: z.coerce.string(),
    note: z.string().optional(),
  })),
});

function day(value: string | Date | boolean): string | null {
  if (typeof value === 'boolean') return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : null;
}

function minorKey(minor: string): number {
  const [maj = 0, min = 0] = minor.split('.').map(Number);
  return maj * 1000 + min;
}

function patchKey(version: string): number {
  const [maj = 0, min = 0, pat = 0] = version.split('.').map(Number);
  return (maj * 1000 + min) * 10_000 + pat;
}

export interface BuildInput {
  endoflifeMarkdown: string;
  releaseDataJson: string;
  websiteEolYaml: string;
  asOf?: string;
  sources: string[];
}

/** Pure: the three upstream texts → our release data. */
export function buildReleaseData(input: BuildInput): ReleaseData {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(input.endoflifeMarkdown);
  if (!front?.[1]) throw new Error('endoflife-date markdown: no front matter');
  const md = eolMdSchema.parse(parseYaml(front[1]));
  const tagged = releaseDataJsonSchema.parse(JSON.parse(input.releaseDataJson));
  const website = websiteEolSchema.parse(parseYaml(input.websiteEolYaml));

  const minors = new Map<string, MinorRelease>();
  const entry = (minor: string): MinorRelease => {
    let m = minors.get(minor);
    if (!m) {
      m = { minor, ga: null, eoas: null, eol: null, latest: null, latestDate: null, finalPatch: null, postEolCves: [], patches: [] };
      minors.set(minor, m);
    }
    return m;
  };

  for (const v of Object.values(tagged.versions)) {
    if (!/^\d+\.\d+\.\d+$/.test(v.name)) continue;
    const minor = v.name.split('.').slice(0, 2).join('.');
    entry(minor).patches.push({ version: v.name, date: v.date.slice(0, 10) });
  }

  for (const b of website.branches) {
    const m = entry(b.release);
    m.eol = day(b.endOfLifeDate);
    m.finalPatch = b.finalPatchRelease;
    m.postEolCves = [...new Set(b.note?.match(/CVE-\d{4}-\d{4,}/g) ?? [])];
  }

  // endoflife.date wins for the dates it has: the live refresh reads the same source.
  for (const r of md.releases) {
    const m = entry(r.releaseCycle);
    m.ga = day(r.releaseDate);
    m.eoas = day(r.eoas);
    m.eol = day(r.eol) ?? m.eol;
    m.latest = r.latest;
    m.latestDate = day(r.latestReleaseDate);
  }

  const dates: string[] = [];
  for (const m of minors.values()) {
    m.patches.sort((a, b) => patchKey(a.version) - patchKey(b.version));
    const first = m.patches.find((p) => p.version === `${m.minor}.0`);
    m.ga ??= first?.date ?? null;
    const last = m.patches.at(-1);
    if (last && (m.latest === null || patchKey(last.version) > patchKey(m.latest))) {
      m.latest = last.version;
      m.latestDate = last.date;
    }
    for (const p of m.patches) dates.push(p.date);
    if (m.latestDate) dates.push(m.latestDate);
  }
  dates.sort();

  const data: ReleaseData = {
    schemaVersion: 1,
    asOf: input.asOf ?? dates.at(-1) ?? '1970-01-01',
    sources: input.sources,
    minors: [...minors.values()].sort((a, b) => minorKey(a.minor) - minorKey(b.minor)),
  };
  return releaseDataSchema.parse(data);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      shared: { type: 'string' },
      out: { type: 'string' },
      'as-of': { type: 'string' },
    },
  });
  const shared = resolve(values.shared ?? process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(REPO_ROOT, '../shared/data'), 'releases');
  const out = resolve(values.out ?? resolve(REPO_ROOT, 'data/releases.json'));
  const read = (name: string) => readFileSync(resolve(shared, name), 'utf8');
  const data = buildReleaseData({
    endoflifeMarkdown: read('endoflife-date.kubernetes.md'),
    releaseDataJson: read('endoflife-release-data.kubernetes.json'),
    websiteEolYaml: read('kubernetes-website-eol.yaml'),
    ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
    sources: [
      'endoflife.date products/kubernetes.md (endoflife-date/endoflife.date)',
      'endoflife.date release-data releases/kubernetes.json (endoflife-date/release-data)',
      'kubernetes/website data/releases/eol.yaml',
    ],
  });
  mkdirSync(dirname(out), { recursive: true });
  // One minor per line: reviewable diffs when the snapshot is regenerated.
  const body = `{\n  "schemaVersion": ${data.schemaVersion},\n  "asOf": ${JSON.stringify(data.asOf)},\n  "sources": ${JSON.stringify(data.sources)},\n  "minors": [\n${data.minors.map((m) => `    ${JSON.stringify(m)}`).join(',\n')}\n  ]\n}\n`;
  writeFileSync(out, body);
  const patches = data.minors.reduce((n, m) => n + m.patches.length, 0);
  process.stdout.write(`${out}: ${data.minors.length} minors, ${patches} patches, as of ${data.asOf}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
