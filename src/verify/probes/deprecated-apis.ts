/**
 * deprecated-apis: what clients still request, from the API server's own
 * `apiserver_requested_deprecated_apis` metric (catches server-side-applied objects that
 * last-applied-configuration scanners miss), and which of those the next minor removes.
 * Needs: get /metrics.
 */
import { compareMinors, minorOf, nextMinor } from '../../advisory/versions.ts';
import { listSome, type Probe } from '../context.ts';
import { apiName, deprecatedApisFromMetrics } from '../rules/text-formats.ts';

export const deprecatedApisProbe: Probe = {
  id: 'deprecated-apis',
  title: 'Deprecated APIs in use',
  needs: ['get /metrics'],
  async run({ kube, read }) {
    const [server, res] = await Promise.all([
      read.serverVersion(),
      kube.raw('/metrics', { accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1' }),
    ]);
    if (res.status !== 200) {
      return { status: 'error', summary: `/metrics answered HTTP ${res.status}`, evidence: [res.body.slice(0, 200)] };
    }
    const apis = deprecatedApisFromMetrics(res.body);
    const minor = minorOf(server);
    const next = minor === null ? null : nextMinor(minor);
    const removedNext = next === null ? [] : apis.filter((a) => a.removedRelease !== '' && compareMinors(a.removedRelease, next) <= 0);
    const evidence = apis.map((a) => `${apiName(a)}${a.removedRelease ? ` (removed in ${a.removedRelease})` : ' (deprecated, no removal planned)'}`);
    const facts: Record<string, string> = {};
    for (const a of apis) facts[apiName(a)] = 'requested';
    if (apis.length === 0) return { status: 'pass', summary: 'no deprecated APIs requested since the API server started', evidence };
    if (removedNext.length > 0) {
      return {
        status: 'fail',
        summary: `${removedNext.length} requested API${removedNext.length === 1 ? '' : 's'} removed in ${next}: ${listSome(removedNext.map(apiName), 3)}`,
        evidence, facts,
      };
    }
    return { status: 'warn', summary: `${apis.length} deprecated API${apis.length === 1 ? '' : 's'} requested (none removed in ${next ?? 'the next minor'})`, evidence, facts };
  },
};
