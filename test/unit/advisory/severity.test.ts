import { describe, expect, it } from 'vitest';
import { cvss3BaseScore, extractSeverity, ratingOf } from '../../../src/advisory/severity.ts';

describe('cvss3BaseScore', () => {
  it.each([
    ['CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N', 3.4],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N', 6.5],
    ['CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:L', 5.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N/E:F', 0],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', null],
    ['CVSS:3.1/AV:X/AC:L', null],
  ])('%s → %s', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });

  it.each([[0, 'none'], [3.9, 'low'], [4, 'medium'], [6.9, 'medium'], [7, 'high'], [9, 'critical']] as const)('ratingOf(%s)', (score, rating) => {
    expect(ratingOf(score)).toBe(rating);
  });
});

describe('extractSeverity', () => {
  const V = 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H';
  const link = `[${V}](https://www.first.org/cvss/calculator/3.1#${V})`;
  it('reads "rated LOW ([vector](url)) (score: 3.4)"', () => {
    const low = 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N';
    expect(extractSeverity(`A bug. This issue has been rated LOW ([${low}](https://x.invalid/#${low})) (score: 3.4).`)).toEqual({ rating: 'low', score: 3.4, vector: low });
  });

  it.each([
    [`CVSS Rating: ${link} (Score: 8.8, High)`, 'high', 8.8],
    [`CVSS Rating: ${link} - **HIGH** (8.8)`, 'high', 8.8],
    [`CVSS Rating: 8.8 ${V} (High)`, 'high', 8.8],
    [`CVSS Rating: Medium (6.1) ${link}`, 'medium', 6.1],
    [`CVSS Rating:\n\nhigh (8.8) ${link}`, 'high', 8.8],
    [`${link}, 8.8 (high)`, 'high', 8.8],
    [`Rated Medium with a CVSS v3.1 score of 8.8 (${link}).`, 'medium', 8.8],
    // Vector only: computed score, derived rating.
    [`CVSS Rating: ${link}`, 'high', 8.8],
  ])('%s', (text, rating, score) => {
    expect(extractSeverity(text)).toEqual({ rating, score, vector: V });
  });

  it.each([
    ['This issue has been rated low and assigned CVE-2099-1.', 'low'],
    ['The issue is of a medium severity.', 'medium'],
    ['The vendor considers this issue Moderate Severity.', 'medium'],
    ['Nothing about severity here.', null],
  ])('no vector: %s', (text, rating) => {
    expect(extractSeverity(text)).toEqual({ rating, score: null, vector: null });
  });

  // The newer template's "CVSS Rating:" line without a vector: score and rating in any order, or on the next line.
  it.each([
    ['CVSS Rating: High (8.1)', 'high', 8.1],
    ['CVSS Rating: 8.1 High', 'high', 8.1],
    ['CVSS Rating: 8.1 (High)', 'high', 8.1],
    ['CVSS Rating: High - 8.1', 'high', 8.1],
    ['CVSS Rating: 7.5 / High', 'high', 7.5],
    ['**CVSS Rating:** Critical (9.8)', 'critical', 9.8],
    ['CVSS Rating: **Medium**', 'medium', null],
    ['CVSS Rating: 3.1', 'low', 3.1],
    ['CVSS Rating:\n\nMedium (5.4)', 'medium', 5.4],
    ['CVSS Score: 6.5 Medium', 'medium', 6.5],
  ] as const)('rating line without a vector: %s', (text, rating, score) => {
    expect(extractSeverity(text)).toEqual({ rating, score, vector: null });
  });

  it.each(['CVSS Rating: TBD', 'CVSS Rating:', 'CVSS Rating: 42.0'])('no severity in %j', (text) => {
    expect(extractSeverity(text)).toEqual({ rating: null, score: null, vector: null });
  });

  it('upper-cases metric names written in lower case', () => {
    expect(extractSeverity('CVSS Rating: [CVSS:3.1/av:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H](https://x.invalid)').vector).toBe(V);
  });
});
