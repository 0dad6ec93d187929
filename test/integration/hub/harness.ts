/** Shared set-up for the hub integration tests: a hub on real Redis and the fake Slack. */
import type { Advisory } from '../../../src/advisory/types.ts';
import { createHub, type Hub, type HubOptions } from '../../../src/hub/hub.ts';
import { createLogger, type Logger } from '../../../src/log.ts';
import type { FakeSlack } from '../../helpers/fake-slack.ts';
import type { TestRedis } from '../../helpers/redis.ts';
import { fakeTriage, testConfig } from '../../unit/slack/fixtures.ts';

export const BOT_TOKEN = 'xoxb-test-1234567890-secret-bot-token';
export const SIGNING_SECRET = 'sign1ng-secret-0123456789abcdef';

/** A source that returns the current list on every poll (repeats are harmless by design). */
export function listSource(initial: Advisory[]) {
  let list = initial;
  let polls = 0;
  let commits = 0;
  return {
    source: {
      poll: async () => { polls++; return { advisories: list }; },
      commit: async () => { commits++; },
    },
    set(next: Advisory[]) { list = next; },
    polls: () => polls,
    commits: () => commits,
  };
}

export function memoryLogger(level = 'debug'): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => { lines.push(s); } } });
  return { logger, text: () => lines.join('') };
}

export async function startHub(opts: {
  redis: TestRedis;
  fake: FakeSlack;
  advisories?: Advisory[];
  http?: boolean;
  /** Socket Mode with this app-level token (against `fake.socket`) instead of HTTP mode. */
  socketAppToken?: string;
  logger?: Logger;
  overrides?: Partial<HubOptions>;
}): Promise<{ hub: Hub; url: string; src: ReturnType<typeof listSource> }> {
  const src = listSource(opts.advisories ?? []);
  const hub = createHub({
    config: testConfig(),
    logger: opts.logger ?? createLogger({ level: 'silent' }),
    redis: opts.redis.redis,
    prefix: opts.redis.prefix,
    slack: {
      botToken: BOT_TOKEN,
      apiUrl: opts.fake.apiUrl,
      mode: opts.socketAppToken ? { kind: 'socket', appToken: opts.socketAppToken }
        : opts.http === false ? { kind: 'none' } : { kind: 'http', signingSecret: SIGNING_SECRET, port: 0, host: '127.0.0.1' },
    },
    source: src.source,
    triage: async (advisories) => fakeTriage(advisories),
    // Polls only when a test asks (pollNow): keeps each test's sequence explicit.
    pollEveryMs: 24 * 3600_000,
    // Fleet re-triage likewise only on retriageNow.
    retriageEveryMs: 24 * 3600_000,
    workers: { retry: { attempts: 3, backoffMs: 50 }, lockDurationMs: 5_000, stalledIntervalMs: 5_000 },
    ...opts.overrides,
  });
  const { port } = await hub.start();
  return { hub, url: `http://127.0.0.1:${port ?? 0}/slack/events`, src };
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Top-level posts per channel, and any marker posted twice. */
export function postStats(fake: FakeSlack) {
  const top = fake.messages.filter((m) => m.threadTs === null);
  const perChannel: Record<string, number> = {};
  const seen = new Map<string, number>();
  for (const m of fake.messages) {
    const marker = String(m.metadata?.event_payload.marker ?? '');
    seen.set(marker, (seen.get(marker) ?? 0) + 1);
  }
  for (const m of top) perChannel[m.channel] = (perChannel[m.channel] ?? 0) + 1;
  const duplicates = [...seen.entries()].filter(([, n]) => n > 1).map(([k]) => k);
  return { top: top.length, perChannel, duplicates };
}

/**
 * Resolves once the feed and retriage queues have nothing waiting or running (the schedulers'
 * next runs wait as delayed jobs) and then the slack queue has nothing left at all.
 */
export async function settled(hub: Hub, what: string): Promise<void> {
  const idle = async (queue: Hub['queues'][keyof Hub['queues']], states: ('waiting' | 'active' | 'delayed' | 'prioritized')[]) =>
    Object.values(await queue.getJobCounts(...states)).every((n) => n === 0);
  await waitFor(async () => (await idle(hub.queues.feed, ['waiting', 'active', 'prioritized'])) && idle(hub.queues.retriage, ['waiting', 'active', 'prioritized']), `${what}: polls and re-triages done`);
  await waitFor(() => idle(hub.queues.slack, ['waiting', 'active', 'delayed', 'prioritized']), `${what}: deliveries done`);
}
