/**
 * `k8s-advisor audit`: export the sign-off and accepted-risk record from Redis (json, md, csv).
 * Needs Redis: it fails with exit 2 naming REDIS_URL when Redis cannot be reached, never prints an
 * empty record that a compliance review would take for "nothing happened".
 */
import type { Redis } from 'ioredis';
import type { CliIo } from '../cli.ts';
import { loadConfigFile } from '../config/load.ts';
import { AdvisorError, UsageError, errorMessage } from '../errors.ts';
import { auditRows, toCsv, toMarkdown } from '../signoff/export.ts';
import { createRiskAcceptanceStore } from '../store/risk-acceptances.ts';
import { createSignoffStore } from '../store/signoff.ts';
import { redactRedisUrl } from '../store/redis-connection.ts';

export interface AuditOptions {
  config: string;
  window?: string;
  since?: string;
  format: 'json' | 'md' | 'csv';
  io: CliIo;
}

export function parseSince(value: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--since "${value}" is not a date`, 'use YYYY-MM-DD or an ISO date-time like 2026-12-01T09:00:00Z');
  return d;
}

export async function runAudit(o: AuditOptions): Promise<number> {
  loadConfigFile(o.config); // a bad config is exit 2 before Redis is touched
  const since = o.since === undefined ? undefined : parseSince(o.since);
  const url = o.io.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = o.io.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor';
  const { Redis: RedisClient } = await import('ioredis');
  const redis: Redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new AdvisorError('REDIS_UNREACHABLE', `cannot read the audit record: Redis at ${redactRedisUrl(url)} is unreachable (${errorMessage(err)})`, {
      hint: 'set REDIS_URL to the Redis the hub uses (and K8S_ADVISOR_PREFIX if it sets one)',
    });
  }
  try {
    const signoff = await createSignoffStore({ redis, prefix }).audit({ ...(o.window ? { window: o.window } : {}), ...(since ? { since } : {}) });
    const risks = o.window ? [] : (await createRiskAcceptanceStore({ redis, prefix }).history()).filter((r) => !since || r.at >= since.toISOString());
    const rows = auditRows(signoff, risks);
    if (o.format === 'json') o.io.stdout(`${JSON.stringify({ window: o.window ?? null, since: since?.toISOString() ?? null, entries: rows }, null, 2)}\n`);
    else if (o.format === 'csv') o.io.stdout(toCsv(rows));
    else o.io.stdout(toMarkdown(rows, o.window ? `Sign-off audit: ${o.window}` : undefined));
    if (rows.length === 0) o.io.stderr(`note: no audit entries${o.window ? ` for window ${o.window}` : ''}${since ? ` since ${since.toISOString()}` : ''} under prefix "${prefix}"\n`);
    return 0;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
