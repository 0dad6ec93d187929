import { describe, expect, it } from 'vitest';
import { buildProviderReleases } from '../../../scripts/build-releases.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { kubernetesMinorOfCycle, providerSupportOn } from '../../../src/releases/providers.ts';
import type { ProviderRelease } from '../../../src/releases/schema.ts';
import { describeShared, readShared } from '../../helpers/shared-data.ts';

const calendar = loadBundledCalendar();
const on = (day: string) => new Date(`${day}T12:00:00Z`);

describe('provider cycles → Kubernetes minors', () => {
  it.each([
    ['eks', '1.34', '1.34'],
    ['gke', '1.36', '1.36'],
    ['aks', '1.21', '1.21'],
    ['openshift', '4.14', '1.27'],
    ['openshift', '4.21', '1.34'],
    ['openshift', '3.11', null],
    ['eks', 'latest', null],
  ] as const)('%s %s → %s', (provider, cycle, minor) => {
    expect(kubernetesMinorOfCycle(provider, cycle)).toBe(minor);
  });
});

describe('providerSupportOn', () => {
  const r: ProviderRelease = { cycle: '1.34', minor: '1.34', ga: '2025-10-06', eoas: null, eol: '2026-12-02', eoes: '2027-12-02', latest: '1.34-eks-27', latestDate: null };
  it.each([
    ['2025-10-01', 'not-yet', null],
    ['2026-11-22', 'standard', '2026-12-02'],
    ['2026-12-02', 'extended', '2027-12-02'],
    ['2027-12-02', 'ended', null],
  ] as const)('on %s: %s until %s', (day, state, until) => {
    expect(providerSupportOn(r, day)).toEqual({ state, until });
  });
  it('without extended support the cycle ends at eol', () => {
    expect(providerSupportOn({ ...r, eoes: null }, '2026-12-03')).toEqual({ state: 'ended', until: null });
  });
});

describe('bundled provider calendars (data/releases.json)', () => {
  it('EKS keeps 1.34 in standard support until 2026-12-02 while upstream 1.34 is end of life', () => {
    const day = on('2026-11-22');
    expect(calendar.isSupported('1.34', day)).toBe(false);
    expect(calendar.eolDate('1.34')).toBe('2026-10-27');
    expect(calendar.providerSupport('eks', '1.34', day)).toEqual({ state: 'standard', until: '2026-12-02' });
    expect(calendar.providerRelease('eks', '1.34')?.latest).toBe('1.34-eks-27');
    // After that, EKS extended support (until 2027-12-02).
    expect(calendar.providerSupport('eks', '1.34', on('2026-12-05'))).toEqual({ state: 'extended', until: '2027-12-02' });
  });

  it('GKE drops 1.34 before upstream does; OpenShift 4.21 (Kubernetes 1.34) is in maintenance until 2027-08-03', () => {
    expect(calendar.providerSupport('gke', '1.34', on('2026-10-15'))).toEqual({ state: 'ended', until: null });
    expect(calendar.isSupported('1.34', on('2026-10-15'))).toBe(true);
    expect(calendar.providerRelease('openshift', '1.34')).toMatchObject({ cycle: '4.21', eol: '2027-08-03', latest: '4.21.28' });
  });

  it('has every provider, and a minor no provider knows is unknown', () => {
    for (const p of ['eks', 'gke', 'aks', 'openshift'] as const) expect(calendar.hasProviderCalendar(p)).toBe(true);
    expect(calendar.providerSupport('aks', '1.99', on('2026-11-22'))).toEqual({ state: 'unknown', until: null });
  });
});

describeShared('scripts/build-releases.ts provider calendars over ../shared/data/releases', () => {
  it('reads each provider file into cycles with their Kubernetes minors and the bundle holds them', () => {
    const eks = buildProviderReleases('eks', readShared('releases/endoflife-date.amazon-eks.md'));
    expect(eks.find((r) => r.cycle === '1.35')).toEqual({ cycle: '1.35', minor: '1.35', ga: '2026-01-28', eoas: null, eol: '2027-03-27', eoes: '2028-03-27', latest: '1.35-eks-17', latestDate: '2026-06-22' });
    const ocp = buildProviderReleases('openshift', readShared('releases/endoflife-date.red-hat-openshift.md'));
    expect(ocp.find((r) => r.cycle === '4.18')?.minor).toBe('1.31');
    const aks = buildProviderReleases('aks', readShared('releases/endoflife-date.azure-kubernetes-service.md'));
    expect(aks.every((r) => r.latest === null)).toBe(true);
    expect(calendar.data().providers?.eks).toEqual(eks);
    expect(calendar.data().providers?.openshift).toEqual(ocp);
  });
});

describe('provider calendars: bad input says what to fix', () => {
  it.each([
    ['no front matter', 'just text', /endoflife-date\.amazon-eks\.md: no front matter/],
    ['releases not a list', '---\nreleases: soon\n---\n', /releases/],
    ['a cycle without a name', '---\nreleases:\n  - releaseDate: 2026-01-01\n---\n', /releaseCycle/],
  ])('%s', (_name, text, why) => {
    expect(() => buildProviderReleases('eks', text)).toThrow(why);
  });

  it('drops cycles that map to no Kubernetes minor (OpenShift 3.x) instead of inventing one', () => {
    const md = '---\nreleases:\n  - releaseCycle: "4.21"\n    releaseDate: 2025-10-21\n    eol: 2027-08-03\n  - releaseCycle: "3.11"\n    releaseDate: 2018-10-10\n    eol: 2022-06-30\n---\n';
    expect(buildProviderReleases('openshift', md).map((r) => [r.cycle, r.minor])).toEqual([['4.21', '1.34']]);
  });

  it('keeps false/true placeholders as unknown dates', () => {
    const md = '---\nreleases:\n  - releaseCycle: "1.37"\n    releaseDate: 2026-10-01\n    eol: false\n    eoes: true\n---\n';
    expect(buildProviderReleases('aks', md)[0]).toMatchObject({ eol: null, eoes: null });
  });
});
