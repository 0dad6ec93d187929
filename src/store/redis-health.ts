/**
 * Redis up/down as one state for the whole process. During an outage every connection (stores,
 * queues, each worker's blocking client) retries several times a second and each retry is an
 * 'error' event: logging them all gave ~24 lines a second and never said when Redis was back.
 * Here one client is watched: one warning when it goes away, a reminder at most every
 * `repeatEveryMs` while it stays away, one line when it is back. Other sources hand their
 * connection errors to `connectionError()`, which counts them instead of logging each.
 *
 * `isUp()` / `since()` are what readiness (/readyz) reports.
 */
import type { Logger } from '../log.ts';
import { isRedisUnavailable, type RedisClient } from './redis-connection.ts';

export interface RedisHealth {
  isUp(): boolean;
  /** When the current state (up or down) began. */
  since(): Date;
  /**
   * An error seen by a queue, worker or other connection. True when it is a connection error
   * (counted into the outage, not logged on its own); false for anything else (log it yourself).
   */
  connectionError(err: unknown): boolean;
  /** Stop watching (before the client is closed on purpose: a deliberate close is not an outage). */
  close(): void;
}

export interface RedisHealthOptions {
  client: RedisClient;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Least time between two "still unavailable" reminders (default 60 s). */
  repeatEveryMs?: number;
  now?: () => number;
  /** Called on every change (readiness probes, data-loss checks after a return). */
  onChange?: (up: boolean) => void;
}

export function watchRedisHealth(options: RedisHealthOptions): RedisHealth {
  const { client, logger } = options;
  const now = options.now ?? Date.now;
  const repeatEveryMs = options.repeatEveryMs ?? 60_000;
  let up = client.status === 'ready';
  let since = now();
  let lastReminder = 0;
  let suppressed = 0;
  let lastError = '';
  let closed = false;
  // A first connect after watching began is not a return from an outage, and failing to connect
  // at all is the opener's error to report, not an outage.
  let wasDown = false;
  let everUp = up;

  const down = (reason: string) => {
    if (closed) return;
    lastError = reason;
    if (up) {
      up = false;
      wasDown = true;
      since = now();
      lastReminder = since;
      suppressed = 0;
      logger.warn({ err: reason }, 'Redis is unavailable; retrying (commands that need it fail until it is back)');
      options.onChange?.(false);
      return;
    }
    suppressed++;
    if (!everUp) return;
    const t = now();
    if (t - lastReminder >= repeatEveryMs) {
      lastReminder = t;
      logger.warn({ err: reason, downForMs: t - since, errorsSinceLastLine: suppressed }, 'Redis still unavailable');
      suppressed = 0;
    }
  };

  const onError = (err: Error) => down(err.message);
  const onClose = () => {
    // A close we asked for ends the client ('end'); anything else is the server going away.
    if (client.status !== 'end') down(lastError || 'connection closed');
  };
  const onReady = () => {
    if (closed || up) return;
    const downForMs = now() - since;
    up = true;
    everUp = true;
    since = now();
    if (!wasDown) return;
    logger.info({ downForMs }, 'Redis is back');
    options.onChange?.(true);
  };
  client.on('error', onError);
  client.on('close', onClose);
  client.on('ready', onReady);

  return {
    isUp: () => up,
    since: () => new Date(since),
    connectionError(err) {
      if (!isRedisUnavailable(err)) return false;
      // Other connections often notice first; the watched client's own events decide up/down.
      if (!up) suppressed++;
      return true;
    },
    close() {
      closed = true;
      client.off('error', onError);
      client.off('close', onClose);
      client.off('ready', onReady);
      // A client closing on purpose may still emit an error; never leave it without a listener.
      client.on('error', () => undefined);
    },
  };
}
