/**
 * `k8s-advisor window schedule|cancel` and `windows` with stored windows, in process, against the
 * real Redis (a unique prefix per test through K8S_ADVISOR_PREFIX). Exit codes as the CLI maps them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reportError, run } from '../../../src/cli.ts';
import { runWindows, type WindowsJson } from '../../../src/commands/windows.ts';
import { runWindowCancel, runWindowOverride, runWindowSchedule } from '../../../src/commands/window.ts';
import { createAuditLog } from '../../../src/store/audit.ts';
import { createWindowStore } from '../../../src/store/windows.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const NOW = new Date('2026-12-01T10:07:00Z');
const SAMPLE_FEED = resolve(REPO_ROOT, 'data/sample-feed.json');
let dir: string;
let fleet: string;
let r: TestRedis;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-window-'));
  fleet = join(dir, 'fleet.yaml');
  writeFileSync(fleet, `
releases: { refresh: false }
environments:
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin } }
  prod:
    window: { rule: "staging + 2d", start: "02:00", duration: 4h, timezone: Europe/Berlin }
    after: staging
    freeze: [{ from: 2026-12-09, to: 2027-01-04, reason: year-end }]
clusters:
  - { name: staging-eu, environment: staging, versions: { kubernetes: v1.35.2 } }
  - { name: prod-eu, environment: prod, provider: eks, versions: { kubernetes: v1.35.4-eks-3a1b2c4 } }
  - { name: legacy, environment: prod, versions: { kubernetes: v1.27.9, ingress-nginx: v1.11.4 } }
roles:
  platform: { users: [U01AAA], usergroups: [S01PLAT] }
  security: { users: [U02BBB] }
permissions:
  schedule: { prod: [platform] }
`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => { r = await testRedis('window-cli'); });
afterEach(async () => { await r.cleanup(); });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); }, env: { REDIS_URL, K8S_ADVISOR_PREFIX: r.prefix } as NodeJS.ProcessEnv };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

async function call(fn: (io: ReturnType<typeof capture>['io']) => Promise<number>) {
  const c = capture();
  let code: number;
  try {
    code = await fn(c.io);
  } catch (e) {
    code = reportError(e, c.io);
  }
  return { code, out: c.out(), err: c.err() };
}

describe('k8s-advisor window schedule|cancel', () => {
  it('schedules an emergency window for a permitted user, stores it, audits it, and lists it in windows', async () => {
    const s = await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: '2026-12-03T14:00', duration: '2h', emergency: true, advisory: 'cve-2025-1974', user: 'U01AAA', io, now: NOW }));
    expect(s).toMatchObject({ code: 0, out: 'scheduled prod-emergency-2026-12-03T14:00  scheduled  Thu 2026-12-03 14:00–16:00 (Europe/Berlin +01:00)  for CVE-2025-1974\n' });
    const stored = await createWindowStore({ redis: r.redis, prefix: r.prefix }).get('prod-emergency-2026-12-03T14:00');
    expect(stored).toMatchObject({ kind: 'emergency', state: 'scheduled', advisory: 'CVE-2025-1974', createdBy: 'U01AAA', startUtc: '2026-12-03T13:00:00Z' });
    const audit = await createAuditLog({ redis: r.redis, prefix: r.prefix }).recent(5);
    expect(audit).toContainEqual(expect.objectContaining({ user: 'U01AAA', what: 'cli window schedule prod 2026-12-03T14:00 2h emergency', result: 'ok' }));

    const w = await call((io) => runWindows({ config: fleet, format: 'json', count: 1, io, now: NOW }));
    const json = JSON.parse(w.out) as WindowsJson;
    expect(json.windows.map((x) => [x.id, x.kind, x.state ?? null])).toEqual([
      ['prod-emergency-2026-12-03T14:00', 'emergency', 'scheduled'],
      ['staging-2026-12-08', 'recurring', null],
      ['prod-2027-01-14', 'recurring', null],
    ]);
  });

  it('refuses without --user, and a user without the role, naming the role; stores nothing', async () => {
    const none = await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: 'now', emergency: true, io, now: NOW }));
    expect(none).toMatchObject({ code: 2, err: expect.stringContaining('scheduling in prod needs the "platform" role (permissions.schedule): say who you are with --user') });
    const wrong = await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: 'now', emergency: true, user: 'U02BBB', io, now: NOW }));
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('You are not allowed to schedule windows in `prod`: it needs the `platform` role');
    expect(wrong.err).toContain('user groups were not checked: SLACK_BOT_TOKEN is not set');
    expect(await createWindowStore({ redis: r.redis, prefix: r.prefix }).list()).toEqual([]);
  });

  it('needs no --user where permissions.schedule names no role (staging)', async () => {
    const s = await call((io) => runWindowSchedule({ config: fleet, environment: 'staging', when: '2026-12-02T09:00', emergency: false, format: 'json', io, now: NOW }));
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out)).toMatchObject({ window: { id: 'staging-2026-12-02T09:00', kind: 'one-off', createdBy: 'cli' }, warnings: [] });
  });

  it.each([
    ['a time in the past', { when: '2026-11-30T10:00' }, 'window schedule: 2026-11-30T10:00 (Europe/Berlin) is in the past'],
    ['a one-off inside the freeze', { when: '2026-12-22T10:00', emergency: false }, 'only an emergency window may be scheduled then'],
    ['an unknown environment', { environment: 'qa' }, '"qa" is not an environment in'],
    ['a bad user id', { user: 'alice' }, '--user: "alice" is not a Slack user id'],
    ['--advisory without --emergency', { emergency: false, advisory: 'CVE-2025-1974' }, '--advisory is for emergency windows'],
    ['a bad advisory id', { advisory: 'nope' }, '--advisory: "nope" is not a CVE id'],
  ])('refuses %s with exit 2', async (_label, over, message) => {
    const res = await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: '2026-12-03T14:00', emergency: true, user: 'U01AAA', io, now: NOW, ...over }));
    expect(res.code).toBe(2);
    expect(res.err).toContain(message);
  });

  it('refuses a window overlapping one already scheduled', async () => {
    await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: '2026-12-03T14:00', duration: '2h', emergency: true, user: 'U01AAA', io, now: NOW }));
    const again = await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: '2026-12-03T15:00', emergency: true, user: 'U01AAA', io, now: NOW }));
    expect(again.code).toBe(2);
    expect(again.err).toContain('that overlaps prod-emergency-2026-12-03T14:00 (scheduled, 2026-12-03T14:00:00+01:00 – 2026-12-03T16:00:00+01:00)');
  });

  it('cancels with the same permission, records the reason, and refuses a second cancel', async () => {
    await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: '2026-12-03T14:00', emergency: true, user: 'U01AAA', io, now: NOW }));
    const refused = await call((io) => runWindowCancel({ config: fleet, id: 'prod-emergency-2026-12-03T14:00', user: 'U02BBB', io, now: NOW }));
    expect(refused.code).toBe(2);
    const ok = await call((io) => runWindowCancel({ config: fleet, id: 'prod-emergency-2026-12-03T14:00', user: 'U01AAA', reason: 'patched by the provider', io, now: NOW }));
    expect(ok).toMatchObject({ code: 0, out: expect.stringMatching(/^cancelled prod-emergency-2026-12-03T14:00 {2}cancelled/) });
    const store = createWindowStore({ redis: r.redis, prefix: r.prefix });
    expect(await store.history('prod-emergency-2026-12-03T14:00')).toEqual([
      { from: 'scheduled', to: 'cancelled', by: 'U01AAA', at: NOW.toISOString(), reason: 'patched by the provider' },
    ]);
    const twice = await call((io) => runWindowCancel({ config: fleet, id: 'prod-emergency-2026-12-03T14:00', user: 'U01AAA', io, now: NOW }));
    expect(twice).toMatchObject({ code: 2, err: expect.stringContaining('window cancel: prod-emergency-2026-12-03T14:00 is already cancelled') });
  });

  it('overrides a window\'s gate with a recorded reason, with the same permission', async () => {
    await call((io) => runWindowSchedule({ config: fleet, environment: 'prod', when: '2026-12-03T14:00', emergency: true, user: 'U01AAA', io, now: NOW }));
    const noReason = await call((io) => runWindowOverride({ config: fleet, id: 'prod-emergency-2026-12-03T14:00', user: 'U01AAA', io, now: NOW }));
    expect(noReason).toMatchObject({ code: 2, err: expect.stringContaining('say why with --reason') });
    const refused = await call((io) => runWindowOverride({ config: fleet, id: 'prod-emergency-2026-12-03T14:00', user: 'U02BBB', reason: 'because', io, now: NOW }));
    expect(refused.code).toBe(2);
    const ok = await call((io) => runWindowOverride({ config: fleet, id: 'prod-emergency-2026-12-03T14:00', user: 'U01AAA', reason: 'staging rehearsed by hand', io, now: NOW }));
    expect(ok).toMatchObject({ code: 0, out: expect.stringMatching(/^override recorded for prod-emergency-2026-12-03T14:00/) });
    expect((await createWindowStore({ redis: r.redis, prefix: r.prefix }).get('prod-emergency-2026-12-03T14:00'))?.override)
      .toEqual({ by: 'U01AAA', reason: 'staging rehearsed by hand', at: NOW.toISOString() });
  });

  it.each([
    ['an unknown id', 'prod-2030-01-01', 'window cancel: no window prod-2030-01-01 is stored'],
    ['a malformed id', 'prod:*', 'window cancel: "prod:*" is not a window id'],
  ])('refuses to cancel %s', async (_label, id, message) => {
    const res = await call((io) => runWindowCancel({ config: fleet, id, user: 'U01AAA', io, now: NOW }));
    expect(res.code).toBe(2);
    expect(res.err).toContain(message);
  });

  it('is wired into the CLI (argument parsing, exit codes)', async () => {
    const c = capture();
    const code = await run(['window', 'schedule', 'staging', '2099-01-01T10:00', '--config', fleet], c.io);
    expect(code).toBe(2);
    expect(c.err()).toContain('is more than a year ahead');
    const help = capture();
    expect(await run(['window', 'cancel', '--help'], help.io)).toBe(0);
    expect(help.out()).toContain('--reason <text>');
  });
});

describe('windows with REDIS_URL set but Redis unreachable', () => {
  it('warns and shows the config\'s windows', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); }, env: { REDIS_URL: 'redis://127.0.0.1:1' } as NodeJS.ProcessEnv };
    expect(await runWindows({ config: fleet, count: 1, io, now: NOW })).toBe(0);
    expect(err.join('')).toContain('warning: REDIS_URL set but stored windows could not be read');
    expect(out.join('')).toContain('staging-2026-12-08');
  });

  it('window schedule fails with exit 2 naming REDIS_URL', async () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => { err.push(t); }, env: { REDIS_URL: 'redis://127.0.0.1:1' } as NodeJS.ProcessEnv };
    let code: number;
    try {
      code = await runWindowSchedule({ config: fleet, environment: 'staging', when: '2026-12-02T09:00', emergency: false, io, now: NOW });
    } catch (e) {
      code = reportError(e, io);
    }
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/windows are stored in Redis, which is unreachable[\s\S]*hint: set REDIS_URL/);
  });
});

describe('windows with a feed: each window carries its plan', () => {
  it('includes the plan in JSON, text and ICS', async () => {
    const json = await call((io) => runWindows({ config: fleet, format: 'json', from: '2026-12-01', count: 1, environment: 'prod', feed: SAMPLE_FEED, io, now: NOW }));
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as WindowsJson;
    // The freeze skips December's prod window; January's says so and carries the plan.
    expect(parsed.windows).toHaveLength(1);
    const [jan] = parsed.windows;
    expect(jan).toMatchObject({ id: 'prod-2027-01-14', skipped: [{ id: 'prod-2026-12-10', reason: 'freeze 2026-12-09 – 2027-01-04: year-end' }] });
    expect(jan?.skipped).toBeDefined();
    expect(jan?.plan).toMatchObject({ window: 'prod-2027-01-14', environment: 'prod', after: 'staging-2027-01-12' });
    expect(jan?.plan?.clusters.map((c) => c.cluster)).toEqual(['prod-eu', 'legacy']);
    // With the cluster's remediation computed, the add-on advisory stays open beside the Kubernetes target, saying what to do.
    const legacy = jan?.plan?.clusters.find((c) => c.cluster === 'legacy');
    expect(legacy?.target).toMatch(/^v1\.\d+\.\d+$/);
    expect(legacy?.remains).toContainEqual(expect.objectContaining({ advisory: 'CVE-2025-1974', reason: expect.stringMatching(/ingress-nginx v1\.11\.4 → v1\.11\.5/) }));

    const text = await call((io) => runWindows({ config: fleet, format: 'text', from: '2026-12-01', count: 1, environment: 'prod', feed: SAMPLE_FEED, io, now: NOW }));
    expect(text.out).toContain('    skipped prod-2026-12-10: freeze 2026-12-09 – 2027-01-04: year-end');
    expect(text.out).toContain('    - legacy (');
    const ics = await call((io) => runWindows({ config: fleet, format: 'ics', from: '2026-12-01', count: 1, environment: 'prod', feed: SAMPLE_FEED, io, now: NOW }));
    const unfolded = ics.out.replace(/\r\n /g, '');
    expect(unfolded).toContain('\\nPlan (');
    expect(unfolded).toContain('- legacy (');
  });
});
