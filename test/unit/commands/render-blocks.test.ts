import { describe, expect, it } from 'vitest';
import { mrkdwnToText, renderBlocks } from '../../../src/commands/render-blocks.ts';
import { advisoryMessage } from '../../../src/slack/blocks/advisory.ts';
import { advisory, finding } from '../slack/fixtures.ts';

describe('render-blocks: Slack messages as terminal text', () => {
  it.each([
    ['links', 'see <https://example.invalid/x|the issue>', 'see the issue (https://example.invalid/x)'],
    ['emoji', ':rotating_light: exposed · :heavy_minus_sign: skipped', '🚨 exposed · ➖ skipped'],
    ['escapes', 'a &lt;b&gt; &amp; c', 'a <b> & c'],
  ])('%s', (_name, mrkdwn, text) => {
    expect(mrkdwnToText(mrkdwn)).toBe(text);
  });

  it('shows a cluster row and its notes on the next line', () => {
    const a = advisory('CVE-2026-0001');
    const msg = advisoryMessage({
      advisory: a, releaseData: null,
      findings: [finding(a.id, 'prod-eu', 'prod', { notes: ['1.27 is end-of-life since 2024-06-28'], exposure: { status: 'not-exposed', evidence: 'no pod uses gitRepo' } })],
    });
    const text = renderBlocks(msg.blocks);
    expect(text).toContain('• *prod-eu* (prod): kube-apiserver v1.27.1 → *v1.27.3* · affected, not exposed now: no pod uses gitRepo\n1.27 is end-of-life since 2024-06-28');
    expect(text).toContain('[ Verify ] [ Schedule emergency window ] [ Acknowledge ]');
  });
});
