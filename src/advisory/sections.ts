/**
 * Headings of an advisory body and what each section is about. Real bodies mark sections with
 * ATX headings (`#### Affected Versions`), whole-line bold (`**Affected versions:**`) or a bare
 * label line (`Affected Component` then `kube-apiserver` on the next line).
 */
import type { BodyLine } from './text.ts';
import { capText, cleanLine } from './text.ts';

export type SectionKind =
  | 'affected'
  | 'fixed'
  | 'components'
  | 'vulnerable'
  | 'mitigation'
  | 'detection'
  | 'credits'
  | 'other';

export interface Heading {
  text: string;
  /** 1–6 for ATX headings; 7 for bold and label lines, which nest inside any ATX section. */
  level: number;
  kind: SectionKind;
}

const ATX_RE = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BOLD_RE = /^\s*(?:\*\*|__)([^*_].*?)(?:\*\*|__)\s*:?\s*$/;
/** Bare label lines, only when the whole line is one of these. */
const LABEL_RE =
  /^(?:affected\s+components?(?:\s+and\s+configurations?)?|affected\s+versions?|fixed\s+versions?|vulnerable\s+versions?|mitigations?|detection|acknowledge?ments?|am\s+i\s+vulnerable\??|how\s+do\s+i\s+(?:mitigate|remediate|resolve)[^.]*\?)\s*:?$/i;

export function headingOf(line: BodyLine): Heading | null {
  if (line.code) return null;
  const atx = ATX_RE.exec(line.raw);
  if (atx) {
    const text = cleanLine(atx[2] ?? '');
    return { text, level: (atx[1] ?? '#').length, kind: classifyHeading(text) };
  }
  const bold = BOLD_RE.exec(line.raw);
  if (bold) {
    const text = cleanLine(bold[1] ?? '');
    if (text.length > 0 && text.length <= 90) return { text, level: 7, kind: classifyHeading(text) };
  }
  const plain = line.clean;
  if (!line.bullet && plain.length <= 70 && LABEL_RE.test(plain)) return { text: plain, level: 7, kind: classifyHeading(plain) };
  return null;
}

export function classifyHeading(text: string): SectionKind {
  const t = text.toLowerCase().replace(/[:?]+\s*$/, '').trim();
  // "Affected Components and Configurations" names components, not versions.
  if (/\baffected\s+components?\b/.test(t)) return 'components';
  if (/\bwho\s+is\s+affected\b/.test(t)) return 'affected';
  if (/\b(?:affected|vulnerable|impacted)\s+(?:kubernetes\s+)?(?:versions?|releases?)\b|\b(?:what|which)\s+versions\b|\bversions?\s+affected\b/.test(t)) {
    return 'affected';
  }
  if (/\b(?:fixed|patched)\s+(?:versions?|releases?|in)\b|\bhow\s+(?:was|is)\s+(?:the|this)\s+(?:issue|vulnerability|bug)\s+fixed\b|^fix(?:es)?$|^fixed$/.test(t)) {
    return 'fixed';
  }
  if (/\bam\s+i\s+vulnerable\b|\b(?:vulnerable|affected)\s+configurations?\b/.test(t)) return 'vulnerable';
  if (/mitigat|workaround|remediat|\bhow\s+do\s+i\s+(?:resolve|fix|upgrade)\b/.test(t)) return 'mitigation';
  if (/\bdetection\b|\bdetect\b/.test(t)) return 'detection';
  if (/acknowledge?ment|\bcredits?\b|\bthanks\b/.test(t)) return 'credits';
  return 'other';
}

/** The body of the first section of one of the given kinds, with its nested subsections. */
export function sectionText(lines: BodyLine[], heads: (Heading | null)[], kinds: SectionKind[], pick: (h: Heading) => boolean = () => true): string | null {
  for (let i = 0; i < lines.length; i++) {
    const h = heads[i];
    if (!h || !kinds.includes(h.kind) || !pick(h)) continue;
    const body: string[] = [];
    let inCode = false;
    for (let j = i + 1; j < lines.length; j++) {
      const next = heads[j];
      if (next && next.level <= h.level) break;
      // A nested heading of another known kind ("#### Fixed Versions" inside "### How do I mitigate")
      // starts a different section, not a subsection of this one.
      if (next && next.kind !== 'other' && next.kind !== h.kind) break;
      const line = lines[j];
      if (!line) continue;
      // Machine-readable blocks (```json osv) are data, not advice; other code keeps its fences.
      const code = line.code && !/\bosv\b/i.test(line.codeInfo ?? '');
      if (code !== inCode) body.push('```');
      inCode = code;
      if (line.code && !code) continue;
      body.push(line.raw);
    }
    if (inCode) body.push('```');
    const text = capText(body.join('\n'));
    if (text.length > 0) return text;
  }
  return null;
}

/** Readers want the "am I vulnerable" answer; configurations and components sections say the same thing. */
export function vulnerableText(lines: BodyLine[], heads: (Heading | null)[]): string | null {
  return (
    sectionText(lines, heads, ['vulnerable']) ??
    sectionText(lines, heads, ['affected'], (h) => /who\s+is\s+affected/i.test(h.text)) ??
    sectionText(lines, heads, ['components'], (h) => /configuration/i.test(h.text))
  );
}

export function mitigationText(lines: BodyLine[], heads: (Heading | null)[]): string | null {
  return sectionText(lines, heads, ['mitigation']);
}
