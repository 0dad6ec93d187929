/**
 * Whether a fix exists, as the text says: `available` (a fixed version is named), `none` (the text
 * says no fix will be released: mitigate), `pending` (no fix yet; one may come). "No fix yet" and
 * "won't be fixed" read alike to a parser and mean opposite plans to a person, so each has its own
 * phrases; the feed's `status` is kept as the feed says and only compared (see parse.ts).
 */
import type { AffectedRange, FixState } from './types.ts';

/** The text says no fix will come: deprecated features, design flaws, "will not be patched". */
const NONE_RES: readonly RegExp[] = [
  /\bno\s+(?:fix|patch)(?:es)?\s+will\s+be\s+(?:released|provided|made\s+available|backported|issued)\b/i,
  /\bwill\s+not\s+(?:be\s+)?(?:fixed|patched|addressed)\b/i,
  /\bwon[’']?t\s+(?:be\s+)?(?:fixed|patched|addressed)\b/i,
  /\bwill\s+not\s+receive\s+(?:any\s+)?(?:security\s+)?(?:updates|fixes|patches)\b/i,
  /\b(?:does|do)\s+not\s+plan\s+to\s+(?:fix|patch|address)\b/i,
  /\bno\s+plans?\s+to\s+(?:fix|patch|address|release\s+a\s+fix)\b/i,
  /\bcannot\s+be\s+(?:fixed|patched)\b/i,
];

/** The text says a fix is not out yet (but may come). */
const PENDING_RES: readonly RegExp[] = [
  /\bno\s+(?:fix|patch)(?:es)?\s+(?:is\s+|are\s+)?(?:available\s+)?yet\b/i,
  /\bnot\s+yet\s+(?:been\s+)?(?:fixed|patched|released|available)\b/i,
  /\b(?:has|have)\s+not\s+(?:yet\s+)?been\s+(?:fixed|patched|released)\b/i,
  /\b(?:fix|patch)(?:es)?\s+(?:is|are)\s+(?:in\s+progress|underway|being\s+(?:worked\s+on|developed|prepared))\b/i,
  /\bwill\s+be\s+(?:fixed|patched|released)\s+in\s+(?:a\s+|the\s+)?(?:future|upcoming|next)\b/i,
  /\bfixed\s+versions?\s*:?\s*(?:TBD|TBA|pending|to\s+be\s+(?:determined|announced))\b/i,
];

export interface FixStateInput {
  ranges: readonly AffectedRange[];
  /** Advisory text (not code, not the bug report after "original description follows"). */
  text: string;
  /** An "all versions are affected" statement was read. */
  allVersions: boolean;
  /** The parser read "there is no patch", "no fix available" … (advisory.unfixed). */
  unfixed: boolean;
}

export function fixStateOf(input: FixStateInput): { fixState: FixState; why: string | null } {
  if (input.ranges.some((r) => r.fixed !== null)) return { fixState: 'available', why: null };
  const none = NONE_RES.find((re) => re.test(input.text));
  if (none) return { fixState: 'none', why: quote(input.text, none) };
  // "All versions are affected" with "there is no patch" and only mitigations: nothing will be released.
  if (input.allVersions && input.unfixed && !PENDING_RES.some((re) => re.test(input.text))) {
    return { fixState: 'none', why: 'all versions are affected and the text gives no patch, only mitigations' };
  }
  const pending = PENDING_RES.find((re) => re.test(input.text));
  return { fixState: 'pending', why: pending ? quote(input.text, pending) : null };
}

function quote(text: string, re: RegExp): string {
  const m = re.exec(text);
  return m ? `"${m[0]}"` : '';
}
