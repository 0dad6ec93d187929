/**
 * An advisory post shows each affected cluster's one remediation across every open advisory
 * ("fixed in v1.27.3 (smallest); recommended v1.27.16 (clears all 2 open advisories)"). A second
 * advisory changes that recommendation without changing the first advisory's findings: the
 * first post is updated once (chat.update and a reply in its thread), never posted again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import type { Finding, Remediation, TriageResult } from '../../../src/triage/types.ts';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { POSTURE, RELEASE_DATA, advisory, finding } from '../../unit/slack/fixtures.ts';
import { postStats, settled, startHub } from './harness.ts';

const A = 'CVE-2099-93001';
const B = 'CVE-2099-93002';

/**
 * prod-eu (C0PROD, v1.27.1) is affected by every advisory (smallest fixes v1.27.3, v1.27.5);
 * the others by none. Its remediation is computed the way triage does: over the advisories of
 * the call, one target that clears them all.
 */
function triageOf(calls: string[][]) {
  return async (advisories: Advisory[]): Promise<TriageResult> => {
    calls.push(advisories.map((a) => a.id).sort());
    const fixed: Record<string, string> = { [A]: 'v1.27.3', [B]: 'v1.27.5' };
    const findings: Finding[] = advisories.flatMap((a) => [
      finding(a.id, 'prod-eu', 'prod', { fixedTarget: fixed[a.id] ?? 'v1.27.3' }),
      finding(a.id, 'prod-us', 'prod', { verdict: 'not-affected', fixedTarget: null, version: 'v1.29.4-eks-036c24b' }),
      finding(a.id, 'stage-1', 'staging', { verdict: 'not-affected', fixedTarget: null, version: 'v1.28.2' }),
    ]);
    const clears = advisories.map((a) => a.id).sort();
    const remediation: Remediation = { target: 'v1.27.16', path: [], clears, remains: [], summary: `v1.27.1 → v1.27.16 clears ${clears.length}` };
    const clusters = POSTURE.map((p) => (p.cluster === 'prod-eu' ? { ...p, remediation } : p));
    return { advisories, findings, clusters, releaseData: RELEASE_DATA, warnings: [] };
  };
}

let redis: TestRedis;
let fake: FakeSlack;
let hub: Hub | null;

beforeEach(async () => {
  redis = await testRedis('hub-remediation');
  fake = await startFakeSlack();
  hub = null;
});

afterEach(async () => {
  await hub?.stop();
  await fake.close();
  await redis.cleanup();
});

const marker = (m: FakeMessage) => String(m.metadata?.event_payload.marker ?? '');
const parentOf = (id: string) => fake.messages.filter((m) => m.threadTs === null && m.channel === 'C0PROD' && marker(m).startsWith(`${id}/`));
const text = (blocks: unknown) => JSON.stringify(blocks);

describe('a changed recommendation', () => {
  it('updates the first advisory\'s post once when a second advisory changes it', async () => {
    const calls: string[][] = [];
    const started = await startHub({ redis, fake, advisories: [advisory(A)], http: false, overrides: { triage: triageOf(calls) } });
    hub = started.hub;
    await hub.pollNow();
    await settled(hub, 'first poll');
    const [postA] = parentOf(A);
    expect(postA).toBeDefined();
    const first = postA as FakeMessage;
    expect(text(first.blocks)).toContain('recommended v1.27.16 (clears 1 open advisory)');

    // The feed reports only the new advisory, as the watcher's diff does.
    started.src.set([advisory(B)]);
    await hub.pollNow();
    await settled(hub, 'second poll');
    // A was triaged again beside B: the remediation counts every open advisory.
    expect(calls.at(-1)).toEqual([A, B]);

    expect(parentOf(A)).toHaveLength(1);
    expect(parentOf(B)).toHaveLength(1);
    expect(text(parentOf(B)[0]?.blocks)).toContain('recommended v1.27.16 (clears all 2 open advisories)');
    const updates = fake.callsOf('chat.update').filter((c) => c.args.ts === first.ts);
    expect(updates).toHaveLength(1);
    expect(text(updates[0]?.args.blocks)).toContain('recommended v1.27.16 (clears all 2 open advisories)');
    const replies = fake.messages.filter((m) => m.threadTs === first.ts);
    expect(replies).toHaveLength(1);
    expect(text(replies[0]?.blocks)).toContain('prod-eu: recommended v1.27.16 (clears all 2 open advisories) (was recommended v1.27.16 (clears 1 open advisory))');

    // Nothing new: the next poll and a fleet re-triage leave both posts alone.
    const posted = fake.callsOf('chat.postMessage').length;
    await hub.pollNow();
    await hub.retriageNow();
    await settled(hub, 'quiet runs');
    expect(fake.callsOf('chat.postMessage').length).toBe(posted);
    expect(fake.callsOf('chat.update').filter((c) => c.args.ts === first.ts)).toHaveLength(1);
    expect(postStats(fake).duplicates).toEqual([]);
  });
});
