import { describe, expect, it } from 'vitest';
import { componentFromImage, parseImageRef, versionFromTag } from '../../../src/inventory/images.ts';

describe('parseImageRef', () => {
  it.each([
    ['registry.k8s.io/ingress-nginx/controller:v1.11.4@sha256:abc123', { registry: 'registry.k8s.io', repository: 'ingress-nginx/controller', name: 'controller', tag: 'v1.11.4', digest: 'sha256:abc123' }],
    ['nginx', { registry: null, repository: 'nginx', name: 'nginx', tag: null, digest: null }],
    ['nginx:1.25', { registry: null, repository: 'nginx', name: 'nginx', tag: '1.25', digest: null }],
    ['docker.io/library/nginx:1.25.4', { registry: 'docker.io', repository: 'nginx', name: 'nginx', tag: '1.25.4', digest: null }],
    ['localhost:5000/team/app', { registry: 'localhost:5000', repository: 'team/app', name: 'app', tag: null, digest: null }],
    ['registry.example.com:5000/team/app:2.0', { registry: 'registry.example.com:5000', repository: 'team/app', name: 'app', tag: '2.0', digest: null }],
    ['quay.io/org/app@sha256:deadbeef', { registry: 'quay.io', repository: 'org/app', name: 'app', tag: null, digest: 'sha256:deadbeef' }],
    ['rancher/mirrored-coredns-coredns:1.10.1', { registry: null, repository: 'rancher/mirrored-coredns-coredns', name: 'mirrored-coredns-coredns', tag: '1.10.1', digest: null }],
    ['602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.29.3-minimal-eksbuild.2', { registry: '602401143452.dkr.ecr.eu-west-1.amazonaws.com', repository: 'eks/kube-proxy', name: 'kube-proxy', tag: 'v1.29.3-minimal-eksbuild.2', digest: null }],
  ])('%s', (input, expected) => {
    expect(parseImageRef(input)).toMatchObject(expected);
  });

  it('returns null for an empty reference', () => {
    expect(parseImageRef('  ')).toBeNull();
  });
});

describe('versionFromTag', () => {
  it.each([
    ['v1.11.4', 'v1.11.4'],
    ['1.25.3', '1.25.3'],
    ['3.5.10-0', '3.5.10-0'],
    ['v1.29.3-minimal-eksbuild.2', 'v1.29.3-minimal-eksbuild.2'],
    ['v1.28.10-rke2r1-build20240514', 'v1.28.10-rke2r1-build20240514'],
    ['latest', null],
    ['stable', null],
    [null, null],
  ])('%s → %s', (tag, expected) => {
    expect(versionFromTag(tag)).toBe(expected);
  });
});

describe('componentFromImage', () => {
  it.each([
    // add-ons by upstream repository name
    ['registry.k8s.io/ingress-nginx/controller:v1.11.4@sha256:981a97d78bee3109c0b149946c07989f8f1478a9265031d2d23dea839ba05b52', 'ingress-nginx', 'v1.11.4'],
    ['registry.k8s.io/ingress-nginx/controller-chroot:v1.10.1', 'ingress-nginx', 'v1.10.1'],
    ['k8s.gcr.io/ingress-nginx/controller:v1.1.1', 'ingress-nginx', 'v1.1.1'],
    ['my-mirror.example.com/k8s/ingress-nginx/controller:v1.9.6', 'ingress-nginx', 'v1.9.6'],
    ['quay.io/kubernetes-ingress-controller/nginx-ingress-controller:0.33.0', 'ingress-nginx', '0.33.0'],
    ['mcr.microsoft.com/oss/kubernetes/ingress/nginx-ingress-controller:v1.11.2', 'ingress-nginx', 'v1.11.2'],
    ['registry.k8s.io/csi-secrets-store/driver:v1.4.3', 'secrets-store-csi-driver', 'v1.4.3'],
    ['mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver:v1.4.4', 'secrets-store-csi-driver', 'v1.4.4'],
    ['registry.k8s.io/sig-storage/nfsplugin:v4.9.0', 'csi-driver-nfs', 'v4.9.0'],
    ['registry.k8s.io/sig-storage/smbplugin:v1.13.0', 'csi-driver-smb', 'v1.13.0'],
    ['mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi:v1.30.3', 'azure-file-csi-driver', 'v1.30.3'],
    // control plane and node components
    ['registry.k8s.io/kube-apiserver:v1.27.9', 'kube-apiserver', 'v1.27.9'],
    ['k8s.gcr.io/kube-apiserver-amd64:v1.11.3', 'kube-apiserver', 'v1.11.3'],
    ['registry.k8s.io/kube-controller-manager:v1.27.9', 'kube-controller-manager', 'v1.27.9'],
    ['registry.k8s.io/kube-scheduler:v1.27.9', 'kube-scheduler', 'v1.27.9'],
    ['registry.k8s.io/etcd:3.5.10-0', 'etcd', '3.5.10-0'],
    ['gke.gcr.io/kube-proxy-amd64:v1.30.5-gke.1014001', 'kube-proxy', 'v1.30.5-gke.1014001'],
    ['602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.29.3-minimal-eksbuild.2', 'kube-proxy', 'v1.29.3-minimal-eksbuild.2'],
    // known component, unknown version
    ['registry.k8s.io/ingress-nginx/controller:latest', 'ingress-nginx', null],
    ['registry.k8s.io/ingress-nginx/controller@sha256:981a97d78bee3109c0b149946c07989f8f1478a9265031d2d23dea839ba05b52', 'ingress-nginx', null],
  ])('%s → %s %s', (image, component, version) => {
    expect(componentFromImage(image)).toMatchObject({ component, version });
  });

  it.each([
    'nginx/nginx-ingress:3.5.0', // NGINX Inc's controller: a different product, different CVEs
    'docker.io/library/nginx:1.25.4',
    'registry.k8s.io/coredns/coredns:v1.10.1',
    'registry.k8s.io/sig-storage/csi-provisioner:v5.0.2',
    'registry.k8s.io/sig-storage/livenessprobe:v2.13.1',
    'docker.io/bitnami/etcd-operator:0.9.4',
    'example.com/my-kube-apiserver-proxy:v1.0.0',
  ])('%s is not a tracked component', (image) => {
    expect(componentFromImage(image)).toBeNull();
  });
});
