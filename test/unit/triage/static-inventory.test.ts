import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../../src/config/schema.ts';
import { staticInventory, SYNTHETIC_NODE } from '../../../src/inventory/static.ts';

const now = new Date('2026-11-22T10:00:00Z');

function cluster(extra: Partial<ClusterConfig>): ClusterConfig {
  return { name: 'legacy', environment: 'prod', ...extra };
}

describe('staticInventory', () => {
  it('`kubernetes` stands for the server and every core component; other keys are add-ons', () => {
    const inv = staticInventory(cluster({ versions: { kubernetes: 'v1.27.9', 'ingress-nginx': 'v1.11.4' } }), now);
    expect(inv).toEqual({
      cluster: 'legacy',
      environment: 'prod',
      provider: 'unknown',
      source: 'static',
      collectedAt: '2026-11-22T10:00:00.000Z',
      server: 'v1.27.9',
      nodes: [{ name: SYNTHETIC_NODE, kubelet: 'v1.27.9', kubeProxy: 'v1.27.9' }],
      components: {
        'kube-apiserver': 'v1.27.9',
        'kube-controller-manager': 'v1.27.9',
        'kube-scheduler': 'v1.27.9',
        kubectl: 'v1.27.9',
        'ingress-nginx': 'v1.11.4',
      },
      error: null,
    });
  });

  it('a core component key overrides `kubernetes`', () => {
    const inv = staticInventory(cluster({ versions: { kubernetes: 'v1.28.3', kubelet: 'v1.27.1', kubectl: 'v1.29.0', 'kube-apiserver': 'v1.28.4' } }), now);
    expect(inv.server).toBe('v1.28.4');
    // kube-proxy runs on the nodes: it follows the nodes' kubelet, not `kubernetes`.
    expect(inv.nodes).toEqual([{ name: SYNTHETIC_NODE, kubelet: 'v1.27.1', kubeProxy: 'v1.27.1' }]);
    expect(inv.components).toMatchObject({ 'kube-apiserver': 'v1.28.4', kubectl: 'v1.29.0', 'kube-scheduler': 'v1.28.3' });
    expect(inv.components.kubelet).toBeUndefined();
  });

  it('uses the static node list when given', () => {
    const inv = staticInventory(cluster({
      versions: { kubernetes: 'v1.29.4' },
      nodes: [{ name: 'a', kubelet: 'v1.29.4' }, { name: 'b', kubelet: 'v1.27.9', kubeProxy: 'v1.27.8' }],
    }), now);
    expect(inv.nodes).toEqual([
      { name: 'a', kubelet: 'v1.29.4', kubeProxy: 'v1.29.4' },
      { name: 'b', kubelet: 'v1.27.9', kubeProxy: 'v1.27.8' },
    ]);
  });

  it.each([
    [{ kubernetes: 'v1.29.4-eks-036c24b' }, undefined, 'eks'],
    [{ kubernetes: 'v1.30.5-gke.1014001' }, undefined, 'gke'],
    [{ kubernetes: 'v1.28.3+k3s1' }, undefined, 'k3s'],
    [{ kubernetes: 'v1.28.3' }, undefined, 'unknown'],
    [{ kubernetes: 'v1.28.3' }, 'aks', 'aks'],
    [{ kubernetes: 'v1.28.3-eks-1' }, 'kubeadm', 'kubeadm'],
  ] as const)('provider for %o (configured %s) → %s', (versions, provider, want) => {
    const inv = staticInventory(cluster({ versions, ...(provider ? { provider } : {}) }), now);
    expect(inv.provider).toBe(want);
  });

  it('add-ons only: no server, no nodes', () => {
    const inv = staticInventory(cluster({ versions: { 'ingress-nginx': 'v1.12.0' } }), now);
    expect(inv).toMatchObject({ server: null, nodes: [], components: { 'ingress-nginx': 'v1.12.0' } });
  });
});
