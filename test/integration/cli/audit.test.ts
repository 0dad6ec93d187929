/**
 * `k8s-advisor audit` against a scripted sequence of sign-off events and accepted risks in real
 * Redis: every vote, refusal, transition and evidence hash is in the export, in order, in each
 * format; an unreachable Redis is exit 2 naming REDIS_URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli.ts';
import { evidenceHash } from '../../../src/signoff/machine.ts';
import type { SignoffPolicy } from '../../../src/signoff/types.ts';
import { createRiskAcceptanceStore } from '../../../src/store/risk-acceptances.ts';
import { createSignoffStore } from '../../../src/store/signoff.ts';
import { REDIS_URL, testRedis, type TestRedis } from '../../helpers/redis.ts';

const POLICY: SignoffPolicy = { roles: ['platform', 'security'], quorum: 2, selfApproval: false, expiresMs: 86_400_000, cancel: ['platform'] };
let dir: string;
let config: string;
let t: TestRedis;
let planHash: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-audit-'));
  config = join(dir, 'fleet.yaml');
  writeFileSync(config, `
releases: { refresh: false }
environments: { prod: { signoff: { roles: [platform, security], quorum: 2 } } }
clusters: [ { name: prod-eu, environment: prod, versions: { kubernetes: v1.35.2 } } ]
roles: { platform: { users: [UPLAT] }, security: { users: [USEC] } }
`);
  t = await testRedis('audit-cli');
  let clock = new Date('2026-12-08T09:00:00Z');
  const tick = () => { clock = new Date(clock.getTime() + 60_000); };
  const store = createSignoffStore({ redis: t.redis, prefix: t.prefix, now: () => clock });
  const plan = { title: 'prod-2026-12-10 plan', lines: ['prod-eu: v1.35.2 → v1.35.8, clears 2 advisories'] };
  planHash = evidenceHash(plan);
  const { request } = await store.open({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'UREQ', evidence: plan, policy: POLICY, now: clock });
  tick();
  await store.apply(request.id, { type: 'vote', user: 'UREQ', roles: ['platform'], decision: 'approve', via: 'button' }, POLICY);
  tick();
  await store.apply(request.id, { type: 'vote', user: 'UPLAT', roles: ['platform'], decision: 'approve', via: 'button' }, POLICY);
  tick();
  await store.comment(request.id, 'USEC', 'looked at the plan, "fine", go');
  tick();
  await store.apply(request.id, { type: 'vote', user: 'USEC', roles: ['security'], decision: 'approve', via: 'thread' }, POLICY);
  await store.open({ window: 'staging-2026-12-08', environment: 'staging', phase: 'plan', requester: 'UREQ', evidence: plan, policy: POLICY, now: clock });
  await createRiskAcceptanceStore({ redis: t.redis, prefix: t.prefix }).accept({
    advisory: 'CVE-2024-10220', target: { kind: 'cluster', name: 'prod-eu' }, until: '2027-01-15', by: 'USEC', reason: 'no gitRepo volumes allowed by policy', at: '2026-12-08T10:00:00.000Z',
  });
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, env });
  return { code, out: out.join(''), err: err.join('') };
}

describe('k8s-advisor audit', () => {
  it('exports the scripted sequence as JSON, in order, bound to the evidence hash', async () => {
    const r = await cli({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix }, 'audit', '--config', config, '--window', 'prod-2026-12-10', '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { entries: { type: string; user: string; change: string; evidenceHash: string; reason: string }[] };
    expect(json.entries.map((e) => [e.type, e.user])).toEqual([
      ['request', 'UREQ'], ['refused', 'UREQ'], ['vote', 'UPLAT'], ['comment', 'USEC'], ['vote', 'USEC'], ['transition', 'USEC'],
    ]);
    expect(json.entries[1]?.reason).toMatch(/self-approval is off/);
    expect(json.entries[5]?.change).toBe('pending → approved');
    expect(new Set(json.entries.map((e) => e.evidenceHash))).toEqual(new Set([planHash]));
  });

  it('writes CSV a spreadsheet reads safely, and Markdown per window with accepted risks', async () => {
    const csv = await cli({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix }, 'audit', '--config', config, '--format', 'csv');
    expect(csv.code).toBe(0);
    const lines = csv.out.trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,type,window,phase,request,round,user,decision,change,reason,evidenceHash,detail');
    expect(lines.some((l) => l.includes('"looked at the plan, ""fine"", go"'))).toBe(true);
    expect(lines.some((l) => l.includes('accepted until 2027-01-15'))).toBe(true);

    const md = await cli({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix }, 'audit', '--config', config);
    expect(md.out).toMatch(/## prod-2026-12-10/);
    expect(md.out).toMatch(/## staging-2026-12-08/);
    expect(md.out).toMatch(/## Accepted risks[\s\S]*CVE-2024-10220 cluster prod-eu/);
  });

  it('filters by --since', async () => {
    const r = await cli({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix }, 'audit', '--config', config, '--window', 'prod-2026-12-10', '--since', '2026-12-08T09:03:00Z', '--format', 'json');
    const json = JSON.parse(r.out) as { entries: { type: string }[] };
    expect(json.entries.map((e) => e.type)).toEqual(['comment', 'vote', 'transition']);
    const bad = await cli({ REDIS_URL, K8S_ADVISOR_PREFIX: t.prefix }, 'audit', '--config', config, '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--since "yesterday" is not a date/);
  });

  it('fails with exit 2 naming REDIS_URL when Redis is unreachable', async () => {
    const r = await cli({ REDIS_URL: 'redis://:secret@127.0.0.1:1' }, 'audit', '--config', config);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1.* is unreachable/);
    expect(r.err).toMatch(/hint: set REDIS_URL/);
    expect(r.err).not.toMatch(/secret/);
    expect(r.out).toBe('');
  });
});
