/**
 * Terminal rendering of a triage result (CLI `triage --format text`). Pure: result → string.
 *
 *   CVE-2023-2431  Bypass of seccomp profile enforcement  [low 3.4]
 *     prod-eu  kubelet  v1.27.9 → v1.27.16 (affected)  3 of 12 nodes
 *              · note …
 *
 * Clients and libraries (kubectl, client-go) get their own section, and clusters that could not
 * be read are listed and counted apart from affected ones.
 */
import { remediationLines } from './remediation.ts';
import type { Advisory } from '../advisory/types.ts';
import type { ClusterPosture, Finding, Remediation, TriageResult } from './types.ts';

function severity(a: Advisory): string {
  const parts = [a.severity.rating, a.severity.score === null ? null : String(a.severity.score)].filter((x) => x !== null);
  return parts.length > 0 ? `  [${parts.join(' ')}]` : '';
}

function verdictText(f: Finding, fixState: Advisory['fixState'] | undefined): string {
  const v = f.version ?? '?';
  switch (f.verdict) {
    case 'affected':
      return `${v} → ${f.fixedTarget ?? '?'} (affected)`;
    case 'unfixed':
      // "Won't be fixed" asks for a mitigation now; "not fixed yet" for a watch on the advisory.
      return `${v} → ${fixState === 'none' ? 'no fix will be released: mitigate' : fixState === 'pending' ? 'no fix yet' : 'no fix'} (unfixed)`;
    case 'not-affected':
      return `${v} (not-affected)`;
    case 'unknown':
      return `${v} (unknown)`;
  }
}

function postureLine(c: ClusterPosture): string | null {
  const bits: string[] = [];
  if (c.eol) bits.push(`${c.minor} end-of-life since ${c.eol}`);
  if (c.inventoryError) bits.push(`inventory error: ${c.inventoryError}`);
  for (const n of c.notes ?? []) if (!(c.eol && n.startsWith(`${c.minor} is end-of-life`))) bits.push(n);
  if (bits.length === 0) return null;
  return `  ${c.cluster}  ${c.server ?? '?'}  ${bits.join('; ')}`;
}

export function formatTriageText(result: TriageResult): string {
  const lines: string[] = [];
  const unreadable = new Set(result.clusters.filter((c) => c.readable === false).map((c) => c.cluster));
  const byAdvisory = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = byAdvisory.get(f.advisory);
    if (list) list.push(f);
    else byAdvisory.set(f.advisory, [f]);
  }

  for (const a of result.advisories) {
    const findings = byAdvisory.get(a.id) ?? [];
    const affected = findings.filter((f) => f.verdict === 'affected' || f.verdict === 'unfixed').length;
    const unread = new Set(findings.filter((f) => unreadable.has(f.cluster)).map((f) => f.cluster)).size;
    lines.push(`${a.id}  ${a.title.trim()}${severity(a)}`);
    if (a.url) lines.push(`  ${a.url}`);
    if (findings.length === 0) {
      lines.push('  no cluster runs an affected component', '');
      continue;
    }
    const wc = Math.max(...findings.map((f) => f.cluster.length));
    const wk = Math.max(...findings.map((f) => f.component.length));
    const indent = ' '.repeat(2 + wc + 2 + wk + 2);
    for (const f of findings) {
      const nodes = f.affectedNodes ? `  ${f.affectedNodes.length} node${f.affectedNodes.length === 1 ? '' : 's'}` : '';
      lines.push(`  ${f.cluster.padEnd(wc)}  ${f.component.padEnd(wk)}  ${verdictText(f, a.fixState)}${nodes}`);
      if (f.upgradePath.length > 0) lines.push(`${indent}upgrade via ${f.upgradePath.join(' → ')}`);
      if (f.verdict === 'unknown') lines.push(`${indent}why: ${f.reason}`);
      if (f.verdict === 'affected' || f.verdict === 'unfixed' || f.verdict === 'unknown') {
        for (const n of f.notes ?? []) lines.push(`${indent}· ${n}`);
        if (f.accepted) lines.push(`${indent}· accepted until ${f.accepted.until} by ${f.accepted.by}: ${f.accepted.reason}`);
      }
    }
    const apart = unread > 0 ? `; ${unread} cluster${unread === 1 ? '' : 's'} could not be read` : '';
    lines.push(`  ${affected} of ${findings.length} finding${findings.length === 1 ? '' : 's'} affected${apart}`, '');
  }

  const clients = result.clients ?? [];
  if (clients.length > 0) {
    const w = Math.max(...clients.map((c) => c.advisory.length));
    lines.push('Clients and libraries (not cluster components):', ...clients.map((c) => `  ${c.advisory.padEnd(w)}  ${c.summary}`), '');
  }

  const posture = result.clusters.filter((c) => c.readable !== false).map(postureLine).filter((l): l is string => l !== null);
  if (posture.length > 0) lines.push('Clusters needing attention:', ...posture, '');
  // One next step per cluster across every open advisory (remediation.ts).
  const next = result.clusters.filter((c) => c.readable !== false && c.remediation && (c.remediation.target !== null || c.remediation.remains.length > 0));
  if (next.length > 0) lines.push('Remediation (one version per cluster that clears its open advisories):', ...next.flatMap((c) => remediationLines(c.cluster, c.remediation as Remediation).map((l) => `  ${l}`)), '');
  const unreadLines = result.clusters.filter((c) => c.readable === false).map((c) => `  ${c.cluster}  ${c.inventoryError ?? 'the inventory holds no versions'}`);
  if (unreadLines.length > 0) lines.push('Clusters that could not be read (every verdict unknown):', ...unreadLines, '');

  const rd = result.releaseData;
  lines.push(`release data as of ${rd.asOf} (${rd.source})`);
  if (rd.stale) lines.push(`warning: release data as of ${rd.asOf} is stale; support dates may have changed since`);
  for (const w of result.warnings) if (!(rd.stale && w.startsWith('release data as of'))) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
