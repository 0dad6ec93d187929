import { describe, expect, it } from 'vitest';
import {
  evaluateGate, judgeVerification, summarizeVerification, type EarlierWindow, type GateInput, type VerificationSummary,
} from '../../../src/maintenance/gate.ts';
import type { VerifyReport } from '../../../src/verify/types.ts';

const D = 86_400_000;
const probes = (...statuses: ('pass' | 'warn' | 'fail' | 'skip' | 'error')[]) => statuses.map((status, i) => ({ id: `p${i}`, status }));
const verification = (clusters: VerificationSummary['clusters']): VerificationSummary => ({ at: '2026-12-08T05:00:00Z', clusters });
const passed = verification([{ cluster: 'staging-eu', probes: probes('pass', 'warn', 'skip') }]);
const closed = (v: VerificationSummary | null, closedAt = '2026-12-08T05:00:00Z'): EarlierWindow => ({ id: 'staging-2026-12-08', state: 'closed', closedAt, verification: v });

const input = (over: Partial<GateInput> = {}): GateInput => ({
  window: { id: 'prod-2026-12-10', environment: 'prod' },
  after: 'staging',
  previousId: 'staging-2026-12-08',
  previous: closed(passed),
  change: 'minor',
  gate: { minor: 'after-staging', patch: 'after-staging' },
  gapMs: 0,
  readiness: { backupConfirmed: null, disruptionReadiness: [] },
  override: null,
  now: new Date('2026-12-10T01:00:00Z'),
  ...over,
});

describe('judgeVerification', () => {
  it.each([
    ['pass, warn and skip together', passed, { passed: true }],
    ['nothing recorded', null, { passed: false, reason: 'no post-window verification recorded' }],
    ['no cluster', verification([]), { passed: false, reason: 'the verification covered no cluster' }],
    ['a failing probe, with its regression', verification([{ cluster: 'staging-eu', probes: [{ id: 'rbac', status: 'fail' }], regressions: ['rbac: user:dev get secrets -n kube-system deny → allow'] }]),
      { passed: false, reason: 'verify failed on staging-eu: rbac: user:dev get secrets -n kube-system deny → allow' }],
    ['a failing probe without a comparison', verification([{ cluster: 'staging-eu', probes: [{ id: 'admission', status: 'fail' }, { id: 'rbac', status: 'pass' }] }]),
      { passed: false, reason: 'verify failed on staging-eu: admission' }],
    ['an errored probe', verification([{ cluster: 'staging-eu', probes: [{ id: 'node-readiness', status: 'error' }] }]),
      { passed: false, reason: 'verify errored on staging-eu: node-readiness' }],
    ['every probe skipped', verification([{ cluster: 'staging-eu', probes: probes('skip', 'skip') }]),
      { passed: false, reason: 'verify proved nothing on staging-eu: every probe skipped' }],
    ['one of two clusters unreachable', verification([{ cluster: 'a', probes: probes('pass') }, { cluster: 'b', probes: [], error: 'connect ECONNREFUSED' }]),
      { passed: false, reason: 'verify could not run on b: connect ECONNREFUSED' }],
  ])('%s', (_label, v, expected) => {
    expect(judgeVerification(v)).toEqual(expected);
  });

  it('keeps regressions from a verify report\'s comparison', () => {
    const report: VerifyReport = {
      cluster: 'staging-eu', startedAt: '2026-12-08T05:00:00Z', durationMs: 10,
      probes: [{ id: 'rbac', status: 'fail', summary: '1 expectation broken', evidence: [], durationMs: 1 }],
      comparison: { previousStartedAt: '2026-12-08T01:00:00Z', regressions: [{ probe: 'rbac', subject: 'x', from: 'deny', to: 'allow', text: 'rbac: x deny → allow' }], improvements: [], changes: [] },
    };
    const summary = summarizeVerification([report], report.startedAt);
    expect(judgeVerification(summary)).toEqual({ passed: false, reason: 'verify failed on staging-eu: rbac: x deny → allow' });
  });
});

describe('evaluateGate', () => {
  it.each([
    ['staging closed and passed', {}, true, []],
    ['staging verification failed', { previous: closed(verification([{ cluster: 'staging-eu', probes: [{ id: 'rbac', status: 'fail' }], regressions: ['rbac: deny→allow'] }])) },
      false, ['staging-2026-12-08: verify failed on staging-eu: rbac: deny→allow']],
    ['staging all skipped', { previous: closed(verification([{ cluster: 'staging-eu', probes: probes('skip') }])) },
      false, ['staging-2026-12-08: verify proved nothing on staging-eu: every probe skipped']],
    ['staging still open', { previous: { id: 'staging-2026-12-08', state: 'open' } as EarlierWindow }, false, ['staging-2026-12-08 is open, not closed']],
    ['staging cancelled', { previous: { id: 'staging-2026-12-08', state: 'cancelled' } as EarlierWindow }, false, ['staging-2026-12-08 was cancelled']],
    ['staging never held', { previous: null }, false, ['staging-2026-12-08 has not taken place']],
    ['no staging window before', { previousId: null, previous: null }, false, ['no staging window before this one']],
    ['gap 2d not met', { gapMs: 2 * D }, false, ['gap 2d after staging-2026-12-08 not yet passed (until 2026-12-10T05:00:00Z)']],
    ['gap 2d met exactly', { gapMs: 2 * D, now: new Date('2026-12-10T05:00:00Z') }, true, []],
    ['failed and gap not met: both reasons', { gapMs: 2 * D, previous: closed(null) },
      false, ['staging-2026-12-08: no post-window verification recorded', 'gap 2d after staging-2026-12-08 not yet passed (until 2026-12-10T05:00:00Z)']],
    ['no after: nothing to wait for', { after: null, previousId: null, previous: null }, true, []],
  ] as const)('%s', (_label, over, open, reasons) => {
    const decision = evaluateGate(input(over as Partial<GateInput>));
    expect(decision).toMatchObject({ open, mode: 'after-staging', reasons });
    expect(decision.overridden).toBeUndefined();
  });

  it('opens on an override with a reason, keeping what was overridden', () => {
    const override = { by: 'U01AAA', reason: 'CVE-2025-1974 is exploited; staging rehearsal done by hand', at: '2026-12-10T00:30:00Z' };
    const decision = evaluateGate(input({ previous: null, override }));
    expect(decision).toEqual({ open: true, mode: 'after-staging', reasons: ['staging-2026-12-08 has not taken place'], overridden: override });
  });

  describe('per kind of change: gate { minor: after-staging, patch: readiness }', () => {
    const gate = { minor: 'after-staging', patch: 'readiness' } as const;
    const ready = { backupConfirmed: { by: 'U01AAA', at: '2026-12-09T20:00:00Z' }, disruptionReadiness: [{ cluster: 'prod-eu', status: 'pass' as const }, { cluster: 'prod-us', status: 'warn' as const }] };

    it.each([
      ['a patch plan goes on readiness alone, staging not held', { change: 'patch', previous: null, readiness: ready }, 'readiness', true, []],
      ['a plan with nothing to upgrade uses the patch gate', { change: 'none', previous: null, readiness: ready }, 'readiness', true, []],
      ['a minor plan still waits for staging', { change: 'minor', previous: null, readiness: ready }, 'after-staging', false, ['staging-2026-12-08 has not taken place']],
      ['a patch plan without a backup confirmation', { change: 'patch', readiness: { ...ready, backupConfirmed: null } }, 'readiness', false,
        ['backup not confirmed (press "Backup confirmed" in the window thread)']],
      ['a patch plan whose cluster cannot drain', { change: 'patch', readiness: { ...ready, disruptionReadiness: [{ cluster: 'prod-eu', status: 'fail' as const, summary: 'PDB web allows 0 disruptions' }] } },
        'readiness', false, ['disruption-readiness failed on prod-eu: PDB web allows 0 disruptions']],
      ['a patch plan never checked for disruption', { change: 'patch', readiness: { ...ready, disruptionReadiness: [] } }, 'readiness', false,
        ['disruption-readiness has not run on this environment']],
      ['a patch plan whose disruption probe skipped', { change: 'patch', readiness: { ...ready, disruptionReadiness: [{ cluster: 'prod-us', status: 'skip' as const, summary: 'needs list pods' }] } },
        'readiness', false, ['disruption-readiness skipped on prod-us: needs list pods']],
    ] as const)('%s', (_label, over, mode, open, reasons) => {
      expect(evaluateGate(input({ gate, ...(over as Partial<GateInput>) }))).toMatchObject({ mode, open, reasons });
    });

    it('defaults to staging first for a patch too', () => {
      expect(evaluateGate(input({ change: 'patch', previous: null }))).toMatchObject({ mode: 'after-staging', open: false });
    });
  });
});
