/**
 * Exposure and remediation are made inside triage()'s own per-cluster loop (no pass over every
 * finding afterwards). That restructuring must not change one answer, so a generated mixed fleet
 * (static and live clusters, managed providers, mixed node pools, Windows nodes, exposure evidence,
 * unreachable and cached reads, unseen add-ons) is held to two references:
 *
 * - test/fixtures/triage/fleet-golden.txt: per run and cluster, a SHA-256 of that cluster's findings
 *   (every one, as JSON, key order included) and its posture with the remediation, as triage() gave
 *   them before the restructuring (exposure and remediation still separate passes at the end).
 *   Digests, because the outputs themselves are 2.5 MB; a mismatch names the cluster, and
 *   `triage` on it shows the answer. Regenerate only for an intended change of output:
 *   GOLDEN_UPDATE=1 npx vitest run test/unit/triage/fleet-golden.test.ts
 * - the standalone passes (attachExposure, remediate) over the same findings, which take findings
 *   in any order and know nothing of triage()'s loop.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Advisory, AdvisoryCondition } from '../../../src/advisory/types.ts';
import type { ClusterInventory, ClusterProvider } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { attachExposure } from '../../../src/triage/exposure.ts';
import { remediate } from '../../../src/triage/remediation.ts';
import { createTriageSession, triage } from '../../../src/triage/triage.ts';
import type { TriageResult } from '../../../src/triage/types.ts';
import { ALL_FIXTURE_ADVISORIES, CVE_2023_2727, CVE_2024_10220, CVE_2025_1097, CVE_2025_1767, WINDOWS_ONLY } from '../../fixtures/triage/advisories.ts';
import { DAY } from '../../fixtures/triage/inventory.ts';
import { rng } from '../../helpers/rng.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const GOLDEN = resolve(REPO_ROOT, 'test/fixtures/triage/fleet-golden.txt');
const calendar = loadBundledCalendar();

const gitRepo: AdvisoryCondition = { kind: 'volume', value: 'gitRepo', text: 'Only pods using gitRepo volumes.' };
const webhook: AdvisoryCondition = { kind: 'admission-webhook', value: 'ingress-nginx', text: 'Only with the admission webhook enabled.' };
const gate: AdvisoryCondition = { kind: 'feature-gate', value: 'AuthorizeNodeWithSelectors', text: 'Only with the gate enabled.' };

/** The fixtures, plus copies that carry conditions of every kind (our own ids). */
const ADVISORIES: Advisory[] = [
  ...ALL_FIXTURE_ADVISORIES,
  { ...CVE_2024_10220, id: 'CVE-2099-1001', conditions: [gitRepo] },
  { ...CVE_2025_1767, id: 'CVE-2099-1002', conditions: [gitRepo] },
  { ...CVE_2025_1097, id: 'CVE-2099-1003', conditions: [webhook] },
  { ...CVE_2023_2727, id: 'CVE-2099-1004', conditions: [gate] },
  { ...CVE_2024_10220, id: 'CVE-2099-1005', conditions: [gitRepo, WINDOWS_ONLY] },
];


const BUILDS: Record<string, (v: string) => string> = {
  kubeadm: (v) => `v${v}`,
  eks: (v) => `v${v}-eks-036c24b`,
  gke: (v) => `v${v}-gke.1014001`,
  aks: (v) => `v${v}`,
  k3s: (v) => `v${v}+k3s1`,
};

/** 120 clusters: every kind of inventory triage meets, on minors 1.16–1.36, in shuffled name order. */
function mixedFleet(): ClusterInventory[] {
  const r = rng(8);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const minors = calendar.minors().map((m) => m.minor).filter((m) => Number(m.split('.')[1]) >= 16);
  const version = (minor: string) => pick(calendar.patches(minor).map((p) => p.version));
  const failed = { code: 'ETIMEDOUT', message: 'no answer in 10 s', at: '2026-11-22T09:00:00.000Z' };
  const fleet: ClusterInventory[] = [];
  for (let i = 0; i < 120; i++) {
    const cluster = `k${String((i * 37) % 120).padStart(3, '0')}`;
    const environment = pick(['prod', 'staging', 'dev']);
    const kind = i % 12;
    if (kind === 11) {
      // Unreachable: no versions at all.
      fleet.push({ cluster, environment, provider: 'unknown', source: 'live', collectedAt: failed.at, server: null, nodes: [], components: {}, error: { ...failed, code: pick(['ETIMEDOUT', 'ECONNREFUSED', 'KUBECONFIG_MISSING']) } });
      continue;
    }
    const provider = pick(['kubeadm', 'kubeadm', 'eks', 'gke', 'aks', 'k3s'] as const) as ClusterProvider;
    const build = BUILDS[provider] as (v: string) => string;
    const mi = Math.floor(r() * minors.length);
    const server = build(version(minors[mi] as string));
    const pools = 1 + Math.floor(r() * 3);
    const poolVersions = Array.from({ length: pools }, () => build(version(minors[Math.max(0, mi - Math.floor(r() * 3))] as string)));
    const windows = kind === 3 || kind === 7;
    const nodes = Array.from({ length: 1 + Math.floor(r() * 5) }, (_, n) => {
      const node: ClusterInventory['nodes'][number] = { name: `${cluster}-n${n}`, kubelet: pick(poolVersions), kubeProxy: kind === 5 && n === 0 ? build(version(minors[Math.max(0, mi - 1)] as string)) : null };
      if (windows || kind === 9) node.os = windows && n % 2 === 1 ? 'windows' : 'linux';
      return node;
    });
    const components: Record<string, string> = {};
    if (r() < 0.4) components['ingress-nginx'] = `v1.${10 + Math.floor(r() * 3)}.${Math.floor(r() * 6)}`;
    if (r() < 0.15) components['secrets-store-csi-driver'] = `v1.${2 + Math.floor(r() * 3)}.${Math.floor(r() * 4)}`;
    if (kind === 6) components['kube-controller-manager'] = server;
    const inv: ClusterInventory = { cluster, environment, provider, source: kind < 4 ? 'static' : 'live', collectedAt: '2026-11-22T09:30:00.000Z', server, nodes, components, error: null };
    if (kind === 2) inv.os = pick([['linux'], ['linux', 'windows']]);
    if (kind === 4 || kind === 8) {
      inv.exposure = {
        gitRepoPods: pick([[], ['team-a/web-1'], ['team-a/web-1', 'team-b/job-2', 'team-b/job-3']]),
        ingressNginxWebhooks: pick([[], ['ingress-nginx-admission']]),
        featureGates: pick<Record<string, boolean>>([{}, { AuthorizeNodeWithSelectors: true }, { AuthorizeNodeWithSelectors: false }]),
      };
    }
    if (kind === 5) inv.exposure = { unavailable: { gitRepoPods: 'needs list pods (all namespaces)', ingressNginxWebhooks: 'forbidden' } };
    if (kind === 10) {
      inv.error = failed;
      inv.source = 'cached';
      inv.collectedAt = '2026-11-20T09:00:00.000Z';
    }
    if (kind === 9) inv.unseenAddons = { reason: 'pods outside kube-system are not listable', needs: 'list pods (all namespaces)' };
    fleet.push(inv);
  }
  return fleet;
}

/** One line per finding and per cluster posture, keys in output order. */
function lines(result: Pick<TriageResult, 'findings' | 'clusters'>): string[] {
  return [...result.findings.map((f) => JSON.stringify(f)), ...result.clusters.map((c) => JSON.stringify(c))];
}

const RUNS = [
  { name: 'today', now: DAY.today },
  { name: 'jan2025', now: DAY.jan2025 },
] as const;

/** "run cluster sha256" per cluster: its findings in output order, then its posture. */
function current(): string[] {
  const out: string[] = [];
  for (const { name, now } of RUNS) {
    const result = triage({ advisories: ADVISORIES, inventories: mixedFleet(), calendar, now });
    for (const c of result.clusters) {
      const hash = createHash('sha256');
      for (const f of result.findings) if (f.cluster === c.cluster) hash.update(`${JSON.stringify(f)}\n`);
      hash.update(JSON.stringify(c));
      out.push(`${name} ${c.cluster} ${result.findings.filter((f) => f.cluster === c.cluster).length} ${hash.digest('hex')}`);
    }
  }
  return out;
}

describe('exposure and remediation inside triage: the same answers', () => {
  it('has the mix it claims', () => {
    const fleet = mixedFleet();
    expect(new Set(fleet.map((c) => c.source))).toEqual(new Set(['static', 'live', 'cached']));
    expect(new Set(fleet.map((c) => c.provider))).toEqual(new Set(['unknown', 'kubeadm', 'eks', 'gke', 'aks', 'k3s']));
    expect(fleet.some((c) => c.nodes.some((n) => n.os === 'windows'))).toBe(true);
    expect(fleet.some((c) => new Set(c.nodes.map((n) => n.kubelet)).size > 1)).toBe(true);
    expect(fleet.filter((c) => c.server === null && c.error !== null)).toHaveLength(10);
    const result = triage({ advisories: ADVISORIES, inventories: fleet, calendar, now: DAY.today });
    const statuses = new Set(result.findings.flatMap((f) => (f.exposure ? [f.exposure.status] : [])));
    expect(statuses).toEqual(new Set(['exposed', 'not-exposed', 'unknown']));
    expect(result.clusters.filter((c) => c.remediation?.target).length).toBeGreaterThan(20);
  });

  it('equals the golden output written before the restructuring, cluster for cluster', () => {
    const now = current();
    if (process.env.GOLDEN_UPDATE === '1') writeFileSync(GOLDEN, `${now.join('\n')}\n`);
    const golden = readFileSync(GOLDEN, 'utf8').trimEnd().split('\n');
    expect(now.length).toBe(golden.length);
    expect(now).toEqual(golden);
  });

  it.each(RUNS)('in chunks sharing one session (same now, advisories, calendar) equals one call ($name)', ({ now }) => {
    const inventories = mixedFleet();
    const when = new Date(now.getTime());
    const whole = triage({ advisories: ADVISORIES, inventories, calendar, now: new Date(now.getTime()) });
    const sorted = [...inventories].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
    const session = createTriageSession({ advisories: ADVISORIES, calendar, now: when });
    const chunks: TriageResult[] = [];
    for (let i = 0; i < sorted.length; i += 7) {
      chunks.push(triage({ advisories: ADVISORIES, inventories: sorted.slice(i, i + 7), calendar, now: when, session }));
      // A call in between with other advisories and no session shares nothing with the chunks.
      if (i === 35) triage({ advisories: ALL_FIXTURE_ADVISORIES, inventories: sorted.slice(0, 3), calendar, now: when });
    }
    const findings = ADVISORIES.flatMap((a) => chunks.flatMap((c) => c.findings.filter((f) => f.advisory === a.id)));
    expect(lines({ findings, clusters: chunks.flatMap((c) => c.clusters) })).toEqual(lines(whole));
    const counts = (id: string) => chunks.reduce((n, c) => n + (c.counts?.[id]?.['not-affected'] ?? 0) + (c.counts?.[id]?.affected ?? 0), 0);
    for (const a of ADVISORIES) expect(counts(a.id)).toBe((whole.counts?.[a.id]?.['not-affected'] ?? 0) + (whole.counts?.[a.id]?.affected ?? 0));
  });

  it('refuses a session built for other inputs, an advisory list changed in place included', () => {
    const when = new Date('2026-11-20T00:00:00Z');
    const list = [...ALL_FIXTURE_ADVISORIES];
    const session = createTriageSession({ advisories: list, calendar, now: when });
    const inventories = mixedFleet().slice(0, 3);
    expect(() => triage({ advisories: list, inventories, calendar, now: when, session })).not.toThrow();
    expect(() => triage({ advisories: [...list], inventories, calendar, now: when, session })).toThrow(/session was built for other/);
    expect(() => triage({ advisories: list, inventories, calendar, now: new Date(when.getTime() + 1), session })).toThrow(/session was built for other/);
    expect(() => triage({ advisories: list, inventories, calendar, now: when, cve: 'CVE-2023-2431', session })).toThrow(/session was built for other/);
    list.push(ADVISORIES.at(-1) as Advisory);
    expect(() => triage({ advisories: list, inventories, calendar, now: when, session })).toThrow(/session was built for other/);
  });

  it.each(RUNS)('equals the standalone passes over the same findings ($name)', ({ now }) => {
    const inventories = mixedFleet();
    const result = triage({ advisories: ADVISORIES, inventories, calendar, now });
    const expected = structuredClone(result);
    const sorted = [...inventories].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
    for (const f of expected.findings) delete f.exposure;
    for (const c of expected.clusters) delete c.remediation;
    // Findings and inventories in other orders: the standalone passes must not depend on triage()'s loop.
    attachExposure({ ...expected, findings: [...expected.findings].reverse() }, sorted);
    const remediation = remediate({ findings: expected.findings, inventories: [...sorted].reverse(), advisories: expected.advisories, calendar, now, clusters: expected.clusters });
    for (const c of expected.clusters) {
      const r = remediation.get(c.cluster);
      if (r !== undefined) c.remediation = r;
    }
    expect(lines(result)).toEqual(lines(expected));
  });
});
