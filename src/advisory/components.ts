/**
 * Component names as advisories write them → the names triage and config use: core binaries
 * by their binary name, add-ons by their upstream repository name (DESIGN.md "Config").
 */
import { CORE_COMPONENTS } from './types.ts';

interface ComponentPattern {
  name: string;
  re: RegExp;
  /** Counted when scanning free prose; installers and tools mentioned in passing are not. */
  scan: boolean;
}

// Order matters only for readability; every pattern is tried.
const PATTERNS: readonly ComponentPattern[] = [
  { name: 'kube-apiserver', re: /\bkube-?apiserver\b|(?<!(?:aggregated|extension|extended|metrics|custom|sample|backend|webhook)[\s-]{1,3})\b(?:kubernetes\s+)?api[\s-]?servers?\b/i, scan: true },
  { name: 'kubelet', re: /\bkubelets?\b/i, scan: true },
  { name: 'kube-proxy', re: /\bkube-proxy\b/i, scan: true },
  { name: 'kube-controller-manager', re: /\bkube-controller-manager\b|(?<!cloud[\s-])\bcontroller[\s-]manager\b/i, scan: true },
  { name: 'kube-scheduler', re: /\bkube-scheduler\b/i, scan: true },
  // "kubectl get pods" in a how-to-check paragraph is not a statement about kubectl.
  {
    name: 'kubectl',
    re: /\bkubectl\b(?!\s+(?:get|describe|logs?|apply|create|delete|auth|annotate|patch|version|exec|run|label|edit|debug|proxy|port-forward|config|top|rollout|set|scale|explain|api-resources|wait|--|-[a-z])\b)/i,
    scan: true,
  },
  { name: 'ingress-nginx', re: /\bingress[\s-]nginx\b|\bnginx\s+ingress\s+controller\b/i, scan: true },
  { name: 'secrets-store-csi-driver', re: /\bsecrets?[\s-]store[\s-]csi[\s-]driver\b/i, scan: true },
  { name: 'image-builder', re: /\bimage[\s-]builder\b/i, scan: true },
  { name: 'csi-driver-nfs', re: /\bcsi[\s-]driver[\s-]nfs\b|\bnfs\s+csi\s+driver\b|\bcsi\s+nfs\s+driver\b/i, scan: true },
  { name: 'csi-driver-smb', re: /\bcsi[\s-]driver[\s-]smb\b|\bsmb\s+csi\s+driver\b|\bcsi\s+smb\s+driver\b/i, scan: true },
  { name: 'azure-file-csi-driver', re: /\bazure[\s-]?file[\s-]csi[\s-]driver\b|\bazure\s+file\s+csi\b/i, scan: true },
  { name: 'azure-disk-csi-driver', re: /\bazure[\s-]?disk[\s-]csi[\s-]driver\b/i, scan: true },
  { name: 'csi-proxy', re: /\bcsi[\s-]proxy\b/i, scan: true },
  // Clients and libraries (types.ts CLIENT_COMPONENTS): judged as their own section, not as cluster components.
  { name: 'kubernetes-client-csharp', re: /\bkubernetes[\s-]client[\s-]csharp\b|\bc#\s+client\b|\bcsharp\s+client\b|\bkubernetes-client\/csharp\b|\bKubernetesClient\s+(?:nuget|package)\b/i, scan: true },
  { name: 'kubernetes-client-python', re: /\bkubernetes[\s-]client[\s-]python\b|\bkubernetes-client\/python\b|\b(?:kubernetes\s+)?python\s+client\b/i, scan: true },
  { name: 'kubernetes-client-java', re: /\bkubernetes[\s-]client[\s-]java\b|\bkubernetes-client\/java\b|\b(?:kubernetes\s+)?java\s+client\b/i, scan: true },
  { name: 'kubernetes-client-javascript', re: /\bkubernetes[\s-]client[\s-]javascript\b|\bkubernetes-client\/javascript\b|@kubernetes\/client-node\b|\b(?:kubernetes\s+)?(?:javascript|node(?:\.js)?)\s+client\b/i, scan: true },
  { name: 'client-go', re: /\bclient-go\b/i, scan: true },
  { name: 'external-provisioner', re: /\bexternal-provisioner\b/i, scan: true },
  { name: 'external-snapshotter', re: /\bexternal-snapshotter\b/i, scan: true },
  { name: 'external-resizer', re: /\bexternal-resizer\b/i, scan: true },
  { name: 'external-attacher', re: /\bexternal-attacher\b/i, scan: true },
  { name: 'node-driver-registrar', re: /\bnode-driver-registrar\b/i, scan: true },
  { name: 'metrics-server', re: /\bmetrics-server\b/i, scan: true },
  { name: 'dashboard', re: /\bkubernetes\s+dashboard\b/i, scan: true },
  { name: 'cluster-autoscaler', re: /\bcluster[\s-]autoscaler\b/i, scan: true },
  { name: 'kube-state-metrics', re: /\bkube-state-metrics\b/i, scan: true },
  { name: 'kubeadm', re: /\bkubeadm\b/i, scan: false },
  { name: 'kops', re: /\bkops\b/i, scan: false },
  { name: 'minikube', re: /\bminikube\b/i, scan: false },
];

const STRIP_RES = PATTERNS.map((p) => new RegExp(p.re.source, 'gi'));

/** Stands for the Kubernetes release as a whole ("Kubernetes v1.19.0 - v1.19.2"). */
export const GENERIC = 'kubernetes';
const GENERIC_RE = /\bkubernetes\b|\bk8s\b/i;

/** Specific components named in `text` (in order of first mention), and whether it names Kubernetes generically. */
export function componentsIn(text: string, opts: { scan?: boolean } = {}): { names: string[]; generic: boolean } {
  const found: { name: string; at: number }[] = [];
  for (const p of PATTERNS) {
    if (opts.scan && !p.scan) continue;
    const m = p.re.exec(text);
    if (m) found.push({ name: p.name, at: m.index });
  }
  found.sort((a, b) => a.at - b.at);
  return { names: found.map((f) => f.name), generic: GENERIC_RE.test(text) };
}

/** A line that is nothing but a component name ("kube-apiserver", "external-resizer:", "Component: kubelet"). */
export function componentLabel(text: string): string[] | null {
  const t = text
    .replace(/^(?:affected\s+)?components?\s*:\s*/i, '')
    .replace(/[:\s]+$/, '')
    .trim();
  if (t.length === 0 || t.length > 60) return null;
  const { names } = componentsIn(t);
  if (names.length === 0) return null;
  // Whatever remains after removing the names must be filler ("Kubernetes", "and", "/", ",").
  let rest = t;
  for (const re of STRIP_RES) rest = rest.replace(re, ' ');
  rest = rest.replace(GENERIC_RE, ' ').replace(/\b(?:and|the)\b|[,/&+]/gi, ' ').trim();
  return rest.length === 0 ? names : null;
}

/** The component named at the very start of `text` ("Kubelet that allows …" → kubelet), or null. */
export function componentAtStart(text: string): string | null {
  for (const p of PATTERNS) {
    const m = p.re.exec(text);
    if (m && m.index === 0) return p.name;
  }
  return null;
}

/** OSV package names: "kube-apiserver", "k8s.io/kubernetes", "kubernetes/ingress-nginx", "github.com/kubernetes-sigs/…". */
export function normalizeComponentName(name: string): string[] {
  // "kubernetes-client/csharp" is only recognisable before the owner is stripped.
  const whole = componentsIn(name).names;
  if (whole.length > 0) return whole;
  const bare = name
    .trim()
    .replace(/^(?:https?:\/\/)?(?:github\.com\/)?/i, '')
    .replace(/^(?:k8s\.io|sigs\.k8s\.io|kubernetes-sigs|kubernetes-csi|kubernetes-client|kubernetes)\//i, '');
  if (/^(?:kubernetes|k8s)$/i.test(bare)) return [...CORE_COMPONENTS];
  const { names } = componentsIn(bare);
  if (names.length > 0) return names;
  return [bare.toLowerCase()];
}

/** Components implied by well-known words when nothing names one (admission plugins live in the API server). */
export function impliedComponents(text: string): string[] {
  return /\badmission\s+(?:plugin|controller|webhook)s?\b/i.test(text) ? ['kube-apiserver'] : [];
}
