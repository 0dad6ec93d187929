/**
 * What the feed watcher remembers between polls: the HTTP validators of the last good fetch
 * (per source) and, per CVE id, the content hash, status and URL last seen. Validators and
 * known entries are written together in one MULTI: storing new validators without the
 * entries would make the next poll answer 304 and lose the changes for good.
 *
 * Writes are per-field overwrites and deletes, so two pollers saving the same feed leave the
 * same state in any order; no compare-and-set is needed.
 */
import type { RedisClient } from './redis-connection.ts';
import { z } from 'zod';
import { feedValidatorsSchema, type FeedValidators } from '../feed/item.ts';
import { storeKey } from './keys.ts';

export const knownEntrySchema = z.object({
  /** The injected content hash (the advisory parser's, or the watcher's default). */
  hash: z.string(),
  /** The watcher's own hash of summary + body: tells a body edit from a status move. */
  bodyHash: z.string().default(''),
  status: z.string().nullable(),
  url: z.string(),
});

export type KnownEntry = z.infer<typeof knownEntrySchema>;

/**
 * The entry of an advisory known from Slack alone after Redis lost its data (a recovered thread,
 * or a line of a first-run digest): known, but what it said then is lost. The next poll treats
 * it as neither new nor changed (see `isSeedEntry`).
 */
export const SEED_ENTRY: KnownEntry = Object.freeze({ hash: '', bodyHash: '', status: null, url: '' });

export function isSeedEntry(e: KnownEntry): boolean {
  return e.hash === '' && e.bodyHash === '' && e.status === null && e.url === '';
}

export interface FeedStateChanges {
  /** Entries to write, keyed by CVE id. */
  upsert?: Iterable<readonly [string, KnownEntry]>;
  /** CVE ids to forget. */
  remove?: Iterable<string>;
  /** Validators of the fetch these changes came from, written in the same transaction. */
  validators?: { source: string; validators: FeedValidators };
}

export interface FeedStateStore {
  getValidators(source: string): Promise<FeedValidators | null>;
  setValidators(source: string, validators: FeedValidators): Promise<void>;
  /** Every known CVE id. Unreadable entries are left out (they come back as new). */
  getKnown(): Promise<Map<string, KnownEntry>>;
  /** Applies all changes at once or not at all. */
  saveKnown(changes: FeedStateChanges): Promise<void>;
}

/** For the one-shot CLI and tests: state lives as long as the process. */
export function createMemoryFeedStateStore(): FeedStateStore {
  const validators = new Map<string, FeedValidators>();
  const known = new Map<string, KnownEntry>();
  return {
    async getValidators(source) {
      const v = validators.get(source);
      return v ? { ...v } : null;
    },
    async setValidators(source, v) {
      validators.set(source, { ...v });
    },
    async getKnown() {
      return new Map([...known].map(([id, e]) => [id, { ...e }]));
    },
    async saveKnown(changes) {
      // Build first, then apply: a bad entry throws before anything changes.
      const upserts = [...(changes.upsert ?? [])].map(([id, e]) => [id, knownEntrySchema.parse(e)] as const);
      for (const [id, e] of upserts) known.set(id, e);
      for (const id of changes.remove ?? []) known.delete(id);
      if (changes.validators) validators.set(changes.validators.source, { ...changes.validators.validators });
    },
  };
}

export interface RedisFeedStateStoreOptions {
  redis: RedisClient;
  /**
   * Deployment key prefix; keys are `${prefix}:feed-state:known` and `${prefix}:feed-state:validators`
   * (not `feed:`: that is the BullMQ feed queue's namespace once the prefix is the BullMQ prefix too).
   */
  prefix: string;
}

export function createRedisFeedStateStore({ redis, prefix }: RedisFeedStateStoreOptions): FeedStateStore {
  const knownKey = storeKey(prefix, 'feed-state', 'known');
  const validatorsKey = storeKey(prefix, 'feed-state', 'validators');

  return {
    async getValidators(source) {
      const raw = await redis.hget(validatorsKey, source);
      return raw === null ? null : parseJson(raw, feedValidatorsSchema);
    },
    async setValidators(source, v) {
      await redis.hset(validatorsKey, source, JSON.stringify(feedValidatorsSchema.parse(v)));
    },
    async getKnown() {
      const all = await redis.hgetall(knownKey);
      const out = new Map<string, KnownEntry>();
      for (const [id, raw] of Object.entries(all)) {
        const entry = parseJson(raw, knownEntrySchema);
        if (entry !== null) out.set(id, entry);
      }
      return out;
    },
    async saveKnown(changes) {
      const fields: string[] = [];
      for (const [id, e] of changes.upsert ?? []) fields.push(id, JSON.stringify(knownEntrySchema.parse(e)));
      const remove = [...(changes.remove ?? [])];
      if (fields.length === 0 && remove.length === 0 && !changes.validators) return;
      const tx = redis.multi();
      if (fields.length > 0) tx.hset(knownKey, ...fields);
      if (remove.length > 0) tx.hdel(knownKey, ...remove);
      if (changes.validators) {
        tx.hset(validatorsKey, changes.validators.source, JSON.stringify(feedValidatorsSchema.parse(changes.validators.validators)));
      }
      const results = await tx.exec();
      if (results === null) throw new Error('feed state transaction was aborted');
      const failed = results.find(([err]) => err !== null);
      if (failed?.[0]) throw failed[0];
    },
  };
}

function parseJson<T>(raw: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
