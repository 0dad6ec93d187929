/** The pace rule's table, shared by the pure rule's test and the Lua script's (test/integration/slack/pace.test.ts). */
import { type PaceState, paceRule } from '../../../src/slack/pace.ts';

/** One call a second, three at once. */
export const RULE = paceRule(1, 1000, 3);

export const PACE_CASES: { what: string; state: PaceState; now: number; ok: boolean; waitMs?: number; tat: number | null; held: number | null }[] = [
  { what: 'an idle bucket lets the call go and starts the schedule', state: { tat: null, held: null }, now: 10_000, ok: true, tat: 11_000, held: null },
  { what: 'a stale schedule counts from now', state: { tat: 2_000, held: null }, now: 10_000, ok: true, tat: 11_000, held: null },
  { what: 'the second of a burst goes', state: { tat: 11_000, held: null }, now: 10_000, ok: true, tat: 12_000, held: null },
  { what: 'the third of a burst goes', state: { tat: 12_000, held: null }, now: 10_000, ok: true, tat: 13_000, held: null },
  { what: 'the fourth at once waits a second and reserves that slot', state: { tat: 13_000, held: null }, now: 10_000, ok: false, waitMs: 1_000, tat: 14_000, held: 11_000 },
  { what: 'a later one queues behind the reservations', state: { tat: 16_000, held: null }, now: 10_000, ok: false, waitMs: 4_000, tat: 17_000, held: 14_000 },
  { what: 'a job back early waits for the rest of its slot, the schedule unchanged', state: { tat: 14_000, held: 11_000 }, now: 10_600, ok: false, waitMs: 400, tat: 14_000, held: 11_000 },
  { what: 'a job back at its slot goes without queueing again', state: { tat: 14_000, held: 11_000 }, now: 11_000, ok: true, tat: 14_000, held: null },
  { what: 'a job a little late still has its slot', state: { tat: 14_000, held: 11_000 }, now: 11_900, ok: true, tat: 14_000, held: null },
  { what: 'a job more than one interval late lost its slot and queues again', state: { tat: 16_000, held: 11_000 }, now: 12_500, ok: false, waitMs: 1_500, tat: 17_000, held: 14_000 },
  { what: 'a late job goes at once when the burst allows', state: { tat: 14_000, held: 11_000 }, now: 12_500, ok: true, tat: 15_000, held: null },
  { what: 'after a quiet spell the full burst is back', state: { tat: 14_000, held: null }, now: 14_000, ok: true, tat: 15_000, held: null },
];

