/** Parsers for the API server's plain-text answers (/readyz?verbose, /metrics) and PEM bundles. Pure. */
import { X509Certificate } from 'node:crypto';

export interface HealthCheckLine {
  name: string;
  ok: boolean;
  /** "failed: reason withheld", "excluded: ok" … */
  detail: string;
}

/** `[+]ping ok` / `[-]etcd failed: reason withheld` lines of a verbose /readyz or /livez. */
export function parseVerboseHealth(body: string): HealthCheckLine[] {
  const out: HealthCheckLine[] = [];
  for (const line of body.split('\n')) {
    const m = /^\[([+-])\](\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, sign, name = '', detail = ''] = m;
    out.push({ name, ok: sign === '+', detail: detail.trim() });
  }
  return out;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of one metric from Prometheus text exposition format. */
export function parseMetric(body: string, metric: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const raw of body.split('\n')) {
    if (!raw.startsWith(metric)) continue;
    const m = SAMPLE_RE.exec(raw.trim());
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL_RE)) {
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(m[3]);
    if (Number.isNaN(value)) continue;
    out.push({ name: metric, labels, value });
  }
  return out;
}

export interface DeprecatedApi {
  group: string;
  version: string;
  resource: string;
  subresource: string;
  removedRelease: string;
}

/**
 * In-use deprecated APIs from `apiserver_requested_deprecated_apis` (gauge 1 = requested since the
 * API server started), sorted by removal release then name.
 */
export function deprecatedApisFromMetrics(body: string): DeprecatedApi[] {
  const seen = new Set<string>();
  const out: DeprecatedApi[] = [];
  for (const s of parseMetric(body, 'apiserver_requested_deprecated_apis')) {
    if (s.value <= 0) continue;
    const api: DeprecatedApi = {
      group: s.labels.group ?? '',
      version: s.labels.version ?? '',
      resource: s.labels.resource ?? '',
      subresource: s.labels.subresource ?? '',
      removedRelease: s.labels.removed_release ?? '',
    };
    const key = `${api.group}/${api.version}/${api.resource}/${api.subresource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(api);
  }
  return out.sort((a, b) => (a.removedRelease || '9999').localeCompare(b.removedRelease || '9999', undefined, { numeric: true })
    || apiName(a).localeCompare(apiName(b)));
}

/** "flowcontrol.apiserver.k8s.io/v1beta3 flowschemas" */
export function apiName(api: DeprecatedApi): string {
  const gv = api.group ? `${api.group}/${api.version}` : api.version;
  return `${gv} ${api.resource}${api.subresource ? `/${api.subresource}` : ''}`;
}

export interface CertInfo {
  subject: string;
  validTo: Date;
}

/**
 * Certificates in a webhook caBundle: base64 of PEM as the API serves it (or PEM text already).
 * Unreadable entries are skipped; an empty array means nothing could be read.
 */
export function certificatesInBundle(caBundle: string): CertInfo[] {
  const text = caBundle.includes('-----BEGIN') ? caBundle : Buffer.from(caBundle, 'base64').toString('utf8');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: CertInfo[] = [];
  for (const pem of pems) {
    try {
      const cert = new X509Certificate(pem);
      out.push({ subject: cert.subject.replace(/\n/g, ', '), validTo: new Date(cert.validTo) });
    } catch {
      // A broken PEM block is reported by the caller as "unreadable".
    }
  }
  return out;
}
