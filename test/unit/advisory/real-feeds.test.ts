/**
 * Every advisory of the two real feeds in ../shared/data (read from there, never copied), checked
 * against the facts its prose states: components, and per branch the first affected version, the
 * last affected version and the fixed version; how the components were obtained; whether a fix
 * exists; the conditions on exploitation. `null` introduced = every older version too; "1.21.x" =
 * the whole minor. Where the prose names no component the table names none either: it asserts
 * `componentSource: 'assumed'` and the branches, never the guessed list.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { feedItemSchema } from '../../../src/feed/item.ts';
import type { FeedItem } from '../../../src/feed/item.ts';
import { parseItem } from '../../../src/advisory/parse.ts';
import type { Advisory, AdvisoryStatus, ComponentSource, Confidence, FixState } from '../../../src/advisory/types.ts';
import { inRange, isWholeMinor } from '../../../src/advisory/versions.ts';
import { describeShared, FEED_2023, FEED_RECENT } from '../../helpers/shared-data.ts';

type Branch = [introduced: string | null, lastAffected: string | null, fixed: string | null];

interface Expected {
  confidence: Confidence;
  status: AdvisoryStatus;
  /** Only for advisories without ranges; otherwise the keys of `ranges`. */
  components?: string[];
  /** Branches per component the prose names. */
  ranges?: Record<string, Branch[]>;
  /** The prose names no component ("Kubernetes v1.17.0 - v1.17.12"): the branches, whatever is assumed. */
  assumed?: Branch[];
}

const EXPECTED_2023: [string, Expected][] = [
  ['CVE-2023-2431', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, '1.24.13', '1.24.14'], ['1.25.0', '1.25.9', '1.25.10'], ['1.26.0', '1.26.4', '1.26.5'], ['1.27.0', '1.27.1', '1.27.2']] } }],
  ['CVE-2023-2727', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.24.14', '1.24.15'], ['1.25.0', '1.25.10', '1.25.11'], ['1.26.0', '1.26.5', '1.26.6'], ['1.27.0', '1.27.2', '1.27.3']] } }],
  ['CVE-2023-2728', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.24.14', '1.24.15'], ['1.25.0', '1.25.10', '1.25.11'], ['1.26.0', '1.26.5', '1.26.6'], ['1.27.0', '1.27.2', '1.27.3']] } }],
  ['CVE-2023-2878', { confidence: 'high', status: 'fixed', ranges: { 'secrets-store-csi-driver': [[null, null, '1.3.3']] } }],
  ['CVE-2022-3294', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.22.15', '1.22.16'], ['1.23.0', '1.23.13', '1.23.14'], ['1.24.0', '1.24.7', '1.24.8'], ['1.25.0', '1.25.3', '1.25.4']] } }],
  ['CVE-2022-3162', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.22.15', '1.22.16'], ['1.23.0', '1.23.13', '1.23.14'], ['1.24.0', '1.24.7', '1.24.8'], ['1.25.0', '1.25.3', '1.25.4']] } }],
  ['CVE-2022-3172', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.21.14', null], ['1.22.0', '1.22.13', '1.22.14'], ['1.23.0', '1.23.10', '1.23.11'], ['1.24.0', '1.24.4', '1.24.5'], ['1.25.0', '1.25.0', '1.25.1']] } }],
  ['CVE-2021-25749', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [['1.20.0', '1.21.x', null], ['1.22.0', '1.22.13', '1.22.14'], ['1.23.0', '1.23.10', '1.23.11'], ['1.24.0', '1.24.4', '1.24.5']] } }],
  ['CVE-2021-25741', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, '1.19.14', '1.19.15'], ['1.20.0', '1.20.10', '1.20.11'], ['1.21.0', '1.21.4', '1.21.5'], ['1.22.0', '1.22.1', '1.22.2']] } }],
  ['CVE-2021-25737', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [['1.16.0', '1.18.18', '1.18.19'], ['1.19.0', '1.19.10', '1.19.11'], ['1.20.0', '1.20.6', '1.20.7'], ['1.21.0', '1.21.0', '1.21.1']] } }],
  ['CVE-2021-3121', { confidence: 'medium', status: 'unknown', components: [], ranges: {} }],
  ['CVE-2021-25735', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.18.17', '1.18.18'], ['1.19.0', '1.19.9', '1.19.10'], ['1.20.0', '1.20.5', '1.20.6']] } }],
  ['CVE-2020-8554', { confidence: 'medium', status: 'unfixed', assumed: [[null, null, null]] }],
  ['CVE-2020-8566', { confidence: 'medium', status: 'fixed', ranges: { 'kube-controller-manager': [['1.17.0', '1.17.12', '1.17.13'], ['1.18.0', '1.18.9', '1.18.10'], ['1.19.0', '1.19.2', '1.19.3']] } }],
  ['CVE-2020-8565', { confidence: 'medium', status: 'fixed', ranges: { 'kube-apiserver': [['1.17.0', '1.17.15', '1.17.16'], ['1.18.0', '1.18.13', '1.18.14'], ['1.19.0', '1.19.5', '1.19.6']], 'kubectl': [['1.17.0', '1.17.15', '1.17.16'], ['1.18.0', '1.18.13', '1.18.14'], ['1.19.0', '1.19.5', '1.19.6']] } }],
  ['CVE-2020-8564', { confidence: 'medium', status: 'fixed', assumed: [['1.17.0', '1.17.12', '1.17.13'], ['1.18.0', '1.18.9', '1.18.10'], ['1.19.0', '1.19.2', '1.19.3']] }],
  ['CVE-2020-8563', { confidence: 'high', status: 'fixed', ranges: { 'kube-controller-manager': [['1.19.0', '1.19.2', '1.19.3']] } }],
  ['CVE-2020-8557', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, null, '1.16.13'], ['1.17.0', '1.17.8', '1.17.9'], ['1.18.0', '1.18.5', '1.18.6']] } }],
  ['CVE-2020-8559', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.15.x', null], ['1.16.0', '1.16.12', '1.16.13'], ['1.17.0', '1.17.8', '1.17.9'], ['1.18.0', '1.18.5', '1.18.6']] } }],
  ['CVE-2020-8558', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, '1.16.10', '1.16.11'], ['1.17.0', '1.17.6', '1.17.7'], ['1.18.0', '1.18.3', '1.18.4']], 'kube-proxy': [[null, '1.16.10', '1.16.11'], ['1.17.0', '1.17.6', '1.17.7'], ['1.18.0', '1.18.3', '1.18.4']] } }],
  ['CVE-2020-8555', { confidence: 'high', status: 'fixed', ranges: { 'kube-controller-manager': [[null, '1.15.11', '1.15.12'], ['1.16.0', '1.16.8', '1.16.9'], ['1.17.0', '1.17.4', '1.17.5'], ['1.18.0', '1.18.0', '1.18.1']] } }],
  ['CVE-2020-10749', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, null, '1.16.11'], ['1.17.0', '1.17.6', '1.17.7'], ['1.18.0', '1.18.3', '1.18.4']] } }],
  ['CVE-2019-11254', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.15.9', '1.15.10'], ['1.16.0', '1.16.7', '1.16.8'], ['1.17.0', '1.17.2', '1.17.3']] } }],
  ['CVE-2020-8552', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [[null, null, '1.15.10'], ['1.16.0', '1.16.6', '1.16.7'], ['1.17.0', '1.17.2', '1.17.3']] } }],
  ['CVE-2020-8551', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [['1.15.0', '1.15.9', '1.15.10'], ['1.16.0', '1.16.6', '1.16.7'], ['1.17.0', '1.17.2', '1.17.3']] } }],
  ['CVE-2019-11251', { confidence: 'medium', status: 'fixed', ranges: { 'kubectl': [['1.13.10', '1.13.10', '1.13.11'], ['1.14.6', '1.14.6', '1.14.7'], ['1.15.3', '1.15.3', '1.15.4']] } }],
  ['CVE-2018-1002102', { confidence: 'medium', status: 'fixed', ranges: { 'kube-apiserver': [[null, '1.13.x', '1.14.0']] } }],
  ['CVE-2019-11255', { confidence: 'medium', status: 'fixed', ranges: { 'external-provisioner': [['0.4.1', '0.4.2', '0.4.3'], ['1.0.0', '1.0.1', '1.0.2'], ['1.1.0', '1.2.1', '1.2.2'], ['1.3.0', '1.3.0', '1.3.1']], 'external-snapshotter': [['0.4.0', '0.4.1', '0.4.2'], ['1.0.0', '1.0.1', '1.0.2'], ['1.1.0', '1.2.1', '1.2.2']], 'external-resizer': [['0.1.0', '0.2.0', '0.3.0']] } }],
  ['CVE-2019-11253', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [['1.0.0', '1.12.x', null], ['1.13.0', '1.13.11', '1.13.12'], ['1.14.0', '1.14.7', '1.14.8'], ['1.15.0', '1.15.4', '1.15.5'], ['1.16.0', '1.16.1', '1.16.2']] } }],
  ['CVE-2019-11250', { confidence: 'low', status: 'unknown', components: ['kube-apiserver'], ranges: {} }],
  ['CVE-2019-11248', { confidence: 'medium', status: 'fixed', ranges: { 'kubelet': [[null, null, '1.12.10'], ['1.13.0', null, '1.13.8'], ['1.14.0', null, '1.14.4']] } }],
  ['CVE-2019-11249', { confidence: 'high', status: 'fixed', ranges: { 'kubectl': [['1.0.0', '1.12.x', null], ['1.13.0', '1.13.8', '1.13.9'], ['1.14.0', '1.14.4', '1.14.5'], ['1.15.0', '1.15.1', '1.15.2']] } }],
  ['CVE-2019-11247', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [['1.7.0', '1.12.x', null], ['1.13.0', '1.13.8', '1.13.9'], ['1.14.0', '1.14.4', '1.14.5'], ['1.15.0', '1.15.1', '1.15.2']] } }],
  ['CVE-2019-11245', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [['1.13.6', '1.13.6', '1.13.7'], ['1.14.2', '1.14.2', '1.14.3']] } }],
  ['CVE-2019-11243', { confidence: 'medium', status: 'fixed', ranges: { 'client-go': [['1.12.0', '1.12.4', '1.12.5'], ['1.13.0', '1.13.0', '1.13.1']] } }],
  ['CVE-2019-11244', { confidence: 'medium', status: 'unknown', ranges: { 'kubectl': [['1.8.0', null, null]] } }],
  ['CVE-2019-1002100', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [['1.0.0', '1.10.x', null], ['1.11.0', '1.11.7', '1.11.8'], ['1.12.0', '1.12.5', '1.12.6'], ['1.13.0', '1.13.3', '1.13.4']] } }],
  ['CVE-2018-1002105', { confidence: 'high', status: 'fixed', ranges: { 'kube-apiserver': [['1.0.0', '1.9.x', null], ['1.10.0', '1.10.10', '1.10.11'], ['1.11.0', '1.11.4', '1.11.5'], ['1.12.0', '1.12.2', '1.12.3']] } }],
  ['CVE-2018-1002101', { confidence: 'low', status: 'unknown', components: [], ranges: {} }],
  ['CVE-2018-1002100', { confidence: 'low', status: 'unknown', components: ['kubectl'], ranges: {} }],
  ['CVE-2017-1002102', { confidence: 'medium', status: 'fixed', ranges: { 'kubelet': [['1.3.0', '1.6.x', null], ['1.7.0', '1.7.13', '1.7.14'], ['1.8.0', '1.8.8', '1.8.9'], ['1.9.0', '1.9.3', '1.9.4']] } }],
  ['CVE-2017-1002101', { confidence: 'medium', status: 'fixed', assumed: [['1.3.0', '1.6.x', null], ['1.7.0', '1.7.13', '1.7.14'], ['1.8.0', '1.8.8', '1.8.9'], ['1.9.0', '1.9.3', '1.9.4']] }],
  ['CVE-2017-1002100', { confidence: 'low', status: 'unknown', components: [], ranges: {} }],
  ['CVE-2017-1000056', { confidence: 'medium', status: 'fixed', ranges: { 'kube-apiserver': [['1.5.0', '1.5.4', '1.5.5']] } }],
];

const EXPECTED_RECENT: [string, Expected][] = [
  ['CVE-2025-1097', { confidence: 'medium', status: 'fixed', ranges: { 'ingress-nginx': [[null, '1.10.x', null], ['1.11.0', '1.11.4', '1.11.5'], ['1.12.0', '1.12.0', '1.12.1']] } }],
  ['CVE-2025-1767', { confidence: 'medium', status: 'fixed', ranges: { 'kubelet': [[null, null, null]] } }],
  ['CVE-2024-9042', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, '1.29.12', '1.29.13'], ['1.30.0', '1.30.8', '1.30.9'], ['1.31.0', '1.31.4', '1.31.5'], ['1.32.0', '1.32.0', '1.32.1']] } }],
  ['CVE-2024-10220', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, '1.28.11', '1.28.12'], ['1.29.0', '1.29.6', '1.29.7'], ['1.30.0', '1.30.2', '1.30.3']] } }],
  ['CVE-2024-9486', { confidence: 'high', status: 'fixed', ranges: { 'image-builder': [[null, '0.1.37', '0.1.38']] } }],
  ['CVE-2024-3744', { confidence: 'high', status: 'fixed', ranges: { 'azure-file-csi-driver': [[null, '1.29.3', '1.29.4'], ['1.30.0', '1.30.0', '1.30.1']] } }],
  ['CVE-2023-5528', { confidence: 'medium', status: 'fixed', ranges: { 'kubelet': [['1.8.0', '1.24.x', null], ['1.25.0', null, '1.25.16'], ['1.26.0', null, '1.26.11'], ['1.27.0', null, '1.27.8'], ['1.28.0', null, '1.28.4']] } }],
  ['CVE-2023-3955', { confidence: 'high', status: 'fixed', ranges: { 'kubelet': [[null, '1.24.16', '1.24.17'], ['1.25.0', '1.25.12', '1.25.13'], ['1.26.0', '1.26.7', '1.26.8'], ['1.27.0', '1.27.4', '1.27.5'], ['1.28.0', '1.28.0', '1.28.1']] } }],
];

type Fact = [id: string, componentSource: ComponentSource, fixState: FixState, conditions: string[]];

/**
 * Per advisory, from its prose: where the components come from (a versions line or components
 * section = stated; "This bug affects Kubelet", the title = inferred; nothing = assumed), whether a
 * fix exists, and the conditions on exploitation ("kind=value").
 */
const FACTS: Fact[] = [
  ['CVE-2023-2431', 'inferred', 'available', []], // "This bug affects Kubelet."; the lines are bare versions
  ['CVE-2023-2727', 'stated', 'available', []],
  ['CVE-2023-2728', 'stated', 'available', []],
  ['CVE-2023-2878', 'stated', 'available', []],
  ['CVE-2022-3294', 'stated', 'available', []],
  ['CVE-2022-3162', 'stated', 'available', []],
  ['CVE-2022-3172', 'stated', 'available', []],
  // "running Windows workloads with runAsNonRoot are impacted"; title "… for Windows containers".
  ['CVE-2021-25749', 'stated', 'available', ['os=windows']],
  // "disable the VolumeSubpath feature gate" mitigates: exploitation needs it on.
  ['CVE-2021-25741', 'stated', 'available', ['feature-gate=VolumeSubpath']],
  ['CVE-2021-25737', 'stated', 'available', []],
  // "there is no security impact to Kubernetes": no component, nothing to fix; the "Linux command" is no condition.
  ['CVE-2021-3121', 'stated', 'pending', []],
  // A validating admission webhook of the user's, not ingress-nginx's: no condition.
  ['CVE-2021-25735', 'stated', 'available', []],
  // "All Kubernetes versions are affected" + "There is no patch for this issue" + mitigations only.
  ['CVE-2020-8554', 'assumed', 'none', []],
  ['CVE-2020-8566', 'inferred', 'available', []],
  ['CVE-2020-8565', 'inferred', 'available', []],
  ['CVE-2020-8564', 'assumed', 'available', []],
  ['CVE-2020-8563', 'stated', 'available', []],
  ['CVE-2020-8557', 'stated', 'available', []],
  ['CVE-2020-8559', 'stated', 'available', []],
  ['CVE-2020-8558', 'stated', 'available', []],
  ['CVE-2020-8555', 'stated', 'available', []],
  ['CVE-2020-10749', 'stated', 'available', []],
  ['CVE-2019-11254', 'stated', 'available', []],
  ['CVE-2020-8552', 'stated', 'available', []],
  ['CVE-2020-8551', 'stated', 'available', []],
  ['CVE-2019-11251', 'inferred', 'available', []],
  // "with the StreamingProxyRedirects feature enabled AND without the ValidateProxyRedirects feature";
  // "--feature-gates=ValidateProxyRedirects=true" is the mitigation, not a condition.
  ['CVE-2018-1002102', 'stated', 'available', ['feature-gate=StreamingProxyRedirects']],
  // "Check if you have the following Kubernetes feature gates enabled:" (a list); "disable the … feature gates".
  ['CVE-2019-11255', 'stated', 'available', ['feature-gate=ExpandCSIVolumes', 'feature-gate=VolumePVCDataSource', 'feature-gate=VolumeSnapshotDataSource']],
  ['CVE-2019-11253', 'inferred', 'available', []], // "Linux AMD64 client" in test notes: no condition
  ['CVE-2019-11250', 'inferred', 'pending', []],
  ['CVE-2019-11248', 'inferred', 'available', []],
  ['CVE-2019-11249', 'inferred', 'available', []],
  ['CVE-2019-11247', 'inferred', 'available', []],
  ['CVE-2019-11245', 'stated', 'available', []],
  ['CVE-2019-11243', 'inferred', 'available', []], // "k8s.io/client-go users that use …": a library
  ['CVE-2019-11244', 'stated', 'pending', []], // "kubectl v1.8.0+", no fix stated; "Environment: Linux" is no condition
  ['CVE-2019-1002100', 'stated', 'available', []],
  ['CVE-2018-1002105', 'stated', 'available', []],
  ['CVE-2018-1002101', 'inferred', 'pending', []],
  ['CVE-2018-1002100', 'inferred', 'pending', []],
  ['CVE-2017-1002102', 'inferred', 'available', []],
  ['CVE-2017-1002101', 'assumed', 'available', []],
  ['CVE-2017-1002100', 'inferred', 'pending', []], // empty body
  ['CVE-2017-1000056', 'inferred', 'available', []],
  // Annotation injection; the text says nothing of the admission webhook: no condition.
  ['CVE-2025-1097', 'inferred', 'available', []],
  // "the in-tree gitRepo volume feature has been deprecated and will not receive security updates".
  ['CVE-2025-1767', 'stated', 'none', ['volume=gitRepo']],
  ['CVE-2024-9042', 'stated', 'available', ['os=windows']], // "This CVE affects only Windows worker nodes."
  ['CVE-2024-10220', 'stated', 'available', ['volume=gitRepo']],
  ['CVE-2024-9486', 'stated', 'available', []], // "The linux command `last builder`": no condition
  ['CVE-2024-3744', 'stated', 'available', []],
  ['CVE-2023-5528', 'stated', 'available', ['os=windows']], // "only affected if they are using an in-tree storage plugin for Windows nodes"
  ['CVE-2023-3955', 'stated', 'available', ['os=windows']], // "only affected if they include Windows nodes"
];

function readItems(path: string): FeedItem[] {
  const feed = JSON.parse(readFileSync(path, 'utf8')) as { items: unknown[] };
  return feed.items.map((raw) => feedItemSchema.parse(raw));
}

function byId(items: FeedItem[]): Map<string, Advisory> {
  return new Map(items.flatMap(parseItem).map((a) => [a.id, a]));
}

function branchesOf(a: Advisory): Record<string, Branch[]> {
  const out: Record<string, Branch[]> = {};
  for (const r of a.ranges) (out[r.component] ??= []).push([r.introduced, r.lastAffected, r.fixed]);
  for (const list of Object.values(out)) list.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return out;
}

function sorted(ranges: Record<string, Branch[]>): Record<string, Branch[]> {
  return Object.fromEntries(
    Object.entries(ranges).map(([c, list]) => [c, [...list].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))]),
  );
}

describeShared('real feeds: every advisory', () => {
  const cases: [string, string, Expected][] = [
    ...EXPECTED_2023.map(([id, e]): [string, string, Expected] => [FEED_2023, id, e]),
    ...EXPECTED_RECENT.map(([id, e]): [string, string, Expected] => [FEED_RECENT, id, e]),
  ];
  const parsed = new Map<string, Map<string, Advisory>>();
  const advisoriesOf = (path: string): Map<string, Advisory> => {
    let m = parsed.get(path);
    if (!m) {
      m = byId(readItems(path));
      parsed.set(path, m);
    }
    return m;
  };

  it('the tables cover every CVE id of both feeds', () => {
    expect([...advisoriesOf(FEED_2023).keys()].sort()).toEqual(EXPECTED_2023.map(([id]) => id).sort());
    expect([...advisoriesOf(FEED_RECENT).keys()].sort()).toEqual(EXPECTED_RECENT.map(([id]) => id).sort());
  });

  it.each(cases)('%s %s', (path, id, expected) => {
    const a = advisoriesOf(path).get(id);
    expect(a, id).toBeDefined();
    if (!a) return;
    if (expected.assumed) {
      expect(a.componentSource).toBe('assumed');
      const want = sorted({ any: expected.assumed }).any;
      expect(a.ranges.length).toBeGreaterThan(0);
      for (const [component, branches] of Object.entries(branchesOf(a))) expect(branches, component).toEqual(want);
    } else {
      const ranges = expected.ranges ?? {};
      expect(branchesOf(a)).toEqual(sorted(ranges));
      const components = expected.components ?? Object.keys(ranges);
      expect([...a.components].sort()).toEqual([...components].sort());
    }
    expect(a.parse.confidence).toBe(expected.confidence);
    expect(a.status).toBe(expected.status);
  });

  it('the facts table covers every CVE id of both feeds', () => {
    expect(FACTS.map(([id]) => id).sort()).toEqual([...EXPECTED_2023, ...EXPECTED_RECENT].map(([id]) => id).sort());
  });

  it.each(FACTS)('%s: components %s, fix %s, conditions %j', (id, source, fixState, conditions) => {
    const a = advisoriesOf(FEED_2023).get(id) ?? advisoriesOf(FEED_RECENT).get(id);
    expect(a, id).toBeDefined();
    if (!a) return;
    expect(a.componentSource).toBe(source);
    expect(a.fixState).toBe(fixState);
    expect(a.conditions.map((c) => `${c.kind}=${c.value}`).sort()).toEqual([...conditions].sort());
    // Each condition quotes the sentence it was read from.
    for (const c of a.conditions) expect(c.text.length).toBeGreaterThan(10);
  });
});

describeShared('real feeds: invariants', () => {
  const items = [...readItems(FEED_2023), ...readItems(FEED_RECENT)];

  it('reads 43 + 8 items as 44 + 8 advisories without throwing', () => {
    expect(readItems(FEED_2023)).toHaveLength(43);
    expect(readItems(FEED_2023).flatMap(parseItem)).toHaveLength(44);
    expect(readItems(FEED_RECENT).flatMap(parseItem)).toHaveLength(8);
  });

  it.each(items.map((item) => [item.id, item] as const))('%s: confidence and warnings agree', (_id, item) => {
    for (const a of parseItem(item)) {
      expect(['high', 'medium', 'low']).toContain(a.parse.confidence);
      if (a.parse.confidence === 'high') expect(a.parse.warnings).toEqual([]);
      else expect(a.parse.warnings.length).toBeGreaterThan(0);
      expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(a.ranges.every((r) => a.components.includes(r.component))).toBe(true);
    }
  });

  it.each(items.map((item) => [item.id, item] as const))('%s: every range holds its own bounds', (_id, item) => {
    for (const a of parseItem(item)) {
      for (const r of a.ranges) {
        for (const v of [r.introduced, r.lastAffected, r.fixed]) if (v !== null && !isWholeMinor(v)) expect(v).toMatch(/^\d+\.\d+\.\d+(-[0-9a-z.]+)?$/);
        if (r.lastAffected && !isWholeMinor(r.lastAffected)) expect(inRange(r.lastAffected, r)).toBe(true);
        if (r.introduced && !isWholeMinor(r.introduced)) expect(inRange(r.introduced, r)).toBe(true);
        if (r.fixed) expect(inRange(r.fixed, { ...r, lastAffected: null })).toBe(false);
      }
    }
  });

  it('splits the combined 2023 item into two advisories naming each other', () => {
    const combined = readItems(FEED_2023).find((i) => i.id.includes(','));
    expect(combined).toBeDefined();
    if (!combined) return;
    const [first, second] = parseItem(combined);
    expect(first?.id).toBe('CVE-2023-2727');
    expect(first?.aliases).toEqual(['CVE-2023-2728']);
    expect(second?.aliases).toEqual(['CVE-2023-2727']);
    expect(first?.externalUrl).toMatch(/id=CVE-2023-2727$/);
    expect(first?.title).not.toBe(second?.title);
    expect(first?.contentHash).toBe(second?.contentHash);
  });

  const severities: [string, string, string | null, number | null, string | null][] = [
    [FEED_2023, 'CVE-2023-2431', 'low', 3.4, 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N'],
    [FEED_2023, 'CVE-2023-2878', 'medium', 6.5, 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N'],
    [FEED_2023, 'CVE-2022-3172', 'medium', 5.1, 'CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:L'],
    [FEED_2023, 'CVE-2021-25749', 'low', null, null],
    [FEED_2023, 'CVE-2020-8566', 'medium', 4.7, 'CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N'],
    [FEED_2023, 'CVE-2020-8557', 'medium', 5.5, 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H/CR:H/IR:H/AR:M'],
    // Two statements (typical / insecure port open): the worst case is reported.
    [FEED_2023, 'CVE-2020-8558', 'high', 8.8, 'CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
    [FEED_2023, 'CVE-2020-10749', 'medium', 6, 'CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:C/C:L/I:L/A:L'],
    [FEED_2023, 'CVE-2019-11254', null, null, null],
    [FEED_2023, 'CVE-2019-11253', 'high', 7.5, 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'],
    [FEED_2023, 'CVE-2019-11248', 'medium', null, null],
    [FEED_2023, 'CVE-2019-1002100', 'medium', 6.5, 'CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H'],
    [FEED_2023, 'CVE-2018-1002105', 'critical', 9.8, 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
    [FEED_2023, 'CVE-2018-1002102', 'low', 2.6, 'CVSS:3.0/AV:N/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N/E:F'],
    // Vector only: the score is computed, the rating derived from it.
    [FEED_2023, 'CVE-2022-3294', 'medium', 6.6, 'CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H'],
    [FEED_RECENT, 'CVE-2025-1097', 'high', 8.8, 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'],
    [FEED_RECENT, 'CVE-2024-9042', 'medium', 5.9, 'CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N'],
    [FEED_RECENT, 'CVE-2024-9486', 'critical', 9.8, 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
    // Written "av:N" in the link text.
    [FEED_RECENT, 'CVE-2023-3955', 'high', 8.8, 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'],
  ];
  it.each(severities)('%s %s severity', (path, id, rating, score, vector) => {
    const a = byId(readItems(path)).get(id);
    expect(a?.severity).toEqual({ rating, score, vector });
  });

  it('extracts the "am I vulnerable" and mitigation sections', () => {
    const a = byId(readItems(FEED_2023)).get('CVE-2022-3162');
    expect(a?.vulnerableIf).toMatch(/CustomResourceDefinitions/);
    expect(a?.mitigation).toMatch(/^Upgrading the kube-apiserver/);
    for (const adv of items.flatMap(parseItem)) {
      expect((adv.vulnerableIf ?? '').length).toBeLessThanOrEqual(1502);
      expect((adv.mitigation ?? '').length).toBeLessThanOrEqual(1502);
    }
  });
});
