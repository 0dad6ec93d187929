/** apiserver-health: /readyz?verbose and /livez?verbose; failing checks named. Needs: get /readyz, /livez. */
import type { Probe } from '../context.ts';
import { parseVerboseHealth } from '../rules/text-formats.ts';

export const apiserverHealthProbe: Probe = {
  id: 'apiserver-health',
  title: 'API server health',
  needs: ['get /readyz', 'get /livez'],
  async run({ kube }) {
    const [ready, live] = await Promise.all([
      kube.raw('/readyz?verbose', { accept: 'text/plain' }),
      kube.raw('/livez?verbose', { accept: 'text/plain' }),
    ]);
    const evidence: string[] = [];
    const failing: string[] = [];
    for (const [endpoint, res] of [['readyz', ready], ['livez', live]] as const) {
      const checks = parseVerboseHealth(res.body);
      const bad = checks.filter((c) => !c.ok);
      for (const c of bad) {
        failing.push(`${endpoint}/${c.name}`);
        evidence.push(`${endpoint}: [-]${c.name} ${c.detail}`.trim());
      }
      if (res.status !== 200 && bad.length === 0) {
        failing.push(endpoint);
        evidence.push(`${endpoint}: HTTP ${res.status} ${res.body.trim().split('\n')[0] ?? ''}`.trim());
      }
      evidence.push(`${endpoint}: HTTP ${res.status}, ${checks.length - bad.length}/${checks.length} checks ok`);
    }
    if (failing.length > 0) {
      return { status: 'fail', summary: `failing: ${failing.join(', ')}`, evidence, facts: { readyz: ready.status === 200 ? 'ready' : 'not-ready' } };
    }
    return { status: 'pass', summary: 'readyz and livez ok', evidence, facts: { readyz: 'ready' } };
  },
};
