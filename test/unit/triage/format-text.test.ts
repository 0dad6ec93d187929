import { describe, expect, it } from 'vitest';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { formatTriageText } from '../../../src/triage/format-text.ts';
import { triage } from '../../../src/triage/triage.ts';
import { CVE_2020_8554, CVE_2023_2431, CVE_2025_1097 } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

const calendar = loadBundledCalendar();

describe('formatTriageText', () => {
  const fleet = [
    inventory({ cluster: 'prod-eu', server: 'v1.27.9', nodes: ['v1.27.9', 'v1.27.9', 'v1.26.1'], components: { 'ingress-nginx': 'v1.11.4' } }),
    inventory({ cluster: 'staging', environment: 'staging', server: 'v1.35.2' }),
    inventory({ cluster: 'down', server: null, nodes: [], error: { code: 'CLUSTER_UNREACHABLE', message: 'connect ECONNREFUSED', at: '2026-11-22T09:00:00Z' } }),
  ];
  const text = formatTriageText(triage({ advisories: [CVE_2023_2431, CVE_2025_1097, CVE_2020_8554], inventories: fleet, calendar, now: DAY.today }));
  const lines = text.split('\n');

  it('one line per cluster and component: version → target (verdict)', () => {
    expect(lines).toContain('  prod-eu  kubelet  v1.26.1 → v1.35.0 (affected)  1 node');
    expect(lines).toContain('  staging  kubelet  v1.35.2 (not-affected)');
    expect(lines).toContain('  down     kubelet  ? (unknown)');
    expect(lines).toContain('  prod-eu  ingress-nginx  v1.11.4 → v1.11.5 (affected)');
  });

  it('heads each advisory with id, title and severity, and shows path, reasons and notes', () => {
    expect(lines).toContain('CVE-2023-2431  kubelet seccomp bypass  [low 3.4]');
    expect(text).toMatch(/upgrade via 1\.27 → 1\.28 .*1\.35|upgrade via 1\.27 → 1\.28/);
    expect(text).toContain('· v1.26.5 fixes this but 1.26 is end-of-life since 2024-02-28');
    expect(text).toContain("why: the advisory's versions could not be read with confidence");
    expect(text).toContain('why: inventory unavailable (CLUSTER_UNREACHABLE: connect ECONNREFUSED)');
  });

  it('lists clusters needing attention', () => {
    expect(text).toContain('Clusters needing attention:');
    expect(text).toMatch(/ {2}prod-eu {2}v1\.27\.9 {2}1\.27 end-of-life since 2024-06-28/);
    expect(text).toContain('Clusters that could not be read (every verdict unknown):\n  down  CLUSTER_UNREACHABLE: connect ECONNREFUSED\n');
  });

  it('ends with the release data date and a stale warning', () => {
    expect(lines).toContain('release data as of 2026-08-20 (bundled)');
    expect(lines).toContain('warning: release data as of 2026-08-20 is stale; support dates may have changed since');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('no stale warning with fresh data', () => {
    const fresh = formatTriageText(triage({ advisories: [], inventories: [], calendar, now: new Date('2026-08-21T00:00:00Z') }));
    expect(fresh).toBe('release data as of 2026-08-20 (bundled)\n');
  });
});
