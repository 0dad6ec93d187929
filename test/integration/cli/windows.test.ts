/**
 * `k8s-advisor windows` in process: runWindows with a temp config and captured io. Errors are
 * translated to exit codes exactly as the CLI does (reportError), so the codes here are the CLI's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from '../../../src/cli.ts';
import { runWindows, type RunWindowsOptions, type WindowsJson } from '../../../src/commands/windows.ts';
import { UsageError } from '../../../src/errors.ts';

const NOW = new Date('2026-01-01T08:00:00Z');
let dir: string;
let fleet: string;
let noWindows: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-windows-'));
  fleet = join(dir, 'fleet.yaml');
  writeFileSync(fleet, `
environments:
  dev: {}
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin, exclude: ["2026-03-10"] } }
  prod:
    window:  { rule: "2nd THU", start: "02:00", duration: 4h, timezone: Europe/Berlin }
    after: staging
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.30.2 } }
`);
  noWindows = join(dir, 'no-windows.yaml');
  writeFileSync(noWindows, `
environments: { staging: {}, prod: {} }
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.30.2 } }
`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function windows(opts: Partial<Omit<RunWindowsOptions, 'io'>> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); }, env: {} };
  let code: number;
  let error: unknown;
  try {
    code = await runWindows({ config: fleet, now: NOW, ...opts, io });
  } catch (e) {
    error = e;
    code = reportError(e, io);
  }
  return { code, out: out.join(''), err: err.join(''), error };
}

describe('k8s-advisor windows', () => {
  it('prints { generatedAt, from, count, environment, windows[] } as JSON', async () => {
    const r = await windows({ format: 'json', from: '2026-02-01', count: '2' });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as WindowsJson;
    expect(json).toMatchObject({ generatedAt: '2026-01-01T08:00:00.000Z', from: '2026-02-01', count: 2, environment: null });
    expect(json.windows.map((w) => w.id)).toEqual(['staging-2026-02-10', 'prod-2026-02-12', 'prod-2026-03-12', 'staging-2026-04-14']);
    expect(json.windows[1]).toEqual({
      id: 'prod-2026-02-12', environment: 'prod', date: '2026-02-12',
      start: '2026-02-12T02:00:00+01:00', end: '2026-02-12T06:00:00+01:00',
      startUtc: '2026-02-12T01:00:00Z', endUtc: '2026-02-12T05:00:00Z',
      durationMs: 14_400_000, rule: '2nd THU', timezone: 'Europe/Berlin', inProgress: false, kind: 'recurring',
      after: { environment: 'staging', windowId: 'staging-2026-02-10', windowStart: '2026-02-10T02:00:00+01:00', windowEnd: '2026-02-10T06:00:00+01:00' },
    });
    // Staging's March window is excluded, so prod's March window follows February's staging window.
    expect(json.windows[2]).toMatchObject({ after: { windowId: 'staging-2026-02-10' }, warning: 'the staging window before this prod window is staging-2026-02-10, from an earlier month: no staging window in 2026-03 ends before this one starts' });
    expect(r.err).toBe('warning: prod-2026-03-12: the staging window before this prod window is staging-2026-02-10, from an earlier month: no staging window in 2026-03 ends before this one starts\n');
  });

  it('defaults to text, 3 windows per environment, from now', async () => {
    const r = await windows();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^staging {2}\(2nd TUE, 4h, Europe\/Berlin\)\n {2}staging-2026-01-13 {2}Tue 2026-01-13 02:00–06:00 \(Europe\/Berlin \+01:00\) {2}· {2}UTC 2026-01-13 01:00–05:00\n/);
    expect(r.out).toContain('prod  (2nd THU, 4h, Europe/Berlin, after staging)');
    expect(r.out).toContain('  prod-2026-02-12  Thu 2026-02-12 02:00–06:00 (Europe/Berlin +01:00)  ·  UTC 2026-02-12 01:00–05:00  ·  after staging window on Tue 2026-02-10 02:00 (+01:00)');
    expect(r.out).toContain('    warning: the staging window before this prod window is staging-2025-12-09, from an earlier month');
    expect(r.out.match(/^ {2}staging-/gm)).toHaveLength(3);
    expect(r.out.match(/^ {2}prod-/gm)).toHaveLength(3);
    expect(r.err).toBe('');
  });

  it('prints an ICS calendar for one environment', async () => {
    const r = await windows({ format: 'ics', environment: 'prod', from: '2026-02-01T00:00:00Z', count: 1 });
    expect(r.code).toBe(0);
    expect(r.out.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(r.out.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(r.out).toContain('\r\nUID:prod-2026-02-12@k8s-advisor\r\n');
    expect(r.out).toContain('\r\nDTSTAMP:20260101T080000Z\r\n');
    expect(r.out).toContain('\r\nDTSTART:20260212T010000Z\r\nDTEND:20260212T050000Z\r\n');
    expect(r.out).not.toContain('UID:staging-');
  });

  it('accepts an ISO date-time with an offset and includes the window in progress', async () => {
    const r = await windows({ format: 'json', from: '2026-01-13T03:30:00+01:00', count: 1, environment: 'staging' });
    const json = JSON.parse(r.out) as WindowsJson;
    expect(json.from).toBe('2026-01-13T02:30:00.000Z');
    expect(json.windows).toEqual([expect.objectContaining({ id: 'staging-2026-01-13', inProgress: true })]);
  });

  it.each([
    ['--from not a date', { from: 'next tuesday' }, /--from: "next tuesday" is not a date or ISO date-time\nhint: write it like --from 2026-03-01/],
    ['--from impossible date', { from: '2026-02-30' }, /--from: "2026-02-30"/],
    ['--count zero', { count: '0' }, /--count: "0" is not a whole number from 1 to 120\nhint: write it like --count 6/],
    ['--count too large', { count: 121 }, /--count: "121"/],
    ['--count not a number', { count: '3x' }, /--count: "3x"/],
    ['--count fractional', { count: 2.5 }, /--count: "2.5"/],
    ['unknown --env', { environment: 'qa' }, /--env: "qa" is not an environment in .*fleet\.yaml \(environments: dev, staging, prod\)/],
  ])('exits 2 for %s', async (_label, opts, message) => {
    const r = await windows(opts);
    expect(r.code).toBe(2);
    expect(r.error).toBeInstanceOf(UsageError);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('exits 2 naming the file for a missing config', async () => {
    const r = await windows({ config: join(dir, 'nope.yaml') });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\.yaml/);
  });

  it.each([
    ['text', 'no-windows', undefined, /^No maintenance windows: no environment in .*no-windows\.yaml has a maintenance window/, ''],
    ['text', 'fleet', 'dev', /^No maintenance windows: environment "dev" has no maintenance window/, ''],
    ['json', 'no-windows', undefined, /"windows": \[\]/, 'note: no environment'],
    ['ics', 'no-windows', undefined, /^BEGIN:VCALENDAR\r\n[\s\S]*END:VCALENDAR\r\n$/, 'note: no environment'],
  ] as const)('exits 0 with a message when there are no windows (%s, %s, env %s)', async (format, file, environment, out, err) => {
    const r = await windows({ format, config: file === 'fleet' ? fleet : noWindows, ...(environment === undefined ? {} : { environment }) });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(out);
    expect(r.err.startsWith(err)).toBe(true);
  });
});
