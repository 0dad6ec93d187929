import { describe, expect, it } from 'vitest';
import { detectProvider, type ProviderSignals } from '../../../src/inventory/provider.ts';

const node = (over: Partial<NonNullable<ProviderSignals['nodes']>[number]> = {}) => ({ labels: {}, annotations: {}, providerID: null, kubeletVersion: 'v1.29.4', ...over });

describe('detectProvider', () => {
  it.each<[string, ProviderSignals, string]>([
    ['configured wins over everything', { configured: 'openshift', serverVersion: 'v1.29.4-eks-036c24b' }, 'openshift'],
    ['EKS server version', { serverVersion: 'v1.29.4-eks-036c24b' }, 'eks'],
    ['GKE server version', { serverVersion: 'v1.30.5-gke.1014001' }, 'gke'],
    ['k3s server version', { serverVersion: 'v1.28.3+k3s1' }, 'k3s'],
    ['rke2 server version', { serverVersion: 'v1.28.10+rke2r1' }, 'rke2'],
    ['AKS by node label (plain server version)', { serverVersion: 'v1.29.7', nodes: [node({ labels: { 'kubernetes.azure.com/cluster': 'MC_rg_aks_westeurope' } })] }, 'aks'],
    ['EKS by nodegroup label', { serverVersion: 'v1.29.4', nodes: [node({ labels: { 'eks.amazonaws.com/nodegroup': 'ng-1' } })] }, 'eks'],
    ['GKE by node pool label', { serverVersion: 'v1.30.5', nodes: [node({ labels: { 'cloud.google.com/gke-nodepool': 'default-pool' } })] }, 'gke'],
    ['k3s by instance-type label', { serverVersion: 'v1.28.3', nodes: [node({ labels: { 'node.kubernetes.io/instance-type': 'k3s' } })] }, 'k3s'],
    ['rke2 by instance-type label', { serverVersion: 'v1.28.3', nodes: [node({ labels: { 'node.kubernetes.io/instance-type': 'rke2' } })] }, 'rke2'],
    ['OpenShift by os_id label (hash build suffix)', { serverVersion: 'v1.27.6+b49f9d1', nodes: [node({ labels: { 'node.openshift.io/os_id': 'rhcos' } })] }, 'openshift'],
    ['instance-type that is a cloud VM size is no signal', { serverVersion: 'v1.29.4', nodes: [node({ labels: { 'node.kubernetes.io/instance-type': 'm5.large' } })] }, 'other'],
    ['EKS by kubelet suffix', { serverVersion: 'v1.29.4', nodes: [node({ kubeletVersion: 'v1.29.3-eks-ae9a62a' })] }, 'eks'],
    ['kubeadm by visible control-plane pods', { serverVersion: 'v1.27.9', nodes: [node()], controlPlanePodsVisible: true }, 'kubeadm'],
    ['kubeadm on EC2: control plane beats aws:// providerID', { serverVersion: 'v1.27.9', nodes: [node({ providerID: 'aws:///eu-west-1a/i-0abc' })], controlPlanePodsVisible: true }, 'kubeadm'],
    ['kubeadm by cri-socket annotation', { serverVersion: 'v1.27.9', nodes: [node({ annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock' } })] }, 'kubeadm'],
    ['EKS by providerID alone', { serverVersion: 'v1.29.4', nodes: [node({ providerID: 'aws:///eu-west-1a/i-0abc' })] }, 'eks'],
    ['GKE by providerID alone', { serverVersion: 'v1.30.5', nodes: [node({ providerID: 'gce://proj/europe-west1-b/gke-x' })] }, 'gke'],
    ['AKS by providerID alone', { serverVersion: 'v1.29.7', nodes: [node({ providerID: 'azure:///subscriptions/x/resourceGroups/y' })] }, 'aks'],
    ['nothing recognisable', { serverVersion: 'v1.29.4', nodes: [node()] }, 'other'],
    ['no data at all', {}, 'unknown'],
  ])('%s', (_label, signals, expected) => {
    expect(detectProvider(signals).provider).toBe(expected);
  });

  it('says why', () => {
    expect(detectProvider({ serverVersion: 'v1.29.7', nodes: [node({ labels: { 'kubernetes.azure.com/cluster': 'x' } })] }).evidence)
      .toBe('node label kubernetes.azure.com/cluster');
  });
});
