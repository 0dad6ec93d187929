/**
 * The fleet posture on real Redis: written in slices into temporary keys and moved over the live
 * ones at once; remediations stored once per distinct shape and read back per cluster; a posture
 * counted over fewer advisories than the stored one is dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import type { ClusterPosture, Remediation } from '../../../src/triage/types.ts';
import { type TestRedis, testRedis } from '../../helpers/redis.ts';
import { RELEASE_DATA } from '../../unit/slack/fixtures.ts';

let redis: TestRedis;
beforeEach(async () => { redis = await testRedis('fleet-snapshot'); });
afterEach(async () => { await redis.cleanup(); });

const shape = (target: string, clears: string[]): Remediation => ({ target, path: [], clears, remains: [], summary: `→ ${target}` });

/** `count` clusters; every third shares one remediation object, the others another (as triage shares them). */
function fleet(count: number, a: Remediation, b: Remediation): ClusterPosture[] {
  return Array.from({ length: count }, (_, i) => ({
    cluster: `c-${String(i).padStart(4, '0')}`, environment: i % 2 === 0 ? 'prod' : 'staging', provider: 'kubeadm', server: 'v1.27.1', minor: '1.27',
    eol: null, supported: true, inventoryError: null, inventoryAge: null,
    ...(i % 7 === 6 ? {} : { remediation: i % 3 === 0 ? a : b }),
  }));
}

describe('fleet snapshot store', () => {
  it('round-trips a fleet larger than one slice, remediations per cluster, no temporary key left', async () => {
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const a = shape('v1.27.16', ['CVE-2099-1']);
    const b = shape('v1.28.15', ['CVE-2099-1', 'CVE-2099-2']);
    const clusters = fleet(1_203, a, b);
    expect(await snapshots.putFleet({ clusters, releaseData: RELEASE_DATA, warnings: ['w'], updatedAt: '2026-12-01T00:00:00Z' }, { advisories: 2 })).toBe(true);
    const stored = await snapshots.getFleet();
    expect(stored?.clusters).toEqual(clusters);
    expect(stored).toMatchObject({ releaseData: RELEASE_DATA, warnings: ['w'], updatedAt: '2026-12-01T00:00:00Z' });
    expect(await snapshots.getReleaseData()).toEqual(RELEASE_DATA);

    const names = [...clusters.map((c) => c.cluster), 'not-in-fleet'];
    const got = await snapshots.getRemediations(names);
    expect(got.size).toBe(clusters.filter((c) => c.remediation).length);
    for (const c of clusters) expect(got.get(c.cluster)).toEqual(c.remediation);
    expect(got.has('not-in-fleet')).toBe(false);
    // Two distinct remediations stored once each.
    expect(await redis.redis.hlen(`${redis.prefix}:fleet-remediation-shape`)).toBe(2);
    expect((await redis.redis.keys(`${redis.prefix}:*tmp*`))).toEqual([]);
    expect(await redis.redis.ttl(`${redis.prefix}:fleet`)).toBe(-1);
  });

  it('drops a posture counted over fewer advisories than the stored one; the same count or more replaces it', async () => {
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const two = shape('v1.27.16', ['CVE-2099-1', 'CVE-2099-2']);
    const one = shape('v1.27.5', ['CVE-2099-1']);
    const put = (r: Remediation, advisories: number, at: string) => snapshots.putFleet({ clusters: fleet(3, r, r), releaseData: null, warnings: [], updatedAt: at }, { advisories });
    expect(await put(two, 2, 't1')).toBe(true);
    expect(await put(one, 1, 't2')).toBe(false);
    expect((await snapshots.getRemediations(['c-0000'])).get('c-0000')).toEqual(two);
    expect((await snapshots.getFleet())?.updatedAt).toBe('t1');
    expect((await redis.redis.keys(`${redis.prefix}:*tmp*`))).toEqual([]);
    expect(await put(one, 2, 't3')).toBe(true);
    expect((await snapshots.getRemediations(['c-0000'])).get('c-0000')).toEqual(one);
  });

  it('reads remediations stored the older way (one JSON per cluster) until the next posture is written', async () => {
    const snapshots = createSnapshotStore({ redis: redis.redis, prefix: redis.prefix });
    const r = shape('v1.27.16', ['CVE-2099-1']);
    await redis.redis.hset(`${redis.prefix}:fleet-remediation`, 'prod-eu', JSON.stringify(r));
    expect((await snapshots.getRemediations(['prod-eu', 'stage-1']))).toEqual(new Map([['prod-eu', r]]));
    await snapshots.putFleet({ clusters: fleet(2, r, r), releaseData: null, warnings: [], updatedAt: 't' });
    expect(await redis.redis.exists(`${redis.prefix}:fleet-remediation`)).toBe(0);
    expect((await snapshots.getRemediations(['prod-eu'])).size).toBe(0);
  });
});
