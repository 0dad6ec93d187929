import { describe, expect, it } from 'vitest';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { DEFAULT_RELEASES_URL, refreshCalendar } from '../../../src/releases/refresh.ts';

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
    const cal = await refreshCalendar({ fetch, logger, bundled, now });
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
