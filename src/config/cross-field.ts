/**
 * Rules that span fields (environment and role names, one access mode per cluster, static
 * versions). They read the raw YAML data, defensively, so they run even when the shape is wrong
 * somewhere else: a file with a bad duration and a misspelt environment gets both in one pass.
 * Each problem names its key path; messages are full sentences.
 */
import { parseVersion } from '../advisory/versions.ts';
import { closestComponent, isKnownComponent, KNOWN_VERSION_KEYS } from './component-names.ts';
import { RELATIVE_RULE_RE } from './schema.ts';

export interface CrossFieldIssue {
  path: (string | number)[];
  message: string;
}

type Raw = Record<string, unknown>;

function record(x: unknown): Raw | undefined {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : undefined;
}

function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** A complete version: "v1.29.4", "1.29.4", with an optional build or prerelease suffix. */
const FULL_VERSION_RE = /^[vV]?\d+\.\d+\.\d+([-+].*)?$/;

/** Why `v` is not a usable static version, or null when it is (or is no string at all). */
export function versionProblem(v: unknown): string | null {
  if (typeof v !== 'string') return null; // the schema reports the type

  if (/^[vV]?\d+\.\d+$/.test(v.trim())) return `"${v}" is incomplete: give the patch too, like "${v.trim()}.4" (a minor alone would be judged as its .0)`;
  if (!FULL_VERSION_RE.test(v) || parseVersion(v) === null) return `"${v}" is not a version like "v1.29.4"`;
  return null;
}

function unknownKeyMessage(key: string): string {
  const close = closestComponent(key);
  const hint = close === null ? '' : ` (did you mean "${close}"?)`;
  return `"${key}" is not a component name${hint}. Known names: ${KNOWN_VERSION_KEYS.join(', ')} (kubernetes stands for every core component)`;
}

/** Answers per distinct key and version: a fleet of 10,000 clusters repeats a few dozen of each. */
interface Memo {
  keys: Map<string, string | null>;
  versions: Map<string, string | null>;
}

function keyProblem(memo: Memo, key: string): string | null {
  let p = memo.keys.get(key);
  if (p === undefined) {
    p = isKnownComponent(key) ? null : unknownKeyMessage(key);
    memo.keys.set(key, p);
  }
  return p;
}

function versionProblemOf(memo: Memo, v: unknown): string | null {
  if (typeof v !== 'string') return null;
  let p = memo.versions.get(v);
  if (p === undefined) {
    p = versionProblem(v);
    memo.versions.set(v, p);
  }
  return p;
}

function checkCluster(c: Raw, i: number, envs: Set<string>, oneOf: (l: string[]) => string, memo: Memo, out: CrossFieldIssue[]): void {
  const at = (...p: (string | number)[]) => ['clusters', i, ...p];
  if (typeof c.environment === 'string' && !envs.has(c.environment)) {
    out.push({ path: at('environment'), message: `"${c.environment}" is not one of ${oneOf([...envs])}` });
  }
  const modes = [c.kubeconfig !== undefined, c.inCluster === true, c.agent === true, c.versions !== undefined].filter(Boolean).length;
  if (modes !== 1) {
    out.push({ path: at(), message: `give exactly one of kubeconfig (+ context), inCluster: true, agent: true or versions (found ${modes})` });
  }
  if (c.context !== undefined && c.kubeconfig === undefined) out.push({ path: at('context'), message: 'context needs kubeconfig' });

  const versions = record(c.versions);
  if (versions !== undefined && Object.keys(versions).length === 0) {
    out.push({ path: at('versions'), message: 'give at least one version, like { kubernetes: v1.35.2 }' });
  }
  for (const key in versions) {
    const kp = keyProblem(memo, key);
    if (kp !== null) out.push({ path: at('versions', key), message: kp });
    const problem = versionProblemOf(memo, versions[key]);
    if (problem !== null) out.push({ path: at('versions', key), message: problem });
  }
  if (versions === undefined) {
    for (const key of ['nodes', 'os'] as const) {
      if (c[key] !== undefined) out.push({ path: at(key), message: `${key} describes a static cluster: it needs versions (live clusters report their nodes)` });
    }
  }
  const nodeKubelet = versions?.kubelet ?? versions?.kubernetes;
  list(c.nodes).forEach((n, j) => {
    const node = record(n);
    if (node === undefined) return;
    for (const key of ['kubelet', 'kubeProxy'] as const) {
      if (node[key] === undefined) continue;
      const problem = versionProblemOf(memo, node[key]);
      if (problem !== null) out.push({ path: at('nodes', j, key), message: problem });
    }
    if (node.kubelet === undefined && nodeKubelet === undefined && versions !== undefined) {
      out.push({ path: at('nodes', j, 'kubelet'), message: 'give the node\'s kubelet version, or versions.kubelet / versions.kubernetes for every node' });
    }
  });
  if (Array.isArray(c.nodes) && c.nodes.length > 1) {
    const seenNodes = new Set<string>();
    c.nodes.forEach((n: unknown, j: number) => {
      const name = record(n)?.name;
      if (typeof name !== 'string') return;
      if (seenNodes.has(name)) out.push({ path: at('nodes', j, 'name'), message: `"${name}" is used by another node of this cluster` });
      seenNodes.add(name);
    });
  }
}

export function crossFieldIssues(data: unknown): CrossFieldIssue[] {
  const cfg = record(data) ?? {};
  const out: CrossFieldIssue[] = [];
  const environments = record(cfg.environments) ?? {};
  const envs = Object.keys(environments);
  const roleMap = record(cfg.roles) ?? {};
  const roles = Object.keys(roleMap);
  const oneOf = (l: string[]) => (l.length > 0 ? l.join(', ') : '(none defined)');
  const checkRoles = (value: unknown, path: (string | number)[]) => {
    list(value).forEach((r, i) => {
      if (typeof r === 'string' && !roles.includes(r)) out.push({ path: [...path, i], message: `role "${r}" is not defined under roles (defined: ${oneOf(roles)})` });
    });
  };

  const seen = new Set<string>();
  const envSet = new Set(envs);
  const memo: Memo = { keys: new Map(), versions: new Map() };
  list(cfg.clusters).forEach((raw, i) => {
    const c = record(raw);
    if (c === undefined) return;
    if (typeof c.name === 'string') {
      if (seen.has(c.name)) out.push({ path: ['clusters', i, 'name'], message: `"${c.name}" is used by another cluster; names must be unique` });
      seen.add(c.name);
    }
    checkCluster(c, i, envSet, oneOf, memo, out);
  });

  for (const [env, rawEnv] of Object.entries(environments)) {
    const e = record(rawEnv);
    if (e === undefined) continue;
    if (typeof e.after === 'string') {
      if (!envs.includes(e.after)) out.push({ path: ['environments', env, 'after'], message: `"${e.after}" is not one of ${oneOf(envs)}` });
      if (e.after === env) out.push({ path: ['environments', env, 'after'], message: 'an environment cannot come after itself' });
    }
    const signoff = record(e.signoff);
    checkRoles(signoff?.roles, ['environments', env, 'signoff', 'roles']);
    checkRoles(signoff?.cancel, ['environments', env, 'signoff', 'cancel']);
    if (typeof signoff?.group === 'string') checkRoles([signoff.group], ['environments', env, 'signoff', 'group']);
  }
  checkWindowRules(environments, out);
  // Cycles in `after` would block every window forever.
  const afterOf = (env: string): string | undefined => {
    const a = record(environments[env])?.after;
    return typeof a === 'string' ? a : undefined;
  };
  for (const start of envs) {
    const path = [start];
    let cur = afterOf(start);
    while (cur !== undefined && envs.includes(cur)) {
      if (path.includes(cur)) {
        out.push({ path: ['environments', start, 'after'], message: `cycle: ${[...path, cur].join(' → ')}` });
        break;
      }
      path.push(cur);
      cur = afterOf(cur);
    }
  }

  for (const key of Object.keys(record(record(cfg.slack)?.channels) ?? {})) {
    if (key !== 'default' && !envs.includes(key)) {
      out.push({ path: ['slack', 'channels', key], message: `"${key}" is not an environment (${oneOf(envs)}) or "default"` });
    }
  }
  const permissions = record(cfg.permissions) ?? {};
  for (const kind of ['verify', 'schedule', 'accept'] as const) {
    for (const [env, roleList] of Object.entries(record(permissions[kind]) ?? {})) {
      if (env !== '*' && !envs.includes(env)) {
        out.push({ path: ['permissions', kind, env], message: `"${env}" is not an environment (${oneOf(envs)}) or "*"` });
      }
      checkRoles(roleList, ['permissions', kind, env]);
    }
  }
  checkRoles(permissions.acknowledge, ['permissions', 'acknowledge']);
  return out;
}

/** Relative rules ("staging + 2d") must name another environment that has a window, without cycles. */
function checkWindowRules(environments: Raw, out: CrossFieldIssue[]): void {
  const windowOf = (env: string) => record(record(environments[env])?.window);
  const baseOf = (env: string): string | null => {
    const rule = windowOf(env)?.rule;
    const m = typeof rule === 'string' ? RELATIVE_RULE_RE.exec(rule.trim()) : null;
    return m ? (m[1] ?? '').toLowerCase() : null;
  };
  for (const env of Object.keys(environments)) {
    const base = baseOf(env);
    if (base === null) continue;
    const path = ['environments', env, 'window', 'rule'];
    if (base === env) {
      out.push({ path, message: 'a window rule cannot be relative to its own environment' });
      continue;
    }
    if (windowOf(base) === undefined) {
      const withWindow = Object.keys(environments).filter((e) => e !== env && windowOf(e) !== undefined);
      out.push({ path, message: `"${base}" is not an environment with a window (${withWindow.join(', ') || 'none has one'})` });
      continue;
    }
    const seen = [env];
    for (let cur: string | null = base; cur !== null; cur = baseOf(cur)) {
      if (seen.includes(cur)) {
        out.push({ path, message: `relative rules form a cycle: ${[...seen, cur].join(' → ')}` });
        break;
      }
      seen.push(cur);
    }
  }
}
