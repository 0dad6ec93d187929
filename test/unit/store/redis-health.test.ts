import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../../src/store/redis-connection.ts';
import { watchRedisHealth } from '../../../src/store/redis-health.ts';

/** The events ioredis emits during an outage, without a server: close, then one error per retry, then ready. */
class FakeClient extends EventEmitter {
  status = 'ready';
  drop() {
    this.status = 'reconnecting';
    this.emit('close');
  }
  retryFails() {
    this.emit('error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
  }
  back() {
    this.status = 'ready';
    this.emit('ready');
  }
}

function setup(repeatEveryMs = 60_000) {
  const client = new FakeClient();
  const lines: { level: 'warn' | 'info'; msg: string; obj: Record<string, unknown> }[] = [];
  let t = 1_000_000;
  const changes: boolean[] = [];
  const health = watchRedisHealth({
    client: client as unknown as RedisClient,
    logger: {
      warn: ((obj: Record<string, unknown>, msg: string) => { lines.push({ level: 'warn', msg, obj }); }) as never,
      info: ((obj: Record<string, unknown>, msg: string) => { lines.push({ level: 'info', msg, obj }); }) as never,
    },
    repeatEveryMs,
    now: () => t,
    onChange: (up) => changes.push(up),
  });
  return { client, lines, health, changes, advance: (ms: number) => { t += ms; } };
}

describe('watchRedisHealth', () => {
  it('says once that Redis is gone, reminds at most every repeatEveryMs, and once that it is back', () => {
    const { client, lines, health, changes, advance } = setup(60_000);
    expect(health.isUp()).toBe(true);
    client.drop();
    // 20 s of an outage at 24 retries a second (what the hub's connections produced together).
    for (let i = 0; i < 480; i++) {
      advance(1000 / 24);
      client.retryFails();
    }
    expect(health.isUp()).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^Redis is unavailable/) });
    // A long outage: one reminder a minute, with how many errors it stands for.
    for (let i = 0; i < 60 * 24; i++) {
      advance(1000 / 24);
      client.retryFails();
    }
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^Redis is unavailable/), 'Redis still unavailable']);
    expect(lines[1]?.obj.errorsSinceLastLine).toBeGreaterThan(1000);
    client.back();
    expect(health.isUp()).toBe(true);
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'Redis is back', obj: { downForMs: expect.any(Number) } });
    expect(lines.at(-1)?.obj.downForMs as number).toBeGreaterThanOrEqual(79_000);
    expect(changes).toEqual([false, true]);
  });

  it('reports since() for readiness and counts other connections’ errors instead of logging them', () => {
    const { client, lines, health, advance } = setup();
    const upSince = health.since().getTime();
    advance(5_000);
    expect(health.connectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(health.connectionError(new Error('WRONGTYPE Operation against a key'))).toBe(false);
    expect(health.isUp()).toBe(true);
    client.drop();
    expect(health.since().getTime()).toBe(upSince + 5_000);
    expect(lines).toHaveLength(1);
  });

  it('is not an outage when the client is closed on purpose, nor a return when it first connects', () => {
    const client = new FakeClient();
    client.status = 'connecting';
    const lines: string[] = [];
    const health = watchRedisHealth({
      client: client as unknown as RedisClient,
      logger: { warn: ((_o: unknown, m: string) => { lines.push(m); }) as never, info: ((_o: unknown, m: string) => { lines.push(m); }) as never },
    });
    client.back();
    expect(health.isUp()).toBe(true);
    client.status = 'end';
    client.emit('close');
    expect(health.isUp()).toBe(true);
    health.close();
    client.emit('error', new Error('connect ECONNREFUSED'));
    expect(lines).toEqual([]);
  });
});
