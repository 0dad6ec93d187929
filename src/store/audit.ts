/**
 * Audit log: every command and button press, who/what/when/result, in a capped Redis stream
 * (`XADD MAXLEN ~`), newest last. Read with `recent()` or `XREVRANGE <prefix>:audit + - COUNT n`.
 */
import type { RedisClient } from './redis-connection.ts';
import { storeKey } from './keys.ts';

export type AuditResult = 'ok' | 'queued' | 'refused' | 'invalid' | 'unavailable' | 'error';

export interface AuditEntry {
  /** Slack user id. */
  user: string;
  /** "command" or "action". */
  kind: 'command' | 'action';
  /** What was asked, validated parts only ("verify prod", "advisory_acknowledge CVE-2023-2727"). */
  what: string;
  result: AuditResult;
  channel?: string;
  detail?: string;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  at: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  recent(count?: number): Promise<AuditRecord[]>;
}

export interface AuditLogOptions {
  redis: RedisClient;
  prefix: string;
  /** Approximate cap on entries kept (default 10 000). */
  maxLen?: number;
  now?: () => Date;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const key = storeKey(options.prefix, 'audit');
  const maxLen = options.maxLen ?? 10_000;
  const now = options.now ?? (() => new Date());
  return {
    async record(entry) {
      const fields = ['at', now().toISOString(), 'user', entry.user, 'kind', entry.kind, 'what', entry.what, 'result', entry.result];
      if (entry.channel !== undefined) fields.push('channel', entry.channel);
      if (entry.detail !== undefined) fields.push('detail', entry.detail.slice(0, 500));
      await options.redis.xadd(key, 'MAXLEN', '~', String(maxLen), '*', ...fields);
    },
    async recent(count = 50) {
      const rows = await options.redis.xrevrange(key, '+', '-', 'COUNT', count);
      return rows.map(([id, flat]) => {
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
        const rec: AuditRecord = {
          id, at: f.at ?? '', user: f.user ?? '', kind: f.kind === 'action' ? 'action' : 'command',
          what: f.what ?? '', result: (f.result ?? 'error') as AuditResult,
        };
        if (f.channel !== undefined) rec.channel = f.channel;
        if (f.detail !== undefined) rec.detail = f.detail;
        return rec;
      });
    },
  };
}
