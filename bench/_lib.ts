/** Helpers the benchmarks share (the leading underscore keeps run-all.ts from running this file). */

export { rng } from '../test/helpers/rng.ts';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
