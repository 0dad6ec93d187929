/**
 * Readiness checks. The rules are pure functions over plain facts (tested with tables); the
 * `…Check` factories bind them to live state the composition root injects.
 */

export interface CheckResult {
  ok: boolean;
  /** Why, in words an operator can act on ("feed last fetched 47m ago; …"). */
  detail: string;
}

export interface ReadinessCheck {
  /** Short stable name, shown as `[-]feed …` and used in `/readyz?exclude=` style filters. */
  name: string;
  run(): CheckResult | Promise<CheckResult>;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** Redis: the injected state watcher says whether commands can be sent now. */
export function redisCheck(isReady: () => boolean): ReadinessCheck {
  return {
    name: 'redis',
    run: () => (isReady()
      ? { ok: true, detail: 'connected' }
      : { ok: false, detail: 'not connected to Redis (check REDIS_URL, the network policy and the Redis server)' }),
  };
}

export type SlackState = 'connected' | 'disconnected' | 'not-started';

export function slackCheck(state: () => SlackState): ReadinessCheck {
  return {
    name: 'slack',
    run: () => {
      const s = state();
      if (s === 'connected') return { ok: true, detail: 'connected' };
      if (s === 'not-started') return { ok: false, detail: 'Slack receiver not started yet' };
      return { ok: false, detail: 'Slack connection lost (Socket Mode reconnecting, or the HTTP listener is closed); check SLACK_APP_TOKEN and egress to slack.com' };
    },
  };
}

export interface FeedFreshness {
  /** Last successful fetch by any replica, or null when none is recorded. */
  lastSuccess: Date | null;
  everyMs: number;
  /** When this process started: a fresh install has had no chance to fetch yet. */
  startedAt: Date;
  now: Date;
}

/** Fetched within twice the poll interval (one missed poll is tolerated, two are not). */
export function feedFreshness(f: FeedFreshness): CheckResult {
  const limit = 2 * f.everyMs;
  if (f.lastSuccess === null) {
    const up = f.now.getTime() - f.startedAt.getTime();
    return up <= limit
      ? { ok: true, detail: `no fetch recorded yet; started ${formatAge(up)} ago (limit ${formatAge(limit)})` }
      : { ok: false, detail: `feed never fetched successfully in ${formatAge(up)} (limit ${formatAge(limit)}); check feed.url and egress to it` };
  }
  const age = f.now.getTime() - f.lastSuccess.getTime();
  return age <= limit
    ? { ok: true, detail: `fetched ${formatAge(age)} ago` }
    : { ok: false, detail: `feed last fetched ${formatAge(age)} ago, more than twice feed.every (${formatAge(limit)}); see feed errors in the log (FEED_*)` };
}

export function feedCheck(options: { lastSuccess: () => Promise<Date | null>; everyMs: number; startedAt: Date; now?: () => Date }): ReadinessCheck {
  return {
    name: 'feed',
    run: async () => feedFreshness({ lastSuccess: await options.lastSuccess(), everyMs: options.everyMs, startedAt: options.startedAt, now: (options.now ?? (() => new Date()))() }),
  };
}

export interface ReleaseFreshness {
  /** The calendar's "as of" day (YYYY-MM-DD or ISO time). */
  asOf: string;
  maxAgeDays: number;
  now: Date;
}

export function releaseFreshness(r: ReleaseFreshness): CheckResult {
  // Whole days since the "as of" day, as the calendar's own isStale counts them.
  const asOf = new Date(/^\d{4}-\d{2}-\d{2}$/.test(r.asOf) ? `${r.asOf}T00:00:00Z` : r.asOf);
  if (Number.isNaN(asOf.getTime())) return { ok: false, detail: `release data has an unreadable date "${r.asOf}"` };
  const days = Math.floor((r.now.getTime() - asOf.getTime()) / 86_400_000);
  return days <= r.maxAgeDays
    ? { ok: true, detail: `data as of ${r.asOf}` }
    : { ok: false, detail: `release data as of ${r.asOf} is older than ${r.maxAgeDays} days; allow egress to endoflife.date (releases.url) or upgrade to an image with newer bundled data` };
}

export function releaseCheck(options: { asOf: () => string; maxAgeDays: number; now?: () => Date }): ReadinessCheck {
  return {
    name: 'releases',
    run: () => releaseFreshness({ asOf: options.asOf(), maxAgeDays: options.maxAgeDays, now: (options.now ?? (() => new Date()))() }),
  };
}

export interface ClusterContact {
  cluster: string;
  /** Last time the API server answered, or null. */
  lastContact: Date | null;
  /** Last failure's message, if the latest attempt failed. */
  lastError: string | null;
  maxAgeMs: number;
  startedAt: Date;
  now: Date;
}

/** Agent: the served cluster's API server answered recently. */
export function clusterReachable(c: ClusterContact): CheckResult {
  if (c.lastContact === null) {
    const up = c.now.getTime() - c.startedAt.getTime();
    if (c.lastError === null && up <= c.maxAgeMs) return { ok: true, detail: `no answer from ${c.cluster} yet; started ${formatAge(up)} ago` };
    return { ok: false, detail: `API server of ${c.cluster} has not answered${c.lastError ? `: ${c.lastError}` : ''}` };
  }
  const age = c.now.getTime() - c.lastContact.getTime();
  return age <= c.maxAgeMs
    ? { ok: true, detail: `API server of ${c.cluster} answered ${formatAge(age)} ago` }
    : { ok: false, detail: `API server of ${c.cluster} last answered ${formatAge(age)} ago${c.lastError ? ` (${c.lastError})` : ''}; check the agent's credentials and network policy` };
}

export interface ReadinessReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

/** Runs every check (bounded by `timeoutMs` each); a check that throws or hangs fails. */
export async function runChecks(checks: readonly ReadinessCheck[], timeoutMs = 2_000): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map(async (c) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await Promise.race([
        Promise.resolve().then(() => c.run()),
        new Promise<CheckResult>((resolve) => { timer = setTimeout(() => resolve({ ok: false, detail: `no answer in ${timeoutMs} ms` }), timeoutMs); }),
      ]);
      return { name: c.name, ...r };
    } catch (err) {
      return { name: c.name, ok: false, detail: `check failed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }));
  return { ok: results.every((r) => r.ok), checks: results };
}

/** The Kubernetes API server's own `/readyz?verbose` style: one `[+]name ok` / `[-]name failed: …` line per check. */
export function formatReport(report: ReadinessReport): string {
  const lines = report.checks.map((c) => (c.ok ? `[+]${c.name} ok: ${c.detail}` : `[-]${c.name} failed: ${c.detail}`));
  lines.push(report.ok ? 'readyz check passed' : `readyz check failed: ${report.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
