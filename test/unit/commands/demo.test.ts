/**
 * The demo's platform-conditions section: each OS-limited advisory with every cluster's verdict
 * and why, from a triage of our fixtures (the bundled sample's advisories get their conditions
 * from the parser).
 */
import { describe, expect, it } from 'vitest';
import { conditionLines } from '../../../src/commands/demo.ts';
import { loadBundledCalendar } from '../../../src/releases/bundled.ts';
import { triage } from '../../../src/triage/triage.ts';
import { CVE_2023_2431, CVE_2024_9042 } from '../../fixtures/triage/advisories.ts';
import { DAY, inventory } from '../../fixtures/triage/inventory.ts';

describe('demo: platform conditions', () => {
  it('lists each cluster under the OS-limited advisory, and nothing for the others', () => {
    const result = triage({
      advisories: [CVE_2023_2431, CVE_2024_9042],
      inventories: [
        inventory({ cluster: 'linux-only', server: 'v1.31.4', os: ['linux'] }),
        inventory({ cluster: 'mixed', server: 'v1.31.4', nodes: [{ name: 'w1', kubelet: 'v1.31.4', os: 'windows' }] }),
        inventory({ cluster: 'unknown-os', server: 'v1.31.4' }),
      ],
      calendar: loadBundledCalendar(),
      now: DAY.jan2025,
    });
    const lines = conditionLines(result);
    expect(lines[0]).toBe('CVE-2024-9042 (windows nodes only): Only clusters with Windows nodes are affected.');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}linux-only {2}not-affected {2}not affected: the advisory affects only Windows nodes/),
      expect.stringMatching(/^ {2}mixed {7}affected {6}.*every node runs Windows/),
      expect.stringMatching(/^ {2}unknown-os {2}affected {6}.*only if the cluster has Windows nodes/),
    ]);
    expect(lines.join('\n')).not.toContain('CVE-2023-2431');
  });
});
