import { describe, expect, it } from 'vitest';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { DEFAULT_RELEASES_URL, providerUrlsFor, refreshCalendar } from '../../../src/releases/refresh.ts';

interface LogCall { level: 'info' | 'warn'; obj: Record<string, unknown>; msg: string }

function recorder() {
  const calls: LogCall[] = [];
  const logger = {
    info: (obj: Record<string, unknown>, msg: string) => { calls.push({ level: 'info', obj, msg }); },
    warn: (obj: Record<string, unknown>, msg: string) => { calls.push({ level: 'warn', obj, msg }); },
  };
  return { calls, logger: logger as unknown as Parameters<typeof refreshCalendar>[0]['logger'] };
}

type Fetch = typeof globalThis.fetch;

function respond(body: string, status = 200): { fetch: Fetch; urls: string[] } {
  const urls: string[] = [];
  const fetch: Fetch = async (input) => {
    urls.push(String(input));
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, urls };
}

// The v1 shape (schema 1.x): result.releases[] with name, releaseDate, isEoas/eoasFrom, isEol/eolFrom, latest.
function release(name: string, releaseDate: string, eoasFrom: string, eolFrom: string, latest: string, latestDate: string) {
  return {
    name, codename: null, label: name, releaseDate, isLts: false, ltsFrom: null,
    isEoas: false, eoasFrom, isEol: false, eolFrom, isMaintained: true,
    latest: { name: latest, date: latestDate, link: `https://example.invalid/${latest}` },
  };
}

const LIVE = {
  schema_version: '1.2.0',
  generated_at: '2026-11-20T04:00:00+00:00',
  result: {
    name: 'kubernetes',
    releases: [
      release('1.37', '2026-08-26', '2027-08-28', '2027-10-28', '1.37.2', '2026-11-12'),
      release('1.36', '2026-04-22', '2027-04-28', '2027-06-28', '1.36.6', '2026-11-12'),
      release('1.35', '2025-12-17', '2026-12-28', '2027-02-28', '1.35.10', '2026-11-12'),
    ],
  },
};

const bundled = loadBundledCalendar();
const now = new Date('2026-11-22T10:00:00Z');

describe('refreshCalendar', () => {
  it('merges live dates and latest patches over the bundled patch list', async () => {
    const { fetch, urls } = respond(JSON.stringify(LIVE));
    const { calls, logger } = recorder();
    const cal = await refreshCalendar({ fetch, logger, bundled, now, providerUrls: false });
    expect(urls).toEqual([DEFAULT_RELEASES_URL]);
    expect(cal.source).toBe('live');
    expect(cal.asOf).toBe('2026-11-20');
    expect(cal.isStale(now)).toBe(false);
    expect(cal.newestMinor()).toBe('1.37');
    expect(cal.supportedMinors(now)).toEqual(['1.35', '1.36', '1.37']);
    expect(cal.latestPatch('1.36')).toBe('1.36.6');
    // Bundled patches are kept; the live latest is added (the ones in between are unknown).
    expect(cal.patches('1.36').map((p) => p.version)).toEqual(['1.36.0', '1.36.1', '1.36.2', '1.36.3', '1.36.4', '1.36.6']);
    expect(cal.patches('1.37')).toEqual([{ version: '1.37.2', date: '2026-11-12' }]);
    // Minors the API did not return stay as bundled.
    expect(cal.eolDate('1.25')).toBe('2023-10-27');
    expect(cal.postEolCves('1.25')).toEqual(['CVE-2023-5528']);
    expect(calls.map((c) => c.level)).toEqual(['info']);
  });

  it('uses the given URL and `now` when the answer has no generated_at', async () => {
    const { generated_at: _drop, ...rest } = LIVE;
    const { fetch, urls } = respond(JSON.stringify(rest));
    const { logger } = recorder();
    const cal = await refreshCalendar({ fetch, logger, bundled, now, url: 'http://127.0.0.1:1/eol.json' });
    expect(urls).toEqual(['http://127.0.0.1:1/eol.json']);
    expect(cal.asOf).toBe('2026-11-22');
  });

  it.each([
    ['HTTP 503', respond('upstream down', 503).fetch, /HTTP 503/],
    ['an HTML page', respond('<html>hello</html>').fetch, /not JSON/],
    ['another shape', respond(JSON.stringify({ result: { releases: 'soon' } })).fetch, /unexpected response shape at result\.releases/],
    ['an empty list', respond(JSON.stringify({ result: { releases: [] } })).fetch, /unexpected response shape/],
    ['a network error', (async () => { throw new TypeError('fetch failed'); }) as Fetch, /fetch failed/],
  ])('falls back to the bundle on %s, saying why', async (_name, fetch, why) => {
    const { calls, logger } = recorder();
    const cal = await refreshCalendar({ fetch, logger, bundled, now });
    expect(cal).toBe(bundled);
    expect(cal.info(now)).toEqual({ asOf: '2026-08-20', source: 'bundled', stale: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.level).toBe('warn');
    expect(String(calls[0]?.obj.reason)).toMatch(why);
  });

  it('falls back when no answer comes before the timeout', async () => {
    // A fetch that never answers on its own: only the abort signal ends it.
    const hung: Fetch = (_input, init) => new Promise((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason ?? new DOMException('aborted', 'AbortError')));
    });
    const { calls, logger } = recorder();
    const cal = await refreshCalendar({ fetch: hung, logger, bundled, now, timeoutMs: 5 });
    expect(cal).toBe(bundled);
    expect(String(calls[0]?.obj.reason)).toMatch(/no answer within 5 ms/);
  });

  it('loads the bundle itself when none is given', async () => {
    const { logger } = recorder();
    const cal = await refreshCalendar({ fetch: respond('nope', 500).fetch, logger });
    expect(cal.source).toBe('bundled');
    expect(cal.asOf).toBe(bundled.asOf);
  });
});

/** A fake endoflife.date: one body per product path, 404 for the rest. */
function routes(bodies: Record<string, unknown>): { fetch: Fetch; urls: string[] } {
  const urls: string[] = [];
  const fetch: Fetch = async (input) => {
    const url = String(input);
    urls.push(url);
    const product = url.split('/').at(-1) ?? '';
    const body = bodies[product];
    return body === undefined ? new Response('not found', { status: 404 }) : new Response(JSON.stringify(body), { status: 200 });
  };
  return { fetch, urls };
}

function eksCycle(name: string, releaseDate: string, eolFrom: string, eoesFrom: string, latest: string) {
  return { name, releaseDate, isEol: false, eolFrom, isEoes: false, eoesFrom, latest: { name: latest, date: '2026-11-10' } };
}

describe('refreshCalendar: provider calendars', () => {
  it('derives provider URLs only from an endoflife.date-style products URL', () => {
    expect(providerUrlsFor(DEFAULT_RELEASES_URL)).toEqual({
      eks: 'https://endoflife.date/api/v1/products/amazon-eks',
      gke: 'https://endoflife.date/api/v1/products/google-kubernetes-engine',
      aks: 'https://endoflife.date/api/v1/products/azure-kubernetes-service',
      openshift: 'https://endoflife.date/api/v1/products/red-hat-openshift',
    });
    expect(providerUrlsFor('http://127.0.0.1:1/eol.json')).toEqual({});
  });

  it('refreshes the providers that answer and keeps the bundled calendar of the others, saying which failed', async () => {
    const { fetch, urls } = routes({
      kubernetes: LIVE,
      'amazon-eks': { result: { releases: [eksCycle('1.37', '2026-10-20', '2027-12-20', '2028-12-20', '1.37-eks-2'), eksCycle('1.34', '2025-10-06', '2026-12-02', '2027-12-02', '1.34-eks-30')] } },
      'red-hat-openshift': { result: { releases: [{ name: '4.24', releaseDate: '2026-11-01', eoasFrom: '2027-05-01', eolFrom: '2028-05-01', latest: { name: '4.24.1', date: '2026-11-15' } }] } },
    });
    const { calls, logger } = recorder();
    const cal = await refreshCalendar({ fetch, logger, bundled, now });
    expect(urls).toHaveLength(5);
    expect(cal.source).toBe('live');
    expect(cal.providerRelease('eks', '1.37')).toMatchObject({ cycle: '1.37', eol: '2027-12-20', eoes: '2028-12-20', latest: '1.37-eks-2' });
    expect(cal.providerRelease('eks', '1.34')?.latest).toBe('1.34-eks-30');
    // OpenShift 4.24 ships Kubernetes 1.37.
    expect(cal.providerRelease('openshift', '1.37')?.cycle).toBe('4.24');
    // GKE and AKS answered 404: their bundled calendars stay.
    expect(cal.providerRelease('gke', '1.35')?.latest).toBe('1.35.7-gke.1222000');
    expect(cal.providerRelease('aks', '1.34')?.eol).toBe('2026-11-30');
    const warned = calls.filter((c) => c.level === 'warn').map((c) => String(c.obj.url));
    expect(warned).toEqual(['https://endoflife.date/api/v1/products/google-kubernetes-engine', 'https://endoflife.date/api/v1/products/azure-kubernetes-service']);
  });

  it('a provider answer of the wrong shape keeps its bundled calendar and says why', async () => {
    const { fetch } = routes({ kubernetes: LIVE, 'amazon-eks': { result: { releases: 'soon' } } });
    const { calls, logger } = recorder();
    const cal = await refreshCalendar({ fetch, logger, bundled, now });
    expect(cal.providerRelease('eks', '1.34')?.eol).toBe('2026-12-02');
    const eks = calls.find((c) => String(c.obj.url).endsWith('/amazon-eks'));
    expect(eks?.level).toBe('warn');
    expect(String(eks?.obj.reason)).toMatch(/unexpected response shape at result\.releases/);
  });

  it('keeps every bundled provider calendar when the Kubernetes calendar itself fails', async () => {
    const { fetch } = routes({ 'amazon-eks': { result: { releases: [eksCycle('1.37', '2026-10-20', '2027-12-20', '2028-12-20', '1.37-eks-2')] } } });
    const { calls, logger } = recorder();
    const cal = await refreshCalendar({ fetch, logger, bundled, now });
    expect(cal).toBe(bundled);
    expect(cal.providerRelease('eks', '1.37')).toBeNull();
    expect(calls).toHaveLength(1);
  });
});
