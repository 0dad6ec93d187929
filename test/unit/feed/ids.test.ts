import { describe, expect, it } from 'vitest';
import { isCveId, splitIds } from '../../../src/feed/ids.ts';

describe('splitIds', () => {
  it.each([
    { id: 'CVE-2024-3177', want: ['CVE-2024-3177'] },
    { id: 'CVE-2023-2727, CVE-2023-2728', want: ['CVE-2023-2727', 'CVE-2023-2728'] },
    { id: 'CVE-2023-2727,CVE-2023-2728', want: ['CVE-2023-2727', 'CVE-2023-2728'] },
    { id: ' CVE-2020-8554  CVE-2020-8555 ', want: ['CVE-2020-8554', 'CVE-2020-8555'] },
    { id: 'CVE-2019-11253; CVE-2019-11253', want: ['CVE-2019-11253'] },
    { id: 'cve-2021-25741', want: ['CVE-2021-25741'] },
    { id: 'CVE-2021-1234567', want: ['CVE-2021-1234567'] },
    { id: 'CVE-2021-123', want: [] },
    { id: 'GHSA-xxxx-yyyy-zzzz', want: [] },
    { id: 'CVE-2023-1, CVE-2023-5528 and more', want: ['CVE-2023-5528'] },
    { id: '', want: [] },
  ])('$id → $want', ({ id, want }) => {
    expect(splitIds(id)).toEqual(want);
  });

  it('isCveId accepts only a whole id', () => {
    expect(isCveId('CVE-2024-3177')).toBe(true);
    expect(isCveId('CVE-2024-3177, CVE-2024-3178')).toBe(false);
  });
});
