/**
 * What the hub used to keep only in process memory, now in Redis so a restarted hub and every
 * replica read the same: the last good inventory per cluster (served, with its age, when a
 * cluster cannot be read) and the release calendar refreshed from endoflife.date (with the time
 * it was read, so one replica's refresh serves the others until it is a day old).
 */
import { z } from 'zod';
import type { ClusterInventory } from '../inventory/types.ts';
import { releaseDataSchema, type ReleaseData } from '../releases/schema.ts';
import { storeKey } from './keys.ts';
import type { RedisClient } from './redis-connection.ts';

/** Loose on purpose: the inventory grows fields; only what triage cannot do without is checked. */
const inventorySchema = z.looseObject({
  cluster: z.string(),
  environment: z.string(),
  provider: z.string(),
  source: z.enum(['static', 'live', 'cached']),
  collectedAt: z.string(),
  server: z.string().nullable(),
  nodes: z.array(z.looseObject({ name: z.string(), kubelet: z.string() })),
  components: z.record(z.string(), z.string()),
  error: z.null(),
});

const storedCalendarSchema = z.object({
  readAt: z.string(),
  source: z.enum(['bundled', 'live']),
  data: releaseDataSchema,
});

export type StoredCalendar = z.infer<typeof storedCalendarSchema>;

export interface LastGoodStore {
  /** Last good inventory per cluster. Unreadable entries are left out (the cluster is read again). */
  inventories(): Promise<Map<string, ClusterInventory>>;
  /** Keeps the inventories read without error (cached and failed ones are not "good"). */
  saveInventories(inventories: readonly ClusterInventory[]): Promise<void>;
  calendar(): Promise<StoredCalendar | null>;
  saveCalendar(data: ReleaseData, source: StoredCalendar['source'], readAt: Date): Promise<void>;
}

export function createLastGoodStore(options: { redis: RedisClient; prefix: string }): LastGoodStore {
  const { redis } = options;
  const inventoriesKey = storeKey(options.prefix, 'last-good', 'inventories');
  const calendarKey = storeKey(options.prefix, 'last-good', 'calendar');
  return {
    async inventories() {
      const all = await redis.hgetall(inventoriesKey);
      const out = new Map<string, ClusterInventory>();
      for (const [cluster, raw] of Object.entries(all)) {
        const parsed = safeJson(raw, inventorySchema);
        if (parsed !== null && parsed.cluster === cluster) out.set(cluster, parsed as unknown as ClusterInventory);
      }
      return out;
    },
    async saveInventories(inventories) {
      const fields: string[] = [];
      for (const inv of inventories) {
        if (inv.error !== null || inv.source !== 'live') continue;
        fields.push(inv.cluster, JSON.stringify(inv));
      }
      if (fields.length > 0) await redis.hset(inventoriesKey, ...fields);
    },
    async calendar() {
      const raw = await redis.get(calendarKey);
      return raw === null ? null : safeJson(raw, storedCalendarSchema);
    },
    async saveCalendar(data, source, readAt) {
      await redis.set(calendarKey, JSON.stringify({ readAt: readAt.toISOString(), source, data: releaseDataSchema.parse(data) }));
    },
  };
}

function safeJson<T>(raw: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
