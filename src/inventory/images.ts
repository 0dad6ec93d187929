/**
 * Container image references → component name and version. Pure.
 *
 * Component names are the ones advisories and `versions:` config use (DESIGN.md): upstream
 * repository names for add-ons (`ingress-nginx`, `secrets-store-csi-driver` …) and binary
 * names for the control plane (`kube-apiserver`, `etcd` …). Matching is on the image
 * *repository* path, never on a substring of the whole reference, so look-alikes such as
 * NGINX Inc's `nginx/nginx-ingress` (a different product, different CVEs) do not match.
 */
import { parseVersion } from '../advisory/versions.ts';

export interface ImageRef {
  /** As given, trimmed. */
  raw: string;
  /** "registry.k8s.io", "602401143452.dkr.ecr.us-west-2.amazonaws.com"; null for Docker Hub short names. */
  registry: string | null;
  /** Path without registry or tag: "ingress-nginx/controller"; Docker Hub's "library/" is dropped ("nginx"). */
  repository: string;
  /** Last path segment: "controller". */
  name: string;
  tag: string | null;
  /** "sha256:…" or null. */
  digest: string | null;
}

/** Split an image reference. Null for an empty string. */
export function parseImageRef(input: string): ImageRef | null {
  const raw = input.trim();
  if (raw === '') return null;
  let rest = raw;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1) || null;
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  // A colon after the last slash is a tag; before it, a registry port ("localhost:5000/app").
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1) || null;
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry: string | null = null;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  let repository = parts.join('/');
  if ((registry === null || registry === 'docker.io' || registry === 'index.docker.io') && repository.startsWith('library/')) {
    repository = repository.slice('library/'.length);
  }
  const name = parts[parts.length - 1] ?? repository;
  return { raw, registry, repository, name, tag, digest };
}

export interface ComponentMatcher {
  component: string;
  /** Tested against the repository path (no registry, no tag). */
  repository: RegExp;
}

/**
 * Known images, by repository path. Order matters only for readability: the patterns are
 * disjoint. Mirrors (ECR, MCR, GCR, private) keep the upstream path suffix, hence the `(^|/)`.
 */
export const COMPONENT_MATCHERS: readonly ComponentMatcher[] = [
  // Control plane and node components (kubeadm static pods, RKE2, kops, EKS kube-proxy).
  { component: 'kube-apiserver', repository: /(^|\/)kube-apiserver(-(amd64|arm64|arm|ppc64le|s390x))?$/ },
  { component: 'kube-controller-manager', repository: /(^|\/)kube-controller-manager(-(amd64|arm64|arm|ppc64le|s390x))?$/ },
  { component: 'kube-scheduler', repository: /(^|\/)kube-scheduler(-(amd64|arm64|arm|ppc64le|s390x))?$/ },
  { component: 'kube-proxy', repository: /(^|\/)kube-proxy(-(amd64|arm64|arm|ppc64le|s390x))?$/ },
  { component: 'etcd', repository: /(^|\/)etcd(-(amd64|arm64|arm|ppc64le|s390x))?$/ },
  // registry.k8s.io/ingress-nginx/controller[-chroot]; AKS app routing mirrors it on MCR;
  // the pre-1.0 image was quay.io/kubernetes-ingress-controller/nginx-ingress-controller.
  { component: 'ingress-nginx', repository: /(^|\/)ingress-nginx\/controller(-chroot)?$/ },
  { component: 'ingress-nginx', repository: /(^|\/)(kubernetes-ingress-controller|kubernetes\/ingress)\/nginx-ingress-controller(-chroot)?$/ },
  // registry.k8s.io/csi-secrets-store/driver; MCR: oss/kubernetes-csi/secrets-store/driver.
  { component: 'secrets-store-csi-driver', repository: /(^|\/)(csi-secrets-store|secrets-store)\/driver$/ },
  // registry.k8s.io/sig-storage/nfsplugin; MCR: oss/kubernetes-csi/nfs-csi.
  { component: 'csi-driver-nfs', repository: /(^|\/)(sig-storage\/nfsplugin|nfs-csi)$/ },
  // registry.k8s.io/sig-storage/smbplugin; MCR: oss/kubernetes-csi/smb-csi.
  { component: 'csi-driver-smb', repository: /(^|\/)(sig-storage\/smbplugin|smb-csi)$/ },
  // mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi (upstream repo kubernetes-sigs/azurefile-csi-driver).
  { component: 'azure-file-csi-driver', repository: /(^|\/)azurefile-csi$/ },
];

/** Control-plane components we read from kube-system (static pods). */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];

export function isControlPlaneComponent(name: string): name is ControlPlaneComponent {
  return (CONTROL_PLANE_COMPONENTS as readonly string[]).includes(name);
}

export interface ImageComponent {
  component: string;
  /** The version as the tag gives it ("v1.11.4", "3.5.10-0"); null when the tag is not a version (latest, digest only). */
  version: string | null;
  image: ImageRef;
}

/** Which component an image is, by repository path alone; null when unknown. */
export function componentOfRepository(repository: string): string | null {
  for (const m of COMPONENT_MATCHERS) if (m.repository.test(repository)) return m.component;
  return null;
}

/**
 * The version a tag carries, or null. Accepts "v1.11.4", "1.25.3", "3.5.10-0",
 * "v1.29.3-minimal-eksbuild.2", "v1.28.10-rke2r1-build20240514"; rejects "latest", "stable", "main".
 */
export function versionFromTag(tag: string | null): string | null {
  if (tag === null) return null;
  return parseVersion(tag) ? tag : null;
}

/** Image reference → component + version, or null when the image is not one we track. */
export function componentFromImage(image: string): ImageComponent | null {
  const ref = parseImageRef(image);
  if (!ref) return null;
  const component = componentOfRepository(ref.repository);
  if (component === null) return null;
  return { component, version: versionFromTag(ref.tag), image: ref };
}
