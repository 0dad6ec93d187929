/**
 * The plan a window carries: per cluster current → target (the per-cluster remediation from triage),
 * the advisories it clears, the order of work, pre-checks and post-checks. Pure: rebuilt whenever
 * triage changes, and `diffPlans` says what changed for the window's thread.
 *
 * Order follows the upgrade rules (version-skew-policy.md): the control plane first, one minor at a
 * time, then node pools (kubelets may never be newer than the API server). Staging before prod is the
 * gate's job; the plan names the earlier window it follows.
 */
import { compareVersions, minorOf, parseVersion } from '../advisory/versions.ts';
import type { ClusterPosture, Finding, RemediationStep } from '../triage/types.ts';
import type { ChangeKind } from './gate.ts';

export interface PlanCluster {
  cluster: string;
  provider: string;
  /** The API server version now (or the version triage judged), null when unknown. */
  current: string | null;
  /** The version to move to; null when there is nothing to move to (or no remediation was computed). */
  target: string | null;
  /** Minor hops with the patch to use at each ([] when the target is in the current minor). */
  path: RemediationStep[];
  change: ChangeKind;
  clears: string[];
  remains: { advisory: string; reason: string }[];
  /** Without a computed remediation: the open findings, one line each. */
  findings: string[];
  /** Add-ons to upgrade (emergency plans for an add-on advisory): they follow their own version lines. */
  addons: { component: string; from: string | null; to: string }[];
  notes: string[];
}

export interface PlanStep {
  cluster: string;
  part: 'control-plane' | 'node-pools' | 'add-on';
  to: string;
  text: string;
}

export const PLAN_CHECK_IDS = ['backup-confirmed', 'disruption-readiness', 'deprecated-apis', 'version-skew', 'verify-suite'] as const;
export type PlanCheckId = (typeof PLAN_CHECK_IDS)[number];

export interface PlanCheck {
  id: PlanCheckId;
  clusters: string[];
  text: string;
}

export interface WindowPlan {
  window: string;
  environment: string;
  builtAt: string;
  /** `minor` when any cluster changes minor; `patch` when only patches; `none` when nothing to do. */
  change: ChangeKind;
  /** The earlier environment's window this one follows, when it has `after`. */
  after: string | null;
  /** Emergency windows: the advisory the plan is limited to. */
  advisory: string | null;
  clusters: PlanCluster[];
  steps: PlanStep[];
  preChecks: PlanCheck[];
  postChecks: PlanCheck[];
  notes: string[];
}

export interface PlanInput {
  window: { id: string; environment: string };
  after: string | null;
  /** Every configured cluster (name, environment, provider when configured). */
  clusters: readonly { name: string; environment: string; provider?: string | undefined }[];
  triage: { clusters: readonly ClusterPosture[]; findings: readonly Finding[] };
  /** Limit the plan to what this advisory needs (emergency windows). */
  advisory?: string | null;
  now: Date;
}

const MANAGED_NOTES: Record<string, string> = {
  eks: 'EKS has no maintenance windows: nothing is upgraded until you start it, except that AWS upgrades a control plane itself when its version leaves extended support.',
  gke: 'GKE upgrades clusters on its own schedule within the maintenance windows and exclusions set in GKE, and may apply critical security patches outside them: align GKE\'s window with this one.',
  aks: 'AKS auto-upgrade and node OS channels patch on their own schedule (weekly when no planned maintenance is set): set AKS planned maintenance to match this window.',
};

/** The provider's own upgrade schedule, for managed clusters; null for self-managed ones. */
export function managedProviderNote(provider: string): string | null {
  return MANAGED_NOTES[provider] ?? null;
}

export function changeKind(current: string | null, target: string | null, path: readonly RemediationStep[] = []): ChangeKind {
  if (target === null) return 'none';
  if (path.length > 0) return 'minor';
  const from = current === null ? null : minorOf(current);
  const to = minorOf(target);
  if (from === null || to === null) return 'minor'; // unknown current: assume the stricter gate
  if (from !== to) return 'minor';
  const a = current === null ? null : parseVersion(current);
  const b = parseVersion(target);
  return a !== null && b !== null && a.patch === b.patch ? 'none' : 'patch';
}

function worstChange(list: readonly ChangeKind[]): ChangeKind {
  if (list.includes('minor')) return 'minor';
  return list.includes('patch') ? 'patch' : 'none';
}

/** Components that move with the cluster's Kubernetes version (the rest are add-ons with their own lines). */
const CORE_COMPONENTS = new Set(['kubernetes', 'kube-apiserver', 'kubelet', 'kube-proxy', 'kube-controller-manager', 'kube-scheduler']);

function isOpen(f: Finding): boolean {
  return f.verdict === 'affected' || f.verdict === 'unfixed';
}

function findingLine(f: Finding): string {
  const to = f.fixedTarget === null ? 'no fix' : `fixed in ${f.fixedTarget}`;
  const path = f.upgradePath.length > 0 ? ` via ${f.upgradePath.join(' → ')}` : '';
  return `${f.advisory}: ${f.component} ${f.version ?? '?'} (${f.verdict}, ${to}${path})`;
}

/** The largest fixed target among findings (the one version that clears all of them when in one line). */
function highest(findings: readonly Finding[]): string | null {
  let best: string | null = null;
  for (const f of findings) {
    if (f.fixedTarget === null || parseVersion(f.fixedTarget) === null) continue;
    if (best === null || compareVersions(f.fixedTarget, best) > 0) best = f.fixedTarget;
  }
  return best;
}

function planCluster(name: string, provider: string, posture: ClusterPosture | undefined, findings: readonly Finding[], advisory: string | null): PlanCluster {
  const open = findings.filter((f) => f.cluster === name && isOpen(f) && (advisory === null || f.advisory === advisory));
  const core = open.filter((f) => CORE_COMPONENTS.has(f.component));
  const current = posture?.server ?? core[0]?.version ?? null;
  const notes: string[] = [];
  const managed = managedProviderNote(provider);
  if (managed !== null) notes.push(managed);
  const remediation = posture?.remediation;

  if (advisory !== null) {
    // Emergency scope: only what this advisory needs, its smallest fixed version.
    const target = highest(core);
    const addons = open.filter((f) => !CORE_COMPONENTS.has(f.component) && f.fixedTarget !== null)
      .map((f) => ({ component: f.component, from: f.version, to: f.fixedTarget ?? '' }));
    const targetMinor = target === null ? null : minorOf(target);
    // Findings name the minors to pass through, not their patches: each hop is that minor's latest patch.
    const path = (open.find((f) => f.fixedTarget === target)?.upgradePath ?? [])
      .map((minor) => ({ minor, version: minor === targetMinor && target !== null ? target : `v${minor} (latest patch)` }));
    const remains = open.filter((f) => f.fixedTarget === null).map((f) => ({ advisory: f.advisory, reason: `${f.component}: no fixed version` }));
    const coreChange = changeKind(current, target, path);
    return {
      cluster: name, provider, current, target, path, change: coreChange === 'none' && addons.length > 0 ? 'patch' : coreChange,
      clears: target !== null || addons.length > 0 ? [advisory] : [], remains, findings: open.map(findingLine), addons, notes,
    };
  }
  if (remediation === undefined) {
    notes.unshift('no remediation computed');
    return { cluster: name, provider, current, target: null, path: [], change: 'none', clears: [], remains: [], findings: open.map(findingLine), addons: [], notes };
  }
  if (remediation.provider?.build) notes.push(`look for the ${remediation.provider.name} build ${remediation.provider.build}`);
  if (remediation.summary) notes.push(remediation.summary);
  return {
    cluster: name, provider, current, target: remediation.target, path: [...remediation.path],
    change: changeKind(current, remediation.target, remediation.path),
    clears: [...remediation.clears], remains: remediation.remains.map((r) => ({ advisory: r.advisory, reason: r.reason })),
    findings: [], addons: [], notes,
  };
}

function stepsFor(c: PlanCluster): PlanStep[] {
  const addonSteps: PlanStep[] = c.addons.map((a) => ({ cluster: c.cluster, part: 'add-on', to: a.to, text: `${c.cluster}: ${a.component} ${a.from ?? '?'} → ${a.to}` }));
  if (c.target === null || changeKind(c.current, c.target, c.path) === 'none') return addonSteps;
  const hops = c.path.length > 0 ? c.path.map((s) => s.version) : [c.target];
  const last = hops[hops.length - 1] ?? c.target;
  const steps: PlanStep[] = hops.map((to, i) => ({
    cluster: c.cluster, part: 'control-plane', to,
    text: `${c.cluster}: control plane ${i === 0 ? (c.current ?? '?') : (hops[i - 1] ?? '?')} → ${to}`,
  }));
  steps.push({ cluster: c.cluster, part: 'node-pools', to: last, text: `${c.cluster}: node pools → ${last} (after the control plane; kubelets never newer than the API server)` });
  return [...steps, ...addonSteps];
}

export function buildPlan(input: PlanInput): WindowPlan {
  const advisory = input.advisory ?? null;
  const byName = new Map(input.triage.clusters.map((p) => [p.cluster, p]));
  const envClusters = input.clusters.filter((c) => c.environment === input.window.environment);
  let clusters = envClusters.map((c) => planCluster(c.name, c.provider ?? byName.get(c.name)?.provider ?? 'other', byName.get(c.name), input.triage.findings, advisory));
  if (advisory !== null) clusters = clusters.filter((c) => c.findings.length > 0);
  const names = clusters.map((c) => c.cluster);
  const moving = clusters.filter((c) => c.change !== 'none').map((c) => c.cluster);
  const minorMoving = clusters.filter((c) => c.change === 'minor').map((c) => c.cluster);
  const selfManaged = clusters.filter((c) => managedProviderNote(c.provider) === null).map((c) => c.cluster);

  const preChecks: PlanCheck[] = [
    { id: 'backup-confirmed', clusters: selfManaged.length > 0 ? selfManaged : names, text: 'a platform engineer confirms a fresh backup (etcd snapshot, or the workloads\' backups on managed clusters) with the "Backup confirmed" button' },
    { id: 'disruption-readiness', clusters: names, text: 'disruption-readiness passes: PDBs allow eviction and there is capacity to drain the largest node' },
    { id: 'version-skew', clusters: names, text: 'version-skew is within policy before starting' },
  ];
  if (minorMoving.length > 0) {
    preChecks.splice(2, 0, { id: 'deprecated-apis', clusters: minorMoving, text: 'no client still calls an API removed in the target minor (deprecated-apis)' });
  }
  const postChecks: PlanCheck[] = [
    { id: 'verify-suite', clusters: names, text: 'the verify suite, compared with the run taken at the window\'s start: regressions first' },
  ];
  const notes: string[] = [];
  if (input.after !== null) notes.push(`follows ${input.after}: opens only when its post-window verification passed`);
  if (moving.length === 0) notes.push(clusters.some((c) => c.notes.includes('no remediation computed')) ? 'no remediation computed: the findings are listed per cluster' : 'nothing to upgrade');

  return {
    window: input.window.id,
    environment: input.window.environment,
    builtAt: input.now.toISOString(),
    change: worstChange(clusters.map((c) => c.change)),
    after: input.after,
    advisory,
    clusters,
    steps: clusters.flatMap(stepsFor),
    preChecks,
    postChecks,
    notes,
  };
}

/** What changed between two plans of one window, for its thread ("prod-eu: target v1.35.8 → v1.35.9"). */
export function diffPlans(before: WindowPlan, after: WindowPlan): string[] {
  const out: string[] = [];
  if (before.change !== after.change) out.push(`change: ${before.change} → ${after.change}`);
  const old = new Map(before.clusters.map((c) => [c.cluster, c]));
  const now = new Map(after.clusters.map((c) => [c.cluster, c]));
  for (const c of after.clusters) {
    const o = old.get(c.cluster);
    if (o === undefined) {
      out.push(`${c.cluster}: added (${c.current ?? '?'} → ${c.target ?? 'no target'})`);
      continue;
    }
    if (o.current !== c.current) out.push(`${c.cluster}: now on ${c.current ?? 'unknown'} (was ${o.current ?? 'unknown'})`);
    if (o.target !== c.target) out.push(`${c.cluster}: target ${o.target ?? 'none'} → ${c.target ?? 'none'}`);
    const added = c.clears.filter((a) => !o.clears.includes(a));
    const removed = o.clears.filter((a) => !c.clears.includes(a));
    if (added.length > 0) out.push(`${c.cluster}: now also clears ${added.join(', ')}`);
    if (removed.length > 0) out.push(`${c.cluster}: no longer clears ${removed.join(', ')}`);
  }
  for (const c of before.clusters) if (!now.has(c.cluster)) out.push(`${c.cluster}: removed from the plan`);
  return out;
}

/** The plan as text lines (CLI, ICS description, Slack fallback text). */
export function formatPlanLines(plan: WindowPlan): string[] {
  const uncomputed = plan.clusters.some((c) => c.notes.includes('no remediation computed'));
  const what = plan.change !== 'none' ? `${plan.change} upgrade` : uncomputed ? 'no remediation computed' : 'nothing to upgrade';
  const lines: string[] = [`Plan (${what}${plan.advisory ? `, limited to ${plan.advisory}` : ''}):`];
  for (const c of plan.clusters) {
    const target = c.target === null ? 'no target' : c.target;
    const clears = c.clears.length > 0 ? `, clears ${c.clears.join(', ')}` : '';
    lines.push(`- ${c.cluster} (${c.provider}): ${c.current ?? '?'} → ${target}${clears}`);
    for (const f of c.findings) lines.push(`  · ${f}`);
    for (const r of c.remains) lines.push(`  · still open: ${r.advisory} (${r.reason})`);
    for (const n of c.notes) lines.push(`  · ${n}`);
  }
  if (plan.steps.length > 0) lines.push('Order:', ...plan.steps.map((s, i) => `${i + 1}. ${s.text}`));
  lines.push('Before:', ...plan.preChecks.map((p) => `- ${p.id}: ${p.text}`));
  lines.push('After:', ...plan.postChecks.map((p) => `- ${p.id}: ${p.text}`));
  for (const n of plan.notes) lines.push(`Note: ${n}`);
  return lines;
}
