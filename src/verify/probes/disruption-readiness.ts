/**
 * disruption-readiness: what would stall a node drain in the next maintenance window — PDBs that
 * block every eviction, single-replica Deployments/StatefulSets, all replicas on one node, long
 * termination grace periods — and whether the other nodes have the allocatable room to take the
 * pods of the hardest node to drain (requests vs allocatable).
 * Needs: list nodes, list pods, list deployments, list statefulsets, list poddisruptionbudgets.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { listSome, type Probe } from '../context.ts';
import { nodeState } from './node-readiness.ts';
import {
  drainCapacity, formatBytes, formatCpu, parseQuantity, pdbBlockReason, type NodeCapacity,
} from '../rules/disruption.ts';

export const MAX_GRACE_SECONDS = 60;

function podRequests(pod: V1Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu += parseQuantity(c.resources?.requests?.cpu) ?? 0;
    memory += parseQuantity(c.resources?.requests?.memory) ?? 0;
  }
  return { cpu, memory };
}

const isActive = (p: V1Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
/** DaemonSet and mirror (static) pods stay on their node during a drain. */
const isMovable = (p: V1Pod) =>
  !(p.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet')
  && p.metadata?.annotations?.['kubernetes.io/config.mirror'] === undefined;

export function nodeCapacities(nodes: readonly V1Node[], pods: readonly V1Pod[]): NodeCapacity[] {
  const byNode = new Map<string, V1Pod[]>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (!n || !isActive(p)) continue;
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  return nodes.map((node) => {
    const name = node.metadata?.name ?? '?';
    const on = byNode.get(name) ?? [];
    const sum = (list: V1Pod[]) => list.map(podRequests).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
    const all = sum(on);
    const movable = sum(on.filter(isMovable));
    const state = nodeState(node);
    return {
      name,
      cpu: parseQuantity(node.status?.allocatable?.cpu) ?? 0,
      memory: parseQuantity(node.status?.allocatable?.memory) ?? 0,
      movableCpu: movable.cpu,
      movableMemory: movable.memory,
      requestedCpu: all.cpu,
      requestedMemory: all.memory,
      schedulable: state.ready && !state.cordoned,
    };
  });
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export const disruptionReadinessProbe: Probe = {
  id: 'disruption-readiness',
  title: 'Disruption readiness',
  needs: ['list nodes', 'list pods', 'list deployments.apps', 'list statefulsets.apps', 'list poddisruptionbudgets.policy'],
  async run({ kube, read }) {
    const [nodes, pods, deployments, statefulsets, pdbs] = await Promise.all([
      read.nodes(),
      read.allPods(),
      kube.call('list deployments.apps', async () => (await kube.apps.listDeploymentForAllNamespaces()).items),
      kube.call('list statefulsets.apps', async () => (await kube.apps.listStatefulSetForAllNamespaces()).items),
      kube.call('list poddisruptionbudgets.policy', async () => (await kube.policy.listPodDisruptionBudgetForAllNamespaces()).items),
    ]);
    const blocking: string[] = [];
    for (const pdb of pdbs) {
      const ref = `${pdb.metadata?.namespace ?? '?'}/${pdb.metadata?.name ?? '?'}`;
      const reason = pdbBlockReason({
        name: pdb.metadata?.name ?? '?',
        namespace: pdb.metadata?.namespace ?? '?',
        minAvailable: pdb.spec?.minAvailable,
        maxUnavailable: pdb.spec?.maxUnavailable,
        disruptionsAllowed: pdb.status?.disruptionsAllowed,
        currentHealthy: pdb.status?.currentHealthy,
        desiredHealthy: pdb.status?.desiredHealthy,
        expectedPods: pdb.status?.expectedPods,
      });
      if (reason) blocking.push(`PDB ${ref} blocks every eviction: ${reason}`);
    }

    const single: string[] = [];
    const oneNode: string[] = [];
    const longGrace: string[] = [];
    const workloads = [
      ...deployments.map((d) => ({ kind: 'Deployment', w: d, replicas: d.spec?.replicas ?? 1, selector: d.spec?.selector.matchLabels, template: d.spec?.template })),
      ...statefulsets.map((s) => ({ kind: 'StatefulSet', w: s, replicas: s.spec?.replicas ?? 1, selector: s.spec?.selector.matchLabels, template: s.spec?.template })),
    ];
    for (const { kind, w, replicas, selector, template } of workloads) {
      const ref = `${kind} ${w.metadata?.namespace ?? '?'}/${w.metadata?.name ?? '?'}`;
      if (replicas === 1) single.push(ref);
      if (replicas > 1) {
        const nodesUsed = new Set(pods
          .filter((p) => p.metadata?.namespace === w.metadata?.namespace && isActive(p) && matches(selector, p.metadata?.labels))
          .map((p) => p.spec?.nodeName)
          .filter((n): n is string => n !== undefined));
        if (nodesUsed.size === 1) oneNode.push(`${ref}: all ${replicas} replicas on ${[...nodesUsed][0] ?? '?'}`);
      }
      const grace = template?.spec?.terminationGracePeriodSeconds;
      if (grace !== undefined && grace > MAX_GRACE_SECONDS) longGrace.push(`${ref}: terminationGracePeriodSeconds ${grace}`);
    }

    const capacity = drainCapacity(nodeCapacities(nodes, pods));
    const evidence: string[] = [...blocking.sort()];
    if (capacity) {
      evidence.push(`drain ${capacity.node}: needs ${formatCpu(capacity.needCpu)}, ${formatBytes(capacity.needMemory)} requested; other schedulable nodes have ${formatCpu(capacity.spareCpu)}, ${formatBytes(capacity.spareMemory)} free (aggregate; ignores bin-packing)`);
    }
    evidence.push(...oneNode.sort(), ...single.sort().map((s) => `${s}: 1 replica`), ...longGrace.sort());

    const notes: string[] = [];
    if (capacity && !capacity.fits) notes.push(`not enough spare capacity to drain ${capacity.node}`);
    if (single.length > 0) notes.push(`${single.length} single-replica workload${single.length === 1 ? '' : 's'}`);
    if (oneNode.length > 0) notes.push(`${oneNode.length} with all replicas on one node`);
    if (longGrace.length > 0) notes.push(`${longGrace.length} with grace period > ${MAX_GRACE_SECONDS}s`);
    if (blocking.length > 0) {
      return { status: 'fail', summary: `${blocking.length} PDB${blocking.length === 1 ? '' : 's'} block every eviction (${listSome(blocking.map((b) => b.split(' ')[1] ?? b), 3)})${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`, evidence };
    }
    if (notes.length > 0) return { status: 'warn', summary: notes.join('; '), evidence };
    return { status: 'pass', summary: `no blocking PDBs; spare capacity to drain ${capacity?.node ?? 'any node'}`, evidence };
  },
};
