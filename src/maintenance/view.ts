/**
 * What `windows` shows: the config's computed windows joined with the stored ones (state, reason,
 * plan), plus the scheduled one-off and emergency windows the config cannot know. Pure.
 */
import type { StoredWindow } from '../store/windows.ts';
import type { EnvironmentWindow } from './occurrences.ts';

export function storedAsWindow(s: StoredWindow, nowMs: number): EnvironmentWindow {
  return {
    id: s.id, environment: s.environment, date: s.start.slice(0, 10), start: s.start, end: s.end, startUtc: s.startUtc, endUtc: s.endUtc,
    durationMs: s.durationMs, rule: s.kind === 'emergency' ? 'emergency' : 'one-off', timezone: s.timezone,
    inProgress: Date.parse(s.startUtc) <= nowMs && nowMs < Date.parse(s.endUtc),
    kind: s.kind, state: s.state, reason: s.reason, advisory: s.advisory, plan: s.plan,
  };
}

/**
 * Computed windows carry their stored state and plan; stored windows that are not recurring and not
 * over at `fromMs` are added. A cancelled scheduled window is still shown (with its state), so a
 * reader sees that it was called off.
 */
export function mergeStoredWindows(computed: readonly EnvironmentWindow[], stored: readonly StoredWindow[], fromMs: number): EnvironmentWindow[] {
  const byId = new Map(stored.map((s) => [s.id, s]));
  const out: EnvironmentWindow[] = computed.map((w) => {
    const s = byId.get(w.id);
    if (s === undefined) return { ...w, kind: 'recurring' };
    return { ...w, kind: 'recurring', state: s.state, reason: s.reason, plan: w.plan ?? s.plan };
  });
  for (const s of stored) {
    if (s.kind === 'recurring' || Date.parse(s.endUtc) <= fromMs) continue;
    out.push(storedAsWindow(s, fromMs));
  }
  return out.sort((a, b) => a.startUtc.localeCompare(b.startUtc) || a.environment.localeCompare(b.environment));
}
