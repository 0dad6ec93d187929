/** node-readiness: every node Ready; cordoned nodes and pressure conditions listed. Needs: list nodes. */
import type { V1Node } from '@kubernetes/client-node';
import { listSome, plural, type Probe } from '../context.ts';

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

export interface NodeState {
  name: string;
  ready: boolean;
  /** Reason/message of a Ready condition that is not True. */
  notReadyReason: string | null;
  cordoned: boolean;
  pressures: string[];
}

export function nodeState(node: V1Node): NodeState {
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '(unnamed)',
    ready: ready?.status === 'True',
    notReadyReason: ready === undefined ? 'no Ready condition' : ready.status === 'True' ? null : `${ready.reason ?? ready.status}${ready.message ? `: ${ready.message}` : ''}`,
    cordoned: node.spec?.unschedulable === true,
    pressures: conditions.filter((c) => PRESSURE.includes(c.type) && c.status === 'True').map((c) => c.type),
  };
}

export const nodeReadinessProbe: Probe = {
  id: 'node-readiness',
  title: 'Node readiness',
  needs: ['list nodes'],
  async run({ read }) {
    const states = (await read.nodes()).map(nodeState).sort((a, b) => a.name.localeCompare(b.name));
    if (states.length === 0) return { status: 'warn', summary: 'no nodes registered', evidence: [] };
    const notReady = states.filter((s) => !s.ready);
    const cordoned = states.filter((s) => s.cordoned);
    const pressured = states.filter((s) => s.pressures.length > 0);
    const evidence = [
      ...notReady.map((s) => `${s.name}: not Ready (${s.notReadyReason ?? 'unknown'})`),
      ...pressured.map((s) => `${s.name}: ${s.pressures.join(', ')}`),
      ...cordoned.map((s) => `${s.name}: cordoned (SchedulingDisabled)`),
    ];
    const facts: Record<string, string> = {};
    for (const s of states) facts[s.name] = s.ready ? 'ready' : 'not-ready';
    const ready = states.length - notReady.length;
    if (notReady.length > 0) {
      return { status: 'fail', summary: `${ready}/${states.length} nodes Ready; not Ready: ${listSome(notReady.map((s) => s.name), 5)}`, evidence, facts };
    }
    if (pressured.length > 0 || cordoned.length > 0) {
      const bits = [
        pressured.length > 0 ? `${plural(pressured.length, 'node')} under pressure` : '',
        cordoned.length > 0 ? `${plural(cordoned.length, 'node')} cordoned (${listSome(cordoned.map((s) => s.name), 5)})` : '',
      ].filter(Boolean);
      return { status: 'warn', summary: `all ${states.length} nodes Ready; ${bits.join('; ')}`, evidence, facts };
    }
    return { status: 'pass', summary: `all ${plural(states.length, 'node')} Ready`, evidence, facts };
  },
};
