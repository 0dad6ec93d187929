import { describe, expect, it } from 'vitest';
import { ADVISORY_ACTIONS, advisoryChangeReply, advisoryMessage } from '../../../src/slack/blocks/advisory.ts';
import { homeView } from '../../../src/slack/blocks/home.ts';
import { advisoryListMessage, clustersMessage, helpMessage, usageError } from '../../../src/slack/blocks/replies.ts';
import { attentionOf } from '../../../src/notify/attention.ts';
import { LIMITS } from '../../../src/slack/blocks/text.ts';
import { advisory, finding, POSTURE, RELEASE_DATA } from './fixtures.ts';

type AnyBlock = { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { type: string; text?: { text: string } | string; action_id?: string; value?: string }[] };

function allText(blocks: readonly unknown[]): string {
  return JSON.stringify(blocks);
}

function sectionTexts(blocks: readonly unknown[]): string[] {
  return (blocks as AnyBlock[]).flatMap((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)]);
}

describe('advisoryMessage', () => {
  const a = advisory('CVE-2023-2727', { title: 'Bypassing policies imposed by the ImagePolicyWebhook' });
  const findings = [
    finding(a.id, 'prod-eu', 'prod'),
    finding(a.id, 'prod-eu', 'prod', { component: 'kubelet' }),
    finding(a.id, 'legacy', 'prod', { version: 'v1.24.17', fixedTarget: 'v1.27.3', upgradePath: ['1.25', '1.26', '1.27'], notes: ['1.24 is past end of life'] }),
    finding(a.id, 'edge', 'prod', { verdict: 'unfixed', fixedTarget: null }),
    finding(a.id, 'prod-us', 'prod', { verdict: 'not-affected', fixedTarget: null, version: 'v1.29.4-eks-036c24b' }),
  ];

  it('shows id linked to the issue, title, severity, status, components, targets, mitigation and data date', () => {
    const msg = advisoryMessage({ advisory: a, findings, releaseData: RELEASE_DATA });
    const text = allText(msg.blocks);
    expect(text).toContain('<https://github.com/kubernetes/kubernetes/issues/2727|CVE-2023-2727>');
    expect(text).toContain('Bypassing policies imposed by the ImagePolicyWebhook');
    expect(text).toContain('high (8.8)');
    expect(text).toContain('*Status*\\nfixed');
    expect(text).toContain('*Components*\\nkube-apiserver');
    // Components sharing version and target share a line.
    expect(text).toContain('*prod-eu* (prod): kube-apiserver, kubelet v1.27.1 → *v1.27.3*');
    expect(text).toContain('*legacy* (prod): kube-apiserver v1.24.17 → *v1.27.3* (upgrade via 1.25 → 1.26 → 1.27)');
    expect(text).toContain('1.24 is past end of life');
    expect(text).toContain('*edge* (prod): kube-apiserver v1.27.1 → _no fix available yet_');
    expect(text).not.toContain('*prod-us*');
    expect(text).toContain('(1 not affected)');
    expect(text).toContain('Restrict access to the API server.');
    expect(text).toContain('Release data as of 2026-08-21 (bundled)');
    expect(msg.overflow).toEqual([]);
    expect(msg.text).toMatch(/^CVE-2023-2727 \(high\).*3 affected clusters$/);
  });

  it('has the Verify, Schedule emergency window and Acknowledge buttons with stable action ids and the advisory id as value', () => {
    const msg = advisoryMessage({ advisory: a, findings, releaseData: RELEASE_DATA });
    const actions = (msg.blocks as AnyBlock[]).find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => e.action_id)).toEqual(['advisory_verify', 'advisory_schedule_emergency', 'advisory_acknowledge']);
    expect(ADVISORY_ACTIONS.scheduleEmergency).toBe('advisory_schedule_emergency');
    expect(actions?.elements?.every((e) => e.value === 'CVE-2023-2727')).toBe(true);
    for (const e of actions?.elements ?? []) {
      const label = typeof e.text === 'object' ? e.text.text : '';
      expect(label.length).toBeLessThanOrEqual(LIMITS.buttonText);
    }
    expect(ADVISORY_ACTIONS.acknowledge).toBe('advisory_acknowledge');
  });

  it('omits buttons on request and shows an acknowledgement', () => {
    const msg = advisoryMessage({ advisory: a, findings, releaseData: null, actions: false, acknowledged: { user: 'U02BBB', at: '2026-01-01T00:00:00Z' } });
    expect((msg.blocks as AnyBlock[]).some((b) => b.type === 'actions')).toBe(false);
    expect(allText(msg.blocks)).toContain('Acknowledged by <@U02BBB>');
    expect(allText(msg.blocks)).toContain('Release data: unavailable');
  });

  it('escapes mrkdwn control characters from feed text', () => {
    const evil = advisory('CVE-2023-0001', { title: '<!channel> & <https://evil|click>', mitigation: '<@U123> ping' });
    const msg = advisoryMessage({ advisory: evil, findings: [finding(evil.id, 'prod-eu', 'prod')], releaseData: null });
    const text = allText(msg.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
    expect(text).not.toContain('<@U123>');
  });

  it('summarises a large fleet within 50 blocks and 3000 chars, full list in thread replies', () => {
    const big = Array.from({ length: 600 }, (_, i) =>
      finding(a.id, `cluster-${String(i).padStart(3, '0')}-with-a-rather-long-name`, 'prod', { notes: ['provider build needed: wait for the managed release that carries the fix'] }));
    const msg = advisoryMessage({ advisory: a, findings: big, releaseData: RELEASE_DATA });
    expect(msg.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    for (const t of sectionTexts(msg.blocks)) expect(t.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(allText(msg.blocks)).toContain('…and 585 more clusters');
    expect(msg.overflow.length).toBeGreaterThan(0);
    const listed = msg.overflow.flatMap((m) => sectionTexts(m.blocks)).join('\n');
    expect(listed).toContain('cluster-000-with');
    expect(listed).toContain('cluster-599-with');
    for (const m of msg.overflow) {
      expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
      for (const t of sectionTexts(m.blocks)) expect(t.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
  });

  it('truncates a huge mitigation text', () => {
    const long = advisory('CVE-2023-0002', { mitigation: 'x'.repeat(10_000), title: 'y'.repeat(5000) });
    const msg = advisoryMessage({ advisory: long, findings: [], releaseData: null });
    for (const t of sectionTexts(msg.blocks)) expect(t.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(allText(msg.blocks)).toContain('No cluster in this channel is affected');
  });
});

describe('other builders', () => {
  it('change reply lists the changes, escaped', () => {
    const msg = advisoryChangeReply(advisory('CVE-2023-2727'), ['status: open → fixed', 'newly affected: <b>']);
    expect(allText(msg.blocks)).toContain('• status: open → fixed');
    expect(allText(msg.blocks)).toContain('&lt;b&gt;');
  });

  it('help and usage errors list the valid forms', () => {
    expect(allText(helpMessage().blocks)).toContain('/k8s triage CVE-YYYY-NNNN');
    const err = usageError('Unknown subcommand "x".');
    expect(allText(err.blocks)).toContain('Unknown subcommand');
    expect(allText(err.blocks)).toContain('/k8s verify CLUSTER|ENV');
  });

  it('advisory list puts affecting advisories first and stays within limits', () => {
    const items = Array.from({ length: 120 }, (_, i) => {
      const a = advisory(`CVE-2024-${1000 + i}`);
      return { advisory: a, summary: attentionOf(i % 2 === 0 ? [finding(a.id, 'prod-eu', 'prod')] : []) };
    });
    const msg = advisoryListMessage(items, RELEASE_DATA);
    expect(msg.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(sectionTexts(msg.blocks)[1]).toContain('1 affected: prod-eu');
    expect(allText(msg.blocks)).toContain('80 more not shown');
  });

  it('clusters message and home view show posture', () => {
    expect(allText(clustersMessage(POSTURE, RELEASE_DATA).blocks)).toContain('*prod-eu* (prod, kubeadm) v1.27.1 · :warning: unsupported (EOL 2024-06-28)');
    const a = advisory('CVE-2023-2727');
    const view = homeView({ clusters: POSTURE, advisories: [{ advisory: a, summary: attentionOf([finding(a.id, 'prod-eu', 'prod')]) }], releaseData: RELEASE_DATA, updatedAt: '2026-01-01T00:00:00Z' });
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerView);
    const text = allText(view.blocks);
    expect(text).toContain('*3* clusters · *1* on an unsupported minor · *1* advisories affect the fleet');
    expect(text).toContain('CVE-2023-2727');
  });
});
