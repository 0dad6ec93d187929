import { describe, expect, it } from 'vitest';
import { escapeText, foldLine, formatUtcStamp, windowsCalendar } from '../../../src/maintenance/ics.ts';
import { environmentWindows, type EnvironmentWindow } from '../../../src/maintenance/occurrences.ts';

const H = 3_600_000;
const NOW = new Date('2026-01-01T09:08:07.654Z');
const octets = (s: string) => Buffer.byteLength(s, 'utf8');

const windows: EnvironmentWindow[] = environmentWindows({
  environments: {
    staging: { window: { rule: '2nd TUE', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] } },
    prod: { window: { rule: '2nd THU', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] }, after: 'staging' },
  },
}, { from: new Date('2026-02-01T00:00:00Z'), count: 2 });

/** Undo folding: CRLF followed by one space joins the lines (RFC 5545 §3.1). */
const unfold = (text: string) => text.replace(/\r\n /g, '');

describe('escapeText', () => {
  it.each([
    ['a, b', 'a\\, b'],
    ['a; b', 'a\\; b'],
    ['C:\\path', 'C:\\\\path'],
    ['one\ntwo\r\nthree\rfour', 'one\\ntwo\\nthree\\nfour'],
    ['\\,;', '\\\\\\,\\;'],
    ['plain: colons stay', 'plain: colons stay'],
  ])('%j → %j', (input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });
});

describe('foldLine', () => {
  it.each([
    ['75 octets: unchanged', 'x'.repeat(75), ['x'.repeat(75)]],
    ['76 octets: one continuation', 'x'.repeat(76), ['x'.repeat(75), ' x']],
    ['200 octets', 'y'.repeat(200), ['y'.repeat(75), ` ${'y'.repeat(74)}`, ` ${'y'.repeat(51)}`]],
  ])('%s', (_label, line, parts) => {
    expect(foldLine(line).split('\r\n')).toEqual(parts);
  });

  it('never splits a multi-byte UTF-8 character and keeps each physical line ≤ 75 octets', () => {
    const line = `DESCRIPTION:${'–'.repeat(40)}${'€'.repeat(10)}😀😀`;
    const physical = foldLine(line).split('\r\n');
    expect(physical.length).toBeGreaterThan(1);
    for (const p of physical) expect(octets(p)).toBeLessThanOrEqual(75);
    expect(physical.slice(1).every((p) => p.startsWith(' '))).toBe(true);
    expect(unfold(foldLine(line))).toBe(line);
    expect(physical.join('')).not.toContain('\uFFFD');
  });
});

describe('formatUtcStamp', () => {
  it.each([
    ['2026-01-13T02:00:00+01:00', '20260113T010000Z'],
    ['2026-10-25T05:00:00+01:00', '20261025T040000Z'],
    ['2026-01-13T23:00:00-08:00', '20260114T070000Z'],
  ])('%s → %s', (iso, stamp) => {
    expect(formatUtcStamp(iso)).toBe(stamp);
  });

  it('formats a Date, dropping milliseconds', () => {
    expect(formatUtcStamp(NOW)).toBe('20260101T090807Z');
  });
});

describe('windowsCalendar', () => {
  const ics = windowsCalendar(windows, { now: NOW });

  it('uses CRLF line endings only, ends with CRLF, and folds at 75 octets', () => {
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of ics.split('\r\n')) expect(octets(line)).toBeLessThanOrEqual(75);
    expect(ics).toMatch(/\r\n [^\r\n]/); // the descriptions are long enough to be folded
  });

  it('wraps one VEVENT per window in a VCALENDAR', () => {
    const lines = unfold(ics).split('\r\n');
    expect(lines.slice(0, 3)).toEqual(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//k8s-advisor//maintenance windows//EN']);
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(4);
    expect(lines.filter((l) => l === 'END:VEVENT')).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith('UID:'))).toEqual([
      'UID:staging-2026-02-10@k8s-advisor', 'UID:prod-2026-02-12@k8s-advisor',
      'UID:staging-2026-03-10@k8s-advisor', 'UID:prod-2026-03-12@k8s-advisor',
    ]);
  });

  it('writes DTSTAMP from now and DTSTART/DTEND in UTC', () => {
    const event = unfold(ics).split('BEGIN:VEVENT')[2] ?? '';
    expect(event).toContain('\r\nDTSTAMP:20260101T090807Z\r\n');
    expect(event).toContain('\r\nDTSTART:20260212T010000Z\r\n');
    expect(event).toContain('\r\nDTEND:20260212T050000Z\r\n');
    expect(event).toContain('\r\nSUMMARY:k8s-advisor maintenance window: prod\r\n');
  });

  it('escapes the description and names the staging window it follows', () => {
    const event = unfold(ics).split('BEGIN:VEVENT')[2] ?? '';
    const description = /\r\nDESCRIPTION:(.*)\r\n/.exec(event)?.[1] ?? '';
    expect(description).toContain('Rule: 2nd THU\\, 4h\\, Europe/Berlin\\, after staging\\n');
    expect(description).toContain('Runs after staging window on Tue 2026-02-10 02:00 (+01:00).');
    expect(description).not.toMatch(/(^|[^\\])[,;]/);
  });

  it('includes the warning in the description of an unordered window', () => {
    const [jan] = environmentWindows({
      environments: {
        staging: { window: { rule: '2nd TUE', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] } },
        prod: { window: { rule: '2nd THU', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] }, after: 'staging' },
      },
    }, { from: '2026-01-01', count: 1, environment: 'prod' });
    expect(unfold(windowsCalendar(jan ? [jan] : [], { now: NOW }))).toContain('\\nWarning: the staging window before this prod window is staging-2025-12-09\\, from an earlier month: no staging window in 2026-01 ends before this one starts');
  });

  it('produces a valid empty calendar', () => {
    expect(windowsCalendar([], { now: NOW })).toBe([
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//k8s-advisor//maintenance windows//EN', 'CALSCALE:GREGORIAN',
      'METHOD:PUBLISH', 'X-WR-CALNAME:k8s-advisor maintenance windows', 'END:VCALENDAR', '',
    ].join('\r\n'));
  });
});
