/**
 * The configuration file (DESIGN.md "Config"). One zod schema for the shape; `Config` is its
 * inferred type. Cross-field rules (environment names, role names, one access mode per cluster,
 * static versions) live in cross-field.ts and run on the raw data even when the shape is wrong,
 * so every problem is reported in one pass (zod skips refinements once a structural check fails).
 */
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { parseDuration } from './duration.ts';

export const DEFAULT_FEED_URL = 'https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json';

/** Node operating systems as nodes report them (`status.nodeInfo.operatingSystem`). */
export const OPERATING_SYSTEMS = ['linux', 'windows'] as const;

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const name = (what: string) =>
  z.string().regex(NAME_RE, `${what} must be lowercase letters, digits and "-" (like "prod-eu")`);

const duration = (example: string) =>
  z.string().refine((s) => parseDuration(s) !== null, `expected a duration like "${example}" (units ms, s, m, h, d)`)
    .transform((s) => parseDuration(s) as number);

const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
const ORDINALS = ['1st', '2nd', '3rd', '4th', '5th', 'last'] as const;
/** "2nd TUE", "last SUN", "1st MON". */
export const WINDOW_RULE_RE = new RegExp(`^(${ORDINALS.join('|')})\\s+(${WEEKDAYS.join('|')})$`, 'i');

// --- maintenance windows (issue 11): rule, reminders, gate, freeze ---------------------------
/** "staging + 2d": the day N days after each window of another environment (its own start and zone). */
export const RELATIVE_RULE_RE = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)\s*\+\s*(\d{1,2})d$/i;
const DATE_OR_INSTANT_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2}))?$/;

/** A freeze: no window is held while it lasts. Dates are whole days in each window's own zone. */
const freezeSchema = z.strictObject({
  from: z.string().regex(DATE_OR_INSTANT_RE, 'expected a date like "2026-12-19" or a time like "2026-12-19T18:00+01:00"'),
  to: z.string().regex(DATE_OR_INSTANT_RE, 'expected a date like "2027-01-04" or a time like "2027-01-04T08:00+01:00"'),
  reason: z.string().trim().min(1, 'say why, like "year-end freeze"'),
}).refine((f) => !DATE_OR_INSTANT_RE.test(f.from) || !DATE_OR_INSTANT_RE.test(f.to) || f.to.slice(0, 10) >= f.from.slice(0, 10), { message: 'to is before from', path: ['to'] });

const GATE_MODES = ['after-staging', 'readiness'] as const;
const gateMode = z.enum(GATE_MODES, { error: `expected one of ${GATE_MODES.join(', ')}` });

const windowSchema = z.strictObject({
  rule: z.string().refine((r) => WINDOW_RULE_RE.test(r.trim()) || RELATIVE_RULE_RE.test(r.trim()),
    `expected "<1st|2nd|3rd|4th|5th|last> <${WEEKDAYS.join('|')}>", like "2nd TUE", or "<environment> + <N>d", like "staging + 2d"`),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a 24-hour time like "02:00"'),
  duration: duration('4h'),
  timezone: z.string().refine((tz) => IANAZone.isValidZone(tz), 'expected an IANA time zone like "Europe/Berlin"'),
  /** Dates (YYYY-MM-DD) on which no window is held (holidays, freezes). */
  exclude: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like "2026-12-24"')).default([]),
  /** Reminders before the start, posted in the window's thread. */
  reminders: z.array(duration('1d')).default([7 * 86_400_000, 86_400_000, 3_600_000]),
  /** The window's thread is created (announced) this long before it starts. */
  announce: duration('7d').default(7 * 86_400_000),
  /** With `after`: at least this long between the earlier environment's window closing and this one opening. */
  gap: duration('2d').default(0),
  /** Which proof a window needs before it opens, per kind of change (a patch changes no API). */
  gate: z.strictObject({ minor: gateMode.default('after-staging'), patch: gateMode.default('after-staging') })
    .default({ minor: 'after-staging', patch: 'after-staging' }),
});
// --- end maintenance windows ----------------------------------------------------------------------

const rbacCheck = z.strictObject({
  as: z.string().regex(/^(user|group|serviceaccount):.+$/, 'expected "user:NAME", "group:NAME" or "serviceaccount:NAMESPACE:NAME"'),
  verb: z.string().min(1),
  resource: z.string().min(1),
  subresource: z.string().optional(),
  group: z.string().default(''),
  namespace: z.string().optional(),
  expect: z.enum(['allow', 'deny']),
});

const checksSchema = z.strictObject({
  rbac: z.array(rbacCheck).default([]),
  /** Namespace for the PodSecurity dry-run; default: the first one labelled enforce=restricted. */
  admission: z.strictObject({ namespace: z.string().optional() }).default({}),
  /** Namespace for the NetworkPolicy dry-run; default "default". */
  networkPolicy: z.strictObject({ namespace: z.string().default('default') }).default({ namespace: 'default' }),
  /** Namespaces the "no NetworkPolicy" and "no PodSecurity label" warnings ignore. */
  ignoreNamespaces: z.array(z.string()).default(['kube-system', 'kube-public', 'kube-node-lease']),
}).default({ rbac: [], admission: {}, networkPolicy: { namespace: 'default' }, ignoreNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'] });

/**
 * Sign-off policy: each of `roles` approves at least once and `quorum` distinct people in all, or
 * `group` + `quorum`: any N holders of one role. `expires` after which a pending request lapses,
 * `cancel` the roles that may cancel (besides the requester).
 */
const signoffSchema = z.strictObject({
  roles: z.array(z.string()).default([]),
  group: z.string().optional(),
  quorum: z.number().int().positive(),
  selfApproval: z.boolean().default(false),
  expires: duration('24h').default(24 * 3_600_000),
  cancel: z.array(z.string()).default([]),
}).superRefine((s, ctx) => {
  if (s.group === undefined && s.roles.length === 0) ctx.addIssue({ code: 'custom', path: ['roles'], message: 'name the roles that must approve, or a group (any N of one role)' });
  if (s.group !== undefined && s.roles.length > 0) ctx.addIssue({ code: 'custom', path: ['group'], message: 'give either roles (each must approve) or group (any N of one role), not both' });
  if (s.group === undefined && s.quorum < s.roles.length) ctx.addIssue({ code: 'custom', path: ['quorum'], message: `quorum ${s.quorum} is below the ${s.roles.length} required roles; each role needs its own approver` });
});

const environmentSchema = z.strictObject({
  window: windowSchema.optional(),
  /** This environment's windows come only after this one's passed verification. */
  after: z.string().optional(),
  signoff: signoffSchema.optional(),
  checks: checksSchema,
  /** Freeze periods for this environment's windows (issue 11). */
  freeze: z.array(freezeSchema).default([]),
});

const clusterSchema = z.strictObject({
  name: name('cluster name'),
  environment: z.string(),
  /** Reach the cluster through this kubeconfig file (and context). */
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  /** Use the pod's service account (the hub or agent runs in this cluster). */
  inCluster: z.boolean().optional(),
  /** A per-cluster agent serves this cluster through the queue. */
  agent: z.boolean().optional(),
  /** Static versions: triaged without contacting the cluster. `kubernetes` stands for every core component. */
  versions: z.record(z.string(), z.string()).optional(),
  /** Managed provider, when the version strings alone do not say. */
  provider: z.enum(['eks', 'gke', 'aks', 'k3s', 'rke2', 'openshift', 'kubeadm', 'other']).optional(),
  /**
   * Static nodes (with `versions`): judged per node. `kubelet` defaults to `versions.kubelet`,
   * else `versions.kubernetes`; `kubeProxy` to the node's kubelet.
   */
  nodes: z.array(z.strictObject({
    name: z.string().min(1, 'name the node'),
    kubelet: z.string().optional(),
    kubeProxy: z.string().optional(),
    os: z.enum(OPERATING_SYSTEMS).optional(),
  })).optional(),
  /** Static clusters: the operating systems of the cluster's nodes, when `nodes` does not say. */
  os: z.array(z.enum(OPERATING_SYSTEMS)).min(1, 'list at least one of linux, windows').optional(),
});

const roleSchema = z.strictObject({
  users: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id like "U01AAA"')).default([]),
  usergroups: z.array(z.string().regex(/^S[A-Z0-9]+$/, 'expected a Slack user group id like "S01PLAT"')).default([]),
});

const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/, 'expected a Slack channel id like "C0PROD"');

/** Who may do what. A missing entry means anyone in the workspace. */
const permissionsSchema = z.strictObject({
  /** Roles allowed to run /k8s verify, per environment ("*" for any environment). */
  verify: z.record(z.string(), z.array(z.string())).default({}),
  /** Roles allowed to schedule windows (and the emergency-window button), per environment. */
  schedule: z.record(z.string(), z.array(z.string())).default({}),
  /** Roles allowed to press Acknowledge. */
  acknowledge: z.array(z.string()).default([]),
  /** Roles allowed to accept a risk (`/k8s accept`), per environment. */
  accept: z.record(z.string(), z.array(z.string())).default({}),
}).default({ verify: {}, schedule: {}, acknowledge: [], accept: {} });

const hostPort = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected "host:port", like "10.0.0.5:6379"');

/** Where Redis is when it is not one server at REDIS_URL (password: REDIS_PASSWORD). */
const redisSchema = z.strictObject({
  /** Redis Cluster: a few of its nodes; the client discovers the rest. */
  cluster: z.strictObject({ nodes: z.array(hostPort).min(1, 'name at least one node') }).optional(),
  /** Sentinel: the master's name and the sentinels to ask for it. */
  sentinel: z.strictObject({ name: z.string().min(1), sentinels: z.array(hostPort).min(1, 'name at least one sentinel') }).optional(),
  /** TLS to the cluster nodes or the sentinel-managed servers (one server: a rediss:// REDIS_URL). */
  tls: z.boolean().default(false),
}).refine((r) => !(r.cluster && r.sentinel), 'give either cluster or sentinel, not both');

/** Slack's own limits: one message a second per channel (bursts of 3), chat.update Tier 3. */
const PACE_DEFAULTS = { perChannel: 1, burst: 3, updatesPerMinute: 50 };

export const configSchema = z.strictObject({
  feed: z.strictObject({
    url: z.string().default(DEFAULT_FEED_URL),
    // A 304 costs one request: polling every 2 minutes is cheap, and news reaches Slack in minutes.
    every: duration('15m').default(2 * 60_000),
    /** Re-triage every known advisory against the fleet as it is now (upgrades, new clusters). */
    retriage: duration('1h').default(60 * 60_000),
    timeout: duration('20s').default(20_000),
    /** Refuse bodies larger than this many bytes. */
    maxBytes: z.number().int().positive().default(20 * 1024 * 1024),
  }).default({ url: DEFAULT_FEED_URL, every: 2 * 60_000, retriage: 60 * 60_000, timeout: 20_000, maxBytes: 20 * 1024 * 1024 }),
  slack: z.strictObject({
    channels: z.record(z.string(), channelId).default({}),
    /** On the very first feed poll, post advisories already in the feed (default: only remember them). */
    announceBacklog: z.boolean().default(false),
    /**
     * Posting pace shared by every replica (src/slack/pace.ts): Slack allows about one message per
     * second per channel with short bursts, and chat.update is Tier 3 (about 50 a minute).
     */
    pace: z.strictObject({
      /** chat.postMessage per channel per second. */
      perChannel: z.number().positive().max(100).default(1),
      /** Posts a channel may take at once before the pace applies. */
      burst: z.number().int().min(1).max(20).default(3),
      /** chat.update per minute across the workspace. */
      updatesPerMinute: z.number().positive().max(6000).default(50),
    }).default(PACE_DEFAULTS),
  }).default({ channels: {}, announceBacklog: false, pace: PACE_DEFAULTS }),
  releases: z.strictObject({
    /** endoflife.date API for the release calendar; the bundled snapshot is the fallback. */
    url: z.string().default('https://endoflife.date/api/v1/products/kubernetes'),
    refresh: z.boolean().default(true),
  }).default({ url: 'https://endoflife.date/api/v1/products/kubernetes', refresh: true }),
  verify: z.strictObject({
    probeTimeout: duration('10s').default(10_000),
    concurrency: z.number().int().positive().default(20),
  }).default({ probeTimeout: 10_000, concurrency: 20 }),
  /** Health and metrics endpoint of every role (/livez, /readyz, /metrics); env HEALTH_PORT overrides. */
  server: z.strictObject({
    port: z.number().int().min(0).max(65535).default(8081),
  }).default({ port: 8081 }),
  environments: z.record(name('environment name'), environmentSchema).refine((e) => Object.keys(e).length > 0, 'define at least one environment'),
  clusters: z.array(clusterSchema).min(1, 'define at least one cluster'),
  roles: z.record(z.string(), roleSchema).default({}),
  permissions: permissionsSchema,
  redis: redisSchema.optional(),
  /** Fleet-wide freeze periods: no environment holds a window during them (issue 11). */
  freeze: z.array(freezeSchema).default([]),
});

export type Config = z.infer<typeof configSchema>;
export type ClusterConfig = Config['clusters'][number];
export type EnvironmentConfig = Config['environments'][string];
export type WindowConfig = NonNullable<EnvironmentConfig['window']>;
export type FreezeConfig = Config['freeze'][number];
export type GateMode = (typeof GATE_MODES)[number];
export type RbacCheck = EnvironmentConfig['checks']['rbac'][number];
