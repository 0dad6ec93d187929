/**
 * Agent readiness: does the served cluster's API server answer? A cheap `GET /version` (which the
 * read-only ClusterRole grants) every `everyMs`, remembering the last answer and the last error.
 */
import { errorMessage } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';

export interface ClusterContactWatcher {
  last(): { at: Date | null; error: string | null };
  stop(): void;
}

export function watchClusterContact(options: {
  kube: Pick<KubeClient, 'call' | 'version'>;
  everyMs?: number;
  logger?: Logger;
  now?: () => Date;
}): ClusterContactWatcher {
  const now = options.now ?? (() => new Date());
  let at: Date | null = null;
  let error: string | null = null;
  let running = false;
  const check = async () => {
    if (running) return;
    running = true;
    try {
      await options.kube.call('get /version', () => options.kube.version.getCode());
      at = now();
      error = null;
    } catch (err) {
      if (error === null) options.logger?.warn({ err: errorMessage(err) }, 'cluster API server not answering');
      error = errorMessage(err);
    } finally {
      running = false;
    }
  };
  void check();
  const timer = setInterval(() => { void check(); }, options.everyMs ?? 30_000);
  timer.unref();
  return {
    last: () => ({ at, error }),
    stop: () => clearInterval(timer),
  };
}
