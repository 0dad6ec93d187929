/**
 * What a window's sign-off is bound to: the plan before it opens (window times, clusters,
 * current → target, order, checks) and the result after it closes (each cluster's outcome, then
 * the verification with regressions first). Pure; no build times in it, so the same plan hashes
 * the same on every replica and a rebuilt but unchanged plan does not void votes.
 */
import { formatPlanLines, type WindowPlan } from '../maintenance/plan.ts';
import { outcomeLine } from '../maintenance/messages.ts';
import type { VerificationSummary } from '../maintenance/gate.ts';
import type { StoredWindow } from '../store/windows.ts';
import type { Evidence } from './types.ts';

export function planEvidence(w: Pick<StoredWindow, 'id' | 'start' | 'end' | 'timezone'>, plan: WindowPlan): Evidence {
  return { title: `${w.id}: ${w.start} → ${w.end} (${w.timezone})`, lines: formatPlanLines(plan) };
}

export function resultEvidence(w: Pick<StoredWindow, 'id' | 'closing'>, verification: VerificationSummary | null): Evidence {
  const outcomes = (w.closing?.outcomes ?? []).map((o) => outcomeLine(o));
  const lines = [...outcomes];
  if (verification === null) {
    lines.push('verification: not run (the hub has no cluster access for this environment)');
  } else {
    lines.push(`verification at ${verification.at}:`);
    // Regressions first, then what failed, then what passed.
    for (const c of verification.clusters) for (const r of c.regressions ?? []) lines.push(`- ${c.cluster}: regression: ${r}`);
    for (const c of verification.clusters) {
      if (c.error) {
        lines.push(`- ${c.cluster}: not verified: ${c.error}`);
        continue;
      }
      const bad = c.probes.filter((p) => p.status === 'fail' || p.status === 'error');
      for (const p of bad) lines.push(`- ${c.cluster}: ${p.id} ${p.status}${p.summary ? `: ${p.summary}` : ''}`);
      const counts = new Map<string, number>();
      for (const p of c.probes) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
      lines.push(`- ${c.cluster}: ${[...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ') || 'no probes'}`);
    }
  }
  return { title: `${w.id}: result`, lines };
}
