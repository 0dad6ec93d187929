/**
 * Redis key names. Every key starts with the deployment's prefix so that several
 * installations (and every test) can share one Redis without colliding.
 */
export function storeKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
