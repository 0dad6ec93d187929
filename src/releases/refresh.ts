/**
 * Refresh the release calendar from endoflife.date's API (v1). The API gives per-minor dates
 * and the latest patch; the bundled snapshot gives every patch. Any failure (network, timeout,
 * HTTP status, not JSON, unexpected shape) falls back to the bundle and logs why.
 *
 * The managed providers' calendars (amazon-eks, google-kubernetes-engine, azure-kubernetes-service,
 * red-hat-openshift) are fetched beside it from the same API when the Kubernetes URL is an
 * endoflife.date-style `…/products/kubernetes`; each one that fails keeps its bundled calendar.
 */
import type { Logger } from '../log.ts';
import { errorMessage } from '../errors.ts';
import { createReleaseCalendar, isoDay, type ReleaseCalendar } from './calendar.ts';
import { loadBundledCalendar } from './bundled.ts';
import { providerReleasesFromApi } from './providers.ts';
import {
  endoflifeProductSchema, MANAGED_PROVIDERS, PROVIDER_PRODUCTS, releaseDataSchema,
  type EndoflifeProduct, type ManagedProvider, type MinorRelease, type ProviderRelease, type ReleaseData,
} from './schema.ts';

export const DEFAULT_RELEASES_URL = 'https://endoflife.date/api/v1/products/kubernetes';
/** The answer is a few tens of kB; anything far larger is not what we asked for. */
const MAX_BYTES = 2 * 1024 * 1024;

type Fetch = typeof globalThis.fetch;

export interface RefreshCalendarOptions {
  fetch: Fetch;
  url?: string;
  timeoutMs?: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** The fallback and the source of per-patch data; default: the bundled snapshot. */
  bundled?: ReleaseCalendar;
  /** "As of" when the response has no `generated_at`; default: the current time. */
  now?: Date;
  /**
   * Provider calendar URLs; default: derived from `url` when it ends in `/products/kubernetes`
   * (`…/products/amazon-eks` …), none otherwise. `false`: do not refresh provider calendars.
   */
  providerUrls?: Partial<Record<ManagedProvider, string>> | false;
}

/** `…/products/kubernetes` → the same API's provider products; {} for any other URL. */
export function providerUrlsFor(url: string): Partial<Record<ManagedProvider, string>> {
  const m = /^(https?:\/\/.+\/products\/)kubernetes\/?$/.exec(url);
  if (!m) return {};
  const out: Partial<Record<ManagedProvider, string>> = {};
  for (const p of MANAGED_PROVIDERS) out[p] = `${m[1]}${PROVIDER_PRODUCTS[p]}`;
  return out;
}

type Fetched = { ok: true; product: EndoflifeProduct; generated: string | null } | { ok: false; reason: string };

async function fetchProduct(fetch: Fetch, url: string, timeoutMs: number): Promise<Fetched> {
  let text: string;
  try {
    const res = await fetch(url, {
      headers: { accept: 'application/json', 'user-agent': 'k8s-advisor' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return { ok: false, reason: `HTTP ${res.status}` };
    text = await res.text();
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    return { ok: false, reason: name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : errorMessage(err) };
  }
  if (text.length > MAX_BYTES) return { ok: false, reason: `response larger than ${MAX_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'response is not JSON' };
  }
  const parsed = endoflifeProductSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: `unexpected response shape${first ? ` at ${first.path.join('.') || '(root)'}: ${first.message}` : ''}` };
  }
  const generated = parsed.data.generated_at && /^\d{4}-\d{2}-\d{2}/.test(parsed.data.generated_at) ? parsed.data.generated_at.slice(0, 10) : null;
  return { ok: true, product: parsed.data, generated };
}

/** Pure: live provider calendars over the bundled ones (a provider not refreshed keeps its bundled calendar). */
export function mergeProviderCalendars(
  data: ReleaseData, live: Partial<Record<ManagedProvider, ProviderRelease[]>>,
): ReleaseData {
  const providers: Partial<Record<ManagedProvider, ProviderRelease[]>> = { ...(data.providers ?? {}) };
  const refreshed: string[] = [];
  for (const p of MANAGED_PROVIDERS) {
    const list = live[p];
    if (list === undefined || list.length === 0) continue;
    providers[p] = list;
    refreshed.push(PROVIDER_PRODUCTS[p]);
  }
  if (refreshed.length === 0) return data;
  return releaseDataSchema.parse({ ...data, sources: [...data.sources, `endoflife.date API v1 (live): ${refreshed.join(', ')}`], providers });
}

function patchKey(version: string): number {
  const [maj = 0, min = 0, pat = 0] = version.split('.').map(Number);
  return (maj * 1000 + min) * 10_000 + pat;
}

function minorKey(minor: string): number {
  const [maj = 0, min = 0] = minor.split('.').map(Number);
  return maj * 1000 + min;
}

/** Pure: live per-minor facts over the bundled data (patch lists kept, newer latest patches added). */
export function mergeLiveReleases(bundled: ReleaseData, live: EndoflifeProduct, asOf: string): ReleaseData {
  const minors = new Map<string, MinorRelease>(bundled.minors.map((m) => [m.minor, { ...m, patches: [...m.patches], postEolCves: [...m.postEolCves] }]));
  for (const r of live.result.releases) {
    const m = minors.get(r.name) ?? {
      minor: r.name, ga: null, eoas: null, eol: null, latest: null, latestDate: null, finalPatch: null, postEolCves: [], patches: [],
    };
    m.ga = r.releaseDate ?? m.ga;
    m.eoas = r.eoasFrom ?? m.eoas;
    m.eol = r.eolFrom ?? m.eol;
    const latest = r.latest?.name.replace(/^v/, '') ?? null;
    if (latest && /^\d+\.\d+\.\d+$/.test(latest) && (m.latest === null || patchKey(latest) >= patchKey(m.latest))) {
      m.latest = latest;
      m.latestDate = r.latest?.date ?? m.latestDate;
      if (m.latestDate && !m.patches.some((p) => p.version === latest)) {
        m.patches.push({ version: latest, date: m.latestDate });
        m.patches.sort((a, b) => patchKey(a.version) - patchKey(b.version));
      }
    }
    minors.set(r.name, m);
  }
  return releaseDataSchema.parse({
    schemaVersion: 1,
    asOf,
    sources: [...bundled.sources, 'endoflife.date API v1 (live)'],
    minors: [...minors.values()].sort((a, b) => minorKey(a.minor) - minorKey(b.minor)),
    ...(bundled.providers ? { providers: bundled.providers } : {}),
  });
}

export async function refreshCalendar(options: RefreshCalendarOptions): Promise<ReleaseCalendar> {
  const url = options.url ?? DEFAULT_RELEASES_URL;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const bundled = options.bundled ?? loadBundledCalendar();
  const fallback = (reason: string): ReleaseCalendar => {
    options.logger.warn({ url, reason, asOf: bundled.asOf }, 'release calendar refresh failed; using the bundled snapshot');
    return bundled;
  };

  const providerUrls = options.providerUrls === false ? {} : options.providerUrls ?? providerUrlsFor(url);
  const providerJobs = MANAGED_PROVIDERS.flatMap((p) => {
    const u = providerUrls[p];
    return u === undefined ? [] : [{ provider: p, url: u, answer: fetchProduct(options.fetch, u, timeoutMs) }];
  });
  const main = await fetchProduct(options.fetch, url, timeoutMs);
  // The provider answers never reject (fetchProduct catches): left unread when the main one failed.
  if (!main.ok) return fallback(main.reason);
  const liveProviders: Partial<Record<ManagedProvider, ProviderRelease[]>> = {};
  for (const job of providerJobs) {
    const answer = await job.answer;
    const list = answer.ok ? providerReleasesFromApi(job.provider, answer.product) : [];
    if (answer.ok && list.length > 0) liveProviders[job.provider] = list;
    else {
      const reason = answer.ok ? 'no cycle maps to a Kubernetes minor' : answer.reason;
      options.logger.warn({ url: job.url, reason }, 'provider calendar refresh failed; keeping the bundled one');
    }
  }

  const generated = main.generated ?? isoDay(options.now ?? new Date());
  try {
    const merged = mergeProviderCalendars(mergeLiveReleases(bundled.data(), main.product, generated), liveProviders);
    const calendar = createReleaseCalendar(merged, { source: 'live' });
    options.logger.info({ url, asOf: calendar.asOf, minors: merged.minors.length, providers: Object.keys(liveProviders) }, 'release calendar refreshed');
    return calendar;
  } catch (err) {
    return fallback(`could not merge the response: ${errorMessage(err)}`);
  }
}
