/**
 * A run against the previous one (pure). Regressions first: a fact moving the wrong way (RBAC
 * deny → allow, privileged pod rejected → accepted), then status moves pass/warn → fail and pass → warn.
 */
import type { ProbeChange, ProbeResult, ProbeStatus, RunComparison, VerifyReport } from '../types.ts';

/** Fact moves that mean a security control stopped working; their reverse is an improvement. */
export const BAD_FACT_MOVES: ReadonlyArray<readonly [from: string, to: string]> = [
  ['deny', 'allow'],
  ['rejected', 'accepted'],
  ['ready', 'not-ready'],
];

const HEALTH: Partial<Record<ProbeStatus, number>> = { pass: 0, warn: 1, fail: 2 };

export type ChangeKind = 'regression' | 'improvement' | 'change';

export function classifyStatusMove(from: ProbeStatus, to: ProbeStatus): ChangeKind | null {
  if (from === to) return null;
  const a = HEALTH[from];
  const b = HEALTH[to];
  if (a === undefined || b === undefined) return 'change';
  return b > a ? 'regression' : 'improvement';
}

export function classifyFactMove(from: string, to: string): ChangeKind | null {
  if (from === to) return null;
  if (BAD_FACT_MOVES.some(([f, t]) => f === from && t === to)) return 'regression';
  if (BAD_FACT_MOVES.some(([f, t]) => t === from && f === to)) return 'improvement';
  return 'change';
}

export function compareProbes(previous: readonly ProbeResult[], current: readonly ProbeResult[]): Omit<RunComparison, 'previousStartedAt'> {
  const before = new Map(previous.map((p) => [p.id, p]));
  const factRegressions: ProbeChange[] = [];
  const statusRegressions: ProbeChange[] = [];
  const improvements: ProbeChange[] = [];
  const changes: ProbeChange[] = [];
  for (const now of current) {
    const was = before.get(now.id);
    if (!was) continue;
    for (const [key, to] of Object.entries(now.facts ?? {})) {
      const from = was.facts?.[key];
      if (from === undefined) continue;
      const kind = classifyFactMove(from, to);
      if (kind === null) continue;
      const change: ProbeChange = { probe: now.id, subject: key, from, to, text: `${now.id}: ${key} ${from} → ${to}` };
      if (kind === 'regression') factRegressions.push(change);
      else if (kind === 'improvement') improvements.push(change);
      else changes.push(change);
    }
    const kind = classifyStatusMove(was.status, now.status);
    if (kind === null) continue;
    const change: ProbeChange = {
      probe: now.id, subject: 'status', from: was.status, to: now.status,
      text: `${now.id}: ${was.status} → ${now.status} (${now.summary})`,
    };
    if (kind === 'regression') statusRegressions.push(change);
    else if (kind === 'improvement') improvements.push(change);
    else changes.push(change);
  }
  // Worst first: to-fail before to-warn.
  statusRegressions.sort((a, b) => (a.to === 'fail' ? 0 : 1) - (b.to === 'fail' ? 0 : 1));
  return { regressions: [...factRegressions, ...statusRegressions], improvements, changes };
}

export function compareRuns(previous: VerifyReport, current: VerifyReport): RunComparison {
  return { previousStartedAt: previous.startedAt, ...compareProbes(previous.probes, current.probes) };
}
