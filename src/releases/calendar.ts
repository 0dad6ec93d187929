/**
 * The Kubernetes release calendar: which minors exist, when each went GA, left active support
 * and reached end of life, and every patch with its date. Pure over its data; dates are
 * compared by UTC calendar day ("2027-02-28" means EOL from the start of that day).
 */
import type { ReleaseDataInfo } from '../triage/types.ts';
import { providerSupportOn, type ProviderSupport } from './providers.ts';
import { releaseDataSchema, type ManagedProvider, type MinorRelease, type PatchRelease, type ProviderRelease, type ReleaseData } from './schema.ts';

export type { MinorRelease, PatchRelease, ProviderRelease, ReleaseData };

export const STALE_AFTER_DAYS = 30;

export type ReleaseDataSource = ReleaseDataInfo['source'];

export interface ReleaseCalendar {
  /** Day the data speaks for (YYYY-MM-DD). */
  readonly asOf: string;
  readonly source: ReleaseDataSource;
  /** Every known minor, ascending. */
  minors(): MinorRelease[];
  minor(minor: string): MinorRelease | null;
  /** The newest minor the data knows ("1.36"), or null when empty. */
  newestMinor(): string | null;
  /** GA on or before `on` and not yet end-of-life on `on`. Unknown minors: false. */
  isSupported(minor: string, on: Date): boolean;
  /** Minors supported on `on`, ascending. */
  supportedMinors(on: Date): string[];
  latestPatch(minor: string): string | null;
  /** Every known patch of the minor with its date, ascending. */
  patches(minor: string): PatchRelease[];
  gaDate(minor: string): string | null;
  eoasDate(minor: string): string | null;
  eolDate(minor: string): string | null;
  /** Patches released on or after the minor's EOL date (e.g. 1.25.16 for CVE-2023-5528). */
  postEolPatches(minor: string): PatchRelease[];
  /** CVE ids upstream shipped a post-EOL patch of this minor for. */
  postEolCves(minor: string): string[];
  /** Whole days between `asOf` and `now`. */
  ageDays(now: Date): number;
  /** Older than `maxAgeDays` (default 30). */
  isStale(now: Date, maxAgeDays?: number): boolean;
  info(now: Date): ReleaseDataInfo;
  /** Whether the data holds this managed provider's own calendar. */
  hasProviderCalendar(provider: ManagedProvider): boolean;
  /** The provider's cycle shipping this Kubernetes minor, or null. */
  providerRelease(provider: ManagedProvider, minor: string): ProviderRelease | null;
  /** The provider's support for this minor on `on`: `unknown` when the provider or minor is not in the data. */
  providerSupport(provider: ManagedProvider, minor: string, on: Date): ProviderSupport;
  /** The data behind the calendar (for merging and serialising). */
  data(): ReleaseData;
}

export interface CreateReleaseCalendarOptions {
  source?: ReleaseDataSource;
}

/** ISO calendar day of a Date, in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

function minorNumber(minor: string): number {
  const [maj = 0, min = 0] = minor.split('.').map(Number);
  return maj * 1000 + min;
}

export function createReleaseCalendar(input: ReleaseData, options: CreateReleaseCalendarOptions = {}): ReleaseCalendar {
  const data = releaseDataSchema.parse(input);
  const source = options.source ?? 'bundled';
  const sorted = [...data.minors].sort((a, b) => minorNumber(a.minor) - minorNumber(b.minor));
  const byMinor = new Map(sorted.map((m) => [m.minor, m]));

  const isSupported = (minor: string, on: Date): boolean => {
    const m = byMinor.get(minor);
    if (!m || m.ga === null || m.eol === null) return false;
    const day = isoDay(on);
    return m.ga <= day && day < m.eol;
  };

  const providerIndex = new Map<ManagedProvider, Map<string, ProviderRelease>>();
  for (const [name, releases] of Object.entries(data.providers ?? {}) as [ManagedProvider, ProviderRelease[]][]) {
    providerIndex.set(name, new Map(releases.map((r) => [r.minor, r])));
  }
  const providerRelease = (provider: ManagedProvider, minor: string): ProviderRelease | null => providerIndex.get(provider)?.get(minor) ?? null;

  const ageDays = (now: Date): number => Math.floor((now.getTime() - Date.parse(`${data.asOf}T00:00:00Z`)) / DAY_MS);
  const isStale = (now: Date, maxAgeDays = STALE_AFTER_DAYS): boolean => ageDays(now) > maxAgeDays;

  return {
    asOf: data.asOf,
    source,
    minors: () => [...sorted],
    minor: (minor) => byMinor.get(minor) ?? null,
    newestMinor: () => sorted.at(-1)?.minor ?? null,
    isSupported,
    supportedMinors: (on) => sorted.filter((m) => isSupported(m.minor, on)).map((m) => m.minor),
    latestPatch: (minor) => byMinor.get(minor)?.latest ?? null,
    patches: (minor) => [...(byMinor.get(minor)?.patches ?? [])],
    gaDate: (minor) => byMinor.get(minor)?.ga ?? null,
    eoasDate: (minor) => byMinor.get(minor)?.eoas ?? null,
    eolDate: (minor) => byMinor.get(minor)?.eol ?? null,
    postEolPatches: (minor) => {
      const m = byMinor.get(minor);
      if (!m || m.eol === null) return [];
      const eol = m.eol;
      return m.patches.filter((p) => p.date >= eol);
    },
    postEolCves: (minor) => [...(byMinor.get(minor)?.postEolCves ?? [])],
    ageDays,
    isStale,
    info: (now) => ({ asOf: data.asOf, source, stale: isStale(now) }),
    hasProviderCalendar: (provider) => providerIndex.has(provider),
    providerRelease,
    providerSupport: (provider, minor, on) => {
      const r = providerRelease(provider, minor);
      return r === null ? { state: 'unknown', until: null } : providerSupportOn(r, isoDay(on));
    },
    data: () => data,
  };
}
