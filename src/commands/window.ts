/**
 * `k8s-advisor window schedule ENV WHEN [DURATION] [--emergency] [--advisory ID] --config FILE [--user U…]`
 * and `k8s-advisor window cancel ID --config FILE [--user U…] [--reason TEXT]`: the same checks as
 * `/k8s window …` in Slack (the environment's `permissions.schedule` roles, freezes, overlaps), for
 * scripts. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); every attempt is audited.
 */
import type { Redis } from 'ioredis';
import type { CliIo } from '../cli.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { AdvisorError, UsageError, errorMessage } from '../errors.ts';
import { isCveId } from '../feed/ids.ts';
import { createLogger } from '../log.ts';
import { createWindowService } from '../maintenance/service.ts';
import { formatLocalRange } from '../maintenance/text.ts';
import { createAuthorizer, refusalText, requiredRoles } from '../slack/middleware/authz.ts';
import { createAuditLog } from '../store/audit.ts';
import { createWindowStore, WINDOW_ID_RE, type StoredWindow } from '../store/windows.ts';

const USER_RE = /^[UW][A-Z0-9]+$/;

export interface WindowCommandOptions {
  config: string;
  user?: string;
  format?: 'json' | 'text';
  io: CliIo;
  now?: Date;
}

export interface ScheduleCommandOptions extends WindowCommandOptions {
  environment: string;
  when: string;
  duration?: string;
  emergency?: boolean;
  advisory?: string;
}

export interface CancelCommandOptions extends WindowCommandOptions {
  id: string;
  reason?: string;
}

async function openRedis(io: CliIo): Promise<{ redis: Redis; prefix: string; close: () => Promise<void> }> {
  const url = io.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const { Redis: RedisClient } = await import('ioredis');
  const redis: Redis = new RedisClient(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new AdvisorError('REDIS_UNREACHABLE', `windows are stored in Redis, which is unreachable (${errorMessage(err)})`, { hint: 'set REDIS_URL to the hub\'s Redis (redis://host:6379)' });
  }
  return { redis, prefix: io.env.K8S_ADVISOR_PREFIX ?? 'k8s-advisor', close: async () => { await redis.quit().catch(() => redis.disconnect()); } };
}

/** The same permission as Slack's: `permissions.schedule` for the environment (or "*"). */
async function checkPermission(config: Config, environment: string, user: string | undefined, io: CliIo): Promise<string> {
  const needed = requiredRoles(config, { kind: 'schedule', environments: [environment] }, environment);
  if (needed.length === 0) return user ?? 'cli';
  if (user === undefined) {
    throw new UsageError(`scheduling in ${environment} needs the ${needed.map((r) => `"${r}"`).join(' or ')} role (permissions.schedule): say who you are with --user`, 'add --user U01AAA (your Slack user id)');
  }
  const token = io.env.SLACK_BOT_TOKEN;
  const logger = createLogger({ level: io.env.LOG_LEVEL ?? 'error' });
  const authz = createAuthorizer({
    config,
    logger,
    resolveUsergroup: async (group) => {
      if (!token) throw new Error(`user group ${group} needs SLACK_BOT_TOKEN to resolve`);
      const { createWebClient } = await import('../slack/web.ts');
      const web = createWebClient({ token, logger, ...(io.env.SLACK_API_URL ? { apiUrl: io.env.SLACK_API_URL } : {}) });
      const res = await web.usergroups.users.list({ usergroup: group });
      return res.users ?? [];
    },
  });
  const decision = await authz.check(user, { kind: 'schedule', environments: [environment] });
  if (!decision.allowed) {
    const groups = needed.some((r) => (config.roles[r]?.usergroups.length ?? 0) > 0) && !token ? ' (user groups were not checked: SLACK_BOT_TOKEN is not set)' : '';
    throw new AdvisorError('FORBIDDEN', refusalText('schedule windows', decision).replace(/^:no_entry: /, '') + groups);
  }
  return user;
}

function describe(w: StoredWindow): string {
  return `${w.id}  ${w.state}  ${formatLocalRange(w)}${w.advisory ? `  for ${w.advisory}` : ''}`;
}

export async function runWindowSchedule(opts: ScheduleCommandOptions): Promise<number> {
  const { io } = opts;
  if (opts.user !== undefined && !USER_RE.test(opts.user)) throw new UsageError(`--user: "${opts.user}" is not a Slack user id`, 'write it like --user U01AAA');
  if (opts.advisory !== undefined && !isCveId(opts.advisory.toUpperCase())) throw new UsageError(`--advisory: "${opts.advisory}" is not a CVE id`, 'write it like --advisory CVE-2025-1974');
  if (opts.advisory !== undefined && opts.emergency !== true) throw new UsageError('--advisory is for emergency windows', 'add --emergency');
  const config = await loadConfigFile(opts.config);
  const envs = Object.keys(config.environments);
  if (!envs.includes(opts.environment)) throw new UsageError(`"${opts.environment}" is not an environment in ${opts.config} (environments: ${envs.join(', ')})`, `write it like window schedule ${envs[0] ?? 'prod'} 2026-12-03T14:00`);
  const by = await checkPermission(config, opts.environment, opts.user, io);
  const db = await openRedis(io);
  try {
    const audit = createAuditLog({ redis: db.redis, prefix: db.prefix });
    const service = createWindowService({ store: createWindowStore(db), config, now: () => opts.now ?? new Date() });
    const what = `window schedule ${opts.environment} ${opts.when}${opts.duration ? ` ${opts.duration}` : ''}${opts.emergency ? ' emergency' : ''}`;
    const result = await service.schedule({
      environment: opts.environment, when: opts.when, duration: opts.duration ?? null, emergency: opts.emergency === true,
      advisory: opts.advisory?.toUpperCase() ?? null,
    }, by);
    await audit.record({ user: by, kind: 'command', what: `cli ${what}`, result: result.ok ? 'ok' : 'invalid', ...(result.ok ? { detail: result.window.id } : { detail: result.error }) });
    if (!result.ok) throw new UsageError(`window schedule: ${result.error}`);
    for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
    io.stdout(opts.format === 'json' ? `${JSON.stringify({ window: result.window, warnings: result.warnings }, null, 2)}\n` : `scheduled ${describe(result.window)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

export async function runWindowCancel(opts: CancelCommandOptions): Promise<number> {
  const { io } = opts;
  if (opts.user !== undefined && !USER_RE.test(opts.user)) throw new UsageError(`--user: "${opts.user}" is not a Slack user id`, 'write it like --user U01AAA');
  const config = await loadConfigFile(opts.config);
  const db = await openRedis(io);
  try {
    const store = createWindowStore(db);
    const service = createWindowService({ store, config, now: () => opts.now ?? new Date() });
    if (!WINDOW_ID_RE.test(opts.id)) throw new UsageError(`window cancel: "${opts.id.slice(0, 60)}" is not a window id`, 'write it like prod-2026-12-10 or staging-emergency-2026-12-03T14:00');
    const existing = await store.get(opts.id);
    if (existing === null) throw new UsageError(`window cancel: no window ${opts.id} is stored`, 'run `k8s-advisor windows --config FILE` with REDIS_URL set to see the stored ids');
    const environment = existing.environment;
    const by = await checkPermission(config, environment, opts.user, io);
    const result = await service.cancel(opts.id, by, opts.reason ?? null);
    await createAuditLog({ redis: db.redis, prefix: db.prefix }).record({
      user: by, kind: 'command', what: `cli window cancel ${opts.id}`, result: result.ok ? 'ok' : 'invalid', detail: result.ok ? (opts.reason ?? 'no reason given') : result.error,
    });
    if (!result.ok) throw new UsageError(`window cancel: ${result.error}`);
    io.stdout(opts.format === 'json' ? `${JSON.stringify({ window: result.window }, null, 2)}\n` : `cancelled ${describe(result.window)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

export interface OverrideCommandOptions extends WindowCommandOptions {
  id: string;
  reason?: string;
}

/** `window override ID --reason TEXT`: a scheduled or blocked window opens without its gate (recorded). */
export async function runWindowOverride(opts: OverrideCommandOptions): Promise<number> {
  const { io } = opts;
  if (opts.user !== undefined && !USER_RE.test(opts.user)) throw new UsageError(`--user: "${opts.user}" is not a Slack user id`, 'write it like --user U01AAA');
  if (opts.reason === undefined || opts.reason.trim().length < 3) throw new UsageError('window override: say why with --reason (it is recorded)', 'add --reason "staging rehearsal done by hand"');
  if (!WINDOW_ID_RE.test(opts.id)) throw new UsageError(`window override: "${opts.id.slice(0, 60)}" is not a window id`, 'write it like prod-2026-12-10');
  const config = await loadConfigFile(opts.config);
  const db = await openRedis(io);
  try {
    const store = createWindowStore(db);
    const existing = await store.get(opts.id);
    if (existing === null) throw new UsageError(`window override: no window ${opts.id} is stored`);
    const by = await checkPermission(config, existing.environment, opts.user, io);
    const result = await createWindowService({ store, config, now: () => opts.now ?? new Date() }).override(opts.id, by, opts.reason);
    await createAuditLog({ redis: db.redis, prefix: db.prefix }).record({
      user: by, kind: 'command', what: `cli window override ${opts.id}`, result: result.ok ? 'ok' : 'invalid', detail: result.ok ? opts.reason : result.error,
    });
    if (!result.ok) throw new UsageError(`window override: ${result.error}`);
    io.stdout(opts.format === 'json' ? `${JSON.stringify({ window: result.window }, null, 2)}\n` : `override recorded for ${describe(result.window)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
