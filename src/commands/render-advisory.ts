/** Plain-text rendering of advisories for the terminal (`feed --format text`). */
import type { Advisory, AffectedRange, ConditionKind } from '../advisory/types.ts';
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

const CONDITION_TEXT: Record<ConditionKind, (value: string) => string> = {
  'os': (v) => `${v === 'windows' ? 'Windows' : v === 'linux' ? 'Linux' : v} nodes`,
  'volume': (v) => `pods use ${v} volumes`,
  'feature-gate': (v) => `feature gate ${v} is on`,
  'admission-webhook': (v) => `the ${v} admission webhook is enabled`,
};

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
    `  components: ${a.components.length > 0 ? a.components.join(', ') : '(none stated)'}${a.componentSource === 'assumed' ? ' (assumed: the advisory names none)' : ''}`,
  ];
  if (a.placeholder) lines.push('  placeholder issue: no details yet');
  for (const r of a.ranges) lines.push(`    ${r.component.padEnd(24)} ${formatRange(r)}`);
  for (const c of a.conditions) lines.push(`  only if ${CONDITION_TEXT[c.kind](c.value)}: "${c.text}"`);
  // "No fix yet" (may come) and "won't be fixed" (mitigate) are different plans for the reader.
  if (a.fixState === 'none') lines.push('  no fix will be released: mitigate');
  else if (a.fixState === 'pending') lines.push('  no fix yet');
  else if (a.unfixed) lines.push('  no fix available for some affected versions');
  const conf = `  parsed from ${a.parse.source}, confidence ${a.parse.confidence}`;
  lines.push(a.parse.warnings.length > 0 ? `${conf}: ${a.parse.warnings.join('; ')}` : conf);
  return lines.join('\n');
}
