/**
 * Rendering one advisory × channel delivery: decode the channel's findings, build the message
 * (src/slack/blocks/advisory.ts), summarise what it says, and compare with what the message
 * said before. Pure (data in, data out) so it can run on a render thread (render-pool.ts): with
 * 10,000 clusters a channel's findings are tens of megabytes, and decoding and rendering them
 * on the main thread would hold the event loop for hundreds of milliseconds.
 */
import type { Advisory } from '../../advisory/types.ts';
import { describeChanges, summarize, type MessageSummary } from '../../notify/summary.ts';
import { type AdvisoryMessage, advisoryMessage } from '../../slack/blocks/advisory.ts';
import type { Finding, ReleaseDataInfo, Remediation } from '../../triage/types.ts';

export interface RenderInput {
  advisory: Advisory;
  /** JSON pages of the channel's `Finding[]` (snapshot store). */
  pages: string[];
  releaseData: ReleaseDataInfo | null;
  acknowledged: { user: string; at: string } | null;
  maxClusterRows?: number;
  /** The summary stored with the message (JSON), or null when it was never posted. */
  previousSummary: string | null;
  /** The remediation of the channel's clusters ("recommended vX (clears all N open advisories)"). */
  remediations?: [string, Remediation][];
}

export interface RenderOutput {
  message: AdvisoryMessage;
  /** What the message says now (JSON), stored with the post. */
  summary: string;
  /** Clusters affected, unfixed or unknown in this channel. */
  affected: number;
  /** Sentences for a thread reply (empty when never posted). */
  changes: string[];
  /** Nothing a reader follows changed, or what the message said is unknown: refresh the parent without a reply. */
  quiet: boolean;
}

/**
 * Remediations as they cross to a render thread: a structured clone of 5,000 remediation objects
 * costs the main thread hundreds of milliseconds, while look-alike clusters share a handful of
 * distinct ones. Each distinct object is encoded once (by identity, else by its JSON) and
 * clusters refer to it by index.
 */
export interface PackedRemediations {
  clusters: string[];
  refs: number[];
  distinct: string[];
}

export function packRemediations(list: readonly (readonly [string, Remediation])[]): PackedRemediations {
  const byObject = new Map<Remediation, number>();
  const byJson = new Map<string, number>();
  const out: PackedRemediations = { clusters: [], refs: [], distinct: [] };
  for (const [cluster, r] of list) {
    let ref = byObject.get(r);
    if (ref === undefined) {
      const json = JSON.stringify(r);
      ref = byJson.get(json);
      if (ref === undefined) {
        ref = out.distinct.push(json) - 1;
        byJson.set(json, ref);
      }
      byObject.set(r, ref);
    }
    out.clusters.push(cluster);
    out.refs.push(ref);
  }
  return out;
}

export function unpackRemediations(packed: PackedRemediations): [string, Remediation][] {
  const distinct = packed.distinct.map((json) => JSON.parse(json) as Remediation);
  return packed.clusters.map((cluster, i) => [cluster, distinct[packed.refs[i] as number] as Remediation]);
}

function parseSummary(raw: string | null): MessageSummary | null {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as MessageSummary;
  } catch {
    return null;
  }
}

/**
 * A summary stored before summaries carried per-component versions or the recommendations
 * shown, equal to the new one in everything it knows: nothing a reader follows changed.
 */
function sameAsLegacy(prev: MessageSummary, next: MessageSummary): boolean {
  if (prev.components !== undefined && prev.recommended !== undefined) return false;
  const known: MessageSummary = { ...next };
  if (prev.components === undefined) delete known.components;
  if (prev.recommended === undefined) delete known.recommended;
  return JSON.stringify(prev) === JSON.stringify(known);
}

export function renderDelivery(input: RenderInput): RenderOutput {
  const findings: Finding[] = [];
  for (const page of input.pages) for (const f of JSON.parse(page) as Finding[]) findings.push(f);
  const remediations = input.remediations ? new Map(input.remediations) : undefined;
  const message = advisoryMessage({
    advisory: input.advisory, findings, releaseData: input.releaseData, acknowledged: input.acknowledged,
    ...(input.maxClusterRows ? { maxClusterRows: input.maxClusterRows } : {}),
    ...(remediations ? { remediations } : {}),
  });
  const next = summarize(input.advisory, findings, remediations);
  const summary = JSON.stringify(next);
  const prev = parseSummary(input.previousSummary);
  // No stored summary (a record rebuilt from Slack after Redis lost its data): what the message
  // said is unknown, so it is refreshed without telling a change that may not have happened.
  const quiet = prev === null || input.previousSummary === summary || sameAsLegacy(prev, next);
  const changes = input.previousSummary === null || quiet ? [] : describeChanges(prev, next);
  return { message, summary, affected: next.affected.length, changes, quiet };
}
