/**
 * The latest triage of each advisory (advisory + its findings) and of the fleet (cluster posture,
 * release data). The hub's post/update jobs render from here, so a job always shows the newest
 * state however late it runs; /k8s advisories, /k8s triage and the Home tab read it too.
 */
import { createHash } from 'node:crypto';
import type { RedisClient as Redis } from './redis-connection.ts';
import type { Advisory } from '../advisory/types.ts';
import type { ClusterPosture, Finding, ReleaseDataInfo } from '../triage/types.ts';

export interface AdvisorySnapshot {
  advisory: Advisory;
  findings: Finding[];
  /** Hash of what a message shows: changes when status, ranges, severity, text or findings change. */
  hash: string;
  updatedAt: string;
  /**
   * Channels where this advisory newly had affected clusters when a fleet re-triage stored this
   * snapshot: they get a first post. Kept with the snapshot so a re-triage that died before
   * queueing those posts queues them on its retry.
   */
  newChannels?: string[];
}

export interface FleetSnapshot {
  clusters: ClusterPosture[];
  releaseData: ReleaseDataInfo | null;
  warnings: string[];
  updatedAt: string;
}

export interface SnapshotStore {
  put(snapshot: AdvisorySnapshot): Promise<void>;
  /**
   * Store `snapshot` only if the stored one still has hash `expected` (compare-and-set): a fleet
   * re-triage never overwrites what a feed poll stored meanwhile (a newer advisory text). True
   * when stored, or when the stored snapshot already has the new hash (another replica's run).
   */
  replace(snapshot: AdvisorySnapshot, expected: string): Promise<boolean>;
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

const REPLACE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, cur = pcall(cjson.decode, raw)
if not ok or type(cur) ~= 'table' then return 0 end
if cur.hash == ARGV[3] then return 1 end
if cur.hash ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

export function createSnapshotStore(options: { redis: Redis; prefix: string }): SnapshotStore {
  const { redis, prefix } = options;
  const idsKey = `${prefix}:advisories`;
  const keyOf = (id: string) => `${prefix}:advisory:${id}`;
  const fleetKey = `${prefix}:fleet`;
  return {
    async put(snapshot) {
      await redis.multi().set(keyOf(snapshot.advisory.id), JSON.stringify(snapshot)).sadd(idsKey, snapshot.advisory.id).exec();
    },
    async replace(snapshot, expected) {
      const res = await redis.eval(REPLACE, 1, keyOf(snapshot.advisory.id), JSON.stringify(snapshot), expected, snapshot.hash);
      return res === 1;
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
