import { describe, expect, it } from 'vitest';
import { EMERGENCY_ACTIONS, decodeConfirm, emergencyProposalMessage, emergencyWindowButton, encodeConfirm } from '../../../src/maintenance/emergency.ts';
import type { ProposedSlot } from '../../../src/maintenance/schedule.ts';

const slots: ProposedSlot[] = [
  { environment: 'staging', when: '2026-12-01T11:45', durationMs: 4 * 3_600_000, timezone: 'Europe/Berlin', startUtc: '2026-12-01T10:45:00Z' },
  { environment: 'prod', when: '2026-12-01T15:45', durationMs: 4 * 3_600_000, timezone: 'Europe/Berlin', startUtc: '2026-12-01T14:45:00Z' },
];

describe('the emergency-window button and proposal', () => {
  it('keeps the advisory message\'s action id and carries the advisory', () => {
    expect(emergencyWindowButton('CVE-2025-1974')).toEqual({
      type: 'button', text: { type: 'plain_text', text: 'Schedule emergency window' }, action_id: 'advisory_schedule_emergency', value: 'CVE-2025-1974', style: 'danger',
    });
  });

  it('round-trips the proposal through the Confirm button value', () => {
    const value = encodeConfirm('CVE-2025-1974', slots);
    expect(value.length).toBeLessThan(2000);
    expect(decodeConfirm(value)).toEqual({ a: 'CVE-2025-1974', s: [['staging', '2026-12-01T11:45', 14_400_000], ['prod', '2026-12-01T15:45', 14_400_000]] });
  });

  it.each([
    ['missing', undefined],
    ['not JSON', 'prod now'],
    ['too long', 'x'.repeat(2001)],
    ['no slot', JSON.stringify({ a: 'CVE-2025-1974', s: [] })],
    ['a slot time that is not local YYYY-MM-DDTHH:MM', JSON.stringify({ a: 'CVE-2025-1974', s: [['prod', '2026-12-01 15:45', 1]] })],
    ['an environment name with markup', JSON.stringify({ a: 'CVE-2025-1974', s: [['<!here>', '2026-12-01T15:45', 1]] })],
    ['a duration that is not a positive integer', JSON.stringify({ a: 'CVE-2025-1974', s: [['prod', '2026-12-01T15:45', -5]] })],
    ['a bad advisory id', JSON.stringify({ a: 'CVE-25', s: [['prod', '2026-12-01T15:45', 1]] })],
  ])('refuses a value that is %s', (_label, value) => {
    expect(decodeConfirm(value)).toBeNull();
  });

  it('proposes the slots, staging first, with a Confirm button and the gate note', () => {
    const msg = emergencyProposalMessage('CVE-2025-1974', slots);
    expect(msg.text).toBe('Emergency window for CVE-2025-1974: staging 2026-12-01T11:45, prod 2026-12-01T15:45');
    const text = JSON.stringify(msg.blocks);
    expect(text.indexOf('*staging*')).toBeLessThan(text.indexOf('*prod*'));
    expect(text).toContain('Tue 2026-12-01 11:45 (Europe/Berlin), 4h');
    expect(text).toContain('not the staging gate');
    const actions = msg.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] } | undefined;
    expect(actions?.elements[0]?.action_id).toBe(EMERGENCY_ACTIONS.confirm);
  });
});
