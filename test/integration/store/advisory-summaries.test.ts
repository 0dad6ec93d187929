/**
 * /k8s advisories and App Home read who needs attention from the advisory heads alone: the same
 * answer as decoding every finding, without reading a single page of findings.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attentionOf } from '../../../src/notify/attention.ts';
import { planDeliveries } from '../../../src/notify/plan.ts';
import { createRouting } from '../../../src/notify/routing.ts';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import type { Finding } from '../../../src/triage/types.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { advisory, finding, testConfig } from '../../unit/slack/fixtures.ts';

let t: TestRedis;
beforeEach(async () => { t = await testRedis('summaries'); });
afterEach(async () => { await t.cleanup(); });

const A = 'CVE-2099-31001';
const B = 'CVE-2099-31002';
const config = testConfig();

/** A fleet of `n` clusters per environment with every verdict, some risks accepted. */
function fleetFindings(id: string, n: number): Finding[] {
  const verdicts: Finding['verdict'][] = ['affected', 'not-affected', 'unknown', 'unfixed', 'not-affected'];
  const out: Finding[] = [];
  for (const env of ['prod', 'staging', 'qa']) {
    for (let i = 0; i < n; i++) {
      out.push(finding(id, `${env}-${String(i).padStart(4, '0')}`, env, {
        verdict: verdicts[i % verdicts.length] as Finding['verdict'],
        ...(i % 17 === 0 ? { accepted: { until: '2099-01-01', by: 'U1', reason: 'replaced next week' } } : {}),
      }));
    }
  }
  return out;
}

describe('advisory summaries', () => {
  it('answer from the heads alone what decoding every finding would', async () => {
    const snapshots = createSnapshotStore({ redis: t.redis, prefix: t.prefix });
    const findings = { [A]: fleetFindings(A, 2500), [B]: fleetFindings(B, 3).map((f) => ({ ...f, verdict: 'not-affected' as const })) };
    const plan = planDeliveries(new Map(), { advisories: [advisory(A), advisory(B)], findings: [...findings[A], ...findings[B]] }, createRouting(config));
    for (const p of plan.advisories) await snapshots.putView(p.view, '2026-12-01T00:00:00Z');

    const expected = new Map([[A, attentionOf(findings[A])], [B, attentionOf(findings[B])]]);
    expect(expected.get(A)?.attention.count).toBeGreaterThan(1000);
    expect(expected.get(A)?.unknown.count).toBeGreaterThan(1000);
    const fromHeads = new Map((await snapshots.listSummaries()).map((s) => [s.advisory.id, s.summary]));
    expect(fromHeads).toEqual(expected);

    // No page is read: with every page of findings gone the summaries are unchanged (and a full read fails).
    const pages = await t.redis.keys(`${t.prefix}:advisory:*:part:*`);
    expect(pages.length).toBeGreaterThan(3);
    await t.redis.del(...pages);
    expect(new Map((await snapshots.listSummaries()).map((s) => [s.advisory.id, s.summary]))).toEqual(expected);
    await expect(snapshots.get(A)).rejects.toThrow(/missing/);
  });

  it('summarise heads stored before the summaries existed (inline, or parts without a tally) from their findings, once', async () => {
    const snapshots = createSnapshotStore({ redis: t.redis, prefix: t.prefix });
    const inline = fleetFindings(A, 20);
    await snapshots.put({ advisory: advisory(A), findings: inline, hash: 'h1', updatedAt: '2026-12-01T00:00:00Z' });

    const older = fleetFindings(B, 20);
    const plan = planDeliveries(new Map(), { advisories: [advisory(B)], findings: older }, createRouting(config));
    await snapshots.putView((plan.advisories[0] as (typeof plan.advisories)[number]).view, '2026-12-01T00:00:00Z');
    // Strip the summaries, as a head written by the previous release has none.
    const key = `${t.prefix}:advisory:${B}`;
    const head = JSON.parse((await t.redis.get(key)) as string) as { parts: Record<string, { attention?: unknown }> };
    for (const part of Object.values(head.parts)) delete part.attention;
    await t.redis.set(key, JSON.stringify(head));
    await t.redis.del(`${t.prefix}:advisory-summaries`);

    const want = new Map([[A, attentionOf(inline)], [B, attentionOf(older)]]);
    expect(new Map((await snapshots.listSummaries()).map((s) => [s.advisory.id, s.summary]))).toEqual(want);
    // Kept: the next answer reads the summaries alone (the findings may be gone by then).
    expect(await t.redis.hlen(`${t.prefix}:advisory-summaries`)).toBe(2);
    await t.redis.del(...await t.redis.keys(`${t.prefix}:advisory:*:part:*`));
    expect(new Map((await snapshots.listSummaries()).map((s) => [s.advisory.id, s.summary]))).toEqual(want);
  });

  it('follow a compare-and-set replace, and not a refused one', async () => {
    const snapshots = createSnapshotStore({ redis: t.redis, prefix: t.prefix });
    const first = fleetFindings(A, 10);
    await snapshots.put({ advisory: advisory(A), findings: first, hash: 'h1', updatedAt: '2026-12-01T00:00:00Z' });
    const none = first.map((f) => ({ ...f, verdict: 'not-affected' as const }));
    expect(await snapshots.replace({ advisory: advisory(A), findings: none, hash: 'h2', updatedAt: '2026-12-01T00:01:00Z' }, 'stale')).toBe(false);
    expect((await snapshots.listSummaries())[0]?.summary).toEqual(attentionOf(first));
    expect(await snapshots.replace({ advisory: advisory(A), findings: none, hash: 'h2', updatedAt: '2026-12-01T00:01:00Z' }, 'h1')).toBe(true);
    expect((await snapshots.listSummaries())[0]?.summary).toEqual(attentionOf(none));
  });

  it('is empty before the first poll', async () => {
    expect(await createSnapshotStore({ redis: t.redis, prefix: t.prefix }).listSummaries()).toEqual([]);
  });
});
