import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino blanks wherever they appear in a log object. */
export const REDACT_PATHS = [
  'token', '*.token', 'botToken', '*.botToken', 'appToken', '*.appToken',
  'signingSecret', '*.signingSecret', 'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization', 'headers["x-slack-signature"]',
  'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', '*.SLACK_BOT_TOKEN', '*.SLACK_APP_TOKEN', '*.SLACK_SIGNING_SECRET',
  'password', '*.password', 'redisUrl', '*.redisUrl',
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  /** Secret values to scrub from any message string, in case one is interpolated by a library. */
  secrets?: string[];
  /** Long-running roles log JSON to stdout (the container's log stream); CLI commands keep stdout for output. */
  stdout?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'k8s-advisor' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: secrets.length === 0 ? {} : {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a, secrets) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: options.stdout ? 1 : 2, sync: true }),
  );
}

export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/** A logger that drops everything: for pure CLI runs and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
