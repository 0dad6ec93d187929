/**
 * The latest triage of each advisory (advisory + its findings) and of the fleet (cluster posture,
 * release data). The hub's post/update jobs render from here, so a job always shows the newest
 * state however late it runs; /k8s advisories, /k8s triage and the Home tab read it too.
 *
 * Layout (every key under the deployment prefix, so a hash-tagged prefix keeps one slot):
 * - `advisory:<id>` the view's head: advisory, view hash, per channel its render hash and
 *   affected clusters, and the channels owed a first post;
 * - `advisory:<id>:part:<channel|->:<hash16>:<page>` that channel's findings (`-`: clusters no
 *   channel receives) in pages of 2,000, content-addressed by the part's render hash (pages keep
 *   every JSON encode and decode short: a 10,000-cluster channel is tens of megabytes). Parts are written before the head
 *   that names them, so a reader never sees a head without its findings, and a post job reads
 *   only its own channel's findings, not the whole fleet's. Parts a new head no longer names
 *   expire after a grace period (a reader holding the old head still finds them).
 *
 * Heads written by `put`/`replace` (findings inline, no per-channel parts) are read too.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient as Redis } from './redis-connection.ts';
import type { Advisory } from '../advisory/types.ts';
import type { AdvisoryView, ChannelView } from '../notify/plan.ts';
import { type AttentionSummary, affectedClusterNames, attentionOf, mergeAttention } from '../notify/attention.ts';
import { pageBuffer } from '../notify/routing.ts';
import type { ClusterPosture, Finding, ReleaseDataInfo, Remediation } from '../triage/types.ts';

export interface AdvisorySnapshot {
  advisory: Advisory;
  findings: Finding[];
  /** Hash of what the messages show: changes when status, ranges, severity, text or findings change. */
  hash: string;
  updatedAt: string;
  /**
   * Channels where this advisory newly had affected clusters when a fleet re-triage stored this
   * snapshot: they get a first post. Kept with the snapshot so a re-triage that died before
   * queueing those posts queues them on its retry.
   */
  newChannels?: string[];
}

/** A stored view without its findings: what planning a re-triage needs. */
export interface SnapshotHead {
  advisory: Advisory;
  hash: string;
  updatedAt: string;
  newChannels?: string[];
  /** Per channel: render hash and clusters affected, unfixed or unknown. Absent for inline heads. */
  channels?: Record<string, { hash: string; affected: string[] }>;
  /** Clusters affected, unfixed or unknown in any channel. */
  affected: string[];
}

/** One channel's findings of an advisory, as its post job renders them. */
/** One channel's findings of an advisory as stored: JSON pages of `Finding[]`, not decoded. */
export interface ChannelPages {
  advisory: Advisory;
  /** The channel's render hash; null for an inline head (the caller routes and hashes itself). */
  hash: string | null;
  pages: string[];
  split: boolean;
}

export interface ChannelSnapshot {
  advisory: Advisory;
  /** The channel's render hash; null for an inline head (the caller routes and hashes itself). */
  hash: string | null;
  /** The channel's findings; for an inline head every finding of the advisory. */
  findings: Finding[];
  split: boolean;
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
  /** Store a planned view (notify/plan.ts), per channel. With `expected`, compare-and-set as `replace`. */
  putView(view: AdvisoryView, updatedAt: string, expected?: string): Promise<boolean>;
  get(id: string): Promise<AdvisorySnapshot | null>;
  getChannel(id: string, channel: string): Promise<ChannelSnapshot | null>;
  /** The same, pages left encoded (for a renderer that decodes them off the main thread). */
  getChannelPages(id: string, channel: string): Promise<ChannelPages | null>;
  list(): Promise<AdvisorySnapshot[]>;
  /**
   * Every advisory with who it needs attention on, from a small hash written with each head (two
   * Redis reads of a few kilobytes whatever the fleet size): what /k8s advisories and App Home show.
   */
  listSummaries(): Promise<AdvisoryListEntry[]>;
  /** Every head, without findings. */
  listHeads(): Promise<SnapshotHead[]>;
  /**
   * Store the fleet posture. `advisories`: how many advisories the triage behind it counted. The
   * set of known advisories only grows, so a posture over fewer than the stored one's (a
   * re-triage that started before a feed poll added one) is older: it is dropped (false), and
   * the remediations the posts show never go back to fewer advisories.
   */
  putFleet(fleet: FleetSnapshot, options?: { advisories?: number }): Promise<boolean>;
  /** The stored remediation of these clusters (written with the fleet): what advisory messages recommend. */
  getRemediations(clusters: readonly string[]): Promise<Map<string, Remediation>>;
  getFleet(): Promise<FleetSnapshot | null>;
  /** Only the fleet snapshot's release data (small: what every advisory message shows). */
  getReleaseData(): Promise<ReleaseDataInfo | null>;
}

interface StoredHead {
  advisory: Advisory;
  hash: string;
  updatedAt: string;
  newChannels?: string[];
  /** Inline form (put/replace). */
  findings?: Finding[];
  /** Split form (putView): channel ("-" for unrouted) → part. */
  parts?: Record<string, StoredPart>;
}

interface StoredPart {
  hash: string;
  affected: string[];
  /** Pages of findings (absent: 1). */
  pages?: number;
  /** Who needs attention (absent in heads written before it existed: decoded from the findings). */
  attention?: AttentionSummary;
}

/** Lets other work run between two pages of encoding or decoding. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Seconds a part stays readable after a newer head stopped naming it. */
const PART_GRACE_S = 600;
/** Clusters per slice when the fleet posture is written or remediations read. */
const FLEET_SLICE = 500;
/** Seconds a half-written fleet survives a writer that died. */
const TMP_TTL_S = 600;

/**
 * The temporary fleet keys over the live ones, unless the live posture counted more advisories.
 * KEYS: fleet, release data, cluster → remediation id, id → remediation, temporary fleet,
 * temporary cluster → id, temporary id → remediation, basis, the older cluster → remediation hash.
 * ARGV: release data JSON, advisories counted ('' = no check), '1' when there are remediations.
 * RENAME keeps the temporary keys' TTL: PERSIST drops it.
 */
const PUT_FLEET = `
if ARGV[2] ~= '' then
  local stored = tonumber(redis.call('GET', KEYS[8]) or '-1')
  if tonumber(ARGV[2]) < stored then
    redis.call('DEL', KEYS[5], KEYS[6], KEYS[7])
    return 0
  end
  redis.call('SET', KEYS[8], ARGV[2])
end
redis.call('RENAME', KEYS[5], KEYS[1])
redis.call('PERSIST', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4], KEYS[9])
if ARGV[3] == '1' then
  redis.call('RENAME', KEYS[6], KEYS[3])
  redis.call('PERSIST', KEYS[3])
  redis.call('RENAME', KEYS[7], KEYS[4])
  redis.call('PERSIST', KEYS[4])
end
return 1
`;
const UNROUTED = '-';

// KEYS[1] the head, KEYS[2] the summaries hash; ARGV: head, expected hash, new hash, id, summary.
const REPLACE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, cur = pcall(cjson.decode, raw)
if not ok or type(cur) ~= 'table' then return 0 end
if cur.hash ~= ARGV[3] then
  if cur.hash ~= ARGV[2] then return 0 end
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
return 1
`;

/** An advisory as /k8s advisories and App Home list it. */
export type ListedAdvisory = Pick<Advisory, 'id' | 'title' | 'url' | 'status' | 'severity'>;

export interface AdvisoryListEntry {
  advisory: ListedAdvisory;
  summary: AttentionSummary;
}

function listEntry(advisory: Advisory, summary: AttentionSummary): string {
  const { id, title, url, status, severity } = advisory;
  return JSON.stringify({ advisory: { id, title, url, status, severity }, summary } satisfies AdvisoryListEntry);
}

export function createSnapshotStore(options: { redis: Redis; prefix: string }): SnapshotStore {
  const { redis, prefix } = options;
  const idsKey = `${prefix}:advisories`;
  const keyOf = (id: string) => `${prefix}:advisory:${id}`;
  const partKey = (id: string, channel: string, hash: string, page: number) => `${prefix}:advisory:${id}:part:${channel}:${hash.slice(0, 16)}:${page}`;
  const pageKeys = (id: string, channel: string, part: StoredPart) =>
    Array.from({ length: part.pages ?? 1 }, (_, i) => partKey(id, channel, part.hash, i));
  const fleetKey = `${prefix}:fleet`;
  /** id → AdvisoryListEntry (JSON), written with each head. */
  const summariesKey = `${prefix}:advisory-summaries`;
  // Every post reads the release data; the fleet's postures (megabytes at 10,000 clusters) only a few commands.
  const releaseKey = `${prefix}:fleet-release-data`;
  /**
   * cluster → the id of its one remediation, id → the remediation (JSON): a message reads only
   * its own clusters' ids, and each distinct remediation once (look-alike clusters share one; a
   * channel of 5,000 clusters has a few hundred).
   */
  const remediationOfKey = `${prefix}:fleet-remediation-of`;
  const remediationShapeKey = `${prefix}:fleet-remediation-shape`;
  /** cluster → remediation JSON, as written before the ids: read when the new keys are absent. */
  const legacyRemediationKey = `${prefix}:fleet-remediation`;
  /** How many advisories the stored fleet posture was triaged over (see putFleet). */
  const fleetBasisKey = `${prefix}:fleet-basis`;

  const readLegacyRemediations = async (clusters: readonly string[]): Promise<Map<string, Remediation>> => {
    const out = new Map<string, Remediation>();
    const parsed = new Map<string, Remediation>();
    for (let i = 0; i < clusters.length; i += FLEET_SLICE) {
      const names = clusters.slice(i, i + FLEET_SLICE);
      const raws = await redis.hmget(legacyRemediationKey, ...names);
      raws.forEach((raw, j) => {
        if (raw === null) return;
        let value = parsed.get(raw);
        if (value === undefined) parsed.set(raw, (value = JSON.parse(raw) as Remediation));
        out.set(names[j] as string, value);
      });
    }
    return out;
  };

  const readHead = async (id: string): Promise<StoredHead | null> => {
    const raw = await redis.get(keyOf(id));
    return raw === null ? null : (JSON.parse(raw) as StoredHead);
  };

  const readPages = async (id: string, channel: string, part: StoredPart): Promise<string[]> => {
    const keys = pageKeys(id, channel, part);
    const raws = keys.length === 0 ? [] : await redis.mget(...keys);
    // A head is written after its parts, and parts outlive the head that dropped them: a missing one is a lost Redis.
    if (raws.some((r) => r === null)) throw new Error(`snapshot of ${id}: findings of ${channel} (${part.hash.slice(0, 16)}) are missing`);
    return raws as string[];
  };

  const decode = async (pages: readonly string[], into: Finding[] = []): Promise<Finding[]> => {
    for (const page of pages) {
      for (const f of JSON.parse(page) as Finding[]) into.push(f);
      if (pages.length > 1) await breathe();
    }
    return into;
  };

  const readPart = async (id: string, channel: string, part: StoredPart): Promise<Finding[]> => decode(await readPages(id, channel, part));

  const assemble = async (head: StoredHead): Promise<AdvisorySnapshot> => {
    const base = { advisory: head.advisory, hash: head.hash, updatedAt: head.updatedAt, ...(head.newChannels ? { newChannels: head.newChannels } : {}) };
    if (head.parts === undefined) return { ...base, findings: head.findings ?? [] };
    const findings: Finding[] = [];
    for (const [channel, part] of Object.entries(head.parts)) await decode(await readPages(head.advisory.id, channel, part), findings);
    return { ...base, findings };
  };

  return {
    async put(snapshot) {
      const id = snapshot.advisory.id;
      await redis.multi().set(keyOf(id), JSON.stringify(snapshot)).sadd(idsKey, id)
        .hset(summariesKey, id, listEntry(snapshot.advisory, attentionOf(snapshot.findings))).exec();
    },
    async replace(snapshot, expected) {
      const id = snapshot.advisory.id;
      const entry = listEntry(snapshot.advisory, attentionOf(snapshot.findings));
      const res = await redis.eval(REPLACE, 2, keyOf(id), summariesKey, JSON.stringify(snapshot), expected, snapshot.hash, id, entry);
      return res === 1;
    },
    async putView(view, updatedAt, expected) {
      const id = view.advisory.id;
      const parts: Record<string, StoredPart> = {};
      const lists: [string, ChannelView][] = [...view.channels];
      if (view.unrouted !== null) lists.push([UNROUTED, view.unrouted]);
      for (const [channel, cv] of lists) parts[channel] = { hash: cv.hash, affected: cv.affected, pages: cv.pages.length, attention: cv.attention };
      const head: StoredHead = {
        advisory: view.advisory, hash: view.hash, updatedAt, parts,
        ...(view.newChannels.length > 0 ? { newChannels: view.newChannels } : {}),
      };
      const before = await readHead(id);
      // Parts first (content-addressed: rewriting one is harmless), page by page.
      const written = new Set<string>();
      for (const [channel, cv] of lists) {
        for (const [i, page] of cv.pages.entries()) {
          const key = partKey(id, channel, cv.hash, i);
          written.add(key);
          await redis.set(key, pageBuffer(page));
        }
      }
      const entry = listEntry(view.advisory, mergeAttention(lists.map(([, cv]) => cv.attention)));
      let stored = true;
      if (expected === undefined) {
        await redis.multi().set(keyOf(id), JSON.stringify(head)).sadd(idsKey, id).hset(summariesKey, id, entry).exec();
      } else {
        stored = (await redis.eval(REPLACE, 2, keyOf(id), summariesKey, JSON.stringify(head), expected, view.hash, id, entry)) === 1;
      }
      if (stored && before?.parts) {
        const stale = Object.entries(before.parts).flatMap(([c, p]) => pageKeys(id, c, p)).filter((k) => !written.has(k));
        if (stale.length > 0) {
          const m = redis.multi();
          for (const k of stale) m.expire(k, PART_GRACE_S);
          await m.exec();
        }
      }
      return stored;
    },
    async get(id) {
      const head = await readHead(id);
      return head === null ? null : assemble(head);
    },
    async getChannel(id, channel) {
      const head = await readHead(id);
      if (head === null) return null;
      if (head.parts === undefined) return { advisory: head.advisory, hash: null, findings: head.findings ?? [], split: false };
      const part = head.parts[channel];
      if (part === undefined) return { advisory: head.advisory, hash: null, findings: [], split: true };
      return { advisory: head.advisory, hash: part.hash, findings: await readPart(id, channel, part), split: true };
    },
    async getChannelPages(id, channel) {
      const head = await readHead(id);
      if (head === null) return null;
      if (head.parts === undefined) return { advisory: head.advisory, hash: null, pages: [JSON.stringify(head.findings ?? [])], split: false };
      const part = head.parts[channel];
      if (part === undefined) return { advisory: head.advisory, hash: null, pages: [], split: true };
      return { advisory: head.advisory, hash: part.hash, pages: await readPages(id, channel, part), split: true };
    },
    async list() {
      const ids = await redis.smembers(idsKey);
      if (ids.length === 0) return [];
      const raws = await redis.mget(...ids.map(keyOf));
      const out: AdvisorySnapshot[] = [];
      for (const r of raws) if (r !== null) out.push(await assemble(JSON.parse(r) as StoredHead));
      return out;
    },
    async listSummaries() {
      const [ids, entries] = await Promise.all([redis.smembers(idsKey), redis.hgetall(summariesKey)]);
      const out: AdvisoryListEntry[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const raw = entries[id];
        if (raw === undefined) missing.push(id);
        else out.push(JSON.parse(raw) as AdvisoryListEntry);
      }
      if (missing.length === 0) return out;
      // Heads stored before the summaries hash existed: summarise them from the head (and, for an
      // inline head or parts without a tally, its findings) once, and keep the result.
      const raws = await redis.mget(...missing.map(keyOf));
      for (const r of raws) {
        if (r === null) continue;
        const head = JSON.parse(r) as StoredHead;
        const parts = head.parts === undefined ? [] : Object.values(head.parts);
        const summary = head.parts !== undefined && parts.every((p) => p.attention !== undefined)
          ? mergeAttention(parts.map((p) => p.attention as AttentionSummary))
          : attentionOf((await assemble(head)).findings);
        const entry = listEntry(head.advisory, summary);
        await redis.hsetnx(summariesKey, head.advisory.id, entry);
        out.push(JSON.parse(entry) as AdvisoryListEntry);
      }
      return out;
    },
    async listHeads() {
      const ids = await redis.smembers(idsKey);
      if (ids.length === 0) return [];
      const raws = await redis.mget(...ids.map(keyOf));
      return raws.filter((r): r is string => r !== null).map((r) => {
        const h = JSON.parse(r) as StoredHead;
        const affected = h.parts === undefined
          ? affectedClusterNames(h.findings ?? [])
          : [...new Set(Object.values(h.parts).flatMap((p) => p.affected))].sort();
        const channels = h.parts === undefined ? undefined
          : Object.fromEntries(Object.entries(h.parts).filter(([c]) => c !== UNROUTED));
        return {
          advisory: h.advisory, hash: h.hash, updatedAt: h.updatedAt, affected,
          ...(h.newChannels ? { newChannels: h.newChannels } : {}),
          ...(channels ? { channels } : {}),
        };
      });
    },
    async putFleet(fleet, options = {}) {
      // 10,000 postures are tens of megabytes of JSON: encoded and sent a slice at a time (each
      // await lets the event loop run) into temporary keys, then moved over the live ones in one
      // script, so a reader sees the whole old fleet or the whole new one.
      const token = randomUUID().slice(0, 8);
      const tmpFleet = `${fleetKey}:tmp:${token}`;
      const tmpOf = `${remediationOfKey}:tmp:${token}`;
      const tmpShape = `${remediationShapeKey}:tmp:${token}`;
      const { clusters, ...rest } = fleet;
      const restJson = JSON.stringify(rest);
      // Look-alike clusters share one remediation object (triage computes one per shape): encode it once.
      const ids = new Map<Remediation, string>();
      const byJson = new Map<string, string>();
      await redis.set(tmpFleet, '{"clusters":[', 'EX', TMP_TTL_S);
      let remediations = 0;
      for (let i = 0; i < clusters.length; i += FLEET_SLICE) {
        const slice = clusters.slice(i, i + FLEET_SLICE);
        const of: string[] = [];
        const shapes: string[] = [];
        for (const c of slice) {
          if (!c.remediation) continue;
          let id = ids.get(c.remediation);
          if (id === undefined) {
            const json = JSON.stringify(c.remediation);
            id = byJson.get(json);
            if (id === undefined) {
              id = createHash('sha256').update(json).digest('hex').slice(0, 16);
              byJson.set(json, id);
              shapes.push(id, json);
            }
            ids.set(c.remediation, id);
          }
          of.push(c.cluster, id);
        }
        const tx = redis.multi().append(tmpFleet, `${i > 0 ? ',' : ''}${slice.map((c) => JSON.stringify(c)).join(',')}`);
        if (of.length > 0) tx.hset(tmpOf, ...of).expire(tmpOf, TMP_TTL_S);
        if (shapes.length > 0) tx.hset(tmpShape, ...shapes).expire(tmpShape, TMP_TTL_S);
        await tx.exec();
        remediations += of.length / 2;
      }
      await redis.append(tmpFleet, restJson === '{}' ? ']}' : `],${restJson.slice(1)}`);
      const basis = options.advisories === undefined ? '' : String(options.advisories);
      const res = await redis.eval(PUT_FLEET, 9, fleetKey, releaseKey, remediationOfKey, remediationShapeKey, tmpFleet, tmpOf, tmpShape, fleetBasisKey, legacyRemediationKey,
        JSON.stringify(fleet.releaseData), basis, remediations > 0 ? '1' : '0');
      return res === 1;
    },
    async getRemediations(clusters) {
      const out = new Map<string, Remediation>();
      if (clusters.length === 0) return out;
      // Ids in slices (one reply for 10,000 clusters is one long decode), then each distinct remediation once.
      const idOf: (string | null)[] = [];
      for (let i = 0; i < clusters.length; i += FLEET_SLICE) {
        for (const id of await redis.hmget(remediationOfKey, ...clusters.slice(i, i + FLEET_SLICE))) idOf.push(id);
      }
      if (idOf.every((id) => id === null) && (await redis.exists(remediationOfKey)) === 0) return readLegacyRemediations(clusters);
      const distinct = [...new Set(idOf.filter((id): id is string => id !== null))];
      const parsed = new Map<string, Remediation>();
      for (let i = 0; i < distinct.length; i += FLEET_SLICE) {
        const ids = distinct.slice(i, i + FLEET_SLICE);
        const raws = await redis.hmget(remediationShapeKey, ...ids);
        raws.forEach((raw, j) => { if (raw !== null) parsed.set(ids[j] as string, JSON.parse(raw) as Remediation); });
      }
      idOf.forEach((id, i) => {
        const r = id === null ? undefined : parsed.get(id);
        if (r !== undefined) out.set(clusters[i] as string, r);
      });
      return out;
    },
    async getReleaseData() {
      const raw = await redis.get(releaseKey);
      if (raw !== null) return JSON.parse(raw) as ReleaseDataInfo | null;
      // Written before the release data had its own key.
      return (await this.getFleet())?.releaseData ?? null;
    },
    async getFleet() {
      const raw = await redis.get(fleetKey);
      return raw === null ? null : (JSON.parse(raw) as FleetSnapshot);
    },
  };
}
