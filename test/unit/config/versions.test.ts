/**
 * Static `versions:` and the config's one-pass errors (issue 8, items 8 and 10): a misspelt
 * component or an incomplete version is an error naming the fix, never a silent "not affected";
 * structural and cross-field problems come out together.
 */
import { describe, expect, it } from 'vitest';
import { componentsIn } from '../../../src/advisory/components.ts';
import { isClientComponent, isCoreComponent } from '../../../src/advisory/types.ts';
import { closestComponent, editDistance, KNOWN_VERSION_KEYS } from '../../../src/config/component-names.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';

const BASE = `
environments: { prod: {}, staging: {} }
roles: { platform: { users: [U01AAA] } }
clusters:
  - CLUSTER
`;

function problems(text: string): string[] {
  try {
    loadConfig(text, { file: 'fleet.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

const withCluster = (cluster: string) => BASE.replace('CLUSTER', cluster);

describe('static versions', () => {
  it.each<[string, string, RegExp]>([
    ['a misspelt core key', '{ name: a, environment: prod, versions: { kuberentes: v1.30.1 } }',
      /^clusters\[0\]\.versions\.kuberentes: "kuberentes" is not a component name \(did you mean "kubernetes"\?\)\. Known names: kubernetes, kube-apiserver, kubelet/],
    ['a misspelt add-on', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1, ingres-nginx: v1.11.4 } }',
      /^clusters\[0\]\.versions\.ingres-nginx: "ingres-nginx" is not a component name \(did you mean "ingress-nginx"\?\)/],
    ['a swapped letter pair', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1, kubeelt: v1.30.1 } }',
      /\(did you mean "kubelet"\?\)/],
    ['a name far from any', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1, nginx: v1.2.3 } }',
      /^clusters\[0\]\.versions\.nginx: "nginx" is not a component name\. Known names: /],
    ['a minor without a patch', '{ name: a, environment: prod, versions: { kubernetes: "1.30" } }',
      /^clusters\[0\]\.versions\.kubernetes: "1\.30" is incomplete: give the patch too, like "1\.30\.4"/],
    ['a minor with v', '{ name: a, environment: prod, versions: { ingress-nginx: v1.12 } }',
      /^clusters\[0\]\.versions\.ingress-nginx: "v1\.12" is incomplete/],
    ['not a version', '{ name: a, environment: prod, versions: { kubernetes: latest } }',
      /^clusters\[0\]\.versions\.kubernetes: "latest" is not a version like "v1\.29\.4"$/],
    ['a number', '{ name: a, environment: prod, versions: { kubernetes: 1.3 } }',
      /^clusters\[0\]\.versions\.kubernetes: /],
    ['an empty map', '{ name: a, environment: prod, versions: {} }',
      /^clusters\[0\]\.versions: give at least one version/],
    ['a node version incomplete', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, nodes: [{ name: n1, kubelet: "1.29" }] }',
      /^clusters\[0\]\.nodes\[0\]\.kubelet: "1\.29" is incomplete/],
    ['a node without any kubelet', '{ name: a, environment: prod, versions: { ingress-nginx: v1.12.1 }, nodes: [{ name: n1 }] }',
      /^clusters\[0\]\.nodes\[0\]\.kubelet: give the node's kubelet version/],
    ['a node os typo', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, nodes: [{ name: n1, os: windwos }] }',
      /^clusters\[0\]\.nodes\[0\]\.os: "windwos" is not one of linux, windows$/],
    ['a cluster os typo', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, os: [linux, widnows] }',
      /^clusters\[0\]\.os\[1\]: "widnows" is not one of linux, windows$/],
    ['os on a live cluster', '{ name: a, environment: prod, agent: true, os: [linux] }',
      /^clusters\[0\]\.os: os describes a static cluster: it needs versions/],
    ['an empty os list', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, os: [] }',
      /^clusters\[0\]\.os: list at least one of linux, windows$/],
    ['a node without a name', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, nodes: [{ name: "" }] }',
      /^clusters\[0\]\.nodes\[0\]\.name: "": name the node$/],
    ['nodes on a kubeconfig cluster', '{ name: a, environment: prod, kubeconfig: /k, nodes: [{ name: n1, kubelet: v1.30.1 }] }',
      /^clusters\[0\]\.nodes: nodes describes a static cluster: it needs versions/],
    ['a node key typo', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, nodes: [{ name: n1, kubelte: v1.30.1 }] }',
      /^clusters\[0\]\.nodes\[0\]: unknown key "kubelte"$/],
    ['a kube-proxy that is not a version', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, nodes: [{ name: n1, kubeProxy: latest }] }',
      /^clusters\[0\]\.nodes\[0\]\.kubeProxy: "latest" is not a version like "v1\.29\.4"$/],
    ['two nodes with one name', '{ name: a, environment: prod, versions: { kubernetes: v1.30.1 }, nodes: [{ name: n1 }, { name: n1 }] }',
      /^clusters\[0\]\.nodes\[1\]\.name: "n1" is used by another node of this cluster$/],
  ])('%s is an error', (_label, cluster, message) => {
    expect(problems(withCluster(cluster))).toContainEqual(expect.stringMatching(message));
  });

  it.each([
    '{ name: a, environment: prod, versions: { kubernetes: v1.30.1, kubelet: v1.29.4, kube-proxy: v1.29.4, kubectl: v1.30.0 } }',
    '{ name: a, environment: prod, versions: { kubernetes: v1.30.1-eks-1a2b3c4, ingress-nginx: v1.11.4, secrets-store-csi-driver: 1.3.3 } }',
    '{ name: a, environment: prod, versions: { kubernetes: v1.28.3+k3s1 }, os: [linux, windows], nodes: [{ name: w1, os: windows }, { name: l1, kubelet: v1.28.2+k3s1 }] }',
  ])('accepts %s', (cluster) => {
    expect(problems(withCluster(cluster))).toEqual([]);
  });

  it('every known key is a name advisories can carry (the parser produces it, or it is core, a client or kubernetes)', () => {
    for (const key of KNOWN_VERSION_KEYS) {
      const producedByParser = componentsIn(key).names.includes(key);
      expect(producedByParser || isCoreComponent(key) || isClientComponent(key) || key === 'kubernetes' || key === 'cloud-controller-manager', key).toBe(true);
    }
  });

  it.each([
    ['kuberentes', 'kubernetes'], ['kubelte', 'kubelet'], ['kube-apiservr', 'kube-apiserver'], ['Ingress-Nginx', 'ingress-nginx'],
    ['csi-driver-nsf', 'csi-driver-nfs'], ['zzz', null], ['postgres', null],
  ])('closest to %j: %j', (typo, want) => {
    expect(closestComponent(typo)).toBe(want);
  });

  it.each([['kitten', 'sitting', 3], ['ab', 'ba', 1], ['', 'abc', 3], ['same', 'same', 0]])('edit distance %s/%s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('every problem in one pass', () => {
  it('structural and cross-field problems together', () => {
    const text = `
feed: { every: 15x }
environments: { prod: { window: { rule: "2nd TUE", start: "25:00", duration: 4h, timezone: Europe/Berlin } } }
slack: { channels: { prd: C0PROD } }
roles: { platform: { users: [U01AAA] } }
permissions: { verify: { prod: [admins] } }
clusters:
  - { name: a, environment: prd, versions: { kuberentes: v1.30.1 } }
  - { name: a, environment: prod, agent: true, kubeconfg: /k }
`;
    expect(problems(text)).toEqual(expect.arrayContaining([
      // structural
      'feed.every: "15x": expected a duration like "15m" (units ms, s, m, h, d)',
      'environments.prod.window.start: "25:00": expected a 24-hour time like "02:00"',
      'clusters[1]: unknown key "kubeconfg"',
      // cross-field, reported although the structure is wrong
      'clusters[0].environment: "prd" is not one of prod',
      expect.stringMatching(/^clusters\[0\]\.versions\.kuberentes: .*did you mean "kubernetes"/),
      'clusters[1].name: "a" is used by another cluster; names must be unique',
      'slack.channels.prd: "prd" is not an environment (prod) or "default"',
      'permissions.verify.prod[0]: role "admins" is not defined under roles (defined: platform)',
    ]));
  });

  it('says each problem once', () => {
    const list = problems(withCluster('{ name: a, environment: prd, versions: { kubernetes: latest } }'));
    expect(list).toEqual([...new Set(list)]);
    expect(list.filter((p) => p.startsWith('clusters[0].versions.kubernetes'))).toHaveLength(1);
  });
});
