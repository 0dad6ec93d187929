/** Durations in config: "90s", "15m", "4h", "1h30m", "2d". Returns milliseconds or null. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/.test(s)) return null;
  let total = 0;
  for (const [, n, unit] of s.matchAll(PART_RE)) total += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total > 0 ? total : null;
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
