import { describe, expect, it } from 'vitest';
import { buttonValue, parseButtonValue, rejectModal, signoffRequestMessage, signoffStatusMessage, SIGNOFF_ACTIONS } from '../../../src/signoff/blocks.ts';
import { openRequest, apply } from '../../../src/signoff/machine.ts';
import { parseThreadReply } from '../../../src/signoff/service.ts';
import type { SignoffPolicy } from '../../../src/signoff/types.ts';
import { parseCommand } from '../../../src/slack/command.ts';
import { testConfig } from '../slack/fixtures.ts';

const POLICY: SignoffPolicy = { roles: ['platform', 'security'], quorum: 2, selfApproval: false, expiresMs: 86_400_000, cancel: ['platform'] };
const NOW = new Date('2026-12-08T09:00:00Z');
const request = () => openRequest({ window: 'prod-2026-12-10', environment: 'prod', phase: 'plan', requester: 'U03REQ', evidence: { title: 'Plan <b>', lines: ['prod-eu: v1.35.2 → v1.35.8'] }, policy: POLICY, now: NOW }).request;

describe('parseThreadReply', () => {
  it.each([
    ['approve', { kind: 'vote', decision: 'approve' }],
    ['Approved.', { kind: 'vote', decision: 'approve' }],
    ['<@UBOT> lgtm', { kind: 'vote', decision: 'approve' }],
    ['reject: staging failed rbac', { kind: 'vote', decision: 'reject', reason: 'staging failed rbac' }],
    ['Reject - no backup', { kind: 'vote', decision: 'reject', reason: 'no backup' }],
    ['reject', { kind: 'vote', decision: 'reject', reason: '' }],
    ['I approve of this in principle but', { kind: 'comment' }],
    ['approve later once backup is done', { kind: 'comment' }],
  ])('%s', (text, want) => {
    expect(parseThreadReply(text)).toEqual(want);
  });
});

describe('request message', () => {
  it('carries metadata, buttons bound to the evidence, and what is missing', () => {
    const r = request();
    const m = signoffRequestMessage(r, POLICY);
    expect(m.metadata).toEqual({ event_type: 'k8s_advisor_signoff', event_payload: { request: r.id, window: 'prod-2026-12-10', phase: 'plan', state: 'pending', evidenceHash: r.evidenceHash, round: 1 } });
    const json = JSON.stringify(m.blocks);
    expect(json).toContain(`"value":"${buttonValue(r)}"`);
    expect(json).toContain('needs 2 more: platform, security');
    expect(json).toContain('Plan &lt;b&gt;');
    expect(m.blocks.length).toBeLessThanOrEqual(50);
  });
  it('drops the buttons once decided and names who decided', () => {
    const r = apply(request(), { type: 'vote', user: 'U02BBB', roles: ['security'], decision: 'reject', reason: 'no <backup>', via: 'thread' }, POLICY, NOW).request;
    const json = JSON.stringify(signoffRequestMessage(r, POLICY).blocks);
    expect(json).not.toContain(SIGNOFF_ACTIONS.approve);
    expect(json).toContain('rejected');
    expect(json).toContain('<@U02BBB>');
    expect(json).toContain('no &lt;backup&gt;');
  });
  it('round-trips button values and refuses forged ones', () => {
    const r = request();
    expect(parseButtonValue(buttonValue(r))).toEqual({ request: r.id, evidenceHash: r.evidenceHash });
    expect(parseButtonValue('prod-2026-12-10:plan|nothex')).toBeNull();
    expect(parseButtonValue('../../etc:plan|' + 'a'.repeat(64))).toBeNull();
    expect(parseButtonValue(`staging-emergency-2026-12-03T14:00:plan|${'b'.repeat(64)}`)).toEqual({ request: 'staging-emergency-2026-12-03T14:00:plan', evidenceHash: 'b'.repeat(64) });
  });
  it('asks for a reason in the reject modal', () => {
    const v = rejectModal(request());
    expect(v.callback_id).toBe(SIGNOFF_ACTIONS.rejectModal);
    expect(JSON.stringify(v.blocks)).toContain('"min_length":3');
  });
  it('status lists each phase', () => {
    expect(JSON.stringify(signoffStatusMessage('prod-2026-12-10', []).blocks)).toContain('No sign-off has been requested');
    expect(JSON.stringify(signoffStatusMessage('prod-2026-12-10', [{ request: request(), policy: POLICY }]).blocks)).toContain('needs 2 more');
  });
});

describe('/k8s signoff, audit, accept', () => {
  const config = testConfig();
  it.each([
    ['signoff prod-2026-12-10', { kind: 'signoff', windowId: 'prod-2026-12-10' }],
    ['signoff staging-emergency-2026-12-03T14:00', { kind: 'signoff', windowId: 'staging-emergency-2026-12-03T14:00' }],
    ['audit prod-2026-12-10', { kind: 'audit', windowId: 'prod-2026-12-10' }],
    ['accept cve-2024-10220 prod-eu until 2027-01-15 no gitRepo volumes allowed', { kind: 'accept', advisory: 'CVE-2024-10220', target: { kind: 'cluster', name: 'prod-eu' }, environments: ['prod'], until: '2027-01-15', reason: 'no gitRepo volumes allowed' }],
    ['accept CVE-2024-10220 staging until 2027-01-15 <@U01> said so', { kind: 'accept', target: { kind: 'environment', name: 'staging' }, environments: ['staging'], reason: '@U01 said so' }],
  ])('%s', (text, want) => {
    const r = parseCommand(text, config);
    expect(r.ok && r.command).toMatchObject(want);
  });
  it.each([
    ['audit', /Usage: `\/k8s audit WINDOW-ID`/],
    ['audit ../x', /not a window id/],
    ['accept prod-eu', /not a CVE id/],
    ['accept CVE-2024-10220 nowhere until 2027-01-15 x y', /neither a cluster nor an environment/],
    ['accept CVE-2024-10220 prod-eu 2027-01-15 reason', /last day the acceptance holds/],
    ['accept CVE-2024-10220 prod-eu until 2027-01-15', /Give the reason/],
  ])('refuses %s', (text, error) => {
    const r = parseCommand(text, config);
    expect(!r.ok && r.error).toMatch(error);
  });
});
