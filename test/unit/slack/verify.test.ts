/** Verification from Slack: throttled updates, which clusters a button verifies, and a job that resumes. */
import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DispatchOptions } from '../../../src/agent/dispatcher.ts';
import { silentLogger } from '../../../src/log.ts';
import type { VerifyJob } from '../../../src/queue/payloads.ts';
import { createVerifyJobRunner, orderReports, verifyResultDetail } from '../../../src/queue/workers/verify-worker.ts';
import { clustersToVerify } from '../../../src/slack/listeners/actions/advisory.ts';
import { createThrottle } from '../../../src/slack/throttle.ts';
import type { PostArgs, SlackApi } from '../../../src/slack/web.ts';
import type { AuditEntry, AuditLog } from '../../../src/store/audit.ts';
import { SlackError } from '../../../src/errors.ts';
import { PROBE_IDS, type ProbeStatus, type VerifyReport } from '../../../src/verify/types.ts';
import { finding, testConfig } from './fixtures.ts';

function report(cluster: string, statuses: ProbeStatus[], extra: Partial<VerifyReport> = {}): VerifyReport {
  return {
    cluster, environment: 'prod', startedAt: '2026-03-12T02:00:00.000Z', durationMs: 10,
    probes: statuses.map((status, i) => ({ id: PROBE_IDS[i] ?? 'rbac', status, summary: `${status} summary`, evidence: [], durationMs: 1 })),
    ...extra,
  };
}

describe('createThrottle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first request at once, coalesces the rest into one trailing run per interval', async () => {
    const runs: number[] = [];
    const t = createThrottle({ everyMs: 1_000, now: () => Date.now(), run: async () => { runs.push(Date.now()); } });
    const start = Date.now();
    t.request();
    expect(runs).toEqual([start]);
    for (let i = 0; i < 10; i++) t.request();
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([start, start + 1_000]);
    // Nothing requested since: no further run.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toHaveLength(2);
  });

  it('never overlaps runs, and flush waits for the one in flight and drops the pending one', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const t = createThrottle({
      everyMs: 10,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 50));
        active--;
        runs++;
      },
    });
    t.request();
    t.request();
    await vi.advanceTimersByTimeAsync(20);
    const flushed = t.flush();
    await vi.advanceTimersByTimeAsync(100);
    await flushed;
    t.request();
    await vi.advanceTimersByTimeAsync(1_000);
    expect({ runs, maxActive }).toEqual({ runs: 1, maxActive: 1 });
  });

  it('passes a failed run to onError and keeps going', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const t = createThrottle({ everyMs: 100, run: async () => { calls++; if (calls === 1) throw new Error('429'); }, onError: (e) => errors.push(e) });
    t.request();
    await vi.advanceTimersByTimeAsync(0);
    t.request();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });
});

describe('clustersToVerify (the Verify button)', () => {
  const config = testConfig();
  it.each([
    ['C0PROD', [finding('CVE-1', 'prod-eu', 'prod'), finding('CVE-1', 'prod-us', 'prod', { verdict: 'not-affected' }), finding('CVE-1', 'stage-1', 'staging')], ['prod-eu'], ['prod']],
    ['C0PROD', [finding('CVE-1', 'prod-us', 'prod', { verdict: 'unknown' }), finding('CVE-1', 'prod-eu', 'prod', { verdict: 'unfixed' })], ['prod-eu', 'prod-us'], ['prod']],
    ['C0STAGE', [finding('CVE-1', 'prod-eu', 'prod')], [], []],
    ['C0SEC', [finding('CVE-1', 'prod-eu', 'prod')], [], []],
  ])('%s with %j', (channel, findings, clusters, environments) => {
    expect(clustersToVerify({ config }, channel, findings)).toEqual({ clusters, environments });
  });
});

describe('audit detail and reply order', () => {
  it('counts statuses, clusters, regressions and names failing clusters', () => {
    const reports = [
      report('prod-eu', ['pass', 'pass', 'warn']),
      report('prod-us', ['error'], { error: { code: 'AGENT_MISSING', message: 'no agent seen for prod-us ever' } }),
      report('legacy', ['fail', 'pass'], { comparison: { previousStartedAt: 'x', regressions: [{ probe: 'rbac', subject: 'status', from: 'pass', to: 'fail', text: 'rbac: pass → fail' }], improvements: [], changes: [] } }),
    ];
    expect(verifyResultDetail(reports)).toBe('pass 3, warn 1, fail 1, skip 0, error 1 · 3 clusters · 1 regression · failing: prod-us, legacy');
    expect(orderReports(reports).map((r) => r.cluster)).toEqual(['legacy', 'prod-us', 'prod-eu']);
  });
});

describe('verify job runner', () => {
  interface FakeJob { id: string; data: VerifyJob; updateData(d: VerifyJob): Promise<void> }

  function harness(options: { failReplyOnce?: boolean } = {}) {
    const posted: PostArgs[] = [];
    const updated: { ts: string; text: string }[] = [];
    let failReply = options.failReplyOnce ?? false;
    const slack: Pick<SlackApi, 'postMessage' | 'update' | 'findByMarker'> = {
      async postMessage(args) {
        if (args.threadTs && failReply) {
          failReply = false;
          throw new SlackError('SLACK_HTTP', 'chat.postMessage: HTTP 503', { retryable: true });
        }
        posted.push(args);
        return { ts: `1700000000.${String(posted.length).padStart(6, '0')}` };
      },
      async update(args) {
        updated.push({ ts: args.ts, text: args.text });
      },
      async findByMarker() {
        return null;
      },
    };
    const audits: AuditEntry[] = [];
    const audit: AuditLog = { record: async (e) => { audits.push(e); }, recent: async () => [] };
    const verifyCalls: string[] = [];
    const verifier = {
      async verify(cluster: string, o?: DispatchOptions): Promise<VerifyReport> {
        verifyCalls.push(cluster);
        const r = report(cluster, ['pass', 'warn']);
        for (const [i, probe] of r.probes.entries()) await o?.onProgress?.({ cluster, probe, done: i + 1, total: 2 });
        return r;
      },
    };
    const run = createVerifyJobRunner({
      config: testConfig(), verifier, slack, audit, respond: async () => undefined, logger: silentLogger(), updateEveryMs: 0,
    });
    const job: FakeJob = {
      id: 'verify-abc',
      data: { kind: 'verify', target: 'prod', clusters: ['prod-eu', 'prod-us'], user: 'U01AAA', channel: 'C0PROD', origin: { kind: 'command', what: 'verify prod' } },
      async updateData(d) {
        this.data = d;
      },
    };
    return { posted, updated, audits, verifyCalls, job, run: () => run(job as unknown as Job, job.data, silentLogger()) };
  }

  it('posts progress, updates it, replaces it with the summary, replies per cluster, audits the counts', async () => {
    const h = harness();
    expect(await h.run()).toBe('verified');
    expect(h.posted[0]).toMatchObject({ channel: 'C0PROD', text: 'Verifying prod: 0/26 probes done', marker: 'verify/verify-abc' });
    expect(h.posted[0]?.threadTs).toBeUndefined();
    const ts = '1700000000.000001';
    expect(h.updated.every((u) => u.ts === ts)).toBe(true);
    expect(h.updated[0]?.text).toMatch(/^Verifying prod: \d\/4 probes done$/);
    expect(h.updated.at(-1)?.text).toBe('prod verified, no failures');
    expect(h.posted.slice(1).map((p) => [p.threadTs, p.text])).toEqual([
      [ts, 'prod-eu: 1 pass, 1 warn, 0 fail, 0 skip, 0 error'],
      [ts, 'prod-us: 1 pass, 1 warn, 0 fail, 0 skip, 0 error'],
    ]);
    expect(h.audits).toEqual([{ user: 'U01AAA', kind: 'command', what: 'verify prod', result: 'ok', channel: 'C0PROD', detail: 'pass 2, warn 2, fail 0, skip 0, error 0 · 2 clusters' }]);
  });

  it('a retried job resumes: no second progress message, no second probe run, no duplicate reply', async () => {
    const h = harness({ failReplyOnce: true });
    await expect(h.run()).rejects.toThrow(/HTTP 503/);
    expect(h.job.data.progressTs).toBe('1700000000.000001');
    expect(h.job.data.reports?.map((r) => r.cluster)).toEqual(['prod-eu', 'prod-us']);
    expect(h.audits).toEqual([]);
    await h.run();
    expect(h.verifyCalls).toEqual(['prod-eu', 'prod-us']);
    expect(h.posted.filter((p) => !p.threadTs)).toHaveLength(1);
    expect(h.posted.filter((p) => p.threadTs).map((p) => p.text.split(':')[0])).toEqual(['prod-eu', 'prod-us']);
    expect(h.audits).toHaveLength(1);
  });

  it('turns a cluster whose verification throws into an error report instead of failing the job', async () => {
    const h = harness();
    const run = createVerifyJobRunner({
      config: testConfig(),
      verifier: { verify: async () => { throw new Error('socket hang up'); } },
      slack: { postMessage: async () => ({ ts: '1700000000.000001' }), update: async (a) => { h.updated.push({ ts: a.ts, text: a.text }); }, findByMarker: async () => null },
      audit: { record: async (e) => { h.audits.push(e); }, recent: async () => [] },
      respond: async () => undefined, logger: silentLogger(),
    });
    await run(h.job as unknown as Job, { ...h.job.data, clusters: ['prod-eu'], target: 'prod-eu' }, silentLogger());
    expect(h.updated.at(-1)?.text).toBe('prod-eu: 1 of 1 clusters with failures');
    expect(h.audits[0]?.detail).toContain('failing: prod-eu');
  });

  it('refuses clusters the config does not name', async () => {
    const h = harness();
    await expect(createVerifyJobRunner({
      config: testConfig(), verifier: { verify: async () => report('x', []) }, slack: {} as SlackApi, audit: {} as AuditLog, respond: async () => undefined, logger: silentLogger(),
    })(h.job as unknown as Job, { ...h.job.data, clusters: ['nope'] }, silentLogger())).rejects.toThrow(/not in the config: nope/);
  });
});
