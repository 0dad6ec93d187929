import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { buildReleaseData } from '../../../scripts/build-releases.ts';
import { BUNDLED_RELEASES_PATH } from '../../../src/releases/bundled.ts';
import { describeShared, readShared } from '../../helpers/shared-data.ts';

describeShared('scripts/build-releases.ts over ../shared/data/releases', () => {
  const data = buildReleaseData({
    endoflifeMarkdown: readShared('releases/endoflife-date.kubernetes.md'),
    releaseDataJson: readShared('releases/endoflife-release-data.kubernetes.json'),
    websiteEolYaml: readShared('releases/kubernetes-website-eol.yaml'),
    sources: [],
  });

  it('keeps all 511 tagged versions and 37 minors', () => {
    expect(data.minors).toHaveLength(37);
    expect(data.minors.reduce((n, m) => n + m.patches.length, 0)).toBe(511);
    expect(data.asOf).toBe('2026-08-20');
  });

  it('produces what data/releases.json holds (regenerate with `node scripts/build-releases.ts`)', () => {
    const bundled = JSON.parse(readFileSync(BUNDLED_RELEASES_PATH, 'utf8')) as { minors: unknown };
    expect(data.minors).toEqual(bundled.minors);
  });

  it('takes CVE ids, never prose, from the website notes', () => {
    const text = JSON.stringify(data);
    expect(text).not.toMatch(/released in|address several/i);
    expect(data.minors.find((m) => m.minor === '1.24')?.postEolCves).toEqual(['CVE-2023-3676', 'CVE-2023-3955']);
  });
});
