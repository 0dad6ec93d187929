import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReleaseCalendar, isoDay } from '../../../src/releases/calendar.ts';
import { BUNDLED_RELEASES_PATH, loadBundledCalendar } from '../../../src/releases/bundled.ts';
import type { ReleaseData } from '../../../src/releases/schema.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const calendar = loadBundledCalendar();
const at = (day: string) => new Date(`${day}T12:00:00Z`);

describe('bundled calendar', () => {
  it('is read from data/releases.json at the package root', () => {
    expect(BUNDLED_RELEASES_PATH).toBe(resolve(REPO_ROOT, 'data/releases.json'));
    expect(calendar.source).toBe('bundled');
    expect(calendar.asOf).toBe('2026-08-20');
  });

  it('knows every minor from 1.0 to 1.36, ascending', () => {
    const minors = calendar.minors().map((m) => m.minor);
    expect(minors[0]).toBe('1.0');
    expect(minors.at(-1)).toBe('1.36');
    expect(minors).toContain('1.9');
    expect(minors.indexOf('1.9')).toBeLessThan(minors.indexOf('1.10'));
    expect(calendar.newestMinor()).toBe('1.36');
  });

  it.each([
    // minor, GA, end of active support, EOL, latest
    ['1.36', '2026-04-22', '2027-04-28', '2027-06-28', '1.36.4'],
    ['1.34', '2025-08-27', '2026-08-27', '2026-10-27', '1.34.11'],
    ['1.29', '2023-12-13', '2024-12-28', '2025-02-28', '1.29.15'],
    ['1.25', '2022-08-23', '2023-08-27', '2023-10-27', '1.25.16'],
    ['1.17', '2019-12-07', null, '2020-12-25', '1.17.17'],
    ['1.15', '2019-06-19', null, '2020-05-06', '1.15.12'],
  ])('%s: GA %s, EOAS %s, EOL %s, latest %s', (minor, ga, eoas, eol, latest) => {
    expect(calendar.gaDate(minor)).toBe(ga);
    expect(calendar.eoasDate(minor)).toBe(eoas);
    expect(calendar.eolDate(minor)).toBe(eol);
    expect(calendar.latestPatch(minor)).toBe(latest);
  });

  it('lists every patch of a minor with its date, ascending', () => {
    const patches = calendar.patches('1.27');
    expect(patches).toHaveLength(17);
    expect(patches[0]).toEqual({ version: '1.27.0', date: '2023-04-11' });
    expect(patches.at(-1)).toEqual({ version: '1.27.16', date: '2024-07-17' });
    expect(calendar.patches('1.99')).toEqual([]);
  });

  it.each([
    ['1.25', ['1.25.16'], ['CVE-2023-5528']],
    ['1.24', ['1.24.17'], ['CVE-2023-3676', 'CVE-2023-3955']],
    ['1.22', ['1.22.16', '1.22.17'], []],
    ['1.29', ['1.29.15'], []],
    ['1.36', [], []],
  ])('post-EOL patches of %s', (minor, versions, cves) => {
    expect(calendar.postEolPatches(minor).map((p) => p.version)).toEqual(versions);
    expect(calendar.postEolCves(minor)).toEqual(cves);
  });

  it.each([
    // day, supported minors
    ['2026-11-22', ['1.35', '1.36']],
    ['2026-08-20', ['1.34', '1.35', '1.36']],
    ['2026-10-26', ['1.34', '1.35', '1.36']],
    ['2026-10-27', ['1.35', '1.36']],
    ['2023-06-15', ['1.24', '1.25', '1.26', '1.27']],
    ['2024-11-20', ['1.29', '1.30', '1.31']],
    ['2015-07-09', []],
  ])('supported on %s: %j', (day, minors) => {
    expect(calendar.supportedMinors(at(day))).toEqual(minors);
  });

  it.each([
    ['1.36', '2026-04-21', false], // before GA
    ['1.36', '2026-04-22', true],
    ['1.34', '2026-10-26', true], // last day before EOL
    ['1.34', '2026-10-27', false], // EOL from this day on
    ['1.0', '2015-08-01', false], // no EOL date known: never claimed supported
    ['1.99', '2026-11-22', false],
  ] as const)('isSupported(%s, %s) = %s', (minor, day, want) => {
    expect(calendar.isSupported(minor, at(day))).toBe(want);
  });

  it.each([
    ['2026-08-20', 0, false],
    ['2026-09-19', 30, false],
    ['2026-09-20', 31, true],
    ['2026-11-22', 94, true],
  ] as const)('on %s the data is %i days old, stale: %s', (day, age, stale) => {
    expect(calendar.ageDays(at(day))).toBe(age);
    expect(calendar.isStale(at(day))).toBe(stale);
    expect(calendar.info(at(day))).toEqual({ asOf: '2026-08-20', source: 'bundled', stale });
  });

  it('honours a custom staleness limit', () => {
    expect(calendar.isStale(at('2026-08-25'), 3)).toBe(true);
  });
});

describe('createReleaseCalendar', () => {
  const tiny: ReleaseData = {
    schemaVersion: 1,
    asOf: '2030-01-01',
    sources: ['test'],
    minors: [
      { minor: '1.41', ga: '2029-08-01', eoas: '2030-08-28', eol: '2030-10-28', latest: '1.41.1', latestDate: '2029-09-01', finalPatch: null, postEolCves: [], patches: [{ version: '1.41.0', date: '2029-08-01' }, { version: '1.41.1', date: '2029-09-01' }] },
      { minor: '1.40', ga: '2029-04-01', eoas: '2030-04-28', eol: '2030-06-28', latest: '1.40.0', latestDate: '2029-04-01', finalPatch: null, postEolCves: [], patches: [{ version: '1.40.0', date: '2029-04-01' }] },
    ],
  };

  it('sorts minors and answers from its data', () => {
    const c = createReleaseCalendar(tiny, { source: 'live' });
    expect(c.minors().map((m) => m.minor)).toEqual(['1.40', '1.41']);
    expect(c.supportedMinors(at('2030-07-01'))).toEqual(['1.41']);
    expect(c.info(at('2030-01-02'))).toEqual({ asOf: '2030-01-01', source: 'live', stale: false });
  });

  it('rejects data that is not release data', () => {
    expect(() => createReleaseCalendar({ ...tiny, asOf: 'yesterday' })).toThrow();
  });

  it('isoDay is the UTC calendar day', () => {
    expect(isoDay(new Date('2026-11-22T23:30:00-05:00'))).toBe('2026-11-23');
  });

  it('the bundled file is one minor per line (reviewable diffs)', () => {
    const text = readFileSync(BUNDLED_RELEASES_PATH, 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('    {"minor"'))).toHaveLength(calendar.minors().length);
  });
});
