/**
 * version-skew: kubelet/kube-proxy and controller-manager/scheduler against the API server, per the
 * skew policy; mixed kubelet versions reported. Needs: get /version, list nodes, list pods in kube-system.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { minorOf } from '../../advisory/versions.ts';
import { controlPlaneComponent, listSome, type Probe } from '../context.ts';
import { atSkewLimit, groupVersions, skewProblem, type SkewComponent } from '../rules/skew.ts';

/** Tag of the first container's image ("registry.k8s.io/kube-proxy:v1.29.4" → "v1.29.4"), or null. */
export function imageTag(pod: V1Pod, container?: string): string | null {
  const c = container === undefined ? pod.spec?.containers[0] : pod.spec?.containers.find((x) => x.name === container) ?? pod.spec?.containers[0];
  const image = c?.image ?? '';
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.slice(colon).includes('/')) return null;
  return ref.slice(colon + 1);
}

export const versionSkewProbe: Probe = {
  id: 'version-skew',
  title: 'Version skew',
  needs: ['get /version', 'list nodes', 'list pods in kube-system'],
  async run({ read }) {
    const [server, nodes, pods] = await Promise.all([read.serverVersion(), read.nodes(), read.systemPods()]);
    const violations: string[] = [];
    const atLimit: string[] = [];
    const evidence: string[] = [`API server ${server}`];
    const check = (component: SkewComponent, subject: string, version: string) => {
      const problem = skewProblem(component, version, server);
      if (problem) violations.push(`${component} on ${subject} ${version}: ${problem}`);
      else if (atSkewLimit(component, version, server)) atLimit.push(`${component} on ${subject} ${version}`);
    };

    const kubelets = nodes.map((n) => ({ name: n.metadata?.name ?? '?', version: n.status?.nodeInfo?.kubeletVersion ?? '' }));
    for (const k of kubelets) if (k.version) check('kubelet', k.name, k.version);
    for (const n of nodes) {
      const proxy = n.status?.nodeInfo?.kubeProxyVersion;
      // Deprecated upstream and often empty or a copy of the kubelet's; the DaemonSet's image is checked below.
      if (proxy && /^v?\d/.test(proxy)) check('kube-proxy', n.metadata?.name ?? '?', proxy);
    }
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '?';
      if (pod.metadata?.labels?.['k8s-app'] === 'kube-proxy' || pod.metadata?.labels?.component === 'kube-proxy') {
        const tag = imageTag(pod, 'kube-proxy');
        if (tag && minorOf(tag) !== null) check('kube-proxy', `pod ${name}`, tag);
        continue;
      }
      const component = controlPlaneComponent(pod);
      if (component === 'kube-controller-manager' || component === 'kube-scheduler' || component === 'kube-apiserver') {
        const tag = imageTag(pod, component);
        if (tag && minorOf(tag) !== null) check(component, `pod ${name}`, tag);
      }
    }

    const groups = groupVersions(kubelets.filter((k) => k.version));
    const minors = new Set(groups.map((g) => minorOf(g.version)));
    for (const g of groups) evidence.push(`kubelet ${g.version}: ${g.names.length} (${listSome(g.names, 4)})`);
    evidence.unshift(...violations);
    if (atLimit.length > 0) evidence.push(`at the skew limit (upgrade these before the next API server minor): ${listSome(atLimit, 5)}`);

    const mixed = groups.length > 1 ? `; mixed kubelets: ${groups.map((g) => `${g.version}×${g.names.length}`).join(', ')}` : '';
    if (violations.length > 0) {
      return { status: 'fail', summary: `${violations.length} outside the skew policy${mixed}`, evidence };
    }
    if (minors.size > 1 || atLimit.length > 0) {
      return { status: 'warn', summary: `within policy${atLimit.length > 0 ? `; ${atLimit.length} at the limit` : ''}${mixed}`, evidence };
    }
    return { status: 'pass', summary: `within policy (${kubelets.length} kubelets vs API server ${server})${mixed}`, evidence };
  },
};
