/**
 * Who may do what, from config `roles` and `permissions`. A role is a set of user ids plus Slack
 * user groups; group members are resolved through usergroups.users.list and cached briefly
 * (membership changes show up within `cacheMs`). A permission with no roles listed is open to
 * everyone in the workspace (config schema: "a missing entry means anyone").
 */
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';

export type Permission =
  | { kind: 'verify'; environments: readonly string[] }
  | { kind: 'schedule'; environments: readonly string[] }
  | { kind: 'accept'; environments: readonly string[] }
  | { kind: 'acknowledge' };

export type AuthzDecision =
  | { allowed: true; roles: string[] }
  /** `needed`: the roles any one of which would have allowed it, per environment when relevant. */
  | { allowed: false; needed: string[]; environment: string | null };

/** Members of one Slack user group. */
export type UsergroupResolver = (usergroupId: string) => Promise<string[]>;

export interface AuthorizerOptions {
  config: Pick<Config, 'roles' | 'permissions'>;
  resolveUsergroup: UsergroupResolver;
  logger: Logger;
  cacheMs?: number;
  now?: () => number;
}

export interface Authorizer {
  check(userId: string, permission: Permission): Promise<AuthzDecision>;
  /** The roles this user holds. */
  rolesOf(userId: string): Promise<string[]>;
}

export function requiredRoles(config: Pick<Config, 'permissions'>, permission: Permission, environment: string | null): string[] {
  if (permission.kind === 'acknowledge') return config.permissions.acknowledge;
  const table = config.permissions[permission.kind];
  if (environment !== null && table[environment] !== undefined) return table[environment];
  return table['*'] ?? [];
}

export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const cacheMs = options.cacheMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<Set<string>> }>();

  const members = (group: string): Promise<Set<string>> => {
    const hit = cache.get(group);
    if (hit && now() - hit.at < cacheMs) return hit.members;
    const p = options.resolveUsergroup(group).then(
      (list) => new Set(list),
      (err: unknown) => {
        // Fail closed for this group only; forget the failure so the next check retries.
        cache.delete(group);
        options.logger.warn({ usergroup: group, err }, 'usergroup lookup failed; treating as no members');
        return new Set<string>();
      },
    );
    cache.set(group, { at: now(), members: p });
    return p;
  };

  const hasRole = async (userId: string, role: string): Promise<boolean> => {
    const def = options.config.roles[role];
    if (!def) return false;
    if (def.users.includes(userId)) return true;
    for (const g of def.usergroups) {
      if ((await members(g)).has(userId)) return true;
    }
    return false;
  };

  const rolesOf = async (userId: string): Promise<string[]> => {
    const out: string[] = [];
    for (const role of Object.keys(options.config.roles)) if (await hasRole(userId, role)) out.push(role);
    return out;
  };

  return {
    rolesOf,
    async check(userId, permission) {
      const held = await rolesOf(userId);
      const envs: (string | null)[] = permission.kind === 'acknowledge' ? [null] : [...permission.environments];
      for (const env of envs) {
        const needed = requiredRoles(options.config, permission, env);
        if (needed.length === 0) continue;
        if (!needed.some((r) => held.includes(r))) return { allowed: false, needed, environment: env };
      }
      return { allowed: true, roles: held };
    },
  };
}

/** The ephemeral refusal text: names the role(s) needed. */
export function refusalText(action: string, decision: Extract<AuthzDecision, { allowed: false }>): string {
  const roles = decision.needed.map((r) => `\`${r}\``).join(' or ');
  const where = decision.environment ? ` in \`${decision.environment}\`` : '';
  return `:no_entry: You are not allowed to ${action}${where}: it needs the ${roles} role${decision.needed.length === 1 ? '' : 's'}. Ask an admin to add you to the role in the k8s-advisor config.`;
}
