/**
 * Severity from prose: a CVSS vector (often the text of a markdown link), a score and a rating
 * word written around it in many ways ("rated LOW ([vector](url)) (score: 3.4)", "4.7 vector
 * (Medium)", "**HIGH** (7.2)", or on the line after "CVSS Rating:"). The score is computed from
 * the vector when the text gives none, and the rating from the score.
 */
import type { Severity, SeverityRating } from './types.ts';
import { cleanLine, sentences } from './text.ts';

const VECTOR_RE = /CVSS:(?:3\.[01]|4\.0)(?:\/[A-Za-z]{1,3}:[A-Za-z])+/g;
const RATING_RE = /\b(none|low|medium|moderate|high|critical)\b/i;
const SCORE_RE = /(?<![\w./:])(10(?:\.0)?|\d\.\d)(?![\w./]*\d)/;

interface Candidate {
  vector: string | null;
  score: number | null;
  rating: SeverityRating | null;
}

export const NO_SEVERITY: Severity = { rating: null, score: null, vector: null };

export function extractSeverity(text: string): Severity {
  return severityFromLines(text.split('\n').map(cleanLine));
}

/** Same, over lines already cleaned with `cleanLine` (the parser has them at hand). */
export function severityFromLines(lines: string[]): Severity {
  const candidates = vectorCandidates(lines);
  // Several statements ("typical clusters: medium", "insecure port enabled: high"): report the worst case.
  const best = candidates.sort((a, b) => (b.score ?? -1) - (a.score ?? -1))[0] ?? wordCandidate(lines);
  if (!best) return NO_SEVERITY;
  return finish(best);
}

function finish(c: Candidate): Severity {
  const score = c.score ?? (c.vector ? cvss3BaseScore(c.vector) : null);
  const rating = c.rating ?? (score === null ? null : ratingOf(score));
  return { rating, score, vector: c.vector };
}

function vectorCandidates(lines: string[]): Candidate[] {
  const seen = new Map<string, Candidate>();
  lines.forEach((line, i) => {
    for (const m of line.matchAll(VECTOR_RE)) {
      const vector = normalizeVector(m[0]);
      const sentence = sentences(line).find((s) => s.includes(m[0])) ?? line;
      let found = readScoreAndRating(sentence, m[0]);
      if (found.score === null && found.rating === null) found = readScoreAndRating(line, m[0]);
      // "CVSS Rating:" alone, or the score on the line before the vector.
      if (found.score === null && found.rating === null && i > 0) found = readScoreAndRating(lines[i - 1] ?? '', m[0]);
      const previous = seen.get(vector);
      if (!previous || (previous.score === null && found.score !== null)) seen.set(vector, { vector, ...found });
    }
  });
  return [...seen.values()];
}

function readScoreAndRating(text: string, vector: string): { score: number | null; rating: SeverityRating | null } {
  const rest = text
    .split(vector)
    .join(' ')
    .replace(VECTOR_RE, ' ')
    .replace(/\bCVSS\s*v?\d(?:\.\d)?\b/gi, ' ')
    .replace(/\bCVE-\d{4}-\d+\b/gi, ' ');
  const s = SCORE_RE.exec(rest);
  const r = RATING_RE.exec(rest);
  const score = s ? Number(s[1]) : null;
  return { score: score !== null && score >= 0 && score <= 10 ? score : null, rating: r ? normalizeRating(r[1] ?? '') : null };
}

const RATING_LINE_RE = /^\W*CVSS\s+(?:v?\d(?:\.\d)?\s+)?(?:rating|score)\s*:?\s*(.*)$/i;

/**
 * The template's "CVSS Rating:" line without a vector: "CVSS Rating: 8.1 High", "CVSS Rating: High - 8.1",
 * "CVSS Rating: 7.5 / High", "CVSS Rating: 8.1", or the value alone on the next line.
 */
function ratingLineCandidate(lines: string[]): Candidate | null {
  for (let i = 0; i < lines.length; i++) {
    const m = RATING_LINE_RE.exec(lines[i] ?? '');
    if (!m) continue;
    let value = (m[1] ?? '').trim();
    if (value.length === 0) value = (lines.slice(i + 1).find((l) => l.trim().length > 0) ?? '').trim();
    const rest = value.replace(VECTOR_RE, ' ').replace(/\bCVSS\s*v?\d(?:\.\d)?\b/gi, ' ');
    const s = SCORE_RE.exec(rest);
    const r = RATING_RE.exec(rest);
    const score = s ? Number(s[1]) : null;
    const rating = r ? normalizeRating(r[1] ?? '') : null;
    if ((score === null || score > 10) && rating === null) continue;
    return { vector: null, score: score !== null && score <= 10 ? score : null, rating };
  }
  return null;
}

/** No vector: "This issue has been rated low", "The issue is of medium severity", "CVSS Rating: High (8.1)". */
function wordCandidate(lines: string[]): Candidate | null {
  const line = ratingLineCandidate(lines);
  if (line) return line;
  const patterns = [
    /\bCVSS\s+(?:rating|score)\s*:?\s*(?:(\d{1,2}\.\d)\s*)?\(?\s*(none|low|medium|moderate|high|critical)\b/i,
    /\brated\s+(?:as\s+)?(none|low|medium|moderate|high|critical)\b/i,
    /\b(low|medium|moderate|high|critical)\s+severity\b/i,
    /\bseverity\s+(?:of|is|:)\s*(low|medium|moderate|high|critical)\b/i,
  ];
  for (const line of lines) {
    for (const s of sentences(line)) {
      for (const re of patterns) {
        const m = re.exec(s);
        if (!m) continue;
        const word = m.slice(1).find((g) => g !== undefined && RATING_RE.test(g)) ?? '';
        const scoreMatch = /\bscore\s+(?:of\s+)?(\d{1,2}\.\d)\b/i.exec(s) ?? /\((\d{1,2}\.\d)\)/.exec(s);
        const score = scoreMatch ? Number(scoreMatch[1]) : null;
        return { vector: null, rating: normalizeRating(word), score: score !== null && score <= 10 ? score : null };
      }
    }
  }
  return null;
}

function normalizeRating(word: string): SeverityRating | null {
  const w = word.toLowerCase();
  if (w === 'moderate') return 'medium';
  if (w === 'none' || w === 'low' || w === 'medium' || w === 'high' || w === 'critical') return w;
  return null;
}

/** CVSS v3.x qualitative rating scale. */
export function ratingOf(score: number): SeverityRating {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** Metric names and values upper-cased ("av:N" is seen in real bodies), as the spec writes them. */
export function normalizeVector(vector: string): string {
  const [head, ...parts] = vector.split('/');
  return [head ?? '', ...parts.map((p) => p.toUpperCase())].join('/');
}

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** CVSS 3.0/3.1 base score from a vector (temporal and environmental metrics ignored); null when unreadable. */
export function cvss3BaseScore(vector: string): number | null {
  if (!/^CVSS:3\.[01]\//.test(vector)) return null;
  const m = new Map<string, string>();
  for (const part of vector.split('/').slice(1)) {
    const [k, v] = part.split(':');
    if (k && v && !m.has(k)) m.set(k.toUpperCase(), v.toUpperCase());
  }
  const scope = m.get('S');
  const av = pick(WEIGHTS.AV, m.get('AV'));
  const ac = pick(WEIGHTS.AC, m.get('AC'));
  const ui = pick(WEIGHTS.UI, m.get('UI'));
  const c = pick(WEIGHTS.CIA, m.get('C'));
  const i = pick(WEIGHTS.CIA, m.get('I'));
  const a = pick(WEIGHTS.CIA, m.get('A'));
  const prWeights = scope === 'C' ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 };
  const pr = pick(prWeights, m.get('PR'));
  if (scope !== 'U' && scope !== 'C') return null;
  if (av === null || ac === null || ui === null || c === null || i === null || a === null || pr === null) return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  if (impact <= 0) return 0;
  const exploitability = 8.22 * av * ac * pr * ui;
  const raw = scope === 'U' ? Math.min(impact + exploitability, 10) : Math.min(1.08 * (impact + exploitability), 10);
  return roundUp(raw);
}

function pick(table: Readonly<Record<string, number>>, key: string | undefined): number | null {
  if (key === undefined) return null;
  const v = table[key];
  return v === undefined ? null : v;
}

/** CVSS 3.1 Roundup: avoids floating-point artefacts such as 4.000000001 → 4.1. */
function roundUp(x: number): number {
  const n = Math.round(x * 100000);
  return n % 10000 === 0 ? n / 100000 : (Math.floor(n / 10000) + 1) / 10;
}
