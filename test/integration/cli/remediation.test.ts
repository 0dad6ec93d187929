/**
 * `triage --format json` carries each cluster's one remediation (clusters[].remediation), with the
 * provider's own calendar for managed clusters. In process, bundled sample feed, no network.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli.ts';
import type { ClusterPosture } from '../../../src/triage/types.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const SAMPLE = resolve(REPO_ROOT, 'data/sample-feed.json');
let dir: string;
let fleet: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-remediation-'));
  fleet = join(dir, 'fleet.yaml');
  writeFileSync(fleet, `
releases: { refresh: false }
slack: { channels: { prod: C0PROD, default: C0SEC } }
environments: { prod: {} }
clusters:
  - { name: eks-old, environment: prod, provider: eks, versions: { kubernetes: v1.30.2-eks-1a2b3c4 } }
  - { name: kubeadm-old, environment: prod, provider: kubeadm, versions: { kubernetes: v1.28.3 } }
`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function triageJson(): Promise<{ clusters: ClusterPosture[] }> {
  const out: string[] = [];
  await run(['triage', '--config', fleet, '--feed', SAMPLE, '--format', 'json'], { stdout: (t) => { out.push(t); }, stderr: () => undefined, env: {} });
  return JSON.parse(out.join('')) as { clusters: ClusterPosture[] };
}

describe('triage --format json: clusters[].remediation', () => {
  it('gives every cluster one target, its hop path, what it clears and what remains', async () => {
    const { clusters } = await triageJson();
    for (const c of clusters) {
      const r = c.remediation;
      expect(r, c.cluster).toBeDefined();
      if (!r) continue;
      expect(typeof r.summary).toBe('string');
      expect(r.target).toMatch(/^v1\.\d+\.\d+$/);
      // One minor at a time, ending at the target.
      expect(`v${r.path.at(-1)?.version ?? ''}`).toBe(r.target);
      const minors = r.path.map((s) => Number(s.minor.split('.')[1]));
      expect(minors).toEqual(minors.map((_, i) => (minors[0] ?? 0) + i));
      expect(r.clears.length).toBeGreaterThan(0);
      for (const x of r.remains) expect(x.reason).not.toBe('');
    }
    const old = clusters.find((c) => c.cluster === 'kubeadm-old')?.remediation;
    expect(old?.path[0]?.minor).toBe('1.29');
    expect(old?.summary).toMatch(/replacing the cluster .* may be the realistic path/);
  });

  it('a managed cluster names the provider, its build and its support from the provider calendar', async () => {
    const { clusters } = await triageJson();
    const eks = clusters.find((c) => c.cluster === 'eks-old')?.remediation;
    expect(eks?.provider?.name).toBe('EKS');
    expect(eks?.provider?.build).toMatch(/^1\.\d+-eks-\d+$/);
    expect(eks?.provider?.note).toMatch(/^EKS /);
    expect(clusters.find((c) => c.cluster === 'kubeadm-old')?.remediation?.provider).toBeUndefined();
  });

  it('triage --format text says each cluster\'s one next step, the same as the JSON', async () => {
    const { clusters } = await triageJson();
    const out: string[] = [];
    await run(['triage', '--config', fleet, '--feed', SAMPLE, '--format', 'text'], { stdout: (t) => { out.push(t); }, stderr: () => undefined, env: {} });
    const text = out.join('');
    expect(text).toContain('Remediation (one version per cluster that clears its open advisories):');
    for (const c of clusters) if (c.remediation?.target) expect(text).toContain(`  ${c.cluster}: ${c.remediation.summary}`);
  });
});
