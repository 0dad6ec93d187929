/**
 * Accepted risks in Redis: the current acceptance per advisory × target in a hash (a new one for
 * the same pair replaces it), and every acceptance and revocation appended to a stream that is
 * never trimmed. Expiry needs no job: an acceptance past its day is simply not active
 * (signoff/accept.ts `isActive`), and stays in the record.
 */
import type { RedisClient as Redis } from './redis-connection.ts';
import { z } from 'zod';
import type { RiskAcceptance } from '../signoff/accept.ts';
import { storeKey } from './keys.ts';

export interface RiskAcceptanceStore {
  accept(a: RiskAcceptance): Promise<void>;
  revoke(advisory: string, target: RiskAcceptance['target'], by: string, at: Date): Promise<boolean>;
  /** Every stored acceptance, active or past (filter with isActive). */
  all(): Promise<RiskAcceptance[]>;
  /** The append-only record, oldest first. */
  history(): Promise<(RiskAcceptance & { type: 'accept' | 'revoke' })[]>;
}

const schema = z.object({
  advisory: z.string(), target: z.object({ kind: z.enum(['cluster', 'environment']), name: z.string() }),
  until: z.string(), by: z.string(), reason: z.string(), at: z.string(),
});

export function createRiskAcceptanceStore(options: { redis: Redis; prefix: string }): RiskAcceptanceStore {
  const { redis, prefix } = options;
  const current = storeKey(prefix, 'risk', 'accepted');
  const log = storeKey(prefix, 'risk', 'audit');
  const field = (advisory: string, t: RiskAcceptance['target']) => `${advisory.toUpperCase()}|${t.kind}|${t.name}`;
  const parse = (raw: string): RiskAcceptance | null => {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  };
  return {
    async accept(a) {
      await redis.multi().hset(current, field(a.advisory, a.target), JSON.stringify(a)).xadd(log, '*', 'type', 'accept', 'json', JSON.stringify(a)).exec();
    },
    async revoke(advisory, target, by, at) {
      const raw = await redis.hget(current, field(advisory, target));
      if (raw === null) return false;
      const prev = parse(raw);
      const entry = { ...(prev ?? { advisory, target, until: '', reason: '' }), by, at: at.toISOString() };
      await redis.multi().hdel(current, field(advisory, target)).xadd(log, '*', 'type', 'revoke', 'json', JSON.stringify(entry)).exec();
      return true;
    },
    async all() {
      const rows = await redis.hvals(current);
      return rows.map(parse).filter((a): a is RiskAcceptance => a !== null).sort((x, y) => x.at.localeCompare(y.at));
    },
    async history() {
      const rows = await redis.xrange(log, '-', '+');
      const out: (RiskAcceptance & { type: 'accept' | 'revoke' })[] = [];
      for (const [, flat] of rows) {
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
        const a = f.json ? parse(f.json) : null;
        if (a) out.push({ ...a, type: f.type === 'revoke' ? 'revoke' : 'accept' });
      }
      return out;
    },
  };
}
