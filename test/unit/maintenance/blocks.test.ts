import { describe, expect, it } from 'vitest';
import { planSummary, windowsMessage } from '../../../src/maintenance/blocks.ts';
import { buildPlan } from '../../../src/maintenance/plan.ts';
import { environmentWindows, type EnvironmentWindow, type WindowsConfig } from '../../../src/maintenance/occurrences.ts';
import { formatWindowsText } from '../../../src/maintenance/text.ts';

const H = 3_600_000;
const config: WindowsConfig = {
  environments: {
    prod: { window: { rule: '2nd THU', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] }, after: 'staging' },
    staging: { window: { rule: '2nd TUE', start: '02:00', duration: 4 * H, timezone: 'Europe/Berlin', exclude: [] } },
  },
};
const list = (count: number, environment?: string): EnvironmentWindow[] =>
  environmentWindows(config, { from: '2026-01-01', count, ...(environment === undefined ? {} : { environment }) });

type AnyBlock = { type: string; text?: { type: string; text: string }; elements?: { text: string }[] };
const blocksOf = (m: { blocks: unknown[] }) => m.blocks as AnyBlock[];
const json = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

describe('windowsMessage', () => {
  it('shows staging before prod, with local time, the reader\'s time and the pairing', () => {
    const msg = windowsMessage(list(2));
    const blocks = blocksOf(msg);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Maintenance windows', emoji: true } });
    expect(blocks[1]?.text?.text).toMatch(/^\*staging\* · 2nd TUE, 4h, Europe\/Berlin\n• \*Tue 2026-01-13 02:00–06:00 \(Europe\/Berlin \+01:00\)\*/);
    expect(blocks[1]?.text?.text).toContain('<!date^1768266000^{date_short_pretty} {time}|UTC 2026-01-13 01:00–05:00>');
    expect(blocks[2]?.text?.text).toMatch(/^\*prod\* · 2nd THU, 4h, Europe\/Berlin, after staging/);
    expect(blocks[2]?.text?.text).toContain('after staging window on Tue 2026-02-10 02:00 (+01:00)');
    expect(blocks[2]?.text?.text).toContain(':warning: the staging window before this prod window is staging-2025-12-09, from an earlier month');
    expect(blocks.at(-1)?.type).toBe('context');
    expect(msg.text).toBe('Maintenance windows: 4 upcoming, next prod Thu 2026-01-08 02:00–06:00 (Europe/Berlin +01:00), 1 with warnings');
  });

  it('scopes to one environment', () => {
    const msg = windowsMessage(list(3, 'staging'), { environment: 'staging' });
    expect(blocksOf(msg)[0]?.text?.text).toBe('Maintenance windows: staging');
    expect(json(msg)).not.toContain('*prod*');
    expect(msg.text).toMatch(/^Maintenance windows: staging: 3 upcoming/);
  });

  it('marks a window in progress', () => {
    const msg = windowsMessage(environmentWindows(config, { from: new Date('2026-01-13T02:00:00Z'), count: 1, environment: 'staging' }));
    expect(json(msg)).toContain(':large_orange_circle: in progress');
  });

  it.each([
    [undefined, /No environment has a maintenance window/],
    ['dev', /Environment \*dev\* has a maintenance window|Environment \*dev\* has/],
  ])('explains an empty list (environment %s)', (environment, message) => {
    const msg = windowsMessage([], environment === undefined ? {} : { environment });
    expect(msg.blocks).toHaveLength(1);
    expect(json(msg)).toMatch(message);
    expect(json(msg)).toContain('environments.<env>.window');
  });

  it('escapes mrkdwn control characters', () => {
    const [w] = list(1, 'staging');
    const odd = { ...(w as EnvironmentWindow), environment: 'a<b>&c' };
    expect(json(windowsMessage([odd]))).toContain('*a&lt;b&gt;&amp;c*');
  });

  it('stays within 50 blocks and 3000 characters per section, saying how many windows it left out', () => {
    // 60 environments × 12 windows: more sections than one message can hold.
    const envs: Record<string, WindowsConfig['environments'][string]> = {};
    for (let i = 0; i < 60; i++) {
      envs[`env-${String(i).padStart(2, '0')}`] = { window: { rule: 'last SUN', start: '02:00', duration: 2 * H, timezone: 'America/New_York', exclude: [] } };
    }
    const many = environmentWindows({ environments: envs }, { from: '2026-01-01', count: 12 });
    expect(many).toHaveLength(720);
    const blocks = blocksOf(windowsMessage(many));
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) expect((b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
    const shown = blocks.reduce((n, b) => n + (b.type === 'section' ? (b.text?.text.match(/^• /gm) ?? []).length : 0), 0);
    const more = blocks.flatMap((b) => b.elements ?? []).map((e) => e.text).find((t) => t.startsWith('…and'));
    expect(more).toBe(`…and ${720 - shown} more windows; run \`k8s-advisor windows\` for the full list.`);
    expect(shown).toBeGreaterThan(0);
  });
});

describe('formatWindowsText', () => {
  it('prints each environment\'s windows with local and UTC times, pairing and warnings', () => {
    const text = formatWindowsText(list(2));
    expect(text).toBe([
      'staging  (2nd TUE, 4h, Europe/Berlin)',
      '  staging-2026-01-13  Tue 2026-01-13 02:00–06:00 (Europe/Berlin +01:00)  ·  UTC 2026-01-13 01:00–05:00',
      '  staging-2026-02-10  Tue 2026-02-10 02:00–06:00 (Europe/Berlin +01:00)  ·  UTC 2026-02-10 01:00–05:00',
      '',
      'prod  (2nd THU, 4h, Europe/Berlin, after staging)',
      '  prod-2026-01-08  Thu 2026-01-08 02:00–06:00 (Europe/Berlin +01:00)  ·  UTC 2026-01-08 01:00–05:00  ·  after staging window on Tue 2025-12-09 02:00 (+01:00)',
      '    warning: the staging window before this prod window is staging-2025-12-09, from an earlier month: no staging window in 2026-01 ends before this one starts',
      '  prod-2026-02-12  Thu 2026-02-12 02:00–06:00 (Europe/Berlin +01:00)  ·  UTC 2026-02-12 01:00–05:00  ·  after staging window on Tue 2026-02-10 02:00 (+01:00)',
    ].join('\n'));
  });

  it('shows both dates and both offsets when a window crosses midnight and a DST change', () => {
    const text = formatWindowsText(environmentWindows({
      environments: { ops: { window: { rule: '4th SAT', start: '23:00', duration: 5 * H, timezone: 'Europe/Berlin', exclude: [] } } },
    }, { from: '2026-10-01', count: 1 }));
    // Sat 24 Oct 23:00 CEST + 5h = Sun 25 Oct 03:00 CET (the clocks went back at 03:00 CEST).
    expect(text).toContain('Sat 2026-10-24 23:00 – Sun 2026-10-25 03:00 (Europe/Berlin +02:00 → +01:00)  ·  UTC 2026-10-24 21:00 – 2026-10-25 02:00');
  });
});

describe('windowsMessage with stored windows', () => {
  it('shows the state, the blocked reason, the kind, what was skipped and the plan in one line', () => {
    const [first] = list(1, 'prod');
    if (first === undefined) throw new Error('no window');
    const plan = buildPlan({
      window: { id: first.id, environment: 'prod' }, after: null, clusters: [{ name: 'prod-eu', environment: 'prod' }],
      triage: { clusters: [{ cluster: 'prod-eu', environment: 'prod', provider: 'eks', server: 'v1.35.4', minor: '1.35', eol: null, supported: true, inventoryError: null, inventoryAge: null,
        remediation: { target: 'v1.35.8', path: [], clears: ['CVE-2099-1'], remains: [], summary: '' } }], findings: [] },
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(planSummary(plan)).toBe('prod-eu v1.35.4 → v1.35.8');
    const stored: EnvironmentWindow = {
      ...first, kind: 'emergency', advisory: 'CVE-2099-1', state: 'blocked', reason: 'staging-2026-01-13 is scheduled, not closed', plan,
      skipped: [{ id: 'prod-2025-12-11', date: '2025-12-11', reason: 'freeze 2025-12-01 – 2026-01-06: year-end' }],
    };
    const text = JSON.stringify(windowsMessage([stored]).blocks);
    expect(text).toContain('emergency for CVE-2099-1');
    expect(text).toContain(':no_entry: blocked: staging-2026-01-13 is scheduled, not closed');
    expect(text).toContain(':snowflake: skipped prod-2025-12-11: freeze 2025-12-01 – 2026-01-06: year-end');
    expect(text).toContain('plan: prod-eu v1.35.4 → v1.35.8');
  });
});
