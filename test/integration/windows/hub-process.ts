/**
 * One hub replica running maintenance windows, in its own process (spawned with `node`), on an
 * accelerated clock shared by every replica: virtual now = CLOCK_START + (Date.now() − base) × CLOCK_SPEED,
 * where `base` (ms) is read from CLOCK_FILE once the test writes it (until then the clock stands at
 * CLOCK_START), so slow process start-ups do not eat into the schedule.
 * Env: REDIS_URL, HUB_PREFIX, SLACK_API_URL, CLOCK_START (ISO), CLOCK_FILE, CLOCK_SPEED, TICK_MS.
 * Prints "ready" on stdout once started; stops cleanly on SIGTERM.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config/load.ts';
import { createHub, staticSource } from '../../../src/hub/hub.ts';
import { createLogger } from '../../../src/log.ts';
import { fakeTriage } from '../../unit/slack/fixtures.ts';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

export const WINDOWS_FLEET = `
slack: { channels: { staging: C0STAGE, default: C0SEC } }
environments:
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin, reminders: [1d, 1h] } }
clusters:
  - { name: stage-1, environment: staging, versions: { kubernetes: v1.28.2 } }
`;

const start = Date.parse(env('CLOCK_START'));
const clockFile = env('CLOCK_FILE');
const speed = Number(env('CLOCK_SPEED', '1'));
let base: number | null = null;
const now = () => {
  if (base === null && existsSync(clockFile)) base = Number(readFileSync(clockFile, 'utf8'));
  return new Date(base === null ? start : start + (Date.now() - base) * speed);
};

const redis = new Redis(env('REDIS_URL', 'redis://127.0.0.1:6379'), { maxRetriesPerRequest: null });
const hub = createHub({
  config: loadConfig(WINDOWS_FLEET),
  logger: createLogger({ level: env('LOG_LEVEL', 'warn'), destination: { write: (s: string) => { process.stderr.write(s); } } }),
  redis,
  prefix: env('HUB_PREFIX'),
  slack: { botToken: 'xoxb-child-process-token', apiUrl: env('SLACK_API_URL'), mode: { kind: 'none' } },
  source: staticSource([]),
  triage: async (list) => fakeTriage(list),
  now,
  pollEveryMs: 24 * 3_600_000,
  retriageEveryMs: 24 * 3_600_000,
  workers: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, retry: { attempts: 5, backoffMs: 100 } },
  windows: { tickEveryMs: Number(env('TICK_MS', '250')), lockDurationMs: 2_000 },
});

await hub.start();
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void hub.stop().then(() => redis.quit()).then(() => process.exit(0));
});
