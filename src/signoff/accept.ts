/**
 * Accepted risks: "we know CVE-X affects prod-eu and accept it until a date, because …". Pure:
 * parsing the command, which acceptances are active, and marking findings. An accepted finding
 * keeps its verdict (the record stays true) but drops out of "needs attention" counts.
 */
import type { Finding } from '../triage/types.ts';

export interface RiskAcceptance {
  /** CVE id as accepted (upper case). */
  advisory: string;
  target: { kind: 'cluster' | 'environment'; name: string };
  /** Last day the acceptance holds (YYYY-MM-DD, through the end of that day UTC). */
  until: string;
  by: string;
  reason: string;
  at: string;
}

export interface AcceptRequest {
  advisory: string;
  target: string;
  until: string;
  reason: string;
}

const CVE = /^CVE-\d{4}-\d{4,}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Longest acceptance allowed: a year. Risk acceptance is a decision to revisit, not to forget. */
export const MAX_ACCEPT_DAYS = 366;

/** `CVE-ID CLUSTER|ENV until YYYY-MM-DD reason…` → request, or the problem in words. */
export function parseAccept(args: readonly string[], now: Date): AcceptRequest | { error: string } {
  const usage = 'usage: `/k8s accept CVE-ID CLUSTER|ENV until YYYY-MM-DD reason…`';
  const [advisory, target, word, until, ...rest] = args;
  if (!advisory || !CVE.test(advisory)) return { error: `expected a CVE id first. ${usage}` };
  if (!target) return { error: `name the cluster or environment. ${usage}` };
  if (word?.toLowerCase() !== 'until' || !until || !DAY.test(until)) return { error: `expected \`until YYYY-MM-DD\` after the target. ${usage}` };
  const end = endOfDay(until);
  if (Number.isNaN(end) || new Date(`${until}T00:00:00Z`).toISOString().slice(0, 10) !== until) return { error: `${until} is not a date` };
  if (end <= now.getTime()) return { error: `${until} is in the past` };
  if (end - now.getTime() > MAX_ACCEPT_DAYS * 86_400_000) return { error: `accept for at most ${MAX_ACCEPT_DAYS} days (until ${new Date(now.getTime() + MAX_ACCEPT_DAYS * 86_400_000).toISOString().slice(0, 10)} at the latest)` };
  const reason = rest.join(' ').trim();
  if (reason.length < 3) return { error: `give a reason after the date. ${usage}` };
  return { advisory: advisory.toUpperCase(), target, until, reason };
}

export function isActive(a: RiskAcceptance, now: Date): boolean {
  return now.getTime() < endOfDay(a.until);
}

/** Marks affected/unfixed/unknown findings covered by an active acceptance (advisory × cluster, or × environment). */
export function applyAcceptances(findings: readonly Finding[], acceptances: readonly RiskAcceptance[], now: Date, aliases: ReadonlyMap<string, readonly string[]> = new Map()): Finding[] {
  const active = acceptances.filter((a) => isActive(a, now));
  if (active.length === 0) return [...findings];
  const byKey = new Map<string, RiskAcceptance>();
  for (const a of active) byKey.set(`${a.advisory}|${a.target.kind}|${a.target.name}`, a);
  return findings.map((f) => {
    if (f.verdict === 'not-affected') return f;
    const ids = [f.advisory.toUpperCase(), ...(aliases.get(f.advisory) ?? []).map((x) => x.toUpperCase())];
    for (const id of ids) {
      const a = byKey.get(`${id}|cluster|${f.cluster}`) ?? byKey.get(`${id}|environment|${f.environment}`);
      if (a) return { ...f, accepted: { until: a.until, by: a.by, reason: a.reason } };
    }
    return f;
  });
}

/** "accepted until 2027-01-15 by <@U01>: no gitRepo volumes allowed by policy". */
export function acceptanceText(a: { until: string; by: string; reason: string }, mention = (u: string) => `<@${u}>`): string {
  return `accepted until ${a.until} by ${mention(a.by)}: ${a.reason}`;
}

function endOfDay(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) + 86_400_000;
}
