/**
 * CVE ids of a feed item. Before 2024-06 one issue with two CVEs gave one item with
 * `id: "CVE-2023-2727, CVE-2023-2728"`; everything downstream keys on single CVE ids.
 */

/** One CVE id: "CVE-", a four-digit year, four or more digits. */
export const CVE_ID_RE = /^CVE-\d{4}-\d{4,}$/;

/**
 * Splits a feed item id on commas, semicolons and whitespace and keeps only CVE ids
 * (upper-cased, de-duplicated, in order of appearance). Returns [] when none is found.
 */
export function splitIds(id: string): string[] {
  const out: string[] = [];
  for (const token of id.split(/[\s,;]+/)) {
    const upper = token.toUpperCase();
    if (CVE_ID_RE.test(upper) && !out.includes(upper)) out.push(upper);
  }
  return out;
}

export function isCveId(id: string): boolean {
  return CVE_ID_RE.test(id);
}
