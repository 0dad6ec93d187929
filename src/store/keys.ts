/**
 * Redis key names. Every key starts with the deployment's prefix so that several
 * installations (and every test) can share one Redis without colliding. The hub and agents use
 * the prefix as a hash tag (`{k8s-advisor}`, see redis-connection.ts `hashTagged`): on a Redis
 * Cluster every key of a deployment is then in one slot, and MULTI/Lua over several keys work.
 */
export function storeKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
