/** pod-security-labels: namespaces without a PodSecurity enforce label listed. Needs: list namespaces. */
import { listSome, watchedNamespaces, type Probe } from '../context.ts';
import { ENFORCE_LABEL } from './admission.ts';

export const podSecurityLabelsProbe: Probe = {
  id: 'pod-security-labels',
  title: 'PodSecurity labels',
  needs: ['list namespaces'],
  async run({ read, checks }) {
    const watched = watchedNamespaces(await read.namespaces(), checks);
    const levels = new Map<string, string[]>();
    const missing: string[] = [];
    for (const ns of watched) {
      const name = ns.metadata?.name ?? '';
      const level = ns.metadata?.labels?.[ENFORCE_LABEL];
      if (level === undefined) missing.push(name);
      else levels.set(level, [...(levels.get(level) ?? []), name]);
    }
    missing.sort();
    const evidence = [
      ...(missing.length > 0 ? [`no ${ENFORCE_LABEL} label: ${missing.join(', ')}`] : []),
      ...[...levels.entries()].sort().map(([level, names]) => `enforce=${level}: ${names.sort().join(', ')}`),
      `ignored: ${checks.ignoreNamespaces.join(', ') || '(none)'}`,
    ];
    const facts: Record<string, string> = {};
    for (const ns of watched) facts[ns.metadata?.name ?? ''] = ns.metadata?.labels?.[ENFORCE_LABEL] ?? 'unlabelled';
    if (watched.length === 0) return { status: 'pass', summary: 'no namespaces to check', evidence };
    if (missing.length > 0) {
      return { status: 'warn', summary: `${missing.length}/${watched.length} namespaces without an enforce label: ${listSome(missing, 5)}`, evidence, facts };
    }
    return { status: 'pass', summary: `all ${watched.length} namespaces carry an enforce label`, evidence, facts };
  },
};
