/**
 * Operations settings from the environment and config, checked before anything starts so a typo
 * fails at once with the variable named.
 */
import { ConfigError } from '../errors.ts';
import { shutdownGraceFrom } from './shutdown.ts';

export const DEFAULT_HEALTH_PORT = 8081;

export interface OpsSettings {
  /** /livez, /readyz, /metrics; 0 picks a free port. */
  healthPort: number;
  healthHost: string;
  shutdownGraceMs: number;
}

/** HEALTH_PORT overrides config `server.port`; SHUTDOWN_GRACE is a duration ("25s"). */
export function opsSettingsFrom(env: NodeJS.ProcessEnv, configPort: number | undefined): OpsSettings {
  const problems: string[] = [];
  let healthPort = configPort ?? DEFAULT_HEALTH_PORT;
  if (env.HEALTH_PORT !== undefined && env.HEALTH_PORT !== '') {
    const p = Number(env.HEALTH_PORT);
    if (!/^\d+$/.test(env.HEALTH_PORT) || p > 65535) problems.push(`HEALTH_PORT: "${env.HEALTH_PORT}" is not a port number (0–65535; 0 picks a free one)`);
    else healthPort = p;
  }
  let shutdownGraceMs = 0;
  try {
    shutdownGraceMs = shutdownGraceFrom(env.SHUTDOWN_GRACE);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  if (problems.length > 0) throw new ConfigError(problems, 'environment variables');
  return { healthPort, healthHost: env.HEALTH_HOST || '0.0.0.0', shutdownGraceMs };
}
