/** Config → sign-off policy per environment. */
import type { Config } from '../config/schema.ts';
import type { SignoffPolicy } from './types.ts';

/** The environment's policy, or null when it needs no sign-off. */
export function policyFor(config: Pick<Config, 'environments'>, environment: string): SignoffPolicy | null {
  const s = config.environments[environment]?.signoff;
  if (!s) return null;
  return {
    roles: s.roles,
    quorum: s.quorum,
    ...(s.group !== undefined ? { group: s.group } : {}),
    selfApproval: s.selfApproval,
    expiresMs: s.expires,
    cancel: s.cancel,
  };
}

/** "platform and security must each approve (2 people in all); no self-approval; expires after 24 h". */
export function describePolicy(p: SignoffPolicy): string {
  const who = p.group !== undefined
    ? `any ${p.quorum} of ${p.group}`
    : `${p.roles.join(' and ')} must each approve${p.quorum > p.roles.length || p.roles.length > 1 ? ` (${p.quorum} people in all)` : ''}`;
  const self = p.selfApproval ? 'the requester may approve' : 'no self-approval';
  const exp = p.expiresMs === null ? 'no deadline' : `expires after ${hours(p.expiresMs)}`;
  return `${who}; ${self}; ${exp}`;
}

function hours(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}
