/**
 * The hub as deployed (runHub from src/main.ts), in this process, for the Redis data-loss tests:
 * started on a config file and an environment, its log lines handed to `log`, stopped by the
 * returned function (idempotent).
 */
import { runHub } from '../../../src/main.ts';
import { waitFor } from '../hub/harness.ts';

export interface RunHubOptions {
  configFile: string;
  slackApiUrl: string;
  redisUrl: string;
  /** Added to (or replacing) the test environment: tokens, ports 0, info logs, a marker check every 200 ms. */
  env?: Record<string, string>;
  log: (line: string) => void;
  /** Called with the Slack endpoint's port once the hub serves. */
  onPort?: (port: number | null) => void;
}

export async function startRunHub(options: RunHubOptions): Promise<() => Promise<void>> {
  let stop!: () => void;
  const stopSignal = new Promise<void>((res) => { stop = res; });
  let started = false;
  const done = runHub({
    configFile: options.configFile,
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test-token-123456', SLACK_SIGNING_SECRET: 'test-signing-secret-abcdef', PORT: '0', HEALTH_PORT: '0',
      SLACK_API_URL: options.slackApiUrl, REDIS_URL: options.redisUrl, LOG_LEVEL: 'info', K8S_ADVISOR_DATA_CHECK_MS: '200',
      ...options.env,
    },
    stopSignal,
    logDestination: { write: (s: string) => { options.log(s); } },
    onStarted: ({ port }) => {
      options.onPort?.(port ?? null);
      started = true;
    },
  });
  await waitFor(() => started, 'the hub to start');
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    stop();
    await done;
  };
}
