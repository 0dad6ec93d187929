/**
 * system-pods: kube-system pods Running and Ready; crash-looping and recently restarted ones named.
 * Needs: list pods in kube-system.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { listSome, plural, type Probe } from '../context.ts';

/** A restart within this window counts as recent. */
export const RECENT_RESTART_MS = 60 * 60_000;

export interface PodHealth {
  name: string;
  phase: string;
  ready: boolean;
  crashLooping: string[];
  restarts: number;
  lastRestartAt: Date | null;
  waitingReasons: string[];
}

export function podHealth(pod: V1Pod): PodHealth {
  const statuses = pod.status?.containerStatuses ?? [];
  const crashLooping = statuses.filter((c) => c.state?.waiting?.reason === 'CrashLoopBackOff').map((c) => c.name);
  const waitingReasons = statuses.map((c) => c.state?.waiting?.reason).filter((r): r is string => r !== undefined && r !== 'CrashLoopBackOff');
  let lastRestartAt: Date | null = null;
  for (const c of statuses) {
    const t = c.lastState?.terminated?.finishedAt;
    const d = t === undefined ? null : new Date(t);
    if (d && !Number.isNaN(d.getTime()) && (lastRestartAt === null || d > lastRestartAt)) lastRestartAt = d;
  }
  const readyCond = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: pod.metadata?.name ?? '?',
    phase: pod.status?.phase ?? 'Unknown',
    ready: readyCond?.status === 'True' || (statuses.length > 0 && statuses.every((c) => c.ready)),
    crashLooping,
    restarts: statuses.reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
    lastRestartAt,
    waitingReasons,
  };
}

export const systemPodsProbe: Probe = {
  id: 'system-pods',
  title: 'System pods',
  needs: ['list pods in kube-system'],
  async run({ read, now }) {
    const pods = (await read.systemPods()).map(podHealth).sort((a, b) => a.name.localeCompare(b.name));
    const active = pods.filter((p) => p.phase !== 'Succeeded');
    const crashing = active.filter((p) => p.crashLooping.length > 0);
    const unhealthy = active.filter((p) => p.crashLooping.length === 0 && (p.phase !== 'Running' || !p.ready));
    const recent = active.filter((p) => p.restarts > 0 && p.lastRestartAt !== null && now.getTime() - p.lastRestartAt.getTime() <= RECENT_RESTART_MS);
    const evidence = [
      ...crashing.map((p) => `${p.name}: CrashLoopBackOff (${p.crashLooping.join(', ')}), ${p.restarts} restarts`),
      ...unhealthy.map((p) => `${p.name}: ${p.phase}${p.ready ? '' : ', not Ready'}${p.waitingReasons.length > 0 ? ` (${p.waitingReasons.join(', ')})` : ''}`),
      ...recent.filter((p) => p.crashLooping.length === 0).map((p) => `${p.name}: restarted ${Math.round((now.getTime() - (p.lastRestartAt?.getTime() ?? 0)) / 60_000)} min ago (${p.restarts} restarts)`),
    ];
    if (crashing.length > 0 || unhealthy.length > 0) {
      const bits = [
        crashing.length > 0 ? `crash-looping: ${listSome(crashing.map((p) => p.name), 4)}` : '',
        unhealthy.length > 0 ? `not running/ready: ${listSome(unhealthy.map((p) => p.name), 4)}` : '',
      ].filter(Boolean);
      return { status: 'fail', summary: bits.join('; '), evidence };
    }
    if (recent.length > 0) {
      return { status: 'warn', summary: `all ${active.length} Running and Ready; recently restarted: ${listSome(recent.map((p) => p.name), 4)}`, evidence };
    }
    if (active.length === 0) return { status: 'warn', summary: 'no pods in kube-system', evidence };
    return { status: 'pass', summary: `all ${plural(active.length, 'pod')} Running and Ready`, evidence };
  },
};
