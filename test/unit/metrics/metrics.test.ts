/**
 * Metrics of one process: a registry per createMetrics (no global state), instrumentation at the
 * existing seams, bounded labels, and gauges that read their sources at scrape time.
 */
import { EventEmitter } from 'node:events';
import type { Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { Advisory } from '../../../src/advisory/types.ts';
import { FeedError } from '../../../src/errors.ts';
import { errorCode, instrumentFetch, instrumentParse, observeWorker, recordVerifyReport } from '../../../src/metrics/instrument.ts';
import { createMetrics, type Metrics } from '../../../src/metrics/metrics.ts';
import type { VerifyReport } from '../../../src/verify/types.ts';

const fresh = () => createMetrics({ role: 'hub', version: '9.9.9', processMetrics: false, now: () => new Date('2026-12-01T12:00:00Z') });

async function sample(m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val));
  return hit?.value;
}

describe('createMetrics', () => {
  it('gives every call its own registry: two in one process never clash', async () => {
    const a = fresh();
    const b = fresh();
    a.feedPolls.inc({ result: 'modified' });
    expect(await sample(a, 'k8s_advisor_feed_polls_total', { result: 'modified' })).toBe(1);
    expect(await sample(b, 'k8s_advisor_feed_polls_total', { result: 'modified' })).toBeUndefined();
    expect((await a.scrape()).body).toContain('k8s_advisor_build_info{version="9.9.9",role="hub"} 1');
  });

  it('reads state gauges at scrape time; a failing source empties its gauge instead of failing the scrape', async () => {
    const m = fresh();
    let waiting = 3;
    m.readFrom({
      queues: async () => [{ queue: 'slack', counts: { waiting, failed: 0 } }],
      agents: async () => { throw new Error('redis down'); },
      releaseAsOf: () => new Date('2026-11-30T12:00:00Z'),
      inventories: () => [{ cluster: 'prod-eu', collectedAt: new Date('2026-12-01T11:59:00Z') }],
    });
    let body = (await m.scrape()).body;
    expect(body).toContain('k8s_advisor_queue_jobs{queue="slack",state="waiting"} 3');
    expect(body).toContain('k8s_advisor_release_data_age_seconds 86400');
    expect(body).toContain('k8s_advisor_inventory_age_seconds{cluster="prod-eu"} 60');
    expect(body).not.toMatch(/^k8s_advisor_agent_up\{/m);
    waiting = 0;
    body = (await m.scrape()).body;
    expect(body).toContain('k8s_advisor_queue_jobs{queue="slack",state="waiting"} 0');
  });

  it('exports windows and sign-offs only once something reports them', async () => {
    const m = fresh();
    expect((await m.scrape()).body).not.toMatch(/^k8s_advisor_maintenance_windows\{/m);
    m.readFrom({ windows: async () => ({ scheduled: 2, done: 1 }), signoffs: async () => ({ pending: 1 }) });
    const body = (await m.scrape()).body;
    expect(body).toContain('k8s_advisor_maintenance_windows{state="scheduled"} 2');
    expect(body).toContain('k8s_advisor_signoffs{state="pending"} 1');
  });
});

describe('instrumentFetch', () => {
  it('counts modified, 304 and failed polls, errors by stable code, and records each success', async () => {
    const m = fresh();
    const successes: Date[] = [];
    const answers: (() => Promise<{ notModified: boolean }>)[] = [
      async () => ({ notModified: false }),
      async () => ({ notModified: true }),
      async () => { throw new FeedError('FEED_TIMEOUT', 'no answer'); },
      async () => { throw new Error('socket hang up'); },
    ];
    const fetch = instrumentFetch(async (i: number) => answers[i]!(), m, (at) => { successes.push(at); }, () => new Date('2026-12-01T12:00:00Z'));
    await fetch(0);
    await fetch(1);
    await expect(fetch(2)).rejects.toThrow('no answer');
    await expect(fetch(3)).rejects.toThrow('socket hang up');
    expect(await sample(m, 'k8s_advisor_feed_polls_total', { result: 'modified' })).toBe(1);
    expect(await sample(m, 'k8s_advisor_feed_polls_total', { result: 'not_modified' })).toBe(1);
    expect(await sample(m, 'k8s_advisor_feed_polls_total', { result: 'error' })).toBe(2);
    expect(await sample(m, 'k8s_advisor_feed_errors_total', { code: 'FEED_TIMEOUT' })).toBe(1);
    expect(await sample(m, 'k8s_advisor_feed_errors_total', { code: 'other' })).toBe(1);
    expect(successes).toEqual([new Date('2026-12-01T12:00:00Z'), new Date('2026-12-01T12:00:00Z')]);
  });

  it('never fails a poll because recording its time failed', async () => {
    const fetch = instrumentFetch(async () => ({ notModified: false }), fresh(), async () => { throw new Error('redis down'); });
    await expect(fetch()).resolves.toEqual({ notModified: false });
  });

  it.each([
    [new FeedError('FEED_HTTP', 'x'), 'FEED_HTTP'],
    [new Error('plain'), 'other'],
    ['a string', 'other'],
  ])('labels %s as %s', (err, code) => {
    expect(errorCode(err)).toBe(code);
  });
});

describe('instrumentParse', () => {
  it('counts each parsed advisory by confidence and returns them unchanged', async () => {
    const m = fresh();
    const advisories = [{ parse: { confidence: 'high' } }, { parse: { confidence: 'low' } }, { parse: { confidence: 'high' } }] as unknown as Advisory[];
    const parse = instrumentParse((_item: string) => advisories, m);
    expect(parse('item')).toBe(advisories);
    expect(await sample(m, 'k8s_advisor_advisories_parsed_total', { confidence: 'high' })).toBe(2);
    expect(await sample(m, 'k8s_advisor_advisories_parsed_total', { confidence: 'low' })).toBe(1);
  });
});

describe('observeWorker', () => {
  /** BullMQ's Worker is an EventEmitter; the events carry the job (and result or error). */
  const fakeWorker = (name: string) => Object.assign(new EventEmitter(), { name }) as unknown as Worker & EventEmitter;
  const job = (id: string, data: unknown, attemptsMade = 1, attempts = 1) => ({ id, data, attemptsMade, opts: { attempts } });

  it('counts deliveries per channel and result, failures for good per channel, and times each attempt', async () => {
    const m = fresh();
    const w = fakeWorker('slack');
    observeWorker(w, m);
    w.emit('active', job('a', { kind: 'deliver', channel: 'C0PROD', advisory: 'CVE-2025-1974' }));
    w.emit('completed', job('a', { kind: 'deliver', channel: 'C0PROD', advisory: 'CVE-2025-1974' }), 'up-to-date');
    w.emit('active', job('b', { kind: 'deliver', channel: 'C0PROD' }, 1, 8));
    w.emit('failed', job('b', { kind: 'deliver', channel: 'C0PROD' }, 1, 8), new Error('ratelimited'));
    w.emit('active', job('c', { kind: 'deliver', channel: 'C0PROD' }, 8, 8));
    w.emit('failed', job('c', { kind: 'deliver', channel: 'C0PROD' }, 8, 8), new Error('not_in_channel'));
    expect(await sample(m, 'k8s_advisor_slack_deliveries_total', { channel: 'C0PROD', result: 'up_to_date' })).toBe(1);
    expect(await sample(m, 'k8s_advisor_job_failures_total', { queue: 'slack', final: 'false' })).toBe(1);
    expect(await sample(m, 'k8s_advisor_job_failures_total', { queue: 'slack', final: 'true' })).toBe(1);
    expect(await sample(m, 'k8s_advisor_slack_delivery_failures_total', { channel: 'C0PROD' })).toBe(1);
    const body = (await m.scrape()).body;
    expect(body).toContain('k8s_advisor_job_duration_seconds_count{queue="slack",outcome="completed"} 1');
    expect(body).toContain('k8s_advisor_job_duration_seconds_count{queue="slack",outcome="failed"} 2');
    expect(body).not.toContain('CVE-');
  });

  it('mints no label from a malformed job or an unknown result', async () => {
    const m = fresh();
    const w = fakeWorker('slack');
    observeWorker(w, m);
    w.emit('completed', job('x', { channel: 'general; drop table' }), 'posted');
    w.emit('completed', job('y', { channel: 'C0PROD' }), 'something-new');
    w.emit('completed', job('z', null), 'posted');
    expect((await m.scrape()).body).not.toMatch(/^k8s_advisor_slack_deliveries_total\{/m);
  });
});

describe('recordVerifyReport', () => {
  const report = (statuses: string[]): VerifyReport => ({
    cluster: 'prod-eu', startedAt: '2026-12-01T12:00:00Z', durationMs: 10,
    probes: statuses.map((status, i) => ({ id: `probe-${i}`, status, summary: '', evidence: [], durationMs: 250 })),
  }) as unknown as VerifyReport;

  it.each([
    [['pass', 'pass'], 'pass'],
    [['pass', 'warn', 'skip'], 'warn'],
    [['warn', 'fail', 'pass'], 'fail'],
    [['fail', 'error'], 'error'],
    [[], 'error'],
  ])('probes %j → run counted as %s', async (statuses, worst) => {
    const m = fresh();
    recordVerifyReport(m, report(statuses));
    expect(await sample(m, 'k8s_advisor_verify_runs_total', { cluster: 'prod-eu', status: worst })).toBe(1);
    if (statuses.length > 0) expect((await m.scrape()).body).toContain(`k8s_advisor_probe_duration_seconds_sum{probe="probe-0"} 0.25`);
  });
});
