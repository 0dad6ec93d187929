import { describe, expect, it } from 'vitest';
import {
  WINDOW_EVENT_TYPE, blockedKey, blockedMessage, cancelledMessage, closedMessage, dueAnnouncements, openMessage, outcomeLine, planKey, planMessage,
  reminderKey, reminderMessage, scheduledMessage,
} from '../../../src/maintenance/messages.ts';
import { buildPlan } from '../../../src/maintenance/plan.ts';
import type { StoredWindow } from '../../../src/store/windows.ts';

const H = 3_600_000;
const D = 24 * H;
const w: StoredWindow = {
  id: 'prod-2026-12-10', environment: 'prod', kind: 'recurring',
  start: '2026-12-10T02:00:00+01:00', end: '2026-12-10T06:00:00+01:00', startUtc: '2026-12-10T01:00:00Z', endUtc: '2026-12-10T05:00:00Z',
  timezone: 'Europe/Berlin', durationMs: 4 * H, advisory: null, createdBy: 'config', createdAt: '2026-12-01T00:00:00Z', after: 'staging-2026-12-08',
  state: 'scheduled', reason: null, updatedAt: '2026-12-01T00:00:00Z', plan: null, previousPlan: null, thread: null, verification: null,
  override: null, backup: null, openedAt: null, closedAt: null, closing: null, baseline: null,
};
const at = (iso: string) => ({ now: new Date(iso), reminders: [7 * D, D, H], announceMs: 7 * D });

describe('dueAnnouncements', () => {
  it.each([
    ['eight days before: nothing yet', '2026-12-02T00:59:00Z', []],
    ['seven days before: the thread and the 7d reminder', '2026-12-03T01:00:00Z', ['scheduled', 'reminder-7d']],
    ['a day before', '2026-12-09T01:00:00Z', ['scheduled', 'reminder-7d', 'reminder-1d']],
    ['an hour before', '2026-12-10T00:00:00Z', ['scheduled', 'reminder-7d', 'reminder-1d', 'reminder-1h']],
    ['at the start: no more reminders', '2026-12-10T01:00:00Z', ['scheduled']],
  ])('%s', (_label, now, keys) => {
    expect(dueAnnouncements(w, at(now))).toEqual(keys);
  });

  it('sends no late reminder for a window stored after that reminder\'s time', () => {
    const late = { ...w, createdAt: '2026-12-09T12:00:00Z' };
    expect(dueAnnouncements(late, at('2026-12-10T00:30:00Z'))).toEqual(['scheduled', 'reminder-1h']);
  });

  it.each(['cancelled', 'closed'] as const)('announces nothing for a %s window', (state) => {
    expect(dueAnnouncements({ ...w, state }, at('2026-12-10T00:30:00Z'))).toEqual([]);
  });
});

describe('window messages carry k8s_advisor_window metadata', () => {
  const plan = buildPlan({ window: { id: w.id, environment: 'prod' }, after: w.after, clusters: [{ name: 'prod-eu', environment: 'prod' }], triage: { clusters: [], findings: [] }, now: new Date('2026-12-01T00:00:00Z') });
  it.each([
    ['scheduled', scheduledMessage(w, ['Skipped prod-2026-11-12: freeze']), { kind: 'scheduled', key: 'scheduled' }],
    ['plan', planMessage(w, plan), { kind: 'plan', key: planKey(plan) }],
    ['reminder', reminderMessage(w, D), { kind: 'reminder', key: 'reminder-1d', offset: '1d' }],
    ['open', openMessage({ ...w, plan }, null), { kind: 'open', key: 'open' }],
    ['blocked', blockedMessage(w, 'staging-2026-12-08: verify failed on staging-eu: rbac'), { kind: 'blocked', key: blockedKey('staging-2026-12-08: verify failed on staging-eu: rbac') }],
    ['cancelled', cancelledMessage(w, 'replaced'), { kind: 'cancelled', key: 'cancelled' }],
    ['closed', closedMessage(w, [], null), { kind: 'closed', key: 'closed' }],
  ])('%s', (_label, message, payload) => {
    expect(message.metadata).toEqual({ event_type: WINDOW_EVENT_TYPE, event_payload: { window: 'prod-2026-12-10', environment: 'prod', ...payload } });
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.blocks.length).toBeGreaterThan(0);
  });

  it('keys blocked reasons and plans by content, reminders by offset', () => {
    expect(blockedKey('a')).not.toBe(blockedKey('b'));
    expect(blockedKey('a')).toMatch(/^blocked-[a-f0-9]{12}$/);
    expect(reminderKey(90 * 60_000)).toBe('reminder-90m');
    const later = { ...plan, builtAt: '2026-12-05T00:00:00Z' };
    expect(planKey(later)).toBe(planKey(plan));
  });

  it('asks for the backup confirmation in the plan until someone gave it', () => {
    const ask = JSON.stringify(planMessage(w, plan).blocks);
    expect(ask).toContain('"action_id":"window_backup_confirmed"');
    expect(ask).toContain('"value":"prod-2026-12-10"');
    const done = JSON.stringify(planMessage({ ...w, backup: { by: 'U01AAA', at: '2026-12-09T20:00:00Z' } }, plan).blocks);
    expect(done).not.toContain('window_backup_confirmed');
    expect(done).toContain('Backup confirmed by <@U01AAA> at 2026-12-09T20:00:00Z');
  });

  it('says what changed in a rebuilt plan', () => {
    const text = JSON.stringify(planMessage(w, plan, ['prod-eu: target v1.35.8 → v1.35.9']).blocks);
    expect(text).toContain('What changed:');
    expect(text).toContain('prod-eu: target v1.35.8 → v1.35.9');
  });

  it('names the skipped windows and the window it follows in the parent', () => {
    const text = JSON.stringify(scheduledMessage(w, ['Skipped prod-2026-11-12: freeze 2026-11-12: audit']).blocks);
    expect(text).toContain('Follows `staging-2026-12-08`');
    expect(text).toContain('Skipped prod-2026-11-12: freeze 2026-11-12: audit');
  });
});

describe('the closed summary', () => {
  it.each([
    [{ cluster: 'prod-eu', before: 'v1.35.2', now: 'v1.35.8', target: 'v1.35.8' }, 'prod-eu: v1.35.2 → v1.35.8, target reached'],
    [{ cluster: 'prod-eu', before: 'v1.35.2-eks-1', now: 'v1.35.8-eks-7', target: 'v1.35.8' }, 'prod-eu: v1.35.2-eks-1 → v1.35.8-eks-7, target reached'],
    [{ cluster: 'prod-us', before: 'v1.34.3', now: 'v1.34.3', target: 'v1.34.9' }, 'prod-us: still v1.34.3 (target v1.34.9)'],
    [{ cluster: 'prod-us', before: 'v1.34.3', now: 'v1.34.5', target: 'v1.34.9' }, 'prod-us: v1.34.3 → v1.34.5, target v1.34.9 not reached'],
    [{ cluster: 'edge', before: null, now: 'v1.28.3+k3s1', target: null }, 'edge: still v1.28.3+k3s1'],
    [{ cluster: 'edge', before: 'v1.28.3', now: null, target: 'v1.29.1' }, 'edge: version could not be read (target v1.29.1)'],
  ])('%j → %s', (outcome, line) => {
    expect(outcomeLine(outcome)).toBe(line);
  });

  it('puts the verification verdict and regressions in the message', () => {
    const msg = closedMessage(w, [{ cluster: 'prod-eu', before: 'v1.35.2', now: 'v1.35.8', target: 'v1.35.8' }], {
      at: '2026-12-10T05:00:00Z', clusters: [{ cluster: 'prod-eu', probes: [{ id: 'rbac', status: 'fail' }], regressions: ['rbac: dev get secrets deny → allow'] }],
    });
    expect(msg.text).toBe('prod-2026-12-10 closed: prod-eu: v1.35.2 → v1.35.8, target reached');
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('Post-window verification: verify failed on prod-eu: rbac: dev get secrets deny → allow');
    expect(text).toContain('*Regressions*');
    expect(JSON.stringify(closedMessage(w, [], null).blocks)).toContain('Post-window verification: not run.');
  });
});
