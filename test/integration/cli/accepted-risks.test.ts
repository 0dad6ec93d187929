/**
 * `triage` with REDIS_URL set reads the accepted risks the hub stores (`/k8s accept`): matching
 * findings carry `accepted`, keep their verdict, and no longer make the exit code 1; an
 * unreachable Redis is a warning, never a failed triage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli.ts';
import { hashTagged } from '../../../src/store/redis-connection.ts';
import { createRiskAcceptanceStore } from '../../../src/store/risk-acceptances.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const SAMPLE = resolve(REPO_ROOT, 'data/sample-feed.json');
let dir: string;
let fleet: string;
let t: TestRedis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-accepted-'));
  fleet = join(dir, 'fleet.yaml');
  writeFileSync(fleet, `
releases: { refresh: false }
environments: { prod: {} }
clusters:
  - { name: old, environment: prod, versions: { kubernetes: v1.28.3 } }
`);
  t = await testRedis('accepted-cli');
  await createRiskAcceptanceStore({ redis: t.redis, prefix: hashTagged(t.prefix) }).accept({
    advisory: 'CVE-2024-10220', target: { kind: 'cluster', name: 'old' }, until: '2099-01-15', by: 'U0ALICE', reason: 'no gitRepo volumes allowed by policy', at: '2026-12-01T00:00:00.000Z',
  });
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function triage(env: NodeJS.ProcessEnv, ...extra: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(['triage', '--config', fleet, '--feed', SAMPLE, '--format', 'json', ...extra], { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, env });
  return { code, json: JSON.parse(out.join('')) as { findings: Finding[] }, err: err.join('') };
}

describe('triage and accepted risks', () => {
  it('marks the accepted finding, keeps its verdict, and does not count it for exit 1', async () => {
    const r = await triage({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix }, '--cve', 'CVE-2024-10220');
    const f = r.json.findings.find((x) => x.advisory === 'CVE-2024-10220' && x.verdict === 'affected');
    expect(f?.accepted).toEqual({ until: '2099-01-15', by: 'U0ALICE', reason: 'no gitRepo volumes allowed by policy' });
    expect(r.code).toBe(0);
    const without = await triage({}, '--cve', 'CVE-2024-10220');
    expect(without.json.findings.some((x) => x.accepted)).toBe(false);
    expect(without.code).toBe(1);
  });

  it('other advisories on the same cluster still count', async () => {
    const r = await triage({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix });
    expect(r.json.findings.some((x) => x.advisory !== 'CVE-2024-10220' && (x.verdict === 'affected' || x.verdict === 'unfixed'))).toBe(true);
    expect(r.code).toBe(1);
  });

  it('warns, and applies none, when Redis cannot be reached', async () => {
    const r = await triage({ REDIS_URL: 'redis://127.0.0.1:1' }, '--cve', 'CVE-2024-10220');
    expect(r.err).toMatch(/REDIS_URL set but accepted risks could not be read/);
    expect(r.code).toBe(1);
  });
});
