/**
 * The configuration file (DESIGN.md "Config"). One zod schema; `Config` is its inferred type.
 * Cross-field rules (environment names, role names, one access mode per cluster) run in
 * `superRefine` so that every problem is reported at once.
 */
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { parseDuration } from './duration.ts';

export const DEFAULT_FEED_URL = 'https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json';

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
  /** Static node kubelet versions (optional with `versions`): judged per node. */
  nodes: z.array(z.strictObject({ name: z.string(), kubelet: z.string(), kubeProxy: z.string().optional() })).optional(),
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

export const configSchema = z.strictObject({
  feed: z.strictObject({
    url: z.string().default(DEFAULT_FEED_URL),
    every: duration('15m').default(15 * 60_000),
    /** Re-triage every known advisory against the fleet as it is now (upgrades, new clusters). */
    retriage: duration('1h').default(60 * 60_000),
    timeout: duration('20s').default(20_000),
    /** Refuse bodies larger than this many bytes. */
    maxBytes: z.number().int().positive().default(20 * 1024 * 1024),
  }).default({ url: DEFAULT_FEED_URL, every: 15 * 60_000, retriage: 60 * 60_000, timeout: 20_000, maxBytes: 20 * 1024 * 1024 }),
  slack: z.strictObject({
    channels: z.record(z.string(), channelId).default({}),
    /** On the very first feed poll, post advisories already in the feed (default: only remember them). */
    announceBacklog: z.boolean().default(false),
  }).default({ channels: {}, announceBacklog: false }),
  releases: z.strictObject({
    /** endoflife.date API for the release calendar; the bundled snapshot is the fallback. */
    url: z.string().default('https://endoflife.date/api/v1/products/kubernetes'),
    refresh: z.boolean().default(true),
  }).default({ url: 'https://endoflife.date/api/v1/products/kubernetes', refresh: true }),
  verify: z.strictObject({
    probeTimeout: duration('10s').default(10_000),
    concurrency: z.number().int().positive().default(20),
  }).default({ probeTimeout: 10_000, concurrency: 20 }),
  environments: z.record(name('environment name'), environmentSchema).refine((e) => Object.keys(e).length > 0, 'define at least one environment'),
  clusters: z.array(clusterSchema).min(1, 'define at least one cluster'),
  roles: z.record(z.string(), roleSchema).default({}),
  permissions: permissionsSchema,
  /** Fleet-wide freeze periods: no environment holds a window during them (issue 11). */
  freeze: z.array(freezeSchema).default([]),
}).superRefine((cfg, ctx) => {
  const envs = Object.keys(cfg.environments);
  const roles = Object.keys(cfg.roles);
  const oneOf = (list: string[]) => (list.length > 0 ? list.join(', ') : '(none defined)');
  const checkRoles = (list: string[], path: (string | number)[]) => {
    list.forEach((r, i) => {
      if (!roles.includes(r)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `role "${r}" is not defined under roles (defined: ${oneOf(roles)})` });
    });
  };

  const seen = new Set<string>();
  cfg.clusters.forEach((c, i) => {
    if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `"${c.name}" is used by another cluster; names must be unique` });
    seen.add(c.name);
    if (!envs.includes(c.environment)) {
      ctx.addIssue({ code: 'custom', path: ['clusters', i, 'environment'], message: `"${c.environment}" is not one of ${oneOf(envs)}` });
    }
    const modes = [c.kubeconfig !== undefined, c.inCluster === true, c.agent === true, c.versions !== undefined].filter(Boolean).length;
    if (modes !== 1) {
      ctx.addIssue({
        code: 'custom', path: ['clusters', i],
        message: `give exactly one of kubeconfig (+ context), inCluster: true, agent: true or versions (found ${modes})`,
      });
    }
    if (c.context !== undefined && c.kubeconfig === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clusters', i, 'context'], message: 'context needs kubeconfig' });
    }
    for (const [component, v] of Object.entries(c.versions ?? {})) {
      if (!/^[vV]?\d+\.\d+(\.\d+)?([-+].*)?$/.test(v)) {
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'versions', component], message: `"${v}" is not a version like "v1.29.4"` });
      }
    }
  });

  for (const [env, e] of Object.entries(cfg.environments)) {
    if (e.after !== undefined && !envs.includes(e.after)) {
      ctx.addIssue({ code: 'custom', path: ['environments', env, 'after'], message: `"${e.after}" is not one of ${oneOf(envs)}` });
    }
    if (e.after === env) ctx.addIssue({ code: 'custom', path: ['environments', env, 'after'], message: 'an environment cannot come after itself' });
    if (e.signoff) {
      checkRoles(e.signoff.roles, ['environments', env, 'signoff', 'roles']);
      checkRoles(e.signoff.cancel, ['environments', env, 'signoff', 'cancel']);
      if (e.signoff.group !== undefined) checkRoles([e.signoff.group], ['environments', env, 'signoff', 'group']);
    }
  }
  // Cycles in `after` would block every window forever.
  for (const start of envs) {
    const path = [start];
    let cur = cfg.environments[start]?.after;
    while (cur !== undefined && envs.includes(cur)) {
      if (path.includes(cur)) {
        ctx.addIssue({ code: 'custom', path: ['environments', start, 'after'], message: `cycle: ${[...path, cur].join(' → ')}` });
        break;
      }
      path.push(cur);
      cur = cfg.environments[cur]?.after;
    }
  }

  checkWindowRules(cfg.environments, ctx);

  for (const key of Object.keys(cfg.slack.channels)) {
    if (key !== 'default' && !envs.includes(key)) {
      ctx.addIssue({ code: 'custom', path: ['slack', 'channels', key], message: `"${key}" is not an environment (${oneOf(envs)}) or "default"` });
    }
  }
  for (const kind of ['verify', 'schedule', 'accept'] as const) {
    for (const [env, list] of Object.entries(cfg.permissions[kind])) {
      if (env !== '*' && !envs.includes(env)) {
        ctx.addIssue({ code: 'custom', path: ['permissions', kind, env], message: `"${env}" is not an environment (${oneOf(envs)}) or "*"` });
      }
      checkRoles(list, ['permissions', kind, env]);
    }
  }
  checkRoles(cfg.permissions.acknowledge, ['permissions', 'acknowledge']);
});

/** Relative rules ("staging + 2d") must name another environment that has a window, without cycles. */
function checkWindowRules(environments: Record<string, { window?: { rule: string } | undefined }>, ctx: z.RefinementCtx): void {
  const baseOf = (env: string): string | null => {
    const m = RELATIVE_RULE_RE.exec(environments[env]?.window?.rule.trim() ?? '');
    return m ? (m[1] ?? '').toLowerCase() : null;
  };
  for (const env of Object.keys(environments)) {
    const base = baseOf(env);
    if (base === null) continue;
    const path = ['environments', env, 'window', 'rule'];
    if (base === env) {
      ctx.addIssue({ code: 'custom', path, message: 'a window rule cannot be relative to its own environment' });
      continue;
    }
    if (environments[base]?.window === undefined) {
      const withWindow = Object.keys(environments).filter((e) => e !== env && environments[e]?.window !== undefined);
      ctx.addIssue({ code: 'custom', path, message: `"${base}" is not an environment with a window (${withWindow.join(', ') || 'none has one'})` });
      continue;
    }
    const seen = [env];
    for (let cur: string | null = base; cur !== null; cur = baseOf(cur)) {
      if (seen.includes(cur)) {
        ctx.addIssue({ code: 'custom', path, message: `relative rules form a cycle: ${[...seen, cur].join(' → ')}` });
        break;
      }
      seen.push(cur);
    }
  }
}

export type Config = z.infer<typeof configSchema>;
export type ClusterConfig = Config['clusters'][number];
export type EnvironmentConfig = Config['environments'][string];
export type WindowConfig = NonNullable<EnvironmentConfig['window']>;
export type FreezeConfig = Config['freeze'][number];
export type GateMode = (typeof GATE_MODES)[number];
export type RbacCheck = EnvironmentConfig['checks']['rbac'][number];
