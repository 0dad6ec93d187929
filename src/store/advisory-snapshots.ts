/**
 * The latest triage of each advisory (advisory + its findings) and of the fleet (cluster posture,
 * release data). The hub's post/update jobs render from here, so a job always shows the newest
 * state however late it runs; /k8s advisories, /k8s triage and the Home tab read it too.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Advisory } from '../advisory/types.ts';
import type { ClusterPosture, Finding, ReleaseDataInfo } from '../triage/types.ts';

export interface AdvisorySnapshot {
  advisory: Advisory;
  findings: Finding[];
  /** Hash of what a message shows: changes when status, ranges, severity, text or findings change. */
  hash: string;
  updatedAt: string;
}

export interface FleetSnapshot {
  clusters: ClusterPosture[];
  releaseData: ReleaseDataInfo | null;
  warnings: string[];
  updatedAt: string;
}

export interface SnapshotStore {
  put(snapshot: AdvisorySnapshot): Promise<void>;
  get(id: string): Promise<AdvisorySnapshot | null>;
  list(): Promise<AdvisorySnapshot[]>;
  putFleet(fleet: FleetSnapshot): Promise<void>;
  getFleet(): Promise<FleetSnapshot | null>;
}

export function snapshotHash(advisory: Advisory, findings: readonly Finding[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([
    advisory.contentHash, advisory.status, advisory.severity, advisory.ranges, advisory.title, advisory.mitigation, advisory.unfixed,
    [...findings]
      .map((f) => [f.cluster, f.component, f.version, f.verdict, f.fixedTarget, f.upgradePath, f.notes ?? []])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  ]));
  return h.digest('hex');
}

export function createSnapshotStore(options: { redis: Redis; prefix: string }): SnapshotStore {
  const { redis, prefix } = options;
  const idsKey = `${prefix}:advisories`;
  const keyOf = (id: string) => `${prefix}:advisory:${id}`;
  const fleetKey = `${prefix}:fleet`;
  return {
    async put(snapshot) {
      await redis.multi().set(keyOf(snapshot.advisory.id), JSON.stringify(snapshot)).sadd(idsKey, snapshot.advisory.id).exec();
    },
    async get(id) {
      const raw = await redis.get(keyOf(id));
      return raw === null ? null : (JSON.parse(raw) as AdvisorySnapshot);
    },
    async list() {
      const ids = await redis.smembers(idsKey);
      if (ids.length === 0) return [];
      const raws = await redis.mget(...ids.map(keyOf));
      return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as AdvisorySnapshot);
    },
    async putFleet(fleet) {
      await redis.set(fleetKey, JSON.stringify(fleet));
    },
    async getFleet() {
      const raw = await redis.get(fleetKey);
      return raw === null ? null : (JSON.parse(raw) as FleetSnapshot);
    },
  };
}
