/**
 * Readiness rules as tables: feed freshness (twice the poll interval), release data age, agent
 * cluster contact; the settings parser names the variable to fix.
 */
import { describe, expect, it } from 'vitest';
import { clusterReachable, feedFreshness, formatReport, releaseFreshness, runChecks } from '../../../src/health/checks.ts';
import { opsSettingsFrom } from '../../../src/health/settings.ts';
import { shutdownGraceFrom, stopWithin } from '../../../src/health/shutdown.ts';
import { ConfigError } from '../../../src/errors.ts';

const at = (iso: string) => new Date(iso);
const NOW = at('2026-12-01T12:00:00Z');
const MIN = 60_000;

describe('feedFreshness', () => {
  it.each([
    // last success,            started,                  every,  ok,    detail
    ['2026-12-01T11:50:00Z', '2026-12-01T08:00:00Z', 15 * MIN, true, /fetched 10m ago/],
    ['2026-12-01T11:30:00Z', '2026-12-01T08:00:00Z', 15 * MIN, true, /fetched 30m ago/],
    ['2026-12-01T11:29:00Z', '2026-12-01T08:00:00Z', 15 * MIN, false, /last fetched 31m ago, more than twice feed.every \(30m\)/],
    [null, '2026-12-01T11:45:00Z', 15 * MIN, true, /no fetch recorded yet; started 15m ago/],
    [null, '2026-12-01T11:00:00Z', 15 * MIN, false, /never fetched successfully in 60m/],
    ['2026-12-01T10:00:00Z', '2026-12-01T11:59:00Z', 1 * 60 * MIN, true, /fetched 2h ago/],
  ])('last %s, started %s, every %i ms → ok %s', (last, started, every, ok, detail) => {
    const r = feedFreshness({ lastSuccess: last === null ? null : at(last), startedAt: at(started), everyMs: every, now: NOW });
    expect(r.ok).toBe(ok);
    expect(r.detail).toMatch(detail);
  });
});

describe('releaseFreshness', () => {
  it.each([
    ['2026-11-30', 30, true, /data as of 2026-11-30/],
    ['2026-11-01', 30, true, /data as of/],
    ['2026-10-31', 30, false, /older than 30 days; allow egress to endoflife.date/],
    ['2026-08-20', 30, false, /as of 2026-08-20 is older than 30 days/],
    ['not-a-date', 30, false, /unreadable date "not-a-date"/],
  ])('as of %s, limit %i days → ok %s', (asOf, maxAgeDays, ok, detail) => {
    const r = releaseFreshness({ asOf, maxAgeDays, now: NOW });
    expect(r.ok).toBe(ok);
    expect(r.detail).toMatch(detail);
  });
});

describe('clusterReachable', () => {
  it.each([
    [at('2026-12-01T11:59:30Z'), null, '2026-12-01T11:00:00Z', true, /answered 30s ago/],
    [at('2026-12-01T11:58:00Z'), 'connect ECONNREFUSED', '2026-12-01T11:00:00Z', false, /last answered 2m ago \(connect ECONNREFUSED\)/],
    [null, null, '2026-12-01T11:59:50Z', true, /no answer from prod-us yet/],
    [null, 'forbidden (403)', '2026-12-01T11:59:50Z', false, /has not answered: forbidden \(403\)/],
    [null, null, '2026-12-01T11:00:00Z', false, /has not answered/],
  ])('last contact %s, error %s → ok %s', (lastContact, lastError, started, ok, detail) => {
    const r = clusterReachable({ cluster: 'prod-us', lastContact, lastError, maxAgeMs: 90_000, startedAt: at(started), now: NOW });
    expect(r.ok).toBe(ok);
    expect(r.detail).toMatch(detail);
  });
});

describe('runChecks', () => {
  it('fails a check that throws or hangs, names it, and still reports the others', async () => {
    const report = await runChecks([
      { name: 'good', run: () => ({ ok: true, detail: 'fine' }) },
      { name: 'boom', run: () => { throw new Error('exploded'); } },
      { name: 'hung', run: () => new Promise(() => {}) },
    ], 50);
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      { name: 'good', ok: true, detail: 'fine' },
      { name: 'boom', ok: false, detail: 'check failed: exploded' },
      { name: 'hung', ok: false, detail: 'no answer in 50 ms' },
    ]);
    expect(formatReport(report)).toBe('[+]good ok: fine\n[-]boom failed: check failed: exploded\n[-]hung failed: no answer in 50 ms\nreadyz check failed: boom, hung\n');
  });
});

describe('operations settings', () => {
  it.each([
    [{}, 8081, undefined, 8081, 25_000],
    [{}, undefined, undefined, 8081, 25_000],
    [{ HEALTH_PORT: '9102' }, 8081, undefined, 9102, 25_000],
    [{ HEALTH_PORT: '0' }, 8081, undefined, 0, 25_000],
    [{ SHUTDOWN_GRACE: '10s' }, 7000, undefined, 7000, 10_000],
    [{ SHUTDOWN_GRACE: '1m30s' }, 7000, undefined, 7000, 90_000],
  ])('env %o, server.port %s', (env, configPort, _unused, port, grace) => {
    expect(opsSettingsFrom(env, configPort)).toMatchObject({ healthPort: port, shutdownGraceMs: grace, healthHost: '0.0.0.0' });
  });

  it.each([
    [{ HEALTH_PORT: 'http' }, /HEALTH_PORT: "http" is not a port number/],
    [{ HEALTH_PORT: '70000' }, /HEALTH_PORT: "70000" is not a port number/],
    [{ HEALTH_PORT: '-1' }, /HEALTH_PORT: "-1" is not a port number/],
    [{ SHUTDOWN_GRACE: '25' }, /SHUTDOWN_GRACE: "25" is not a duration \(use e.g. "25s"/],
    [{ SHUTDOWN_GRACE: 'soon' }, /SHUTDOWN_GRACE: "soon" is not a duration/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => opsSettingsFrom(env, 8081)).toThrow(ConfigError);
    expect(() => opsSettingsFrom(env, 8081)).toThrow(message);
  });

  it('reports every bad variable at once', () => {
    const err = (() => { try { opsSettingsFrom({ HEALTH_PORT: 'x', SHUTDOWN_GRACE: 'y' }, 8081); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(2);
  });

  it('defaults the grace period to 25 s, under the 30 s Kubernetes waits before SIGKILL', () => {
    expect(shutdownGraceFrom(undefined)).toBe(25_000);
    expect(shutdownGraceFrom('')).toBe(25_000);
  });
});

describe('stopWithin', () => {
  it('is clean when the stop finishes in time, and releases nothing', async () => {
    let released = false;
    const outcome = await stopWithin(async () => {}, 1_000, async () => { released = true; return []; });
    expect(outcome).toEqual({ kind: 'clean', error: null });
    expect(released).toBe(false);
  });

  it('releases the jobs in flight when the stop outlasts the period', async () => {
    const outcome = await stopWithin(() => new Promise(() => {}), 100, async () => ['job-1']);
    expect(outcome).toEqual({ kind: 'forced', released: ['job-1'] });
  });

  it('still ends within the period when releasing hangs too (Redis gone)', async () => {
    const outcome = await stopWithin(() => new Promise(() => {}), 100, () => new Promise(() => {}));
    expect(outcome).toEqual({ kind: 'forced', released: null });
  });

  it('reports a failing stop step instead of hiding it', async () => {
    const outcome = await stopWithin(async () => { throw new Error('quit failed'); }, 1_000, async () => []);
    expect(outcome).toEqual({ kind: 'clean', error: 'quit failed' });
  });
});
