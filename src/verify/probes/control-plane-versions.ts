/**
 * control-plane-versions: images of kube-apiserver, kube-controller-manager, kube-scheduler and etcd
 * in kube-system on self-managed clusters; skipped with the reason on managed ones (EKS/GKE/AKS run
 * the control plane out of sight, k3s inside its server binary). Needs: list pods in kube-system.
 */
import { minorOf } from '../../advisory/versions.ts';
import { CONTROL_PLANE_COMPONENTS, controlPlaneComponent, type Probe } from '../context.ts';
import { groupVersions, skewProblem } from '../rules/skew.ts';
import { imageTag } from './version-skew.ts';

const HIDDEN: Record<string, string> = {
  eks: 'EKS runs the control plane outside the cluster',
  gke: 'GKE runs the control plane outside the cluster',
  aks: 'AKS runs the control plane outside the cluster',
  k3s: 'k3s runs the control plane inside the k3s server process, not as pods',
  openshift: 'OpenShift runs the control plane in openshift-* namespaces',
};

export const controlPlaneVersionsProbe: Probe = {
  id: 'control-plane-versions',
  title: 'Control-plane versions',
  needs: ['list pods in kube-system'],
  async run({ read }) {
    const provider = await read.provider();
    const hidden = HIDDEN[provider];
    const pods = await read.systemPods();
    const found = pods
      .map((p) => ({ component: controlPlaneComponent(p), name: p.metadata?.name ?? '?', pod: p }))
      .filter((x): x is { component: string; name: string; pod: typeof x.pod } => x.component !== null);
    if (found.length === 0) {
      return { status: 'skip', summary: hidden ? `managed control plane: ${hidden}` : 'no control-plane pods in kube-system (managed or not run as static pods)', evidence: [] };
    }
    const evidence: string[] = [];
    const problems: string[] = [];
    const mixed: string[] = [];
    for (const component of CONTROL_PLANE_COMPONENTS) {
      const items = found.filter((f) => f.component === component).map((f) => ({ name: f.name, version: imageTag(f.pod, component) ?? f.pod.spec?.containers[0]?.image ?? '?' }));
      if (items.length === 0) {
        evidence.push(`${component}: not found`);
        continue;
      }
      const groups = groupVersions(items);
      for (const g of groups) evidence.push(`${component} ${g.version}: ${g.names.join(', ')}`);
      if (groups.length > 1) mixed.push(component);
      if (component === 'kube-apiserver' && groups.length > 1) {
        const versions = groups.map((g) => g.version).filter((v) => minorOf(v) !== null);
        const newest = [...versions].sort((a, b) => (minorOf(b) ?? '').localeCompare(minorOf(a) ?? '', undefined, { numeric: true }))[0];
        for (const v of versions) {
          const p = newest === undefined ? null : skewProblem('kube-apiserver', v, newest);
          if (p) problems.push(`kube-apiserver ${v}: ${p}`);
        }
      }
    }
    const summary = found.length > 0
      ? CONTROL_PLANE_COMPONENTS.map((c) => {
        const v = groupVersions(found.filter((f) => f.component === c).map((f) => ({ name: f.name, version: imageTag(f.pod, c) ?? '?' })));
        return v.length > 0 ? `${c} ${v.map((g) => g.version).join('/')}` : null;
      }).filter(Boolean).join(', ')
      : '';
    if (problems.length > 0) return { status: 'fail', summary: `HA API servers too far apart: ${summary}`, evidence: [...problems, ...evidence] };
    if (mixed.length > 0) return { status: 'warn', summary: `mixed versions (upgrade in progress?) for ${mixed.join(', ')}: ${summary}`, evidence };
    return { status: 'pass', summary, evidence };
  },
};
