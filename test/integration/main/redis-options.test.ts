/** Bad Redis settings stop the hub and the agent at once (exit 2) with a message naming what to fix. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-redis-opts-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

function config(redis: string): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, `
environments: { prod: {} }
clusters:
  - { name: remote, environment: prod, agent: true }
${redis}
`);
  return file;
}

async function exitOf(args: string[], env: Record<string, string>): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await run(args, {
    stdout: () => undefined, stderr: (t) => { err.push(t); },
    env: { SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', HEALTH_PORT: '0', LOG_LEVEL: 'silent', ...env },
  });
  return { code, err: err.join('') };
}

describe('Redis settings', () => {
  it.each([
    ['a config node that is not host:port', 'redis: { cluster: { nodes: ["nohost"] } }', {}, /redis\.cluster\.nodes\[0\]: "nohost": expected "host:port"/],
    ['cluster and sentinel together', 'redis: { cluster: { nodes: ["a:1"] }, sentinel: { name: m, sentinels: ["b:2"] } }', {}, /redis: give either cluster or sentinel, not both/],
    ['a REDIS_URL that is not redis://, password hidden', '', { REDIS_URL: 'http://u:hunter22@127.0.0.1:6379' }, /REDIS_URL: "http:\/\/u:\*\*\*@127\.0\.0\.1:6379\/" is not a redis:\/\/ or rediss:\/\/ URL/],
    ['unreachable cluster nodes', 'redis: { cluster: { nodes: ["127.0.0.1:1"] } }', {}, /cannot reach Redis at cluster 127\.0\.0\.1:1[^]*hint: check redis\.cluster in the config and REDIS_PASSWORD/],
  ])('%s: exit 2, named', async (_label, redis, env, message) => {
    for (const args of [['hub', '--config', config(redis)], ['agent', '--cluster', 'remote', '--config', config(redis)]]) {
      const { code, err } = await exitOf(args, env);
      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(err).not.toContain('hunter22');
    }
  });
});
