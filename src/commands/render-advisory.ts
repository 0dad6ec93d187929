/** Plain-text rendering of advisories for the terminal (`feed --format text`). */
import type { Advisory, AffectedRange } from '../advisory/types.ts';
import { display, isWholeMinor } from '../advisory/versions.ts';

export function formatRange(r: AffectedRange): string {
  const v = (s: string) => (isWholeMinor(s) ? `v${s.replace(/^v/i, '')}` : display(s));
  const from = r.introduced === null || r.introduced === '0' ? null : v(r.introduced);
  let affected: string;
  if (r.lastAffected !== null && from === v(r.lastAffected)) affected = from;
  else if (r.lastAffected !== null) affected = from ? `${from} – ${v(r.lastAffected)}` : `≤ ${v(r.lastAffected)}`;
  else if (r.fixed !== null) affected = from ? `${from} – < ${v(r.fixed)}` : `< ${v(r.fixed)}`;
  else affected = from ? `≥ ${from}` : 'all versions';
  return `${affected}${r.fixed !== null ? ` → fixed in ${v(r.fixed)}` : ' (no fix in this branch)'}`;
}

export function formatSeverity(a: Advisory): string {
  const { rating, score } = a.severity;
  if (rating === null && score === null) return 'severity unknown';
  return [rating?.toUpperCase(), score === null ? null : String(score)].filter(Boolean).join(' ');
}

export function formatAdvisoryText(a: Advisory): string {
  const lines = [
    `${a.id}${a.aliases.length > 0 ? ` (with ${a.aliases.join(', ')})` : ''}  [${formatSeverity(a)}] [${a.status}]`,
    `  ${a.title}`,
    `  ${a.url}`,
    `  components: ${a.components.length > 0 ? a.components.join(', ') : '(none stated)'}`,
  ];
  for (const r of a.ranges) lines.push(`    ${r.component.padEnd(24)} ${formatRange(r)}`);
  if (a.unfixed) lines.push('  no fix available for some affected versions');
  const conf = `  parsed from ${a.parse.source}, confidence ${a.parse.confidence}`;
  lines.push(a.parse.warnings.length > 0 ? `${conf}: ${a.parse.warnings.join('; ')}` : conf);
  return lines.join('\n');
}
