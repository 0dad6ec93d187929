import { describe, expect, it } from 'vitest';
import { gateOrder, proposeEmergencySlots, scheduleWindow, type ScheduleConfig } from '../../../src/maintenance/schedule.ts';

const H = 3_600_000;
const NOW = new Date('2026-12-01T10:07:00Z'); // 11:07 in Berlin

const config: ScheduleConfig = {
  environments: {
    staging: { window: { rule: '2nd TUE', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] } },
    prod: {
      window: { rule: 'staging + 2d', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [], gap: 24 * H }, after: 'staging',
      freeze: [{ from: '2026-12-19', to: '2027-01-04', reason: 'year-end' }],
    },
    us: { window: { rule: '1st WED', start: '22:00', duration: 2 * H, timezone: 'America/New_York', exclude: [] } },
    sydney: { window: { rule: '1st SUN', start: '01:00', duration: 3 * H, timezone: 'Australia/Sydney', exclude: [] } },
    dev: {},
  },
  freeze: [{ from: '2026-12-24T00:00+01:00', to: '2026-12-27T00:00+01:00', reason: 'holidays' }],
};

describe('scheduleWindow', () => {
  it.each([
    ['a local time in the environment\'s zone', { environment: 'staging', when: '2026-12-03T14:00', emergency: true },
      { id: 'staging-emergency-2026-12-03T14:00', kind: 'emergency', start: '2026-12-03T14:00:00+01:00', startUtc: '2026-12-03T13:00:00Z', endUtc: '2026-12-03T17:00:00Z', durationMs: 4 * H }],
    ['a one-off with its own duration', { environment: 'prod', when: '2026-12-05T09:30', duration: '90m', emergency: false },
      { id: 'prod-2026-12-05T09:30', kind: 'one-off', startUtc: '2026-12-05T08:30:00Z', endUtc: '2026-12-05T10:00:00Z', durationMs: 90 * 60_000 }],
    ['now, to the minute, in the zone', { environment: 'prod', when: 'now', emergency: true, advisory: 'CVE-2025-1974' },
      { id: 'prod-emergency-2026-12-01T11:07', start: '2026-12-01T11:07:00+01:00', advisory: 'CVE-2025-1974' }],
    ['New York evening is the next day in UTC', { environment: 'us', when: '2026-12-02T22:00', emergency: false },
      { id: 'us-2026-12-02T22:00', start: '2026-12-02T22:00:00-05:00', startUtc: '2026-12-03T03:00:00Z', durationMs: 2 * H }],
    ['Sydney in summer time (+11:00)', { environment: 'sydney', when: '2026-12-06T01:00', emergency: false },
      { id: 'sydney-2026-12-06T01:00', start: '2026-12-06T01:00:00+11:00', startUtc: '2026-12-05T14:00:00Z' }],
    ['an environment without a window: UTC and 2h', { environment: 'dev', when: '2026-12-02T08:00', emergency: false },
      { id: 'dev-2026-12-02T08:00', timezone: 'UTC', startUtc: '2026-12-02T08:00:00Z', durationMs: 2 * H }],
    ['an emergency inside a freeze (allowed, with a warning)', { environment: 'prod', when: '2026-12-22T10:00', emergency: true },
      { id: 'prod-emergency-2026-12-22T10:00', warnings: ['inside a freeze 2026-12-19 – 2027-01-04: year-end: scheduled as an emergency'] }],
    ['a leap day', { environment: 'staging', when: '2028-02-29T10:00', emergency: false, duration: '1h' }, null],
  ] as const)('%s', (_label, request, expected) => {
    const now = request.when.startsWith('2028') ? new Date('2028-02-01T00:00:00Z') : NOW;
    const result = scheduleWindow(request, config, now);
    expect(result.ok).toBe(true);
    if (result.ok && expected !== null) expect(result.window).toMatchObject(expected);
    if (result.ok && expected === null) expect(result.window.id).toBe('staging-2028-02-29T10:00');
  });

  it('moves a start the spring-forward gap skips, and says so (New York, 2027-03-14 02:30)', () => {
    const result = scheduleWindow({ environment: 'us', when: '2027-03-14T02:30', emergency: false }, config, new Date('2027-03-01T00:00:00Z'));
    expect(result).toMatchObject({ ok: true, window: { start: '2027-03-14T03:30:00-04:00', warnings: ['2027-03-14T02:30 does not exist in America/New_York (clocks go forward): the window starts at 03:30'] } });
  });

  it.each([
    ['an unknown environment', { environment: 'qa', when: 'now' }, '"qa" is not an environment (staging, prod, us, sydney, dev)'],
    ['a date without a time', { environment: 'prod', when: '2026-12-03' }, '"2026-12-03" is not a time like 2026-12-03T14:00 (in Europe/Berlin) or "now"'],
    ['an impossible date', { environment: 'prod', when: '2026-02-30T10:00' }, '"2026-02-30T10:00" is not a real date and time'],
    ['no Feb 29 in 2027', { environment: 'prod', when: '2027-02-29T10:00' }, '"2027-02-29T10:00" is not a real date and time'],
    ['hour 24', { environment: 'prod', when: '2026-12-03T24:00' }, '"2026-12-03T24:00" is not a real date and time'],
    ['the past', { environment: 'prod', when: '2026-12-01T10:00' }, '2026-12-01T10:00 (Europe/Berlin) is in the past; use "now" or a later time'],
    ['more than a year ahead', { environment: 'prod', when: '2028-01-01T10:00' }, '2028-01-01T10:00 is more than a year ahead'],
    ['a bad duration', { environment: 'prod', when: 'now', duration: 'two hours' }, '"two hours" is not a duration like 2h or 90m'],
    ['too short', { environment: 'prod', when: 'now', duration: '5m' }, 'a window lasts from 15m to 1d, not 5m'],
    ['too long', { environment: 'prod', when: 'now', duration: '2d' }, 'a window lasts from 15m to 1d, not 2d'],
    ['a one-off inside an environment freeze', { environment: 'prod', when: '2026-12-22T10:00' },
      'that time is inside a freeze 2026-12-19 – 2027-01-04: year-end; only an emergency window may be scheduled then'],
    ['a one-off inside a fleet-wide freeze', { environment: 'staging', when: '2026-12-25T10:00' },
      'that time is inside a fleet-wide freeze 2026-12-24T00:00+01:00 – 2026-12-27T00:00+01:00: holidays; only an emergency window may be scheduled then'],
  ])('refuses %s, saying what to fix', (_label, request, error) => {
    expect(scheduleWindow({ emergency: false, ...request }, config, NOW)).toEqual({ ok: false, error });
  });

  it('accepts a start typed a few minutes late, not one an hour old', () => {
    expect(scheduleWindow({ environment: 'prod', when: '2026-12-01T11:04', emergency: true }, config, NOW).ok).toBe(true);
    expect(scheduleWindow({ environment: 'prod', when: '2026-12-01T10:07', emergency: true }, config, NOW).ok).toBe(false);
  });
});

describe('proposeEmergencySlots', () => {
  it('orders environments staging first (after / relative rules)', () => {
    expect(gateOrder(config, ['prod', 'staging'])).toEqual(['staging', 'prod']);
    expect(gateOrder(config, ['prod'])).toEqual(['prod']);
  });

  it('proposes the next quarter hour at least 30 minutes ahead, and prod after staging ends plus its gap', () => {
    expect(proposeEmergencySlots(config, ['prod', 'staging'], NOW)).toEqual([
      { environment: 'staging', when: '2026-12-01T11:45', durationMs: 4 * H, timezone: 'Europe/Berlin', startUtc: '2026-12-01T10:45:00Z' },
      // staging ends 14:45Z; gap 1d → 2026-12-02 14:45Z = 15:45 Berlin.
      { environment: 'prod', when: '2026-12-02T15:45', durationMs: 4 * H, timezone: 'Europe/Berlin', startUtc: '2026-12-02T14:45:00Z' },
    ]);
  });

  it('proposes prod alone at the earliest slot when staging is not affected (the gate still applies when it opens)', () => {
    expect(proposeEmergencySlots(config, ['prod'], NOW)).toEqual([
      { environment: 'prod', when: '2026-12-01T11:45', durationMs: 4 * H, timezone: 'Europe/Berlin', startUtc: '2026-12-01T10:45:00Z' },
    ]);
  });

  it('every proposal is accepted by scheduleWindow as an emergency', () => {
    for (const slot of proposeEmergencySlots(config, ['prod', 'staging', 'us', 'sydney'], NOW)) {
      expect(scheduleWindow({ environment: slot.environment, when: slot.when, emergency: true }, config, NOW)).toMatchObject({ ok: true, window: { startUtc: slot.startUtc } });
    }
  });
});
