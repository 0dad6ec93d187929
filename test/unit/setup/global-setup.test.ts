import { describe, expect, it } from 'vitest';
import { noRedisMessage, pingOnce } from '../../global-setup.ts';
import { REDIS_URL } from '../../helpers/redis.ts';

describe('npm test without a Redis', () => {
  it('one ping, no retries: the reason comes back at once', async () => {
    const reason = await pingOnce('redis://127.0.0.1:1', 1_000);
    expect(reason).toMatch(/ECONNREFUSED/);
    expect(await pingOnce(REDIS_URL)).toBeNull();
  });

  it.each([
    ['redis://127.0.0.1:6390', /REDIS_URL=redis:\/\/127\.0\.0\.1:6390[^]*redis-server --daemonize yes --port 6390 --save "" --appendonly no/],
    ['redis://:s3cret-pw@redis.example:6379', /REDIS_URL=redis:\/\/:\*\*\*@redis\.example:6379/],
    ['redis://agent:s3cret-pw@10.0.0.5', /REDIS_URL=redis:\/\/agent:\*\*\*@10\.0\.0\.5[^]*--port 6379/],
  ])('names REDIS_URL (%s) and how to start one, never the password', (url, message) => {
    const text = noRedisMessage(url, 'connect ECONNREFUSED');
    expect(text).toMatch(message);
    expect(text).toContain('connect ECONNREFUSED');
    expect(text).not.toContain('s3cret-pw');
  });
});
