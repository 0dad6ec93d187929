import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import type { FreezeConfig } from '../../../src/config/schema.ts';
import { ConfigError } from '../../../src/errors.ts';
import {
  environmentWindows, parseRelativeRule, windowOccurrences, type WindowsConfig, type WindowTiming,
} from '../../../src/maintenance/occurrences.ts';

const H = 3_600_000;
const win = (rule: string, start: string, hours: number, timezone: string, exclude: string[] = []): WindowTiming =>
  ({ rule, start, duration: hours * H, timezone, exclude });

describe('relative rules ("staging + 2d")', () => {
  it.each([
    ['staging + 2d', { environment: 'staging', days: 2 }],
    ['Staging+0d', { environment: 'staging', days: 0 }],
    ['pre-prod + 14d', { environment: 'pre-prod', days: 14 }],
    ['2nd TUE', null],
  ])('parses %s', (rule, expected) => {
    expect(parseRelativeRule(rule)).toEqual(expected);
  });

  it('refuses a relative rule where it needs another environment', () => {
    expect(() => windowOccurrences(win('staging + 2d', '02:00', 4, 'UTC'), { from: '2026-01-01', count: 1 })).toThrow(/relative to another environment/);
  });

  // base rule, base zone, days, own start, own zone, from, expected { date, start (local), startUtc }
  it.each([
    ['Berlin, Tuesday + 2d is Thursday', '2nd TUE', 'Europe/Berlin', 2, '02:00', 'Europe/Berlin', '2026-01-01',
      { date: '2026-01-15', start: '2026-01-15T02:00:00+01:00', startUtc: '2026-01-15T01:00:00Z' }],
    ['leap year: last SAT of Feb 2028 + 3d is Feb 29', 'last SAT', 'UTC', 3, '10:00', 'UTC', '2028-02-20',
      { date: '2028-02-29', start: '2028-02-29T10:00:00Z', startUtc: '2028-02-29T10:00:00Z' }],
    ['no leap year: last SAT of Feb 2027 + 3d is Mar 2', 'last SAT', 'UTC', 3, '10:00', 'UTC', '2027-02-20',
      { date: '2027-03-02', start: '2027-03-02T10:00:00Z', startUtc: '2027-03-02T10:00:00Z' }],
    ['year crossing in UTC: last SUN of Dec 2026 + 5d', 'last SUN', 'UTC', 5, '06:00', 'UTC', '2026-12-20',
      { date: '2027-01-01', start: '2027-01-01T06:00:00Z', startUtc: '2027-01-01T06:00:00Z' }],
    ['Sydney spring-forward: 02:30 on 2026-10-04 does not exist → 03:30 AEDT', '1st FRI', 'Australia/Sydney', 2, '02:30', 'Australia/Sydney', '2026-10-01',
      { date: '2026-10-04', start: '2026-10-04T03:30:00+11:00', startUtc: '2026-10-03T16:30:00Z' }],
    ['New York spring-forward: 02:00 on 2027-03-14 → 03:00 EDT', '2nd FRI', 'America/New_York', 2, '02:00', 'America/New_York', '2027-03-01',
      { date: '2027-03-14', start: '2027-03-14T03:00:00-04:00', startUtc: '2027-03-14T07:00:00Z' }],
    ['Berlin fall-back: 02:00 on 2026-10-25 is the first one (CEST)', '4th FRI', 'Europe/Berlin', 2, '02:00', 'Europe/Berlin', '2026-10-01',
      { date: '2026-10-25', start: '2026-10-25T02:00:00+02:00', startUtc: '2026-10-25T00:00:00Z' }],
    ['the base\'s local date counts, then the own zone: New York Tuesday 23:00 + 1d in Berlin', '2nd TUE', 'America/New_York', 1, '09:00', 'Europe/Berlin', '2026-01-01',
      { date: '2026-01-14', start: '2026-01-14T09:00:00+01:00', startUtc: '2026-01-14T08:00:00Z' }],
  ])('%s', (_label, baseRule, baseZone, days, start, zone, from, expected) => {
    const config: WindowsConfig = {
      environments: {
        staging: { window: win(baseRule, baseZone === 'America/New_York' && days === 1 ? '23:00' : '02:00', 4, baseZone) },
        prod: { window: win(`staging + ${days}d`, start, 4, zone), after: 'staging' },
      },
    };
    const [first] = environmentWindows(config, { from, count: 1, environment: 'prod' });
    expect(first).toMatchObject({ id: `prod-${expected.date}`, ...expected, rule: `staging + ${days}d` });
  });

  it('pairs a relative window with the window it follows, without a month warning across months', () => {
    const config: WindowsConfig = {
      environments: { staging: { window: win('last SUN', '06:00', 4, 'UTC') }, prod: { window: win('staging + 5d', '06:00', 4, 'UTC'), after: 'staging' } },
    };
    const list = environmentWindows(config, { from: '2026-12-20', count: 2, environment: 'prod' });
    expect(list.map((w) => [w.id, w.after?.windowId, w.warning ?? null])).toEqual([
      ['prod-2027-01-01', 'staging-2026-12-27', null],
      ['prod-2027-02-05', 'staging-2027-01-31', null],
    ]);
  });

  it('follows a chain (qa + 1d, prod = staging + 2d) and skips its own excluded dates', () => {
    const config: WindowsConfig = {
      environments: {
        qa: { window: win('1st MON', '08:00', 2, 'UTC') },
        staging: { window: win('qa + 1d', '08:00', 2, 'UTC') },
        prod: { window: win('staging + 2d', '08:00', 2, 'UTC', ['2026-02-05']) },
      },
    };
    // 1st MON: 2026-01-05, 2026-02-02, 2026-03-02 → staging Tue → prod Thu; February's prod is excluded.
    expect(environmentWindows(config, { from: '2026-01-01', count: 2, environment: 'prod' }).map((w) => w.id)).toEqual(['prod-2026-01-08', 'prod-2026-03-05']);
  });

  it('fixes the examples/fleet.yaml pairing: prod two days after staging is always paired in the same cycle', () => {
    const config: WindowsConfig = {
      environments: { staging: { window: win('2nd TUE', '02:00', 4, 'Europe/Berlin') }, prod: { window: win('staging + 2d', '02:00', 4, 'Europe/Berlin'), after: 'staging' } },
    };
    const list = environmentWindows(config, { from: '2027-01-01', count: 12, environment: 'prod' });
    expect(list).toHaveLength(12);
    expect(list.every((w) => w.warning === undefined && w.after?.windowId === `staging-${shiftDays(w.date, -2)}`)).toBe(true);
  });
});

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

describe('freezes', () => {
  const yearEnd: FreezeConfig = { from: '2026-12-01', to: '2027-01-06', reason: 'year-end freeze' };
  const base = (freeze: { prod?: FreezeConfig[]; staging?: FreezeConfig[]; fleet?: FreezeConfig[] } = {}): WindowsConfig => ({
    environments: {
      staging: { window: win('2nd TUE', '02:00', 4, 'Europe/Berlin'), freeze: freeze.staging ?? [] },
      prod: { window: win('2nd THU', '02:00', 4, 'Europe/Berlin'), after: 'staging', freeze: freeze.prod ?? [] },
    },
    freeze: freeze.fleet ?? [],
  });

  it.each([
    ['an environment freeze skips its windows; the next one says why',
      { prod: [yearEnd] }, 'prod', ['prod-2026-11-12', 'prod-2027-01-14'],
      { 'prod-2027-01-14': [{ id: 'prod-2026-12-10', date: '2026-12-10', reason: 'freeze 2026-12-01 – 2027-01-06: year-end freeze' }] }],
    ['a fleet-wide freeze skips every environment',
      { fleet: [yearEnd] }, 'staging', ['staging-2026-11-10', 'staging-2027-01-12'],
      { 'staging-2027-01-12': [{ id: 'staging-2026-12-08', date: '2026-12-08', reason: 'fleet-wide freeze 2026-12-01 – 2027-01-06: year-end freeze' }] }],
    ['a freeze of one environment leaves the others alone',
      { prod: [yearEnd] }, 'staging', ['staging-2026-11-10', 'staging-2026-12-08'], {}],
    ['a freeze given as instants skips a window it overlaps by an hour',
      { prod: [{ from: '2026-11-12T05:00+01:00', to: '2026-11-12T09:00+01:00', reason: 'data-centre move' }] }, 'prod', ['prod-2026-12-10', 'prod-2027-01-14'],
      { 'prod-2026-12-10': [{ id: 'prod-2026-11-12', date: '2026-11-12', reason: 'freeze 2026-11-12T05:00+01:00 – 2026-11-12T09:00+01:00: data-centre move' }] }],
    ['a freeze starting exactly when the window ends does not touch it',
      { prod: [{ from: '2026-11-12T06:00+01:00', to: '2026-11-12T09:00+01:00', reason: 'after hours' }] }, 'prod', ['prod-2026-11-12', 'prod-2026-12-10'], {}],
    ['two freezes in a row: the next window lists both',
      { prod: [{ from: '2026-11-12', to: '2026-11-12', reason: 'release day' }, yearEnd] }, 'prod', ['prod-2027-01-14', 'prod-2027-02-11'],
      { 'prod-2027-01-14': [
        { id: 'prod-2026-11-12', date: '2026-11-12', reason: 'freeze 2026-11-12: release day' },
        { id: 'prod-2026-12-10', date: '2026-12-10', reason: 'freeze 2026-12-01 – 2027-01-06: year-end freeze' },
      ] }],
  ])('%s', (_label, freeze, env, ids, skipped) => {
    const list = environmentWindows(base(freeze), { from: '2026-11-01', count: 2, environment: env });
    expect(list.map((w) => w.id)).toEqual(ids);
    for (const w of list) expect(w.skipped).toEqual((skipped as Record<string, unknown>)[w.id]);
  });

  it('reads a freeze date in the window\'s own zone (00:30 Berlin is the previous day in UTC)', () => {
    const config: WindowsConfig = {
      environments: { prod: { window: win('2nd THU', '00:30', 2, 'Europe/Berlin'), freeze: [{ from: '2026-12-10', to: '2026-12-10', reason: 'audit' }] } },
    };
    const [first] = environmentWindows(config, { from: '2026-12-01', count: 1 });
    expect(first).toMatchObject({ id: 'prod-2027-01-14', skipped: [{ id: 'prod-2026-12-10', reason: 'freeze 2026-12-10: audit' }] });
  });

  it('skips a relative window whose base window is frozen, saying which, and pairs past frozen windows', () => {
    const config: WindowsConfig = {
      environments: {
        staging: { window: win('2nd TUE', '02:00', 4, 'Europe/Berlin'), freeze: [yearEnd] },
        prod: { window: win('staging + 2d', '02:00', 4, 'Europe/Berlin'), after: 'staging' },
      },
    };
    const list = environmentWindows(config, { from: '2026-11-20', count: 1, environment: 'prod' });
    expect(list).toEqual([expect.objectContaining({
      id: 'prod-2027-01-14', after: expect.objectContaining({ windowId: 'staging-2027-01-12' }),
      skipped: [{ id: 'prod-2026-12-10', date: '2026-12-10', reason: 'staging-2026-12-08, which it follows, does not take place (freeze 2026-12-01 – 2027-01-06: year-end freeze)' }],
    })]);
    expect(list[0]?.warning).toBeUndefined();
  });

  it('never pairs a prod window with a frozen staging window', () => {
    const list = environmentWindows(base({ staging: [{ from: '2026-12-08', to: '2026-12-08', reason: 'staging rebuild' }] }), { from: '2026-12-01', count: 1, environment: 'prod' });
    expect(list[0]).toMatchObject({ id: 'prod-2026-12-10', after: { windowId: 'staging-2026-11-10' } });
    expect(list[0]?.warning).toMatch(/is staging-2026-11-10, from an earlier month/);
  });
});

describe('window config keys', () => {
  const text = (prod: string, top = '') => `
environments:
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin } }
  prod: ${prod}
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.35.2 } }
${top}`;
  const problems = (t: string): string[] => {
    try {
      loadConfig(t, { file: 'fleet.yaml' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('expected a ConfigError');
  };

  it('fills the defaults: reminders 7d/1d/1h, announce 7d, no gap, staging first for minor and patch', () => {
    const cfg = loadConfig(text('{ after: staging, window: { rule: "staging + 2d", start: "02:00", duration: 4h, timezone: Europe/Berlin } }'));
    expect(cfg.environments.prod?.window).toMatchObject({
      rule: 'staging + 2d', reminders: [7 * 24 * H, 24 * H, H], announce: 7 * 24 * H, gap: 0, gate: { minor: 'after-staging', patch: 'after-staging' },
    });
    expect(cfg.environments.prod?.freeze).toEqual([]);
    expect(cfg.freeze).toEqual([]);
  });

  it('reads reminders, gap, gate and freezes', () => {
    const cfg = loadConfig(text(
      '{ after: staging, freeze: [{ from: 2026-12-19, to: 2027-01-04, reason: year-end }], window: { rule: "2nd THU", start: "02:00", duration: 4h, timezone: Europe/Berlin, reminders: [2d, 30m], gap: 2d, gate: { patch: readiness } } }',
      'freeze:\n  - { from: "2026-11-26T00:00-05:00", to: "2026-11-30T00:00-05:00", reason: Thanksgiving }',
    ));
    expect(cfg.environments.prod?.window).toMatchObject({ reminders: [2 * 24 * H, 30 * 60_000], gap: 2 * 24 * H, gate: { minor: 'after-staging', patch: 'readiness' } });
    expect(cfg.environments.prod?.freeze).toEqual([{ from: '2026-12-19', to: '2027-01-04', reason: 'year-end' }]);
    expect(cfg.freeze[0]?.reason).toBe('Thanksgiving');
  });

  it.each([
    ['an unknown base environment', '{ window: { rule: "qa + 2d", start: "02:00", duration: 4h, timezone: UTC } }', '',
      'environments.prod.window.rule: "qa" is not an environment with a window (staging)'],
    ['a rule relative to itself', '{ window: { rule: "prod + 2d", start: "02:00", duration: 4h, timezone: UTC } }', '',
      'environments.prod.window.rule: a window rule cannot be relative to its own environment'],
    ['a bad rule', '{ window: { rule: "staging plus 2 days", start: "02:00", duration: 4h, timezone: UTC } }', '',
      /^environments\.prod\.window\.rule: "staging plus 2 days": expected .*"staging \+ 2d"/],
    ['a bad gate', '{ window: { rule: "2nd THU", start: "02:00", duration: 4h, timezone: UTC, gate: { minor: never } } }', '',
      /^environments\.prod\.window\.gate\.minor: .*after-staging, readiness/],
    ['a bad reminder', '{ window: { rule: "2nd THU", start: "02:00", duration: 4h, timezone: UTC, reminders: [tomorrow] } }', '',
      /^environments\.prod\.window\.reminders\[0\]: "tomorrow": expected a duration/],
    ['a freeze that ends before it starts', '{ freeze: [{ from: 2027-01-04, to: 2026-12-19, reason: x }] }', '',
      'environments.prod.freeze[0].to: to is before from'],
    ['a freeze without a reason', '{ freeze: [{ from: 2027-01-04, to: 2027-01-05, reason: "" }] }', '',
      /^environments\.prod\.freeze\[0\]\.reason: .*say why/],
    ['a fleet freeze with a bad date', '{}', 'freeze: [{ from: "next week", to: 2027-01-05, reason: x }]',
      /^freeze\[0\]\.from: "next week": expected a date like/],
  ])('rejects %s, naming the key', (_label, prod, top, expected) => {
    const list = problems(text(prod, top));
    expect(list).toContainEqual(typeof expected === 'string' ? expected : expect.stringMatching(expected));
  });

  it('rejects a cycle of relative rules', () => {
    const t = `
environments:
  a: { window: { rule: "b + 1d", start: "02:00", duration: 4h, timezone: UTC } }
  b: { window: { rule: "a + 1d", start: "02:00", duration: 4h, timezone: UTC } }
clusters:
  - { name: c1, environment: a, versions: { kubernetes: v1.35.2 } }
`;
    expect(problems(t)).toContain('environments.a.window.rule: relative rules form a cycle: a → b → a');
  });
});
