import { describe, expect, it } from 'vitest';
import { clusterReportBlocks, verifyProgressMessage, verifySummaryMessage } from '../../../src/verify/blocks.ts';
import { formatReportText } from '../../../src/verify/render-text.ts';
import type { ProbeResult, VerifyReport } from '../../../src/verify/types.ts';

const p = (id: ProbeResult['id'], status: ProbeResult['status'], summary = `${id} ${status}`, evidence: string[] = []): ProbeResult =>
  ({ id, status, summary, evidence, durationMs: 3 });

const report = (cluster: string, probes: ProbeResult[], extra: Partial<VerifyReport> = {}): VerifyReport =>
  ({ cluster, environment: 'prod', provider: 'eks', server: 'v1.29.4-eks-036c24b', startedAt: '2025-01-02T03:04:05.000Z', durationMs: 120, probes, ...extra });

const texts = (blocks: unknown[]) => JSON.stringify(blocks);

describe('verify blocks', () => {
  it('shows progress per cluster', () => {
    const msg = verifyProgressMessage({
      target: 'prod', clusters: ['prod-eu', 'prod-us'], probesPerCluster: 2, requestedBy: 'U01AAA',
      finished: { 'prod-eu': [p('rbac', 'pass'), p('admission', 'fail')], 'prod-us': [p('rbac', 'pass')] },
    });
    expect(msg.text).toBe('Verifying prod: 3/4 probes done');
    expect(msg.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: ':x: *prod-eu* 2/2  :x: 1  :white_check_mark: 1\n:hourglass_flowing_sand: *prod-us* 1/2  :white_check_mark: 1' } });
    expect(texts(msg.blocks)).toContain('requested by <@U01AAA>');
  });

  it('lists regressions before the probes, probes worst first, and escapes text', () => {
    const r = report('prod-eu', [p('apiserver-health', 'pass'), p('rbac', 'fail', 'deny now allowed <script>', ['MISMATCH: user:dev get secrets'])], {
      comparison: { previousStartedAt: '2025-01-01T00:00:00Z', regressions: [{ probe: 'rbac', subject: 'user:dev get secrets', from: 'deny', to: 'allow', text: 'rbac: user:dev get secrets deny → allow' }], improvements: [], changes: [] },
    });
    const blocks = clusterReportBlocks(r);
    const json = texts(blocks);
    expect(json.indexOf('Regressions since the last run')).toBeLessThan(json.indexOf('`rbac`'));
    expect(json.indexOf('`rbac`')).toBeLessThan(json.indexOf('`apiserver-health`'));
    expect(json).toContain('&lt;script&gt;');
    expect(json).toContain('› MISMATCH: user:dev get secrets');
  });

  it('summarises an environment, failing clusters first, within Slack limits', () => {
    const reports = [report('b-ok', [p('rbac', 'pass')]), report('a-bad', [p('rbac', 'fail')])];
    const msg = verifySummaryMessage('prod', reports);
    expect(msg.text).toBe('prod: 1 of 2 clusters with failures');
    const json = texts(msg.blocks);
    expect(json.indexOf('a-bad')).toBeLessThan(json.indexOf('b-ok'));
    const many = Array.from({ length: 60 }, (_, i) => report(`c-${i}`, [p('rbac', 'pass'), p('admission', 'warn')]));
    expect(verifySummaryMessage('prod', many).blocks.length).toBeLessThanOrEqual(50);
  });

  it('summarises one line per cluster without details (details go to the thread)', () => {
    const reports = [
      report('b-ok', [p('rbac', 'pass'), p('admission', 'pass')]),
      report('a-bad', [p('rbac', 'fail', 'deny now allowed')], {
        comparison: { previousStartedAt: '2025-01-01T00:00:00Z', regressions: [{ probe: 'rbac', subject: 'user:dev get secrets', from: 'deny', to: 'allow', text: 'rbac: user:dev get secrets deny → allow' }], improvements: [], changes: [] },
      }),
      report('c-gone', [], { error: { code: 'AGENT_MISSING', message: 'no agent seen for c-gone ever' } }),
    ];
    const msg = verifySummaryMessage('prod', reports, { details: false });
    const json = texts(msg.blocks);
    expect(json).not.toContain('`rbac`');
    expect(json).toContain(':x: *a-bad*  :x: 1 · :rotating_light: rbac: user:dev get secrets deny → allow');
    expect(json).toContain('no agent seen for c-gone ever');
    expect(json.indexOf('a-bad')).toBeLessThan(json.indexOf('b-ok'));
    const many = Array.from({ length: 2000 }, (_, i) => report(`cluster-${i}`, [p('rbac', 'pass')]));
    expect(verifySummaryMessage('prod', many, { details: false }).blocks.length).toBeLessThanOrEqual(50);
  });

  it('says a cluster error once', () => {
    const blocks = clusterReportBlocks(report('prod-us', [p('rbac', 'error', 'no agent')], { error: { code: 'AGENT_MISSING', message: 'no agent seen for prod-us ever; is the agent running?' } }));
    expect(blocks).toHaveLength(2);
    expect(texts(blocks)).toContain('no agent seen for prod-us ever');
  });
});

describe('text rendering', () => {
  it('prints a header, regressions, then probes worst first with evidence for problems', () => {
    const text = formatReportText(report('prod-eu', [p('apiserver-health', 'pass'), p('node-readiness', 'fail', '1/2 nodes Ready', ['worker-2: not Ready'])], {
      comparison: { previousStartedAt: '2025-01-01T00:00:00Z', regressions: [{ probe: 'node-readiness', subject: 'status', from: 'pass', to: 'fail', text: 'node-readiness: pass → fail' }], improvements: [], changes: [] },
    }));
    expect(text.split('\n').slice(0, 6)).toEqual([
      'prod-eu (prod, eks, v1.29.4-eks-036c24b): 1 fail, 1 pass · 120 ms · 2025-01-02T03:04:05.000Z',
      '  REGRESSIONS since 2025-01-01T00:00:00Z:',
      '    ! node-readiness: pass → fail',
      '  FAIL  node-readiness    1/2 nodes Ready',
      '                          - worker-2: not Ready',
      '  PASS  apiserver-health  apiserver-health pass',
    ]);
  });
});

describe('verify summary when nothing was checked', () => {
  const skipped = (id: ProbeResult['id'], needs: string[]): ProbeResult => ({ id, status: 'skip', summary: `${id} skipped: forbidden`, evidence: [], durationMs: 1, needs });

  it.each([
    ['every probe skipped', [report('prod-eu', [skipped('node-readiness', ['list nodes']), skipped('deprecated-apis', ['get /metrics'])])]],
    ['no probe at all', [report('prod-eu', [])]],
  ])('%s: no green check, says nothing was checked and why', (_name, reports) => {
    for (const details of [true, false]) {
      const msg = verifySummaryMessage('prod', reports, { details });
      const json = texts(msg.blocks);
      expect(json).not.toContain(':white_check_mark:');
      expect(json).toContain('nothing was checked');
      expect(msg.text).toBe('prod: nothing was checked, every probe was skipped');
    }
    const json = texts(verifySummaryMessage('prod', reports).blocks);
    if (reports[0]?.probes.length) expect(json).toContain('needs list nodes; needs get /metrics');
    else expect(json).toContain('no probe ran');
  });

  it('some clusters unchecked: no green headline, the unchecked cluster named', () => {
    const reports = [report('ok', [p('rbac', 'pass')]), report('blind', [skipped('rbac', ['create subjectaccessreviews'])])];
    const msg = verifySummaryMessage('prod', reports, { details: false });
    const json = texts(msg.blocks);
    expect(json).toContain(':warning: *prod*: no failures, but nothing was checked on 1 of 2 clusters (every probe skipped: needs create subjectaccessreviews)');
    expect(json).toContain(':heavy_minus_sign: *blind*  nothing was checked: every probe was skipped (needs create subjectaccessreviews)');
    expect(msg.text).toBe('prod: no failures, but nothing was checked on 1 of 2 clusters');
  });

  it('one cluster report with only skips is not green', () => {
    const json = texts(clusterReportBlocks(report('blind', [skipped('rbac', ['create subjectaccessreviews'])])));
    expect(json).toMatch(/^\[\{"type":"section","text":\{"type":"mrkdwn","text":":heavy_minus_sign: \*blind\*/);
    expect(json).toContain('nothing was checked: every probe was skipped (needs create subjectaccessreviews)');
  });
});
