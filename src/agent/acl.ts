/**
 * The Redis ACL that confines an agent to its own cluster: its BullMQ queue, its heartbeat and
 * its verify results, nothing else. Agents run inside clusters the hub does not control, so a
 * compromised agent must not read other clusters' results, take their jobs, or touch the hub's
 * state. Every key an agent uses carries the cluster name as a tag (`agent-{prod-eu}`,
 * `agent:{prod-eu}:…`, `verify:{prod-eu}:…`) after the deployment prefix, which the patterns match.
 */
import { assertClusterName } from './queue.ts';

/**
 * Commands an agent needs (BullMQ worker: Lua scripts, blocking pops, streams; heartbeat: SET,
 * MULTI; results: LPUSH, LTRIM, LRANGE) and nothing that reaches beyond its keys: no dangerous
 * commands (FLUSHALL, KEYS, CONFIG, DEBUG …), no SCAN/RANDOMKEY (they list other clusters' key
 * names), no pub/sub channels.
 */
export const AGENT_ACL_COMMANDS = [
  '-@all', '+@read', '+@write', '+@blocking', '+@transaction', '+@connection',
  '+eval', '+evalsha', '+script|load', '+script|exists',
  '-@dangerous', '-scan', '-randomkey',
  // BullMQ checks the server version and names its connections (CLIENT SETINFO, Redis 7.2+, is optional: ioredis ignores a refusal).
  '+info', '+client|setname', '+client|getname', '+client|id',
] as const;

/** Key patterns of one cluster's agent under the deployment's (hash-tagged) prefix. */
export function agentKeyPatterns(prefix: string, cluster: string): string[] {
  const name = assertClusterName(cluster);
  return [
    `${prefix}:agent-{${name}}:*`,
    `${prefix}:agent:{${name}}:*`,
    `${prefix}:verify:{${name}}:*`,
  ];
}

export function agentUserName(cluster: string): string {
  return `agent-${assertClusterName(cluster)}`;
}

/** Arguments of `ACL SETUSER` for the agent of `cluster` (`redis.call('ACL', 'SETUSER', ...args)`). */
export function agentAclSetUser(options: { prefix: string; cluster: string; password: string }): string[] {
  if (options.password.length < 16) throw new Error('use a password of at least 16 characters for an agent ACL user');
  return [
    agentUserName(options.cluster), 'reset', 'on', `>${options.password}`,
    'resetkeys', ...agentKeyPatterns(options.prefix, options.cluster).map((p) => `~${p}`),
    'resetchannels', ...AGENT_ACL_COMMANDS,
  ];
}
