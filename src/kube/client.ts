/**
 * One Kubernetes client per cluster: the typed APIs the app needs, plus `raw(path)` for
 * non-resource URLs (/readyz?verbose, /livez, /metrics, /version), all sharing one kubeconfig's
 * auth and TLS, and all bounded by a per-request timeout.
 *
 * Credentials come from exactly one place (STYLE.md): the pod's service account (`inCluster`,
 * or `agent` — agents run inside their cluster), or a named kubeconfig file + context. Never
 * `loadFromDefault()`: it silently falls back to http://localhost:8080.
 *
 * Timeouts: client-node 2.x sends through undici `fetch`; a middleware gives every request an
 * `AbortSignal.timeout(timeoutMs)` (covering connect, headers and body), and credential plugins
 * (exec/OIDC refresh) get the same deadline, so a hung API server or plugin surfaces as
 * CLUSTER_TIMEOUT instead of a hang.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import {
  AdmissionregistrationV1Api,
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  PolicyV1Api,
  RequestContext,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
  type ApiConstructor,
  type ApiType,
  type Configuration,
  type ObservableMiddleware,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { ClusterAccessError, errorMessage } from '../errors.ts';
import type { ClusterConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { toClusterAccessError } from './errors.ts';

export const DEFAULT_KUBE_TIMEOUT_MS = 10_000;
const USER_AGENT = 'k8s-advisor';

/** The parts of a cluster's config that say how to reach it. */
export type KubeClusterRef = Pick<ClusterConfig, 'name'> & Partial<Pick<ClusterConfig, 'kubeconfig' | 'context' | 'inCluster' | 'agent' | 'versions'>>;

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawOptions {
  /** Accept header; default "application/json, text/plain;q=0.9, *\/*;q=0.8". */
  accept?: string;
  /** Override the client's timeout for this request. */
  timeoutMs?: number;
  /** RBAC wording for error messages; default "get <path>". */
  action?: string;
}

export interface KubeClient {
  /** Cluster name from the config. */
  readonly cluster: string;
  /** API server URL. */
  readonly server: string;
  /** Kubeconfig file in use; null for in-cluster or an injected KubeConfig. */
  readonly kubeconfigPath: string | null;
  /** Context in use (kubeconfig), or "inClusterContext". */
  readonly context: string;
  readonly timeoutMs: number;
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly version: VersionApi;
  readonly apps: AppsV1Api;
  readonly authorization: AuthorizationV1Api;
  readonly networking: NetworkingV1Api;
  readonly policy: PolicyV1Api;
  readonly admission: AdmissionregistrationV1Api;
  /**
   * GET a non-resource URL through the same auth/TLS. Resolves with any HTTP status except
   * 401/403 (readyz answers 500 with its verbose report when unhealthy); rejects with a
   * ClusterAccessError for 401/403 and for transport trouble (timeout, TLS, unreachable).
   */
  raw(path: string, options?: RawOptions): Promise<RawResponse>;
  /** Run one API call; any failure becomes a ClusterAccessError naming `action` ("list nodes"). */
  call<T>(action: string, fn: () => Promise<T>): Promise<T>;
  /** Map any error to a ClusterAccessError with this client's context. */
  toError(err: unknown, action?: string): ClusterAccessError;
}

export interface CreateKubeClientOptions {
  cluster: KubeClusterRef;
  /** Per request, covering connect, headers, body and credential plugins. */
  timeoutMs?: number;
  logger?: Logger;
  /** Use this KubeConfig (current context) instead of loading one: tests, or a caller that built it. */
  kubeConfig?: KubeConfig;
}

function configError(cluster: string, message: string, hint: string, cause?: unknown): ClusterAccessError {
  return new ClusterAccessError('CLUSTER_CONFIG', cluster, `${cluster}: ${message}`, { hint, cause });
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/**
 * Load the KubeConfig a cluster's config names. Throws ClusterAccessError CLUSTER_CONFIG naming
 * the file and the available contexts when the file or context is missing or broken.
 */
export function loadKubeConfig(cluster: KubeClusterRef): { kubeConfig: KubeConfig; kubeconfigPath: string | null } {
  const kc = new KubeConfig();
  const name = cluster.name;

  if (cluster.kubeconfig !== undefined) {
    const file = expandHome(cluster.kubeconfig);
    if (!existsSync(file)) {
      throw configError(name, `kubeconfig file ${file} not found`, `create ${file} or fix clusters[].kubeconfig for "${name}"`);
    }
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw configError(name, `kubeconfig file ${file} cannot be read: ${errorMessage(err)}`, `fix the YAML in ${file}`, err);
    }
    const available = kc.getContexts().map((c) => c.name);
    const listed = available.length > 0 ? available.join(', ') : '(none)';
    const wanted = cluster.context ?? (kc.getCurrentContext() || undefined);
    if (wanted === undefined) {
      throw configError(name, `kubeconfig ${file} has no current-context and no context is configured; available contexts: ${listed}`,
        `set clusters[].context for "${name}" to one of: ${listed}`);
    }
    if (kc.getContextObject(wanted) === null) {
      throw configError(name, `context "${wanted}" not found in kubeconfig ${file}; available contexts: ${listed}`,
        `set clusters[].context for "${name}" to one of: ${listed}`);
    }
    kc.setCurrentContext(wanted);
    const ctx = kc.getContextObject(wanted);
    if (kc.getCurrentCluster() === null) {
      throw configError(name, `context "${wanted}" in ${file} refers to cluster "${ctx?.cluster ?? ''}", which is not defined there`, `fix ${file}`);
    }
    if (kc.getCurrentUser() === null) {
      throw configError(name, `context "${wanted}" in ${file} refers to user "${ctx?.user ?? ''}", which is not defined there`, `fix ${file}`);
    }
    return { kubeConfig: kc, kubeconfigPath: file };
  }

  if (cluster.inCluster === true || cluster.agent === true) {
    kc.loadFromCluster();
    const server = kc.getCurrentCluster()?.server ?? '';
    if (server === '' || server.includes('undefined')) {
      throw configError(name, 'in-cluster credentials requested, but this process is not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset)',
        `run inside the cluster, or give "${name}" a kubeconfig + context`);
    }
    const tokenFile = serviceAccountTokenFile(kc);
    if (tokenFile !== null && !existsSync(tokenFile)) {
      throw configError(name, `in-cluster credentials requested, but the service account token ${tokenFile} is missing`,
        'mount a service account token (automountServiceAccountToken: true)');
    }
    return { kubeConfig: kc, kubeconfigPath: null };
  }

  if (cluster.versions !== undefined) {
    throw configError(name, 'cluster has static versions and no API access (kubeconfig or inCluster)', `give "${name}" a kubeconfig + context to read it live`);
  }
  throw configError(name, 'no way to reach the cluster: give kubeconfig (+ context), inCluster: true or agent: true', `fix clusters[] entry "${name}"`);
}

function serviceAccountTokenFile(kc: KubeConfig): string | null {
  const provider: unknown = kc.getCurrentUser()?.authProvider;
  if (typeof provider !== 'object' || provider === null) return null;
  const config: unknown = (provider as { config?: unknown }).config;
  if (typeof config !== 'object' || config === null) return null;
  const file: unknown = (config as { tokenFile?: unknown }).tokenFile;
  return typeof file === 'string' ? file : null;
}

function timeoutError(ms: number): DOMException {
  return new DOMException(`timed out after ${ms} ms`, 'TimeoutError');
}

/** Reject when `promise` takes longer than `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function timeoutMiddleware(timeoutMs: number): ObservableMiddleware {
  return {
    pre(ctx: RequestContext) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const own = ctx.getSignal();
      ctx.setSignal(own ? AbortSignal.any([own, deadline]) : deadline);
      return new Observable(Promise.resolve(ctx));
    },
    post(res) {
      return new Observable(Promise.resolve(res));
    },
  };
}

function userAgentMiddleware(): ObservableMiddleware {
  return {
    pre(ctx: RequestContext) {
      ctx.setHeaderParam('User-Agent', USER_AGENT);
      return new Observable(Promise.resolve(ctx));
    },
    post(res) {
      return new Observable(Promise.resolve(res));
    },
  };
}

/** Create the client for one cluster. Throws ClusterAccessError CLUSTER_CONFIG when credentials cannot be loaded. */
export function createKubeClient(options: CreateKubeClientOptions): KubeClient {
  const name = options.cluster.name;
  const timeoutMs = options.timeoutMs ?? DEFAULT_KUBE_TIMEOUT_MS;
  const loaded = options.kubeConfig
    ? { kubeConfig: options.kubeConfig, kubeconfigPath: null }
    : loadKubeConfig(options.cluster);
  const kc = loaded.kubeConfig;
  const current = kc.getCurrentCluster();
  if (current === null) {
    throw configError(name, `kubeconfig context "${kc.getCurrentContext()}" has no cluster`, 'fix the kubeconfig');
  }
  const server = current.server.replace(/\/+$/, '');
  const kubeconfigPath = loaded.kubeconfigPath ?? (options.cluster.kubeconfig ?? null);
  const log = options.logger?.child({ cluster: name });

  // Auth through the kubeconfig, with the same deadline: exec plugins (aws eks get-token) can hang too.
  const auth: SecurityAuthentication = {
    getName: () => 'kubeconfig authentication (with deadline)',
    applySecurityAuthentication: (ctx: RequestContext) => withDeadline(kc.applySecurityAuthentication(ctx), timeoutMs),
  };
  const configuration: Configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: auth },
    middleware: [userAgentMiddleware(), timeoutMiddleware(timeoutMs)],
  });
  const make = <T extends ApiType>(api: ApiConstructor<T>): T => new api(configuration);
  const http = new IsomorphicFetchHttpLibrary();

  const toError = (err: unknown, action?: string): ClusterAccessError =>
    toClusterAccessError(err, { cluster: name, server, kubeconfig: kubeconfigPath, timeoutMs, ...(action === undefined ? {} : { action }) });

  const call = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toError(err, action);
    }
  };

  const raw = async (path: string, rawOptions: RawOptions = {}): Promise<RawResponse> => {
    const rel = path.startsWith('/') ? path : `/${path}`;
    const action = rawOptions.action ?? `get ${rel.split('?')[0]}`;
    const ms = rawOptions.timeoutMs ?? timeoutMs;
    try {
      const ctx = new RequestContext(server + rel, 'GET');
      await withDeadline(kc.applySecurityAuthentication(ctx), ms);
      ctx.setHeaderParam('Accept', rawOptions.accept ?? 'application/json, text/plain;q=0.9, */*;q=0.8');
      ctx.setHeaderParam('User-Agent', USER_AGENT);
      ctx.setSignal(AbortSignal.timeout(ms));
      const res = await http.send(ctx).toPromise();
      const body = await res.body.text();
      if (res.httpStatusCode === 401 || res.httpStatusCode === 403) {
        throw new ApiException(res.httpStatusCode, 'raw request refused', body, res.headers);
      }
      return { status: res.httpStatusCode, headers: res.headers, body };
    } catch (err) {
      throw toClusterAccessError(err, { cluster: name, server, kubeconfig: kubeconfigPath, timeoutMs: ms, action });
    }
  };

  log?.debug({ server, context: kc.getCurrentContext(), kubeconfig: kubeconfigPath, timeoutMs }, 'kube client ready');

  return {
    cluster: name,
    server,
    kubeconfigPath,
    context: kc.getCurrentContext(),
    timeoutMs,
    kubeConfig: kc,
    core: make(CoreV1Api),
    version: make(VersionApi),
    apps: make(AppsV1Api),
    authorization: make(AuthorizationV1Api),
    networking: make(NetworkingV1Api),
    policy: make(PolicyV1Api),
    admission: make(AdmissionregistrationV1Api),
    raw,
    call,
    toError,
  };
}
