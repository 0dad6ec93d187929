import { describe, expect, it } from 'vitest';
import { firstNodeSkewBreak, maxNodeSkew, skewRole, withinSkew } from '../../../src/triage/skew.ts';

describe('version skew policy', () => {
  it.each([
    ['1.24', 2], ['1.22', 2], ['1.25', 3], ['1.35', 3],
  ] as const)('a %s kubelet may lag %i minors', (minor, want) => {
    expect(maxNodeSkew(minor)).toBe(want);
  });

  it.each([
    // component, component minor, API server minor, allowed
    ['kubelet', '1.35', '1.35', true],
    ['kubelet', '1.36', '1.35', false], // never newer
    ['kubelet', '1.32', '1.35', true], // 3 older
    ['kubelet', '1.31', '1.35', false], // 4 older
    ['kubelet', '1.22', '1.24', true], // 2 older, below 1.25
    ['kubelet', '1.22', '1.25', false], // 3 older, below 1.25
    ['kube-proxy', '1.25', '1.28', true],
    ['kube-controller-manager', '1.34', '1.35', true],
    ['kube-scheduler', '1.33', '1.35', false],
    ['kube-scheduler', '1.36', '1.35', false],
    ['kubectl', '1.36', '1.35', true],
    ['kubectl', '1.34', '1.35', true],
    ['kubectl', '1.37', '1.35', false],
    ['kube-apiserver', '1.34', '1.35', false],
  ] as const)('%s %s with kube-apiserver %s → %s', (component, minor, server, want) => {
    expect(withinSkew(component, minor, server)).toBe(want);
  });

  it.each([
    ['kubelet', 'node'], ['kube-proxy', 'node'], ['kube-scheduler', 'control-plane'], ['kubectl', 'client'], ['kube-apiserver', 'apiserver'],
  ] as const)('%s is a %s component', (component, role) => {
    expect(skewRole(component)).toBe(role);
  });

  it.each([
    ['1.27', ['1.28', '1.29', '1.30', '1.31'], '1.31'],
    ['1.22', ['1.23', '1.24', '1.25'], '1.25'],
    ['1.30', ['1.31', '1.32'], null],
  ] as const)('a %s kubelet along %j first breaks at %s', (minor, path, want) => {
    expect(firstNodeSkewBreak(minor, [...path])).toBe(want);
  });
});
