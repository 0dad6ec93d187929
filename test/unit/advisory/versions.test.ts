import { describe, expect, it } from 'vitest';
import {
  compareMinors, compareVersions, display, inRange, isNewer, isWholeMinor, minorDistance, minorOf, minorsBetween,
  nextMinor, normalize, parseVersion, sortVersions,
} from '../../../src/advisory/versions.ts';

describe('parseVersion', () => {
  it.each([
    // raw, semver, prerelease, build, provider
    ['v1.27.3', '1.27.3', null, null, 'upstream'],
    ['1.27.3', '1.27.3', null, null, 'upstream'],
    ['V1.24.14', '1.24.14', null, null, 'upstream'],
    ['  v1.27.3  ', '1.27.3', null, null, 'upstream'],
    ['v1.29.4-eks-036c24b', '1.29.4', null, 'eks-036c24b', 'eks'],
    ['v1.30.5-gke.1014001', '1.30.5', null, 'gke.1014001', 'gke'],
    ['v1.28.3+k3s1', '1.28.3', null, 'k3s1', 'k3s'],
    ['v1.27.9-aks.1', '1.27.9', null, 'aks.1', 'aks'],
    ['v1.25.9+rke2r1', '1.25.9', null, 'rke2r1', 'rke2'],
    ['v1.26.4+openshift-1a2b', '1.26.4', null, 'openshift-1a2b', 'openshift'],
    ['v1.10.0-beta.3', '1.10.0-beta.3', 'beta.3', null, 'upstream'],
    ['v1.31.0-rc.1', '1.31.0-rc.1', 'rc.1', null, 'upstream'],
    ['v1.31.0-alpha.2', '1.31.0-alpha.2', 'alpha.2', null, 'upstream'],
    ['v1.21', '1.21.0', null, null, 'upstream'],
  ] as const)('%s → %s', (raw, semverText, prerelease, build, provider) => {
    const v = parseVersion(raw);
    expect(v).not.toBeNull();
    expect(v?.semver).toBe(semverText);
    expect(v?.prerelease).toBe(prerelease);
    expect(v?.build).toBe(build);
    expect(v?.provider).toBe(provider);
  });

  it.each(['', 'latest', 'master', 'v1', '1.x', 'kubelet v1.27.0', '1.2.3.4'])('%j is not a version', (raw) => {
    expect(parseVersion(raw)).toBeNull();
  });
});

describe('compareVersions', () => {
  it.each([
    // A managed build contains the upstream patch: it is equal to it, not a prerelease of it.
    ['v1.29.4-eks-036c24b', '1.29.4', 0],
    ['v1.29.4-eks-036c24b', '1.29.5', -1],
    ['v1.30.5-gke.1014001', 'v1.30.4', 1],
    ['v1.28.3+k3s1', '1.28.3', 0],
    ['1.10.0-beta.3', '1.10.0', -1],
    ['1.10.0-alpha.1', '1.10.0-beta.3', -1],
    ['1.9.11', '1.10.0-beta.3', -1],
    ['1.27.10', '1.27.9', 1],
  ] as const)('%s vs %s → %i', (a, b, want) => {
    expect(Math.sign(compareVersions(a, b))).toBe(want);
    expect(isNewer(a, b)).toBe(want > 0);
  });

  it('throws on a non-version', () => {
    expect(() => compareVersions('latest', '1.27.0')).toThrow(/not a version/);
  });

  it('sorts versions with provider builds and prereleases', () => {
    expect(sortVersions(['v1.28.3+k3s1', '1.10.0', '1.10.0-beta.3', 'v1.29.4-eks-036c24b', '1.9.11']))
      .toEqual(['1.9.11', '1.10.0-beta.3', '1.10.0', 'v1.28.3+k3s1', 'v1.29.4-eks-036c24b']);
  });
});

describe('minors', () => {
  it.each([
    ['v1.29.4-eks-036c24b', '1.29'],
    ['1.10.0-beta.3', '1.10'],
    ['1.21.x', null],
    ['nope', null],
  ])('minorOf(%s) = %s', (raw, want) => {
    expect(minorOf(raw)).toBe(want);
  });

  it.each([
    ['1.9', '1.10', -1],
    ['1.27', '1.27', 0],
    ['1.30', '1.4', 1],
  ] as const)('compareMinors(%s, %s)', (a, b, want) => {
    expect(Math.sign(compareMinors(a, b))).toBe(want);
  });

  it.each([
    ['1.27', '1.30', 3],
    ['1.30', '1.27', -3],
    ['1.24', '1.24', 0],
  ] as const)('minorDistance(%s, %s) = %i', (a, b, want) => {
    expect(minorDistance(a, b)).toBe(want);
  });

  it.each([
    ['1.27', '1.30', ['1.28', '1.29', '1.30']],
    ['1.9', '1.11', ['1.10', '1.11']],
    ['1.30', '1.30', []],
    ['1.30', '1.27', []],
  ] as const)('minorsBetween(%s, %s)', (a, b, want) => {
    expect(minorsBetween(a, b)).toEqual(want);
  });

  it('nextMinor crosses 9 → 10', () => {
    expect(nextMinor('1.9')).toBe('1.10');
  });

  it.each([
    ['1.21.x', true], ['v1.21.X', true], ['1.21.*', true], ['1.21.0', false], ['1.21', false],
  ] as const)('isWholeMinor(%s) = %s', (raw, want) => {
    expect(isWholeMinor(raw)).toBe(want);
  });

  it('normalize and display', () => {
    expect(normalize('v1.29.4-eks-036c24b')).toBe('1.29.4');
    expect(display('1.27.3')).toBe('v1.27.3');
    expect(display('nope')).toBe('nope');
  });
});

describe('inRange', () => {
  // CVE-2023-2431 kubelet branches and CVE-2023-5528's whole-minor tail, at their edges.
  const branch127 = { introduced: '1.27.0', lastAffected: '1.27.1', fixed: '1.27.2' };
  const oldest = { introduced: null, lastAffected: '1.24.13', fixed: '1.24.14' };
  const fixedOnly = { introduced: '1.28.0', lastAffected: null, fixed: '1.28.4' };
  const wholeMinor = { introduced: '1.8.0', lastAffected: '1.24.x', fixed: null };
  const openEnded = { introduced: '1.8.0', lastAffected: null, fixed: null };
  const everything = { introduced: null, lastAffected: null, fixed: null };
  const osvZero = { introduced: '0', lastAffected: null, fixed: '1.3.3' };
  const spanning = { introduced: '1.16.0', lastAffected: '1.18.18', fixed: null };

  it.each([
    ['1.26.99', branch127, false],
    ['1.27.0-rc.1', branch127, true], // a branch starting at x.y.0 covers its prereleases
    ['1.27.0', branch127, true],
    ['1.27.1', branch127, true],
    ['1.27.2', branch127, false],
    ['v1.27.1-eks-036c24b', branch127, true],
    ['1.24.13', oldest, true],
    ['1.24.14', oldest, false],
    ['1.10.0-beta.3', oldest, true], // the oldest line covers every older minor
    ['1.28.0', fixedOnly, true],
    ['1.28.3+k3s1', fixedOnly, true],
    ['1.28.4', fixedOnly, false],
    ['1.27.99', fixedOnly, false],
    ['1.24.17', wholeMinor, true],
    ['1.25.0', wholeMinor, false],
    ['1.7.9', wholeMinor, false],
    ['1.36.4', openEnded, true],
    ['1.0.0', everything, true],
    ['1.3.2', osvZero, true],
    ['1.3.3', osvZero, false],
    ['1.17.5', spanning, true],
    ['1.18.19', spanning, false],
  ] as const)('%s in %o → %s', (v, range, want) => {
    expect(inRange(v, range)).toBe(want);
  });
});
