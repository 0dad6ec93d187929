import { describe, expect, it } from 'vitest';
import type { AdvisoryCondition } from '../../../src/advisory/types.ts';
import type { ClusterInventory, ExposureFacts } from '../../../src/inventory/types.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { attachExposure, exposureFor, exposureText } from '../../../src/triage/exposure.ts';
import { triage } from '../../../src/triage/triage.ts';
import { CVE_2023_2431 } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

const gitRepo: AdvisoryCondition = { kind: 'volume', value: 'gitRepo', text: 'only clusters using the gitRepo volume type' };
const windows: AdvisoryCondition = { kind: 'os', value: 'windows', text: 'only Windows nodes' };
const webhook: AdvisoryCondition = { kind: 'admission-webhook', value: 'ingress-nginx', text: 'only with the validating admission webhook' };
const gate = (name: string): AdvisoryCondition => ({ kind: 'feature-gate', value: name, text: `only with ${name} enabled` });

function live(exposure: ExposureFacts | undefined, nodes?: ClusterInventory['nodes']): ClusterInventory {
  const inv = inventory({ server: 'v1.31.2' });
  if (nodes) inv.nodes = nodes;
  if (exposure) inv.exposure = exposure;
  return inv;
}
const node = (name: string, os?: string) => ({ name, kubelet: 'v1.31.2', kubeProxy: null, ...(os === undefined ? {} : { os }) });
const staticInv = (extra: Partial<ClusterInventory> = {}): ClusterInventory => ({ ...inventory({ server: 'v1.31.2', source: 'static' }), ...extra });

describe('exposureFor: which fact answers which condition', () => {
  it.each([
    ['gitRepo pods in one namespace', [gitRepo], live({ gitRepoPods: ['team-a/web-1', 'team-a/web-2', 'team-a/job-7'] }), 'exposed', '3 pods in team-a use gitRepo'],
    ['one gitRepo pod', [gitRepo], live({ gitRepoPods: ['team-b/x'] }), 'exposed', '1 pod in team-b uses gitRepo'],
    ['gitRepo pods in two namespaces', [gitRepo], live({ gitRepoPods: ['b/1', 'a/1', 'a/2'] }), 'exposed', '3 pods use gitRepo (2 in a, 1 in b)'],
    ['no gitRepo pod', [gitRepo], live({ gitRepoPods: [] }), 'not-exposed', 'no pod uses gitRepo'],
    ['pods not listable', [gitRepo], live({ unavailable: { gitRepoPods: 'needs list pods (all namespaces)' } }), 'unknown', 'pods not listable (needs list pods (all namespaces))'],
    ['static cluster, no evidence', [gitRepo], staticInv(), 'unknown', 'not checked: static versions from the config carry no exposure evidence'],
    ['Windows nodes present', [windows], live(undefined, [node('lin-1', 'linux'), node('win-1', 'windows'), node('win-2', 'windows')]), 'exposed', 'Windows nodes present: win-1, win-2'],
    ['Linux-only nodes', [windows], live(undefined, [node('a', 'linux'), node('b', 'linux')]), 'not-exposed', 'no Windows nodes (2 nodes, all Linux)'],
    ['some nodes without an OS', [windows], live(undefined, [node('a', 'linux'), node('b')]), 'unknown', 'no Windows node among 1 with a known OS; 1 node does not report one'],
    ['static os: [linux, windows]', [windows], staticInv({ os: ['linux', 'windows'] }), 'exposed', 'Windows nodes present (config os: linux, windows)'],
    ['static os: [linux]', [windows], staticInv({ os: ['linux'] }), 'not-exposed', 'no Windows nodes (config os: linux)'],
    ['static without os', [windows], staticInv(), 'unknown', 'only if the cluster has Windows nodes: set nodes[].os or os: [...] in the config to know'],
    ['nodes not listable', [windows], live({ unavailable: { nodes: 'needs list nodes' } }, []), 'unknown', 'node operating systems not readable (needs list nodes)'],
    ['webhook configured', [webhook], live({ ingressNginxWebhooks: ['ingress-nginx-admission'] }), 'exposed', 'ingress-nginx admission webhook enabled: ingress-nginx-admission'],
    ['no webhook', [webhook], live({ ingressNginxWebhooks: [] }), 'not-exposed', 'no ingress-nginx admission webhook configured'],
    ['webhooks not listable', [webhook], live({ unavailable: { ingressNginxWebhooks: 'needs list validatingwebhookconfigurations.admissionregistration.k8s.io' } }), 'unknown', 'webhook configurations not listable (needs list validatingwebhookconfigurations.admissionregistration.k8s.io)'],
    ['gate enabled', [gate('InPlacePodVerticalScaling')], live({ featureGates: { InPlacePodVerticalScaling: true } }), 'exposed', 'feature gate InPlacePodVerticalScaling is enabled'],
    ['gate disabled', [gate('Foo')], live({ featureGates: { Foo: false } }), 'not-exposed', 'feature gate Foo is disabled'],
    ['gate not reported', [gate('Bar')], live({ featureGates: { Foo: true } }), 'unknown', "the API server's /metrics does not report feature gate Bar"],
    ['metrics forbidden', [gate('Foo')], live({ unavailable: { featureGates: 'needs get /metrics' } }), 'unknown', 'feature gates not readable (needs get /metrics)'],
    ['either of two gates: one on', [gate('A'), gate('B')], live({ featureGates: { A: false, B: true } }), 'exposed', 'feature gate B is enabled'],
    ['two kinds: one not held', [windows, gitRepo], live({ gitRepoPods: ['a/1'] }, [node('l', 'linux')]), 'not-exposed', 'no Windows nodes (1 node, all Linux)'],
    ['two kinds: both held', [windows, gitRepo], live({ gitRepoPods: ['a/1'] }, [node('w', 'windows')]), 'exposed', 'Windows nodes present: w; 1 pod in a uses gitRepo'],
  ] as const)('%s', (_name, conditions, inv, status, evidence) => {
    const e = exposureFor({ conditions: [...conditions] }, inv);
    expect(e?.status).toBe(status);
    expect(e?.evidence).toBe(evidence);
  });

  it('no condition: no exposure object', () => {
    expect(exposureFor({ conditions: [] }, live({ gitRepoPods: ['a/b'] }))).toBeUndefined();
  });

  it('keeps the pods and nodes as machine-readable details', () => {
    expect(exposureFor({ conditions: [gitRepo] }, live({ gitRepoPods: ['team-a/web-1'] }))?.details).toEqual({ pods: ['team-a/web-1'] });
    expect(exposureFor({ conditions: [windows] }, live(undefined, [node('w1', 'windows')]))?.details).toEqual({ nodes: ['w1'] });
  });

  it.each([
    [{ status: 'exposed', evidence: '3 pods in team-a use gitRepo' }, 'exposed: 3 pods in team-a use gitRepo'],
    [{ status: 'not-exposed', evidence: 'no pod uses gitRepo' }, 'not exposed now: no pod uses gitRepo'],
    [{ status: 'unknown', evidence: 'pods not listable' }, 'exposure unknown: pods not listable'],
  ] as const)('exposureText %j', (e, text) => {
    expect(exposureText(e)).toBe(text);
  });
});

describe('attachExposure on a triage result', () => {
  const calendar = loadBundledCalendar();
  const advisory = { ...CVE_2023_2431, conditions: [gitRepo] };

  it('sets exposure on affected findings only, per cluster, and shares one answer across static clusters', () => {
    const a = inventory({ cluster: 'a', server: 'v1.27.1' });
    a.exposure = { gitRepoPods: ['team-a/web-1'] };
    const b = inventory({ cluster: 'b', server: 'v1.27.1' });
    b.exposure = { gitRepoPods: [] };
    const clean = inventory({ cluster: 'clean', server: 'v1.27.2' });
    const s1 = inventory({ cluster: 's1', server: 'v1.27.1', source: 'static' });
    const s2 = inventory({ cluster: 's2', server: 'v1.27.1', source: 'static' });
    const inventories = [a, b, clean, s1, s2];
    const result = triage({ advisories: [advisory], inventories, calendar, now: DAY.jun2023 });
    attachExposure(result, inventories);
    const by = (c: string) => result.findings.find((f) => f.cluster === c);
    expect(by('a')?.exposure).toMatchObject({ status: 'exposed', evidence: '1 pod in team-a uses gitRepo' });
    expect(by('b')?.exposure).toMatchObject({ status: 'not-exposed', evidence: 'no pod uses gitRepo' });
    expect(by('b')?.verdict).toBe('affected');
    expect(by('clean')?.verdict).toBe('not-affected');
    expect(by('clean')?.exposure).toBeUndefined();
    expect(by('s1')?.exposure?.status).toBe('unknown');
    expect(by('s1')?.exposure).toBe(by('s2')?.exposure);
    expect(Object.isFrozen(by('s1')?.exposure)).toBe(true);
  });

  it('two advisories with the same condition get the same evidence on one cluster; Windows and gitRepo answered per cluster', () => {
    const other = { ...CVE_2023_2431, id: 'CVE-2099-0001', conditions: [gitRepo, windows] };
    const inv = inventory({ cluster: 'a', server: 'v1.27.1', nodes: [{ name: 'w1', kubelet: 'v1.27.1' }] });
    inv.nodes = inv.nodes.map((n) => ({ ...n, os: 'windows' }));
    inv.exposure = { gitRepoPods: ['team-a/web-1', 'team-a/web-2'] };
    const result = triage({ advisories: [advisory, other], inventories: [inv], calendar, now: DAY.jun2023 });
    attachExposure(result, [inv]);
    expect(result.findings.map((f) => [f.advisory, f.exposure?.evidence])).toEqual([
      ['CVE-2023-2431', '2 pods in team-a use gitRepo'],
      ['CVE-2099-0001', '2 pods in team-a use gitRepo; Windows nodes present: w1'],
    ]);
  });

  it('leaves findings of advisories without conditions alone', () => {
    const inv = inventory({ cluster: 'a', server: 'v1.27.1' });
    inv.exposure = { gitRepoPods: ['x/y'] };
    const result = triage({ advisories: [CVE_2023_2431], inventories: [inv], calendar, now: DAY.jun2023 });
    attachExposure(result, [inv]);
    expect(result.findings.every((f) => f.exposure === undefined)).toBe(true);
  });
});
