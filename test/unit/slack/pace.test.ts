/** The posting pace rule (GCRA with per-job reservations), as a table. */
import { describe, expect, it } from 'vitest';
import { decidePace, paceRule } from '../../../src/slack/pace.ts';
import { PACE_CASES, RULE } from './pace-cases.ts';


describe('decidePace', () => {
  it.each(PACE_CASES)('$what', ({ state, now, ok, waitMs, tat, held }) => {
    const d = decidePace(state, now, RULE);
    expect(d.ok).toBe(ok);
    if (!d.ok) expect(d.waitMs).toBe(waitMs);
    expect(d.tat).toBe(tat);
    expect(d.held).toBe(held);
  });

  it('30 jobs at once: each posts once, never more than burst + n in any n seconds, none waits longer than needed', () => {
    // Every job comes back when told, up to 400 ms late (a busy worker), and takes its slot.
    const rule = paceRule(1, 1000, 3);
    let tat: number | null = null;
    const jobs = Array.from({ length: 30 }, (_, i) => ({ id: i, at: 0, held: null as number | null, sentAt: null as number | null }));
    for (let round = 0; round < 200 && jobs.some((j) => j.sentAt === null); round++) {
      const job = jobs.filter((j) => j.sentAt === null).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (job === undefined) break;
      const d = decidePace({ tat, held: job.held }, job.at, rule);
      tat = d.tat;
      if (d.ok) {
        job.sentAt = job.at;
      } else {
        job.held = d.held;
        job.at += d.waitMs + (job.id * 37) % 400;
      }
    }
    const sent = jobs.map((j) => j.sentAt).filter((t): t is number => t !== null).sort((a, b) => a - b);
    expect(sent).toHaveLength(30);
    for (const start of sent) {
      for (const n of [1, 5, 10]) {
        expect(sent.filter((t) => t >= start && t < start + n * 1000).length).toBeLessThanOrEqual(3 + n);
      }
    }
    // 30 posts at one a second after a burst of 3: the last near 27 s (plus its lateness), not later.
    expect(sent.at(-1)).toBeLessThan(28_500);
  });

  it.each([
    [0, 1000, 3, /rate must be positive/],
    [1, 1000, 0, /burst must be a whole number/],
    [1, 1000, 1.5, /burst must be a whole number/],
  ])('refuses a rule of %s per %s ms, burst %s', (calls, perMs, burst, message) => {
    expect(() => paceRule(calls, perMs, burst)).toThrow(message);
  });

  it('rounds a fractional interval up, never faster than asked', () => {
    expect(paceRule(3, 1000, 1).intervalMs).toBe(334);
    expect(paceRule(50, 60_000, 5).intervalMs).toBe(1200);
  });
});
