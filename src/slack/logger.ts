/** Bolt's Logger interface on top of pino, so Bolt's own logs join our JSON stream (child `{ subsystem: 'bolt' }`). */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log.ts';

const TO_PINO: Record<LogLevel, string> = {
  [LogLevel.DEBUG]: 'debug', [LogLevel.INFO]: 'info', [LogLevel.WARN]: 'warn', [LogLevel.ERROR]: 'error',
};

function fromPino(level: string): LogLevel {
  switch (level) {
    case 'trace': case 'debug': return LogLevel.DEBUG;
    case 'info': return LogLevel.INFO;
    case 'warn': return LogLevel.WARN;
    default: return LogLevel.ERROR;
  }
}

/** Bolt passes printf-style pieces; an Error goes into `err`, the rest becomes the message. */
function toArgs(msg: unknown[]): [Record<string, unknown>, string] {
  const obj: Record<string, unknown> = {};
  const text: string[] = [];
  for (const m of msg) {
    if (m instanceof Error) obj.err = m;
    else if (typeof m === 'string') text.push(m);
    else if (m !== undefined) {
      try {
        text.push(JSON.stringify(m));
      } catch {
        text.push(String(m));
      }
    }
  }
  return [obj, text.join(' ') || 'bolt'];
}

export function boltLogger(logger: Logger, name = 'bolt'): BoltLogger {
  let log = logger.child({ subsystem: name });
  return {
    debug: (...msg: unknown[]) => log.debug(...toArgs(msg)),
    info: (...msg: unknown[]) => log.info(...toArgs(msg)),
    warn: (...msg: unknown[]) => log.warn(...toArgs(msg)),
    error: (...msg: unknown[]) => log.error(...toArgs(msg)),
    setLevel: (level: LogLevel) => {
      log.level = TO_PINO[level];
    },
    getLevel: () => fromPino(log.level),
    setName: (n: string) => {
      log = logger.child({ subsystem: n });
    },
  };
}
