import { describe, expect, it } from 'vitest';
import { parseExpressions, tokenize, tokenString } from '../../../src/advisory/version-expr.ts';
import type { VersionExpr } from '../../../src/advisory/version-expr.ts';

/** op, lower (as a lower bound), upper (as an upper bound), for compact tables. */
function show(e: VersionExpr): string {
  const lo = e.lo ? tokenString(e.lo, 'lower') : '_';
  const hi = e.hi ? tokenString(e.hi, 'upper') : '_';
  return `${e.op} ${lo} ${hi}`;
}

describe('tokenize', () => {
  it.each([
    ['v1.27.2', ['1.27.2']],
    ['V1.24.14', ['1.24.14']],
    ['1.26.5', ['1.26.5']],
    ['v1.10.0-beta.3', ['1.10.0-beta.3']],
    ['v1.13.0-rc.1 and v1.12.3', ['1.13.0-rc.1', '1.12.3']],
    ['v1.20', ['1.20.0']],
    ['1.21.x', ['1.21.0']],
    ['kubernetes-1.12.5', ['1.12.5']],
    // Not versions: a bare minor in prose, IP addresses, scores, CVE ids, protobuf API versions.
    ['in 1.16 and later', []],
    ['127.0.0.1 and 10.0.0.1', []],
    ['score 9.8', []],
    ['CVE-2023-2431', []],
    ['extensions/v1beta1', []],
  ])('%s', (text, expected) => {
    expect(tokenize(text).map((t) => tokenString(t))).toEqual(expected);
  });
});

describe('parseExpressions', () => {
  it.each([
    ['kube-apiserver v1.27.0 - v1.27.2', ['range 1.27.0 1.27.2'], 'kube-apiserver'],
    ['v1.26.0 - v1.26.4', ['range 1.26.0 1.26.4'], ''],
    ['<= v1.24.13', ['le _ 1.24.13'], ''],
    ['kubelet/kube-proxy <=1.16.10', ['le _ 1.16.10'], 'kubelet/kube-proxy'],
    ['< v1.11.0', ['lt _ 1.11.0'], ''],
    ['kube-apiserver: v1.32.0 - 1.32.5', ['range 1.32.0 1.32.5'], 'kube-apiserver:'],
    ['v1.30.0 to v1.30.2', ['range 1.30.0 1.30.2'], ''],
    ['v1.11.0 - 1.11.4', ['range 1.11.0 1.11.4'], ''],
    ['kubelet v1.18.0-1.18.5', ['range 1.18.0 1.18.5'], 'kubelet'],
    ['Kubernetes v1.0.x-1.9.x', ['range 1.0.0 1.9.x'], 'Kubernetes'],
    ['kubelet v1.20 - v1.21', ['range 1.20.0 1.21.x'], 'kubelet'],
    ['Kubernetes 1.7.x-1.12.x', ['range 1.7.0 1.12.x'], 'Kubernetes'],
    ['v1.16.0 - v1.18.18 (Note: not enabled by default in 1.16-1.18)', ['range 1.16.0 1.18.18'], ''],
    ['kube-apiserver v1.25.0', ['exact 1.25.0 1.25.0'], 'kube-apiserver'],
    ['kubectl v1.8.0+', ['ge 1.8.0 _'], 'kubectl'],
    ['kubelet >= v1.8.0 (including all later minor versions)', ['ge 1.8.0 _'], 'kubelet'],
    ['all kube-apiserver versions prior to v1.16.0', ['lt _ 1.16.0'], 'all kube-apiserver versions'],
    ['Versions prior to 1.15.0, 1.14.4, 1.13.8, and 1.12.10 are affected', ['lt _ 1.15.0', 'lt _ 1.14.4', 'lt _ 1.13.8', 'lt _ 1.12.10'], 'Versions'],
    ['kubectl versions v1.13.10, v1.14.6, and v1.15.3', ['exact 1.13.10 1.13.10', 'exact 1.14.6 1.14.6', 'exact 1.15.3 1.15.3'], 'kubectl versions'],
    ['Image Builder version v0.1.37 or earlier', ['le _ 0.1.37'], 'Image Builder version'],
    ['external-provisioner: v0.4.1-0.4.2, v1.0.0-1.0.1, v1.3.0', ['range 0.4.1 0.4.2', 'range 1.0.0 1.0.1', 'exact 1.3.0 1.3.0'], 'external-provisioner:'],
    ['CNI plugins prior to version 0.8.6', ['lt _ 0.8.6'], 'CNI plugins'],
  ])('%s', (text, expected, prefix) => {
    const { exprs, prefix: seen } = parseExpressions(text);
    expect(exprs.map(show)).toEqual(expected);
    expect(seen).toContain(prefix);
  });

  it.each([
    ['Kubernetes v1.11.0-1.11.7 (fixed in v1.11.8)', 'range 1.11.0 1.11.7', '1.11.8'],
    ['<= v1.15.9, resolved in 1.15.10 by', 'le _ 1.15.9', '1.15.10'],
    ['v1.13.0-1.13.11, resolved in v1.13.12 by', 'range 1.13.0 1.13.11', '1.13.12'],
  ])('inline fix: %s', (text, expr, fix) => {
    const { exprs, fixes } = parseExpressions(text);
    expect(exprs.map(show)).toEqual([expr]);
    expect(fixes.map((t) => tokenString(t))).toEqual([fix]);
  });
});
