/**
 * What triage() adds after judging every finding: exposure on affected findings of advisories
 * with conditions (exposure.ts) and one remediation per cluster (remediation.ts). One call at the
 * end of triage(), so every caller (CLI, hub, demo, bench) gets both.
 */
import type { ClusterInventory } from '../inventory/types.ts';
import type { ReleaseCalendar } from '../releases/calendar.ts';
import { attachExposure } from './exposure.ts';
import { attachRemediation } from './remediation.ts';
import type { TriageResult } from './types.ts';

export function withExposureAndRemediation(
  result: TriageResult,
  options: { inventories: readonly ClusterInventory[]; calendar: ReleaseCalendar; now: Date },
): TriageResult {
  attachExposure(result, options.inventories);
  attachRemediation(result, options);
  return result;
}
