/**
 * version-support: is the API server's minor supported today (release calendar), when does it reach
 * end of life, and which open advisories affect this cluster (when a findings provider is given).
 * Needs: get /version.
 */
import { minorOf } from '../../advisory/versions.ts';
import { listSome, type Probe } from '../context.ts';
import type { ProbeStatus } from '../types.ts';

/** Warn this many days before end of life: enough to schedule two monthly windows. */
export const EOL_WARN_DAYS = 60;
const DAY_MS = 86_400_000;

export const versionSupportProbe: Probe = {
  id: 'version-support',
  title: 'Version support',
  needs: ['get /version'],
  async run({ read, calendar, findings, cluster, now }) {
    const server = await read.serverVersion();
    const minor = minorOf(server);
    if (minor === null) return { status: 'error', summary: `cannot read the API server version "${server}"`, evidence: [] };
    if (calendar === null) {
      return { status: 'skip', summary: `API server ${server}; no release calendar given`, evidence: [] };
    }
    const evidence: string[] = [`API server ${server} (minor ${minor}); release data as of ${calendar.asOf}`];
    let status: ProbeStatus = 'pass';
    const parts: string[] = [];
    const eol = calendar.eolDate(minor);
    const provider = await read.provider();
    const hosted = provider === 'eks' || provider === 'gke' || provider === 'aks';
    if (!calendar.isSupported(minor, now)) {
      status = 'fail';
      parts.push(eol ? `${minor} out of support since ${eol}` : `${minor} is not a supported release`);
      if (hosted) evidence.push(`${provider.toUpperCase()} may still support ${minor} on its own (extended) calendar; upstream does not`);
    } else if (eol !== null) {
      const days = Math.floor((Date.parse(`${eol}T00:00:00Z`) - now.getTime()) / DAY_MS);
      if (days <= EOL_WARN_DAYS) {
        status = 'warn';
        parts.push(`${minor} reaches end of life on ${eol} (${days} days)`);
      } else {
        parts.push(`${minor} supported until ${eol}`);
      }
    } else {
      parts.push(`${minor} supported`);
    }
    if (eol !== null) evidence.push(`end of life: ${eol}`);

    if (findings === null) {
      evidence.push('open advisories: not checked (no findings provider)');
    } else {
      const open = (await findings(cluster.name)).filter((f) => f.verdict === 'affected' || f.verdict === 'unfixed');
      const ids = [...new Set(open.map((f) => f.advisory))].sort();
      if (ids.length > 0) {
        if (status === 'pass') status = 'warn';
        parts.push(`${ids.length} open ${ids.length === 1 ? 'advisory' : 'advisories'} (${listSome(ids, 4)})`);
        for (const f of open) {
          evidence.push(`${f.advisory}: ${f.component} ${f.version ?? '?'} ${f.verdict}${f.fixedTarget ? `, fixed in ${f.fixedTarget}` : ''}`);
        }
      } else {
        parts.push('no open advisories');
      }
    }
    return { status, summary: parts.join('; '), evidence, facts: { supported: status === 'fail' ? 'unsupported' : 'supported' } };
  },
};
