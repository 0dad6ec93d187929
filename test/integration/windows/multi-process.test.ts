/**
 * Window reminders exactly once across replicas: three hub processes on one Redis and one fake Slack,
 * on a shared accelerated clock (1 s real = 1 h). One is killed with SIGKILL after the 1d reminder and
 * before the 1h reminder, and a replacement starts. Every thread message (parent, reminders, open,
 * closed) is posted exactly once, in one thread, with its `k8s_advisor_window` metadata.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import { bullPrefix } from '../../../src/queue/names.ts';
import { WINDOW_QUEUE } from '../../../src/queue/workers/window-worker.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { REDIS_URL, type TestRedis, testRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { waitFor } from '../hub/harness.ts';

const SCRIPT = resolve(REPO_ROOT, 'test/integration/windows/hub-process.ts');
const WINDOW = 'staging-2026-12-08';

let redis: TestRedis;
let fake: FakeSlack;
let children: ChildProcess[];
let clock: Record<string, string>;
let clockDir: string;

function spawnHub(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, REDIS_URL, HUB_PREFIX: redis.prefix, SLACK_API_URL: fake.apiUrl, TICK_MS: '250', ...clock },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); if (process.env.DEBUG_HUB) process.stderr.write(d); });
  return new Promise((resolveReady, reject) => {
    child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolveReady(child); });
    child.once('exit', (code) => reject(new Error(`hub process exited (${code}) before ready: ${stderr.slice(-2000)}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

beforeEach(async () => {
  redis = await testRedis('windows-multi');
  fake = await startFakeSlack();
  children = [];
  // Virtual 2026-12-06T20:00Z until every replica is up, then 1 s = 1 h; the staging window is
  // 2026-12-08 01:00–05:00Z, its 1d reminder due 2026-12-07T01:00Z.
  clockDir = mkdtempSync(join(tmpdir(), 'k8s-advisor-clock-'));
  clock = { CLOCK_START: '2026-12-06T20:00:00Z', CLOCK_FILE: join(clockDir, 'base'), CLOCK_SPEED: '3600' };
});

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map(exited));
  await fake.close();
  await redis.cleanup();
  rmSync(clockDir, { recursive: true, force: true });
});

const keysPosted = () => fake.messages.filter((m) => m.metadata?.event_type === 'k8s_advisor_window' && m.metadata.event_payload.window === WINDOW)
  .map((m) => String(m.metadata?.event_payload.key));

describe('window reminders across hub replicas', () => {
  it('three hubs, one SIGKILLed before a reminder: every reminder and message exactly once', { timeout: 120_000 }, async () => {
    // Slack answers slowly, so a kill may land between Slack accepting a post and the hub recording it.
    fake.delay('chat.postMessage', 100);
    const [first] = await Promise.all([spawnHub(), spawnHub(), spawnHub()]);
    writeFileSync(clock.CLOCK_FILE ?? '', String(Date.now()));
    await waitFor(() => keysPosted().includes('reminder-1d'), 'the 1d reminder', 40_000);
    // Killed before the 1h reminder (due 28 virtual hours after the start).
    expect(keysPosted()).not.toContain('reminder-1h');
    first?.kill('SIGKILL');
    if (first) await exited(first);
    await spawnHub();
    await waitFor(() => keysPosted().includes('closed'), 'the window closed', 80_000);
    // Three more ticks, each run to the end by some replica: nothing more is posted for this window.
    const count = keysPosted().length;
    const q = new Queue(WINDOW_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    const events = new QueueEvents(WINDOW_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    await events.waitUntilReady();
    for (let i = 0; i < 3; i++) await (await q.add('tick', { kind: 'tick' })).waitUntilFinished(events, 20_000);
    await events.close();
    expect(keysPosted()).toHaveLength(count);

    const keys = keysPosted();
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of ['scheduled', 'reminder-1d', 'reminder-1h', 'open', 'closed']) expect(keys).toContain(k);
    // The 7d reminder was due before the window was stored: never sent late.
    expect(keys).not.toContain('reminder-7d');
    const messages = fake.messages.filter((m) => m.metadata?.event_payload.window === WINDOW);
    const parent = messages.find((m) => m.metadata?.event_payload.key === 'scheduled');
    expect(parent?.threadTs).toBeNull();
    expect(messages.filter((m) => m !== parent).every((m) => m.threadTs === parent?.ts && m.channel === 'C0STAGE')).toBe(true);
    // One tick schedule for the deployment, whatever the number of replicas.
    expect((await q.getJobSchedulers()).map((s) => s.key)).toEqual(['windows-tick']);
    await q.close();
  });
});
