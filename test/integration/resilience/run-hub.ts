/**
 * The hub as deployed (runHub from src/main.ts), in this process, for the Redis data-loss tests:
 * started on a config file and an environment, its log lines handed to `log`, stopped by the
 * returned function (idempotent).
 */
import { runHub } from '../../../src/main.ts';
import { waitFor } from '../hub/harness.ts';

export interface RunHubOptions {
  configFile: string;
  env: Record<string, string>;
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
    env: options.env,
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
