/**
 * The Helm chart without helm (no binary on these machines; README "Helm chart" has the
 * `helm lint` / `helm template` / `ct install` commands). Checked here:
 * - values.yaml documents every key and validates against the strict values.schema.json (ajv);
 *   overrides with typos or bad values are refused, naming the key;
 * - RBAC follows the probes' own `needs` (src/verify/probes/*.ts), the one table that the README
 *   table follows too: reads cluster-wide, dry-run creates only in per-namespace Roles;
 * - templates are conventional (helpers for names and labels, every .Values path exists, probes,
 *   resources, grace period, checksum annotation following existingConfigMap).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ALL_PROBES } from '../../../src/verify/probes/index.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const CHART = resolve(REPO_ROOT, 'helm/k8s-advisor');
const chart = (file: string) => readFileSync(resolve(CHART, file), 'utf8');
const templates = readdirSync(resolve(CHART, 'templates')).filter((f) => f.endsWith('.yaml'));
/** Template lines that are pure directives carry no YAML; inline expressions become placeholders. */
const untemplate = (text: string) => text.split('\n').filter((l) => !/^\s*\{\{-?.*-?\}\}\s*$/.test(l)).join('\n').replace(/\{\{.*?\}\}/g, 'X');

type Values = Record<string, unknown>;
const values = parse(chart('values.yaml')) as Values;
const schema = JSON.parse(chart('values.schema.json')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

/** Kubernetes objects passed through as they are (their own API validates them), and free maps. */
const PASSTHROUGH = ['config', 'podSecurityContext', 'securityContext', 'resources', 'affinity'];

function merge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b) ? merge(b as Values, v as Values) : v;
  }
  return out;
}

function errorsFor(over: Values): string[] {
  const merged = merge(values, over);
  // The app config is replaced, never merged (Helm merges maps, but a test of "missing clusters" must not inherit them).
  if ('config' in over) merged.config = over.config;
  const ok = validate(merged);
  return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

describe('values.yaml', () => {
  it('documents every key with a comment (nested keys too, except Kubernetes objects passed through)', () => {
    const lines = chart('values.yaml').split('\n');
    const undocumented: string[] = [];
    const stack: { indent: number; key: string }[] = [];
    lines.forEach((line, i) => {
      const m = /^(\s*)([A-Za-z][\w-]*):/.exec(line);
      if (!m) return;
      const indent = m[1]!.length;
      while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop();
      const path = [...stack.map((s) => s.key), m[2]!];
      stack.push({ indent, key: m[2]! });
      if (path.length > 1 && PASSTHROUGH.includes(path[0]!)) return;
      let j = i - 1;
      while (j >= 0 && /^\s*#/.test(lines[j]!) && !/^\s*# --/.test(lines[j]!)) j--;
      if (j < 0 || !/^\s*# -- \S/.test(lines[j]!)) undocumented.push(path.join('.'));
    });
    expect(undocumented).toEqual([]);
  });

  it('ships hardened security defaults', () => {
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(values.networkPolicy).toMatchObject({ enabled: true });
    expect(values.podDisruptionBudget).toMatchObject({ enabled: true, maxUnavailable: 1 });
  });

  it('is valid against the schema as shipped', () => {
    expect(errorsFor({})).toEqual([]);
  });
});

describe('values.schema.json', () => {
  it('is strict: additionalProperties false on every object, except Kubernetes objects and string maps', () => {
    const loose: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== 'object') return;
      const s = node as Record<string, unknown>;
      if (s.type === 'object') {
        const passthrough = typeof s.description === 'string' && /passed through|validated by the app/.test(s.description);
        const stringMap = typeof s.additionalProperties === 'object' && (s.additionalProperties as { type?: string }).type === 'string';
        if (s.additionalProperties !== false && !passthrough && !stringMap) loose.push(path);
      }
      for (const [k, v] of Object.entries(s)) walk(v, `${path}/${k}`);
    };
    walk(schema, '#');
    expect(loose).toEqual([]);
  });

  it('names every top-level value', () => {
    expect(Object.keys(schema.properties as object).sort()).toEqual(Object.keys(values).sort());
  });

  it.each<[string, Values]>([
    ['an agent', { mode: 'agent', agent: { cluster: 'prod-us' } }],
    ['a hub in HTTP mode', { slack: { existingSecret: 'slack', mode: 'http', port: 8080 } }],
    ['a worker-only hub', { hubRoles: 'workers,schedule', replicaCount: 3 }],
    ['config as text', { config: 'environments: { prod: {} }\nclusters: []\n' }],
    ['an existing ConfigMap', { existingConfigMap: 'fleet' }],
    ['Redis from a Secret with TLS', { redis: { existingSecret: 'redis', existingSecretKey: 'url', tls: { caSecret: 'redis-ca', caKey: 'ca.pem' } } }],
    ['a rediss:// URL', { redis: { url: 'rediss://redis.example:6380' } }],
    ['a hub with no cluster permissions', { rbac: { create: false }, serviceAccount: { automountServiceAccountToken: false } }],
    ['dry-run namespaces', { rbac: { admissionNamespaces: ['team-a'], networkPolicyNamespaces: ['default', 'team-a'] } }],
    ['a ServiceMonitor', { serviceMonitor: { enabled: true, interval: '1m', labels: { release: 'prometheus' } } }],
    ['NetworkPolicy peers', { networkPolicy: { redis: { to: [{ podSelector: { matchLabels: { app: 'redis' } } }] }, apiServer: { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] } } }],
    ['a percentage PDB', { podDisruptionBudget: { maxUnavailable: '50%' } }],
  ])('accepts %s', (_what, over) => {
    expect(errorsFor(over)).toEqual([]);
  });

  it.each<[string, Values, RegExp]>([
    ['a misspelt top-level key', { replicas: 2 }, /additionalProperty":"replicas"/],
    ['a misspelt nested key', { slack: { existingSecrets: 'x' } }, /\/slack .*additionalProperty":"existingSecrets"/],
    ['a misspelt RBAC key', { rbac: { create: true, namespaces: ['a'] } }, /\/rbac .*additionalProperty":"namespaces"/],
    ['an unknown mode', { mode: 'both' }, /\/mode must be equal to one of the allowed values/],
    ['a bad Slack mode', { slack: { mode: 'websocket' } }, /\/slack\/mode/],
    ['bad hub roles', { hubRoles: 'slack,web' }, /\/hubRoles must match pattern/],
    ['an agent cluster name that is not a DNS label', { mode: 'agent', agent: { cluster: 'Prod_US' } }, /\/agent\/cluster must match pattern/],
    ['an http:// Redis URL', { redis: { url: 'http://redis:6379' } }, /\/redis\/url must match pattern/],
    ['a health port out of range', { health: { port: 70000 } }, /\/health\/port must be <= 65535/],
    ['a grace period too short for the app', { shutdown: { terminationGracePeriodSeconds: 3 } }, /\/shutdown\/terminationGracePeriodSeconds must be >= 6/],
    ['a namespace that is not a DNS label', { rbac: { networkPolicyNamespaces: ['Team A'] } }, /\/rbac\/networkPolicyNamespaces\/0 must match pattern/],
    ['a numeric pod annotation', { podAnnotations: { 'prometheus.io/scrape': true } }, /\/podAnnotations\/prometheus.io~1scrape must be string/],
    ['an empty config', { config: '' }, /\/config/],
    ['a config missing clusters', { config: { environments: { prod: {} } } }, /\/config/],
  ])('refuses %s, naming the key', (_what, over, message) => {
    const errors = errorsFor(JSON.parse(JSON.stringify(over)) as Values);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });
});

// ───────────── RBAC: the chart grants what the probes' `needs` say, nothing more ─────────────

interface Rule { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }
interface Grant { group: string; resource: string; verb: string; dryRun: boolean }

/**
 * One `needs` entry ("list pods in kube-system", "create networkpolicies.networking.k8s.io
 * (dry-run)", "get /metrics") as the RBAC grant it asks for.
 */
export function grantOf(need: string): Grant {
  const m = /^(get|list|create) (\S+?)(?: in (?:namespace )?[a-z0-9-]+)?( \(dry-run\))?$/.exec(need);
  if (!m) throw new Error(`cannot read the need "${need}"`);
  const [, verb, what, dryRun] = m;
  if (what!.startsWith('/')) return { group: 'nonResourceURL', resource: what!, verb: verb!, dryRun: false };
  const dot = what!.indexOf('.');
  return { group: dot < 0 ? '' : what!.slice(dot + 1), resource: dot < 0 ? what! : what!.slice(0, dot), verb: verb!, dryRun: dryRun !== undefined };
}

const key = (g: Grant) => `${g.verb} ${g.group}/${g.resource}`;
const grantsOf = (rules: Rule[]): string[] => rules.flatMap((r) => r.verbs.flatMap((verb) => (r.nonResourceURLs
  ? r.nonResourceURLs.map((u) => `${verb} nonResourceURL/${u}`)
  : (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).map((res) => `${verb} ${g}/${res}`)))));

/** What the inventory reads (src/inventory/live.ts) besides the probes. */
const INVENTORY_NEEDS = ['get /version', 'list nodes', 'list pods'];

describe('RBAC', () => {
  const docs = parseAllDocuments(untemplate(chart('templates/rbac.yaml'))).map((d) => d.toJS() as { kind: string; rules?: Rule[] });
  const clusterRole = grantsOf(docs.find((d) => d.kind === 'ClusterRole')?.rules ?? []);
  const role = grantsOf(docs.find((d) => d.kind === 'Role')?.rules ?? []);
  const needs = [...ALL_PROBES.flatMap((p) => p.needs), ...INVENTORY_NEEDS].map(grantOf);

  it.each([
    ['list nodes', { group: '', resource: 'nodes', verb: 'list', dryRun: false }],
    ['list pods in kube-system', { group: '', resource: 'pods', verb: 'list', dryRun: false }],
    ['list pods in namespace kube-system', { group: '', resource: 'pods', verb: 'list', dryRun: false }],
    ['create pods (dry-run)', { group: '', resource: 'pods', verb: 'create', dryRun: true }],
    ['create networkpolicies.networking.k8s.io (dry-run)', { group: 'networking.k8s.io', resource: 'networkpolicies', verb: 'create', dryRun: true }],
    ['list validatingwebhookconfigurations.admissionregistration.k8s.io', { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', verb: 'list', dryRun: false }],
    ['get /metrics', { group: 'nonResourceURL', resource: '/metrics', verb: 'get', dryRun: false }],
  ])('reads the need "%s"', (need, grant) => {
    expect(grantOf(need)).toEqual(grant);
  });

  it('the ClusterRole grants every read the probes and inventory need, and nothing else', () => {
    const reads = [...new Set(needs.filter((n) => !n.dryRun).map(key))].sort();
    expect([...new Set(clusterRole)].sort()).toEqual(reads);
  });

  it('dry-run creates are granted per namespace (a Role), never cluster-wide', () => {
    const dryRuns = [...new Set(needs.filter((n) => n.dryRun).map(key))].sort();
    expect(dryRuns).toEqual(['create /pods', 'create networking.k8s.io/networkpolicies']);
    expect([...new Set(role)].sort()).toEqual(dryRuns);
    for (const d of dryRuns) expect(clusterRole).not.toContain(d);
    // One Role + RoleBinding for each namespace from values and from the config's checks.
    const text = chart('templates/rbac.yaml');
    expect(text).toMatch(/range \$ns := concat \$admission \$netpol/);
    expect(text).toMatch(/namespace: \{\{ \$ns \}\}/);
    const helpers = chart('templates/_helpers.tpl');
    expect(helpers).toContain('.Values.rbac.admissionNamespaces');
    expect(helpers).toContain('.Values.rbac.networkPolicyNamespaces');
    expect(helpers).toMatch(/range \$env, \$settings := \(\$root\.Values\.config\.environments/);
  });

  it('never grants secrets, wildcards, or verbs that change state', () => {
    for (const g of [...clusterRole, ...role]) {
      expect(g).toMatch(/^(get|list|create) /);
      expect(g).not.toMatch(/secrets|\*/);
    }
  });

  it('installs no permissions at all with rbac.create=false (a hub that only serves agents)', () => {
    const lines = chart('templates/rbac.yaml').trim().split('\n');
    expect(lines[0]).toBe('{{- if .Values.rbac.create }}');
    expect(lines.at(-1)).toBe('{{- end }}');
    for (const t of templates.filter((f) => f !== 'rbac.yaml')) expect(chart(`templates/${t}`)).not.toMatch(/kind: (Cluster)?Role(Binding)?\b/);
  });
});

describe('README probe table', () => {
  const readme = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');
  it.each(ALL_PROBES.map((p) => [p.id, p.needs] as const))('lists %s with exactly the needs in its code', (id, probeNeeds) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${id}\` |`));
    expect(row, `README has no row for ${id}`).toBeDefined();
    expect(row!.split('|').at(-2)!.trim()).toBe(probeNeeds.join(', '));
  });
});

// ───────────── templates ─────────────

/** Every `.Values.a.b` path the templates read. */
function valuePaths(text: string): string[] {
  return [...text.matchAll(/\.Values\.([A-Za-z][\w.]*)/g)].map((m) => m[1]!.replace(/\.$/, ''));
}

function has(obj: unknown, path: string[]): boolean {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[p];
  }
  return true;
}

describe('templates', () => {
  const all = [...templates, '_helpers.tpl', 'NOTES.txt'].map((f) => [f, chart(`templates/${f}`)] as const);

  it('balance every if/range/with/define with an end, and close every action', () => {
    for (const [file, text] of all) {
      const actions = [...text.matchAll(/\{\{-?\s*(\/\*[^]*?\*\/|[^}]*?)\s*-?\}\}/g)].map((m) => m[1]!);
      let depth = 0;
      for (const a of actions) {
        if (/^(if|range|with|define)\b/.test(a)) depth++;
        if (/^end\b/.test(a)) depth--;
        expect(depth, `${file}: "{{ ${a} }}" closes a block that is not open`).toBeGreaterThanOrEqual(0);
      }
      expect(depth, `${file}: ${depth} block(s) left open`).toBe(0);
      // Every "{{" has its "}}".
      expect(text.split('{{').length, file).toBe(text.split('}}').length);
    }
  });

  it('read only values that exist in values.yaml', () => {
    const missing = all.flatMap(([f, text]) => valuePaths(text).filter((p) => !has(values, p.split('.'))).map((p) => `${f}: .Values.${p}`));
    expect(missing).toEqual([]);
  });

  it('use every value (none documented but ignored)', () => {
    const used = new Set(all.flatMap(([, text]) => valuePaths(text)));
    const unused: string[] = [];
    const walk = (node: unknown, path: string[]) => {
      const p = path.join('.');
      if (path.length > 0 && [...used].some((u) => u === p || p.startsWith(`${u}.`))) return;
      if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0 && !PASSTHROUGH.includes(path[0] ?? '')) {
        for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
        return;
      }
      unused.push(p);
    };
    walk(values, []);
    expect(unused).toEqual([]);
  });

  it('name and label every object through the helpers', () => {
    const helpers = chart('templates/_helpers.tpl');
    for (const name of ['name', 'fullname', 'chart', 'labels', 'selectorLabels', 'serviceAccountName']) expect(helpers).toContain(`define "k8s-advisor.${name}"`);
    for (const [file, text] of all.filter(([f]) => f.endsWith('.yaml'))) {
      const objects = text.split(/^---$/m).filter((d) => /^kind: /m.test(d));
      for (const doc of objects) {
        expect(doc, file).toMatch(/name: \{\{ include "k8s-advisor\.(fullname|serviceAccountName)" \$?\.? ?\}\}/);
        expect(doc, file).toMatch(/include "k8s-advisor\.labels" \$?\.? \| nindent/);
      }
    }
  });

  it('give the container probes on the health port, resources, the grace period and hardened contexts', () => {
    const d = chart('templates/deployment.yaml');
    expect(d).toMatch(/livenessProbe:\s+httpGet: \{ path: \/livez, port: health \}/);
    expect(d).toMatch(/readinessProbe:\s+httpGet: \{ path: \/readyz, port: health \}/);
    expect(d).toMatch(/startupProbe:\s+httpGet: \{ path: \/livez, port: health \}/);
    expect(d).toContain('- { name: HEALTH_PORT, value: {{ .Values.health.port | quote }} }');
    expect(d).toContain('terminationGracePeriodSeconds: {{ .Values.shutdown.terminationGracePeriodSeconds }}');
    expect(d).toContain('- { name: SHUTDOWN_GRACE, value: "{{ sub .Values.shutdown.terminationGracePeriodSeconds 5 }}s" }');
    expect(d).toContain('{{- toYaml .Values.resources | nindent 12 }}');
    expect(d).toContain('{{- toYaml .Values.securityContext | nindent 12 }}');
    expect(d).toContain('{{- toYaml .Values.podSecurityContext | nindent 8 }}');
    // Read-only root filesystem: /tmp is the only writable path.
    expect(d).toMatch(/\{ name: tmp, mountPath: \/tmp \}/);
  });

  it('take Slack tokens and the Redis URL from Secrets, never from values in plain text', () => {
    const d = chart('templates/deployment.yaml');
    for (const k of ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET']) {
      expect(d).toMatch(new RegExp(`name: ${k}\\s+valueFrom: \\{ secretKeyRef: \\{ name: \\{\\{ \\.Values\\.slack\\.existingSecret \\| quote \\}\\}, key: ${k} \\} \\}`));
    }
    const helpers = chart('templates/_helpers.tpl');
    expect(helpers).toMatch(/if \.Values\.redis\.existingSecret \}\}\s+- name: REDIS_URL\s+valueFrom:\s+secretKeyRef: \{ name: \{\{ \.Values\.redis\.existingSecret \| quote \}\}, key: \{\{ \.Values\.redis\.existingSecretKey \| quote \}\} \}/);
    expect(d).toContain('NODE_EXTRA_CA_CERTS');
    expect(templates.some((t) => /^kind: Secret$/m.test(chart(`templates/${t}`)))).toBe(false);
  });

  it('restart pods when the config changes, whichever ConfigMap holds it', () => {
    const d = chart('templates/deployment.yaml');
    expect(d).toContain('checksum/config: {{ include "k8s-advisor.configChecksum" . }}');
    const helpers = chart('templates/_helpers.tpl');
    expect(helpers).toMatch(/define "k8s-advisor\.configChecksum"[^]*if \.Values\.existingConfigMap[^]*lookup "v1" "ConfigMap" \.Release\.Namespace \.Values\.existingConfigMap[^]*else[^]*toJson \.Values\.config \| sha256sum/);
    expect(chart('templates/configmap.yaml').split('\n')[0]).toBe('{{- if not .Values.existingConfigMap }}');
  });

  it('allow egress only to DNS, Redis, the API server and HTTPS', () => {
    const docs = parseAllDocuments(untemplate(chart('templates/networkpolicy.yaml'))).map((d) => d.toJS() as { kind: string; spec: { egress: { ports: { port: unknown; protocol: string }[] }[]; policyTypes: string[] } });
    const policy = docs.find((d) => d.kind === 'NetworkPolicy')!;
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.egress).toHaveLength(4);
    const text = chart('templates/networkpolicy.yaml');
    expect(text).toContain('{ port: 443, protocol: TCP }');
    expect(text).toContain('{ port: {{ $np.redis.port }}, protocol: TCP }');
    expect(text).toContain('{ port: {{ $np.dns.port }}, protocol: UDP }');
  });

  it('tell the next step after install', () => {
    const notes = chart('templates/NOTES.txt');
    expect(notes).toContain('/readyz');
    expect(notes).toContain('kubectl -n {{ .Release.Namespace }} create secret generic');
    expect(notes).toContain('/k8s help');
  });

  it('carry the package version as appVersion', () => {
    const c = parse(chart('Chart.yaml')) as { appVersion: string; version: string };
    const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(c.appVersion).toBe(pkg.version);
    expect(c.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
