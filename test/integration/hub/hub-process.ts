/**
 * One hub replica in its own process, for the multi-process tests (spawned with `node`).
 * Env: REDIS_URL, HUB_PREFIX, SLACK_API_URL, HUB_ADVISORIES (count), HUB_POLL_MS, HUB_LOCK_MS.
 * Every replica upserts the same poll scheduler; the source repeats all advisories on every poll.
 * Prints "ready" on stdout once started; stops cleanly on SIGTERM.
 */
import { Redis } from 'ioredis';
import { createHub, staticSource } from '../../../src/hub/hub.ts';
import { createLogger } from '../../../src/log.ts';
import { fakeTriage, manyAdvisories, testConfig } from '../../unit/slack/fixtures.ts';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

const redis = new Redis(env('REDIS_URL', 'redis://127.0.0.1:6379'), { maxRetriesPerRequest: null });
const advisories = manyAdvisories(Number(env('HUB_ADVISORIES', '50')));
const lockMs = Number(env('HUB_LOCK_MS', '2000'));
const hub = createHub({
  config: testConfig(),
  logger: createLogger({ level: env('LOG_LEVEL', 'warn'), destination: { write: (s: string) => { process.stderr.write(s); } } }),
  redis,
  prefix: env('HUB_PREFIX'),
  slack: { botToken: 'xoxb-child-process-token', apiUrl: env('SLACK_API_URL'), mode: { kind: 'none' } },
  source: staticSource(advisories),
  triage: async (list) => fakeTriage(list),
  pollEveryMs: Number(env('HUB_POLL_MS', '500')),
  workers: { lockDurationMs: lockMs, stalledIntervalMs: Math.max(500, lockMs / 2), retry: { attempts: 5, backoffMs: 100 } },
});

await hub.start();
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void hub.stop().then(() => redis.quit()).then(() => process.exit(0));
});
