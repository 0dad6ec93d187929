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
 * - endoflife-date.{amazon-eks,google-kubernetes-engine,azure-kubernetes-service,red-hat-openshift}.md:
 *   the managed providers' own calendars (release, end of standard and extended support, latest build).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { kubernetesMinorOfCycle } from '../src/releases/providers.ts';
import { MANAGED_PROVIDERS, PROVIDER_PRODUCTS, releaseDataSchema, type ManagedProvider, type MinorRelease, type ProviderRelease, type ReleaseData } from '../src/releases/schema.ts';

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

const dateLike = z.union([z.string(), z.date(), z.boolean()]).optional();

const providerMdSchema = z.object({
  releases: z.array(z.object({
    releaseCycle: z.coerce.string(),
    releaseDate: dateLike,
    eoas: dateLike,
    eol: dateLike,
    eoes: dateLike,
    latest: z.coerce.string().optional(),
    latestReleaseDate: dateLike,
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

function day(value: string | Date | boolean | undefined): string | null {
  if (value === undefined || typeof value === 'boolean') return null;
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
  /** endoflife.date markdown of each managed provider's product (optional: older snapshots had none). */
  providerMarkdown?: Partial<Record<ManagedProvider, string>>;
  asOf?: string;
  sources: string[];
}

function frontMatter(markdown: string, what: string): unknown {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(markdown);
  if (!front?.[1]) throw new Error(`${what}: no front matter`);
  return parseYaml(front[1]);
}

/** Pure: one provider's endoflife.date markdown → its cycles (newest first, as listed), each with its Kubernetes minor. */
export function buildProviderReleases(provider: ManagedProvider, markdown: string): ProviderRelease[] {
  const md = providerMdSchema.parse(frontMatter(markdown, `endoflife-date.${PROVIDER_PRODUCTS[provider]}.md`));
  const out: ProviderRelease[] = [];
  for (const r of md.releases) {
    const minor = kubernetesMinorOfCycle(provider, r.releaseCycle);
    if (minor === null) continue;
    out.push({
      cycle: r.releaseCycle,
      minor,
      ga: day(r.releaseDate),
      eoas: day(r.eoas),
      eol: day(r.eol),
      eoes: day(r.eoes),
      latest: r.latest ?? null,
      latestDate: day(r.latestReleaseDate),
    });
  }
  return out;
}

/** Pure: the upstream texts → our release data. */
export function buildReleaseData(input: BuildInput): ReleaseData {
  const md = eolMdSchema.parse(frontMatter(input.endoflifeMarkdown, 'endoflife-date markdown'));
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
  const providers: Partial<Record<ManagedProvider, ProviderRelease[]>> = {};
  for (const p of MANAGED_PROVIDERS) {
    const text = input.providerMarkdown?.[p];
    if (text !== undefined) providers[p] = buildProviderReleases(p, text);
  }
  if (Object.keys(providers).length > 0) data.providers = providers;
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
  const providerMarkdown: Partial<Record<ManagedProvider, string>> = {};
  for (const p of MANAGED_PROVIDERS) providerMarkdown[p] = read(`endoflife-date.${PROVIDER_PRODUCTS[p]}.md`);
  const data = buildReleaseData({
    endoflifeMarkdown: read('endoflife-date.kubernetes.md'),
    releaseDataJson: read('endoflife-release-data.kubernetes.json'),
    websiteEolYaml: read('kubernetes-website-eol.yaml'),
    providerMarkdown,
    ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
    sources: [
      'endoflife.date products/kubernetes.md (endoflife-date/endoflife.date)',
      'endoflife.date release-data releases/kubernetes.json (endoflife-date/release-data)',
      'kubernetes/website data/releases/eol.yaml',
      ...MANAGED_PROVIDERS.map((p) => `endoflife.date products/${PROVIDER_PRODUCTS[p]}.md (endoflife-date/endoflife.date)`),
    ],
  });
  mkdirSync(dirname(out), { recursive: true });
  // One minor per line: reviewable diffs when the snapshot is regenerated.
  const providers = Object.entries(data.providers ?? {})
    .map(([p, list]) => `    ${JSON.stringify(p)}: [\n${list.map((r) => `      ${JSON.stringify(r)}`).join(',\n')}\n    ]`);
  const providerBody = providers.length > 0 ? `,\n  "providers": {\n${providers.join(',\n')}\n  }` : '';
  const body = `{\n  "schemaVersion": ${data.schemaVersion},\n  "asOf": ${JSON.stringify(data.asOf)},\n  "sources": ${JSON.stringify(data.sources)},\n  "minors": [\n${data.minors.map((m) => `    ${JSON.stringify(m)}`).join(',\n')}\n  ]${providerBody}\n}\n`;
  writeFileSync(out, body);
  const patches = data.minors.reduce((n, m) => n + m.patches.length, 0);
  const cycles = Object.values(data.providers ?? {}).reduce((n, list) => n + list.length, 0);
  process.stdout.write(`${out}: ${data.minors.length} minors, ${patches} patches, ${cycles} provider cycles, as of ${data.asOf}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
