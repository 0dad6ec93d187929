/**
 * Placeholder issues: the Security Response Committee opens a CVE issue before the details are
 * public; its body is empty, says "placeholder" / "TBD" / "details to follow", or is the template
 * with its `$VARIABLES` unfilled. Such a body must not yield ranges (a guess would be a verdict);
 * the body is re-parsed when it is edited (the content hash changes).
 */
import type { BodyLine } from './text.ts';

const PLACEHOLDER_RES: readonly RegExp[] = [
  /\bplace[\s-]?holder\b/i,
  /\bTB[DA]\b/,
  /\bto\s+be\s+(?:determined|announced|published|updated)\b/i,
  /\bdetails?\s+(?:to\s+follow|will\s+follow|to\s+come|(?:are\s+|will\s+be\s+)?coming\s+soon|will\s+be\s+(?:added|published|shared|provided|posted|released))\b/i,
  /\bcoming\s+soon\b/i,
  // The announcement template with its variables unfilled ("$COMPONENT $VERSION_RANGE_1").
  /\$(?:COMPONENT|VERSION_RANGE\w*|SUMMARY|REPORTER|FIXTEAM|RELEASE_MANAGERS|RELEVANT_SIGS|IMPACTED_COMPONENTS)\b/,
];

/** Lines that carry no advisory content: bot commands ("/area security"), bare CVSS labels. */
const NOISE_RE = /^\s*(?:\/[a-z][\w-]*(?:\s+\S+)*|CVSS\s+(?:rating|score)\s*:?\s*|_[^_]*_|[-*_=]{3,})\s*$/i;

export interface PlaceholderResult {
  placeholder: boolean;
  /** Why, for parse.warnings: the phrase found, or "empty body". */
  why: string | null;
}

/**
 * A body is a placeholder when it has no content, or says it is one and states no versions. A body
 * that states versions keeps them (they are facts) even beside "details to follow": the caller
 * lowers confidence instead (`why` is set, `placeholder` false).
 */
const isContent = (l: BodyLine): boolean => !l.code && l.clean.length > 0 && !NOISE_RE.test(l.clean) && !/^\s{0,3}#{1,6}\s/.test(l.raw);

const firstPhrase = (text: string): RegExpExecArray | null => {
  for (const re of PLACEHOLDER_RES) {
    const m = re.exec(text);
    if (m) return m;
  }
  return null;
};

/** `plainText`: the body's prose lines (BodyLine.clean) joined, as the parser has them at hand. */
export function isPlaceholder(lines: readonly BodyLine[], plainText: string, hasRanges: boolean): PlaceholderResult {
  // Stops at the first line with content: a real body answers on its first lines.
  if (!lines.some(isContent)) return { placeholder: true, why: 'empty body (placeholder issue)' };
  // Most bodies hold no phrase at all; only then is the content (without bot commands) looked at again.
  if (!firstPhrase(plainText)) return { placeholder: false, why: null };
  const phrase = firstPhrase(lines.filter(isContent).map((l) => l.clean).join('\n'));
  if (!phrase) return { placeholder: false, why: null };
  if (hasRanges) return { placeholder: false, why: `the body says "${phrase[0]}": the versions stated may still change` };
  return { placeholder: true, why: `placeholder issue ("${phrase[0]}"): no details yet; read again when the body is edited` };
}
