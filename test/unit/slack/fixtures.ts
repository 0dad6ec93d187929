/** Hand-built advisories, findings and config for the Slack/hub tests (our own words, real version facts). */
import type { Advisory } from '../../../src/advisory/types.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { ClusterPosture, Finding, TriageResult } from '../../../src/triage/types.ts';

export const CONFIG_YAML = `
slack: { channels: { prod: C0PROD, staging: C0STAGE, default: C0SEC } }
environments:
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin } }
  prod:
    window: { rule: "2nd THU", start: "02:00", duration: 4h, timezone: Europe/Berlin }
    after: staging
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.27.1 } }
  - { name: prod-us, environment: prod, versions: { kubernetes: v1.29.4-eks-036c24b } }
  - { name: stage-1, environment: staging, versions: { kubernetes: v1.28.2 } }
roles:
  platform: { users: [U01AAA], usergroups: [S01PLAT] }
  security: { users: [U02BBB] }
permissions:
  verify: { prod: [platform], "*": [platform, security] }
  schedule: { prod: [platform] }
  acknowledge: [platform, security]
`;

export function testConfig(): Config {
  return loadConfig(CONFIG_YAML);
}

export function advisory(id: string, over: Partial<Advisory> = {}): Advisory {
  return {
    id,
    aliases: [],
    title: `kube-apiserver flaw ${id}`,
    url: `https://github.com/kubernetes/kubernetes/issues/${id.split('-')[2] ?? '1'}`,
    externalUrl: `https://www.cve.org/cverecord?id=${id}`,
    published: '2023-06-15T00:00:00Z',
    status: 'fixed',
    severity: { rating: 'high', score: 8.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' },
    components: ['kube-apiserver'],
    ranges: [{ component: 'kube-apiserver', introduced: '1.27.0', lastAffected: '1.27.2', fixed: '1.27.3' }],
    unfixed: false,
    fixState: 'available',
    conditions: [],
    componentSource: 'stated',
    placeholder: false,
    vulnerableIf: null,
    mitigation: 'Restrict access to the API server.',
    contentHash: `hash-${id}`,
    parse: { source: 'prose', confidence: 'high', warnings: [] },
    ...over,
  };
}

export function finding(advisoryId: string, cluster: string, environment: string, over: Partial<Finding> = {}): Finding {
  return {
    advisory: advisoryId,
    cluster,
    environment,
    component: 'kube-apiserver',
    version: 'v1.27.1',
    verdict: 'affected',
    fixedTarget: 'v1.27.3',
    upgradePath: [],
    reason: 'v1.27.1 is within 1.27.0 – 1.27.2',
    ...over,
  };
}

export const POSTURE: ClusterPosture[] = [
  { cluster: 'prod-eu', environment: 'prod', provider: 'kubeadm', server: 'v1.27.1', minor: '1.27', eol: '2024-06-28', supported: false, inventoryError: null, inventoryAge: null },
  { cluster: 'prod-us', environment: 'prod', provider: 'eks', server: 'v1.29.4-eks-036c24b', minor: '1.29', eol: null, supported: true, inventoryError: null, inventoryAge: null },
  { cluster: 'stage-1', environment: 'staging', provider: 'kubeadm', server: 'v1.28.2', minor: '1.28', eol: null, supported: true, inventoryError: null, inventoryAge: null },
];

export const RELEASE_DATA = { asOf: '2026-08-21', source: 'bundled' as const, stale: false };

/**
 * A deterministic stand-in for triage: every advisory affects prod-eu and stage-1 (so it goes to
 * C0PROD and C0STAGE) and not prod-us, unless the advisory's status is "unknown" (nothing affected).
 */
export function fakeTriage(advisories: Advisory[]): TriageResult {
  const findings = advisories.flatMap((a) => {
    if (a.status === 'unknown') return [finding(a.id, 'prod-eu', 'prod', { verdict: 'not-affected', fixedTarget: null })];
    const fixed = a.ranges[0]?.fixed ?? '1.27.3';
    return [
      finding(a.id, 'prod-eu', 'prod', { fixedTarget: `v${fixed}` }),
      finding(a.id, 'prod-us', 'prod', { version: 'v1.29.4-eks-036c24b', verdict: 'not-affected', fixedTarget: null }),
      finding(a.id, 'stage-1', 'staging', { version: 'v1.28.2', fixedTarget: 'v1.28.4' }),
    ];
  });
  return { advisories, findings, clusters: POSTURE, releaseData: RELEASE_DATA, warnings: [] };
}

/** n distinct advisories CVE-2099-10000 … */
export function manyAdvisories(n: number): Advisory[] {
  return Array.from({ length: n }, (_, i) => advisory(`CVE-2099-${10000 + i}`));
}
