/**
 * Conditions on exploitation read from the text (advisory/conditions.ts). A wrong `os` condition
 * becomes a wrong "not affected", so the negatives (mentions in passing) matter as much as the
 * positives. Sentences are our own, in the shapes real advisories use.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBody, parseItem } from '../../../src/advisory/parse.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const fixture = (file: string): string => readFileSync(resolve(REPO_ROOT, 'test/fixtures/advisories', file), 'utf8');

/** A template-shaped body with `describe` under "Am I vulnerable?" and `mitigate` under the mitigation heading. */
function body(describeText: string, mitigate = 'Upgrade the kubelet.'): string {
  return [
    'CVSS Rating: [CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H](https://www.first.org/cvss/calculator/3.1)',
    '',
    'A security issue was discovered in the kubelet.',
    '',
    '### Am I vulnerable?',
    '',
    describeText,
    '',
    '#### Affected Versions',
    '',
    '- kubelet v1.33.0 - v1.33.2',
    '',
    '### How do I mitigate this vulnerability?',
    '',
    mitigate,
    '',
    '#### Fixed Versions',
    '',
    '- kubelet v1.33.3',
    '',
    '### Detection',
    '',
    'Run `kubectl get nodes -l kubernetes.io/os=windows` and `kubectl get pods -A -o json | jq ".items[].spec.volumes[]?.gitRepo"`.',
  ].join('\n');
}

const conditionsOf = (text: string, summary = ''): string[] => parseBody(text, { summary }).conditions.map((c) => `${c.kind}=${c.value}`).sort();

describe('os conditions', () => {
  it.each([
    ['This CVE affects only Windows worker nodes.', ['os=windows']],
    ['Kubernetes clusters are only affected if they include Windows nodes.', ['os=windows']],
    ['Any kubernetes environment with Windows nodes is impacted.', ['os=windows']],
    ['Clusters running Windows workloads with runAsNonRoot are impacted.', ['os=windows']],
    ['Only Windows nodes are vulnerable.', ['os=windows']],
    ['This issue only affects Linux nodes.', ['os=linux']],
    ['This only affects kubelets running on Windows.', ['os=windows']],
    ['This is a Windows-only issue.', ['os=windows']],
    ['The bug is in code that runs on Windows and Linux.', []],
    // Mentions in passing: no condition.
    ['Both Linux and Windows nodes are affected.', []],
    ['Windows nodes are also affected.', []],
    ['This does not affect Windows nodes.', []],
    ['Windows nodes are not affected.', []],
    ['Run the following Linux command to check your nodes.', []],
    ['A user that can create pods on Windows nodes may escalate privileges.', []],
    ['Environment: Linux', []],
    ['Nodes running Linux or Windows are affected.', []],
    ['All nodes, including Windows nodes, are affected.', []],
    ['Clusters with Windows nodes are affected too.', []],
    ['Clusters are only affected when the attacker can create pods; this works on Windows nodes.', []],
    ['The kubelet on Linux nodes is affected only when the flag is set.', []],
    ['Windows nodes are never affected.', []],
  ])('%s → %j', (sentence, expected) => {
    expect(conditionsOf(body(sentence))).toEqual(expected);
  });

  it.each([
    ['Command injection affecting Windows nodes via the logs query API', ['os=windows']],
    ['Privilege escalation on Windows nodes through a crafted volume path', ['os=windows']],
    ['runAsNonRoot bypass for Windows containers', ['os=windows']],
    ['Node log query leaks files on Linux and Windows nodes', []],
    ['kubelet crashes on a crafted pod', []],
  ])('title %s → %j', (summary, expected) => {
    expect(conditionsOf(body('If your cluster runs an affected version, it is vulnerable.'), summary)).toEqual(expected);
  });

  it('a Windows condition from the title alone lowers confidence and says why', () => {
    const result = parseBody(body('If your cluster runs an affected version, it is vulnerable.'), { summary: 'Privilege escalation on Windows nodes through a crafted volume path' });
    expect(result.parse.confidence).toBe('medium');
    expect(result.parse.warnings.join()).toContain('according to the title alone');
    const confirmed = parseBody(body('This CVE affects only Windows worker nodes.'), { summary: 'Privilege escalation on Windows nodes through a crafted volume path' });
    expect(confirmed.parse.confidence).toBe('high');
  });

  it.each([
    'Clusters with Windows nodes are affected when the flag is set. Linux nodes are affected when the other flag is set.',
    'Any cluster with Windows nodes is impacted. Linux nodes are also vulnerable if they run the proxy.',
  ])('one sentence restricting to Windows beside another calling Linux affected gives no os condition: %s', (text) => {
    expect(conditionsOf(body(text))).toEqual([]);
  });

  it('"Linux nodes are not affected" beside a Windows restriction keeps the condition', () => {
    expect(conditionsOf(body('This CVE affects only Windows worker nodes. Linux nodes are not affected.'))).toEqual(['os=windows']);
  });

  it('upgrading the kubelet "on your Windows nodes" in the mitigation is no condition', () => {
    expect(conditionsOf(body('If your cluster runs an affected version, it is vulnerable.', 'Upgrade the kubelet on your Windows worker nodes only.'))).toEqual([]);
  });

  it('reads our Windows-only fixture and quotes the sentence', () => {
    const result = parseBody(fixture('windows-only.md'));
    expect(result.conditions).toEqual([{ kind: 'os', value: 'windows', text: 'Kubernetes clusters are only affected if they have Windows nodes.' }]);
  });
});

describe('volume conditions', () => {
  it.each([
    ['This CVE affects Kubernetes clusters where pods use the in-tree gitRepo volume to clone a repository.', ['volume=gitRepo']],
    ['A user who can create a pod and associate a gitRepo volume can run commands on the node.', ['volume=gitRepo']],
    ['Only clusters that utilize gitRepo volumes are affected.', ['volume=gitRepo']],
    // Volumes in general, or gitRepo among others: no condition.
    ['This can be done with any volume type, including emptyDir and gitRepo.', []],
    ['Pods with hostPath, emptyDir or gitRepo volumes may be affected.', []],
    ['Pods using subPath volume mounts are affected.', []],
  ])('%s → %j', (sentence, expected) => {
    expect(conditionsOf(body(sentence))).toEqual(expected);
  });

  it('a gitRepo command in the Detection section is no condition', () => {
    // body() always carries a Detection section that lists gitRepo pods.
    expect(conditionsOf(body('If your cluster runs an affected version, it is vulnerable.'))).toEqual([]);
  });

  it('reads the title', () => {
    expect(conditionsOf(body('If your cluster runs an affected version, it is vulnerable.'), 'Arbitrary command execution through gitRepo volume')).toEqual(['volume=gitRepo']);
  });
});

describe('admission-webhook conditions', () => {
  it('reads the ingress-nginx admission webhook from the description and the "disable it" mitigation', () => {
    const result = parseBody(fixture('ingress-admission.md'));
    expect(result.conditions.map((c) => `${c.kind}=${c.value}`)).toEqual(['admission-webhook=ingress-nginx']);
    expect(result.conditions[0]?.text).toMatch(/validating admission webhook of the controller/);
  });

  it.each([
    ['Disabling the Validating Admission Controller feature of ingress-nginx mitigates this issue.', ['admission-webhook=ingress-nginx']],
    ['Until you can upgrade, turn off the ingress-nginx admission webhook (controller.admissionWebhooks.enabled=false).', ['admission-webhook=ingress-nginx']],
    ['Before you can upgrade, reduce the risk by turning off the Validating Admission Controller feature of ingress-nginx.', ['admission-webhook=ingress-nginx']],
    ['If ingress-nginx was installed by hand, delete the ValidatingWebhookConfiguration called ingress-nginx-admission.', ['admission-webhook=ingress-nginx']],
    // A webhook the user should write, or the API server's admission chain: no condition.
    ['You can create a validating admission webhook that rejects such Ingresses.', []],
    ['Use admission control to keep untrusted users from creating Ingresses.', []],
  ])('mitigation %s → %j', (mitigation, expected) => {
    const text = body('This issue affects ingress-nginx.', mitigation).replace(/kubelet/g, 'ingress-nginx');
    expect(conditionsOf(text)).toEqual(expected);
  });

  it('a validating admission webhook of the user, judged by kube-apiserver, is no condition', () => {
    const text = body('You are only affected if you run a Validating Admission Webhook for Nodes that denies admission based on the old state of the Node.');
    expect(conditionsOf(text)).toEqual([]);
  });
});

describe('feature-gate conditions', () => {
  it.each([
    ['Clusters with the FooBarBaz feature gate enabled are affected.', ['feature-gate=FooBarBaz']],
    ['You are affected only if the feature gate FooBarBaz is enabled.', ['feature-gate=FooBarBaz']],
    ['Kubernetes API servers with the StreamingProxyRedirects feature enabled AND without the ValidateProxyRedirects feature are affected.', ['feature-gate=StreamingProxyRedirects']],
    ['Clusters started with --feature-gates=FooBarBaz=true are vulnerable.', ['feature-gate=FooBarBaz']],
    ['Clusters using the DynamicResourceAllocation feature gate are affected.', ['feature-gate=DynamicResourceAllocation']],
    // Not a gate that must be on.
    ['Clusters with the FooBarBaz feature gate disabled are not affected, and those without the QuxQuux feature gate are safe.', []],
    ['Using the default feature gate values, kube-apiserver versions before v1.14 are affected.', []],
    ['The PodSecurityPolicy admission plugin is used.', []],
  ])('%s → %j', (sentence, expected) => {
    expect(conditionsOf(body(sentence))).toEqual(expected);
  });

  it.each([
    ['To mitigate, disable the VolumeSubpath feature gate on kubelet and kube-apiserver.', ['feature-gate=VolumeSubpath']],
    ['Disable the AlphaOne, BetaTwo, and GammaThree Kubernetes feature gates in kube-apiserver.', ['feature-gate=AlphaOne', 'feature-gate=BetaTwo', 'feature-gate=GammaThree']],
    ['Restart the kube-apiserver with --feature-gates=FooBarBaz=false.', ['feature-gate=FooBarBaz']],
    // Enabling a gate is the fix: the gate is no condition for exploitation.
    ['The ValidateProxyRedirects gate can be enabled with the kube-apiserver flag --feature-gates=ValidateProxyRedirects=true.', []],
  ])('mitigation %s → %j', (mitigation, expected) => {
    expect(conditionsOf(body('If your cluster runs an affected version, it is vulnerable.', mitigation))).toEqual(expected);
  });

  it('reads a list of gates after "the following feature gates enabled:"', () => {
    const text = body(['Check if you have the following Kubernetes feature gates enabled:', '', '```', 'AlphaOne: alpha since 1.30', 'BetaTwo: beta since 1.31', '```'].join('\n'));
    expect(conditionsOf(text)).toEqual(['feature-gate=AlphaOne', 'feature-gate=BetaTwo']);
  });

  it('reads our feature-gate fixture; "=false are not affected" adds nothing', () => {
    expect(conditionsOf(fixture('feature-gate-enabled.md'))).toEqual(['feature-gate=InPlacePodVerticalScaling']);
  });
});

describe('conditions from the OSV block', () => {
  const osv = (extra: string): string => [
    'Our own advisory.',
    '```json osv',
    `{ "schema_version": "1.6.0", "id": "CVE-2099-0009", "affected": [ { "package": { "ecosystem": "Kubernetes", "name": "kubelet" }, "ranges": [ { "type": "SEMVER", "events": [ { "introduced": "1.33.0" }, { "fixed": "1.33.3" } ] } ]${extra} } ] }`,
    '```',
  ].join('\n');

  it.each([
    [', "ecosystem_specific": { "os": ["windows"] }', ['os=windows']],
    [', "database_specific": { "platforms": "linux" }', ['os=linux']],
    [', "ecosystem_specific": { "os": ["linux", "windows"] }', []],
    [', "ecosystem_specific": { "feature_gates": ["FooBarBaz"] }', ['feature-gate=FooBarBaz']],
    [', "ecosystem_specific": { "volumes": ["gitRepo"] }', ['volume=gitRepo']],
    [', "ecosystem_specific": { "os": "Windows Server 2022" }', ['os=windows']],
    ['', []],
  ])('%s → %j', (extra, expected) => {
    const result = parseBody(osv(extra));
    expect(result.parse.source).toBe('osv-block');
    expect(result.conditions.map((c) => `${c.kind}=${c.value}`).sort()).toEqual(expected);
    for (const c of result.conditions) expect(c.text).toMatch(/^OSV block: /);
  });
});

describe('OSV platform fields that cannot be judged are named, not dropped', () => {
  it.each([
    ['{ "os": ["darwin"] }', 'names an operating system not judged: darwin'],
    ['{ "os": [5] }', 'holds values that are not names'],
  ])('%s', (bag, warning) => {
    const block = `{ "id": "CVE-2099-0011", "affected": [ { "package": { "ecosystem": "Kubernetes", "name": "kubelet" }, "ranges": [ { "type": "SEMVER", "events": [ { "introduced": "0" }, { "fixed": "1.33.3" } ] } ], "ecosystem_specific": ${bag} } ] }`;
    const result = parseBody(`Our own advisory.\n\n\`\`\`json osv\n${block}\n\`\`\``);
    expect(result.conditions).toEqual([]);
    expect(result.parse.confidence).toBe('medium');
    expect(result.parse.warnings.join('\n')).toContain(warning);
  });
});

describe('conditions reach the advisory', () => {
  it('parseItem carries them, and an edited body re-reads them', () => {
    const base = { id: 'CVE-2099-0010', url: 'https://github.com/kubernetes/kubernetes/issues/10', summary: 'kubelet flaw', status: 'fixed' };
    const [before] = parseItem({ ...base, content_text: body('If your cluster runs an affected version, it is vulnerable.') });
    const [after] = parseItem({ ...base, content_text: body('This CVE affects only Windows worker nodes.') });
    expect(before?.conditions).toEqual([]);
    expect(after?.conditions.map((c) => c.value)).toEqual(['windows']);
    expect(after?.contentHash).not.toBe(before?.contentHash);
  });
});
