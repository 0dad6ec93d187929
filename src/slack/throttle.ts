/**
 * At most one run per `everyMs` (Slack allows about one chat.update per second per message):
 * the first request runs at once, later ones are coalesced into one trailing run. Runs never
 * overlap, so updates reach Slack in order. `flush()` drops what is pending and waits for the run
 * in flight; the caller then sends its final state itself.
 */
export interface Throttle {
  /** Ask for a run; coalesced with other requests inside the same interval. */
  request(): void;
  /** Stop: cancel the pending run, wait for the one in flight. Later requests are ignored. */
  flush(): Promise<void>;
}

export interface ThrottleOptions {
  everyMs: number;
  /** Must not throw for control flow: a rejection is passed to `onError` and the throttle goes on. */
  run: () => Promise<void>;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export function createThrottle(options: ThrottleOptions): Throttle {
  const now = options.now ?? Date.now;
  let last = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending = false;
  let closed = false;

  const fire = (): void => {
    timer = null;
    if (closed || inFlight !== null) return;
    pending = false;
    last = now();
    inFlight = options.run()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        inFlight = null;
        if (pending) request();
      });
  };

  const request = (): void => {
    if (closed) return;
    pending = true;
    // A run in flight re-requests when it ends; a timer already covers this interval.
    if (timer !== null || inFlight !== null) return;
    const wait = last + options.everyMs - now();
    if (wait <= 0) fire();
    else timer = setTimeout(fire, wait);
  };

  return {
    request,
    async flush() {
      closed = true;
      pending = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await inFlight;
    },
  };
}
