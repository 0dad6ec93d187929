import { describe, expect, it } from 'vitest';
import {
  environmentWindows, nthWeekdayOfMonth, parseRule, resolveLocalTime, windowOccurrences, type WindowsConfig, type WindowTiming,
} from '../../../src/maintenance/occurrences.ts';

const H = 3_600_000;
const win = (rule: string, start: string, hours: number, timezone: string, exclude: string[] = []): WindowTiming =>
  ({ rule, start, duration: hours * H, timezone, exclude });

const BERLIN_2ND_TUE = win('2nd TUE', '02:00', 4, 'Europe/Berlin');

describe('parseRule / nthWeekdayOfMonth', () => {
  it.each([
    ['2nd TUE', { nth: 2, weekday: 2 }],
    ['last sun', { nth: -1, weekday: 7 }],
    ['1st MON', { nth: 1, weekday: 1 }],
    ['5th fri', { nth: 5, weekday: 5 }],
  ])('parses %s', (rule, expected) => {
    expect(parseRule(rule)).toEqual(expected);
  });

  it('rejects a rule that is not "<ordinal> <weekday>"', () => {
    expect(() => parseRule('every TUE')).toThrow(/not like "2nd TUE"/);
  });

  it.each([
    // year, month, rule, day (2026-01-01 is a Thursday)
    [2026, 1, '1st THU', 1],
    [2026, 1, '2nd TUE', 13],
    [2026, 2, 'last SAT', 28],
    [2026, 2, '4th SAT', 28],
    [2026, 2, '5th SAT', null],
    [2028, 2, '5th TUE', 29], // leap year: February has five Tuesdays
    [2026, 5, 'last SUN', 31],
    [2026, 12, '1st MON', 7],
  ] as const)('%i-%i %s → day %s', (year, month, rule, day) => {
    expect(nthWeekdayOfMonth(year, month, parseRule(rule))).toBe(day);
  });
});

describe('windowOccurrences', () => {
  it('computes "2nd TUE" for a whole year in Europe/Berlin, with the offset following DST', () => {
    const occ = windowOccurrences(BERLIN_2ND_TUE, { from: new Date('2026-01-01T00:00:00Z'), count: 12 });
    expect(occ.map((o) => o.date)).toEqual([
      '2026-01-13', '2026-02-10', '2026-03-10', '2026-04-14', '2026-05-12', '2026-06-09',
      '2026-07-14', '2026-08-11', '2026-09-08', '2026-10-13', '2026-11-10', '2026-12-08',
    ]);
    // Winter (CET, +01:00) until the last Sunday of March, summer (CEST, +02:00) until the last Sunday of October.
    expect(occ.map((o) => o.start.slice(11))).toEqual([
      ...Array<string>(3).fill('02:00:00+01:00'), ...Array<string>(7).fill('02:00:00+02:00'), ...Array<string>(2).fill('02:00:00+01:00'),
    ]);
    expect(occ[0]).toEqual({
      date: '2026-01-13',
      start: '2026-01-13T02:00:00+01:00', end: '2026-01-13T06:00:00+01:00',
      startUtc: '2026-01-13T01:00:00Z', endUtc: '2026-01-13T05:00:00Z',
      durationMs: 4 * H, rule: '2nd TUE', timezone: 'Europe/Berlin', inProgress: false,
    });
    expect(occ[5]).toMatchObject({ startUtc: '2026-06-09T00:00:00Z', endUtc: '2026-06-09T04:00:00Z' });
  });

  it.each([
    ['last SUN', '2026-01-01', 4, ['2026-01-25', '2026-02-22', '2026-03-29', '2026-04-26']],
    ['last SUN', '2026-05-01', 2, ['2026-05-31', '2026-06-28']],
    // Months without a fifth Friday are skipped.
    ['5th FRI', '2026-01-01', 4, ['2026-01-30', '2026-05-29', '2026-07-31', '2026-10-30']],
    ['1st thu', '2026-01-01', 2, ['2026-01-01', '2026-02-05']],
  ])('%s from %s (count %i)', (rule, from, count, dates) => {
    const occ = windowOccurrences(win(rule, '10:00', 2, 'Europe/Berlin'), { from: new Date(`${from}T00:00:00Z`), count });
    expect(occ.map((o) => o.date)).toEqual(dates);
  });

  it.each([
    ['one excluded date', ['2026-12-08'], ['2026-11-10', '2027-01-12', '2027-02-09']],
    ['consecutive freezes', ['2026-11-10', '2026-12-08', '2027-01-12'], ['2027-02-09', '2027-03-09', '2027-04-13']],
    ['a date that is not a window day (no effect)', ['2026-12-09'], ['2026-11-10', '2026-12-08', '2027-01-12']],
  ])('skips excluded dates: %s', (_label, exclude, dates) => {
    const occ = windowOccurrences(win('2nd TUE', '02:00', 4, 'Europe/Berlin', exclude), { from: new Date('2026-11-01T00:00:00Z'), count: 3 });
    expect(occ.map((o) => o.date)).toEqual(dates);
  });

  // DST (RFC 5545 §3.3.5): a skipped local start moves forward by the gap; a repeated one is its
  // first instance; the duration is real elapsed time.
  it.each([
    ['Berlin spring-forward, 02:00 does not exist → 03:00 CEST',
      win('last SUN', '02:00', 4, 'Europe/Berlin'), '2026-03-01',
      { date: '2026-03-29', start: '2026-03-29T03:00:00+02:00', end: '2026-03-29T07:00:00+02:00', startUtc: '2026-03-29T01:00:00Z', endUtc: '2026-03-29T05:00:00Z' }],
    ['Berlin spring-forward, 02:30 → 03:30 CEST',
      win('last SUN', '02:30', 1, 'Europe/Berlin'), '2026-03-01',
      { start: '2026-03-29T03:30:00+02:00', end: '2026-03-29T04:30:00+02:00', startUtc: '2026-03-29T01:30:00Z' }],
    ['Berlin spring-forward, 01:00 + 4h spans the gap and ends at 06:00 CEST (4 real hours)',
      win('last SUN', '01:00', 4, 'Europe/Berlin'), '2026-03-01',
      { start: '2026-03-29T01:00:00+01:00', end: '2026-03-29T06:00:00+02:00', startUtc: '2026-03-29T00:00:00Z', endUtc: '2026-03-29T04:00:00Z' }],
    ['Berlin fall-back, 02:00 happens twice → the first (CEST); 4h ends 05:00 CET',
      win('last SUN', '02:00', 4, 'Europe/Berlin'), '2026-10-01',
      { date: '2026-10-25', start: '2026-10-25T02:00:00+02:00', end: '2026-10-25T05:00:00+01:00', startUtc: '2026-10-25T00:00:00Z', endUtc: '2026-10-25T04:00:00Z' }],
    ['Berlin fall-back, 01:00 + 4h crosses the repeated hour: 4 real hours, 04:00 CET, UTC date the day before',
      win('last SUN', '01:00', 4, 'Europe/Berlin'), '2026-10-01',
      { date: '2026-10-25', start: '2026-10-25T01:00:00+02:00', end: '2026-10-25T04:00:00+01:00', startUtc: '2026-10-24T23:00:00Z', endUtc: '2026-10-25T03:00:00Z' }],
    ['New York spring-forward, 02:30 does not exist → 03:30 EDT',
      win('2nd SUN', '02:30', 2, 'America/New_York'), '2026-03-01',
      { date: '2026-03-08', start: '2026-03-08T03:30:00-04:00', end: '2026-03-08T05:30:00-04:00', startUtc: '2026-03-08T07:30:00Z', endUtc: '2026-03-08T09:30:00Z' }],
    ['New York fall-back, 01:30 happens twice → the first (EDT); 1h later the clock reads 01:30 again',
      win('1st SUN', '01:30', 1, 'America/New_York'), '2026-10-15',
      { date: '2026-11-01', start: '2026-11-01T01:30:00-04:00', end: '2026-11-01T01:30:00-05:00', startUtc: '2026-11-01T05:30:00Z', endUtc: '2026-11-01T06:30:00Z' }],
    ['New York fall-back, 00:00 + 4h ends at 03:00 EST',
      win('1st SUN', '00:00', 4, 'America/New_York'), '2026-10-15',
      { start: '2026-11-01T00:00:00-04:00', end: '2026-11-01T03:00:00-05:00', startUtc: '2026-11-01T04:00:00Z', endUtc: '2026-11-01T08:00:00Z' }],
  ])('%s', (_label, window, from, expected) => {
    const [first] = windowOccurrences(window, { from: new Date(`${from}T00:00:00Z`), count: 1 });
    expect(first).toMatchObject(expected);
    expect(Date.parse(first?.endUtc ?? '') - Date.parse(first?.startUtc ?? '')).toBe(window.duration);
  });

  it.each([
    ['an hour into the window', '2026-01-13T02:00:00Z', '2026-01-13', true],
    ['at its exact start', '2026-01-13T01:00:00Z', '2026-01-13', true],
    ['at its exact end (over)', '2026-01-13T05:00:00Z', '2026-02-10', false],
    ['a minute before it starts', '2026-01-13T00:59:00Z', '2026-01-13', false],
  ])('includes the window in progress at from: %s', (_label, from, date, inProgress) => {
    const [first] = windowOccurrences(BERLIN_2ND_TUE, { from: new Date(from), count: 1 });
    expect(first).toMatchObject({ date, inProgress });
  });

  it('includes a window that started last month and is still running', () => {
    // last SAT of January 2026 = the 31st, 22:00 CET + 6h → 04:00 on 1 February.
    const window = win('last SAT', '22:00', 6, 'Europe/Berlin');
    const occ = windowOccurrences(window, { from: new Date('2026-02-01T01:00:00Z'), count: 2 });
    expect(occ.map((o) => [o.date, o.inProgress])).toEqual([['2026-01-31', true], ['2026-02-28', false]]);
    expect(occ[0]?.end).toBe('2026-02-01T04:00:00+01:00');
  });

  it.each([
    // Local date vs UTC date near midnight.
    ['Los Angeles 23:00 is the next day in UTC', win('2nd TUE', '23:00', 2, 'America/Los_Angeles'),
      { date: '2026-01-13', start: '2026-01-13T23:00:00-08:00', startUtc: '2026-01-14T07:00:00Z', end: '2026-01-14T01:00:00-08:00', endUtc: '2026-01-14T09:00:00Z' }],
    ['Auckland 01:00 is the previous day in UTC', win('1st MON', '01:00', 3, 'Pacific/Auckland'),
      { date: '2026-01-05', start: '2026-01-05T01:00:00+13:00', startUtc: '2026-01-04T12:00:00Z' }],
    ['Kolkata has a half-hour offset', win('1st MON', '00:15', 1, 'Asia/Kolkata'),
      { date: '2026-01-05', start: '2026-01-05T00:15:00+05:30', startUtc: '2026-01-04T18:45:00Z' }],
  ])('%s', (_label, window, expected) => {
    const [first] = windowOccurrences(window, { from: new Date('2026-01-01T00:00:00Z'), count: 1 });
    expect(first).toMatchObject(expected);
  });

  it.each([
    // A YYYY-MM-DD `from` is midnight in the window's own zone.
    ['Berlin, the window day itself', BERLIN_2ND_TUE, '2026-01-13', '2026-01-13', false],
    ['Berlin, the day after', BERLIN_2ND_TUE, '2026-01-14', '2026-02-10', false],
    ['Los Angeles, local midnight falls inside the 23:00 window', win('2nd TUE', '23:00', 2, 'America/Los_Angeles'), '2026-01-14', '2026-01-13', true],
  ])('a date from is local midnight: %s', (_label, window, from, date, inProgress) => {
    const [first] = windowOccurrences(window, { from, count: 1 });
    expect(first).toMatchObject({ date, inProgress });
  });

  it('rejects a malformed date from, returns nothing for count 0', () => {
    expect(() => windowOccurrences(BERLIN_2ND_TUE, { from: '2026-13-01', count: 1 })).toThrow(/not a date/);
    expect(windowOccurrences(BERLIN_2ND_TUE, { from: new Date('2026-01-01T00:00:00Z'), count: 0 })).toEqual([]);
  });

  it('returns the next 120 windows of a sparse rule with many exclusions', () => {
    const exclude = ['2026-01-30', '2026-05-29', '2026-07-31', '2026-10-30'];
    const occ = windowOccurrences(win('5th FRI', '02:00', 4, 'Europe/Berlin', exclude), { from: new Date('2026-01-01T00:00:00Z'), count: 120 });
    expect(occ).toHaveLength(120);
    expect(occ[0]?.date).toBe('2027-01-29');
    expect(occ.every((o) => new Date(`${o.date}T12:00:00Z`).getUTCDay() === 5 && Number(o.date.slice(8)) >= 29)).toBe(true);
  });
});

describe('resolveLocalTime', () => {
  it.each([
    ['ordinary time', { year: 2026, month: 1, day: 13, hour: 2, minute: 0 }, 'Europe/Berlin', '2026-01-13T01:00:00.000Z'],
    ['skipped (gap) → offset before the gap', { year: 2026, month: 3, day: 29, hour: 2, minute: 15 }, 'Europe/Berlin', '2026-03-29T01:15:00.000Z'],
    ['repeated → first instance', { year: 2026, month: 10, day: 25, hour: 2, minute: 59 }, 'Europe/Berlin', '2026-10-25T00:59:00.000Z'],
    ['Lord Howe 30-minute DST, repeated', { year: 2026, month: 4, day: 5, hour: 1, minute: 45 }, 'Australia/Lord_Howe', '2026-04-04T14:45:00.000Z'],
  ])('%s', (_label, local, zone, utc) => {
    expect(resolveLocalTime(local, zone).toUTC().toISO()).toBe(utc);
  });
});

describe('environmentWindows', () => {
  const config = (extra: Partial<WindowsConfig['environments']> = {}): WindowsConfig => ({
    environments: {
      dev: {},
      staging: { window: BERLIN_2ND_TUE },
      prod: { window: win('2nd THU', '02:00', 4, 'Europe/Berlin'), after: 'staging' },
      ...extra,
    },
  });

  it('lists every environment with a window, sorted by start, with stable BullMQ-safe ids', () => {
    const list = environmentWindows(config(), { from: new Date('2026-02-01T00:00:00Z'), count: 2 });
    expect(list.map((w) => w.id)).toEqual(['staging-2026-02-10', 'prod-2026-02-12', 'staging-2026-03-10', 'prod-2026-03-12']);
    expect(list.every((w) => !w.id.includes(':') && !/^\d+$/.test(w.id))).toBe(true);
    expect(list.filter((w) => w.environment === 'staging').every((w) => w.after === undefined && w.warning === undefined)).toBe(true);
  });

  it('pairs each prod window with the latest staging window ending before it; warns when that is not in the same month', () => {
    const prod = environmentWindows(config(), { from: new Date('2026-01-01T00:00:00Z'), count: 4, environment: 'prod' });
    expect(prod.map((w) => [w.id, w.after?.windowId, w.warning ?? null])).toEqual([
      // January: 2nd THU (8th) comes before 2nd TUE (13th); the latest staging window is December's.
      ['prod-2026-01-08', 'staging-2025-12-09', 'the staging window before this prod window is staging-2025-12-09, from an earlier month: no staging window in 2026-01 ends before this one starts'],
      ['prod-2026-02-12', 'staging-2026-02-10', null],
      ['prod-2026-03-12', 'staging-2026-03-10', null],
      ['prod-2026-04-09', 'staging-2026-03-10', 'the staging window before this prod window is staging-2026-03-10, from an earlier month: no staging window in 2026-04 ends before this one starts'],
    ]);
    expect(prod[1]?.after).toEqual({
      environment: 'staging', windowId: 'staging-2026-02-10',
      windowStart: '2026-02-10T02:00:00+01:00', windowEnd: '2026-02-10T06:00:00+01:00',
    });
  });

  it.each([
    ['staging overlaps prod (ends after prod starts)',
      { staging: { window: win('2nd THU', '00:00', 4, 'Europe/Berlin') } }, 'staging-2026-01-08'],
    ['staging excluded this month',
      { staging: { window: win('2nd TUE', '02:00', 4, 'Europe/Berlin', ['2026-02-10']) } }, 'staging-2026-01-13'],
  ])('warns when %s', (_label, extra, pairedWith) => {
    const [feb] = environmentWindows(config(extra), { from: new Date('2026-02-01T00:00:00Z'), count: 1, environment: 'prod' });
    expect(feb).toMatchObject({ id: 'prod-2026-02-12', after: { windowId: pairedWith }, warning: `the staging window before this prod window is ${pairedWith}, from an earlier month: no staging window in 2026-02 ends before this one starts` });
  });

  it('accepts staging finishing exactly when prod starts', () => {
    const extra = { staging: { window: win('2nd THU', '00:00', 2, 'Europe/Berlin') } };
    const [feb] = environmentWindows(config(extra), { from: new Date('2026-02-01T00:00:00Z'), count: 1, environment: 'prod' });
    expect(feb).toMatchObject({ after: { windowId: 'staging-2026-02-12' } });
    expect(feb?.warning).toBeUndefined();
  });

  it('flags every window when the environment it follows has no window', () => {
    const list = environmentWindows(config({ prod: { window: win('2nd THU', '02:00', 4, 'Europe/Berlin'), after: 'dev' } }), {
      from: new Date('2026-02-01T00:00:00Z'), count: 2, environment: 'prod',
    });
    expect(list.map((w) => w.after)).toEqual([
      { environment: 'dev', windowId: null, windowStart: null, windowEnd: null },
      { environment: 'dev', windowId: null, windowStart: null, windowEnd: null },
    ]);
    expect(list.every((w) => w.warning === 'no dev window before this prod window')).toBe(true);
  });

  it('pairs across time zones by instant, and the month cycle by each side\'s local date', () => {
    // Staging in New York on the 2nd Wednesday evening is already Thursday in Berlin, but it ends
    // (Thu 04:00 UTC) after prod starts (Thu 01:00 UTC), so the window before it is last month's.
    const extra = { staging: { window: win('2nd WED', '20:00', 4, 'America/New_York') } };
    const [feb] = environmentWindows(config(extra), { from: new Date('2026-02-01T00:00:00Z'), count: 1, environment: 'prod' });
    expect(feb).toMatchObject({ id: 'prod-2026-02-12', after: { windowId: 'staging-2026-01-14' }, warning: 'the staging window before this prod window is staging-2026-01-14, from an earlier month: no staging window in 2026-02 ends before this one starts' });
  });

  it('returns nothing for an environment without a window or an unknown one', () => {
    expect(environmentWindows(config(), { from: new Date('2026-01-01T00:00:00Z'), count: 3, environment: 'dev' })).toEqual([]);
    expect(environmentWindows(config(), { from: new Date('2026-01-01T00:00:00Z'), count: 3, environment: 'nope' })).toEqual([]);
  });
});
