/**
 * One small error hierarchy. Every error has a stable `code` that callers switch on
 * and a `hint` that tells an operator what to fix. Boundaries translate these in one
 * place each: CLI exit codes, Slack replies, BullMQ retry semantics.
 */
export class AdvisorError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad configuration: every problem found, each naming its key path. */
export class ConfigError extends AdvisorError {
  readonly problems: string[];
  readonly file: string | undefined;

  constructor(problems: string[], file?: string) {
    const where = file ? `${file}: ` : '';
    super('CONFIG_INVALID', `${where}invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
    this.file = file;
  }
}

/** Bad command-line usage or an unreadable input file. */
export class UsageError extends AdvisorError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? {} : { hint });
  }
}

export type FeedErrorCode =
  | 'FEED_HTTP'        // non-2xx status
  | 'FEED_TIMEOUT'     // no complete answer in time
  | 'FEED_TOO_LARGE'   // body over the size cap
  | 'FEED_NETWORK'     // DNS, connection refused, TLS
  | 'FEED_NOT_JSON'    // HTML error page, truncated body
  | 'FEED_SHAPE'       // JSON, but not a JSON Feed
  | 'FEED_READ';       // local file missing or unreadable

export class FeedError extends AdvisorError {
  /** Worth retrying (5xx, timeout, network); false for bad content. */
  readonly retryable: boolean;

  constructor(code: FeedErrorCode, message: string, options: { retryable?: boolean; hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.retryable = options.retryable ?? false;
  }
}

export type ClusterErrorCode =
  | 'CLUSTER_UNREACHABLE'
  | 'CLUSTER_TIMEOUT'
  | 'CLUSTER_UNAUTHORIZED'   // 401: credentials rejected
  | 'CLUSTER_FORBIDDEN'      // 403: credentials fine, permission missing
  | 'CLUSTER_TLS'
  | 'CLUSTER_BAD_RESPONSE'   // garbage or unexpected shape
  | 'CLUSTER_CONFIG';        // kubeconfig/context missing

export class ClusterAccessError extends AdvisorError {
  readonly cluster: string;
  readonly retryable: boolean;

  constructor(code: ClusterErrorCode, cluster: string, message: string, options: { retryable?: boolean; hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.cluster = cluster;
    this.retryable = options.retryable ?? false;
  }
}

export class SlackError extends AdvisorError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: { retryable?: boolean; retryAfterMs?: number; hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
