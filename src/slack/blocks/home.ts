/** The App Home tab: fleet posture and the advisories that affect it. Pure. */
import type { types } from '@slack/bolt';
import type { ClusterPosture, ReleaseDataInfo } from '../../triage/types.ts';
import { tallyNames } from '../../notify/attention.ts';
import { releaseDataText, severityText } from './advisory.ts';
import type { AdvisorySummary } from './replies.ts';
import { postureLines } from './replies.ts';
import { type Block, LIMITS, context, divider, esc, header, link, packLines, section, truncate } from './text.ts';

export interface HomeInput {
  clusters: readonly ClusterPosture[];
  advisories: readonly AdvisorySummary[];
  releaseData: ReleaseDataInfo | null;
  /** When the last triage ran (ISO), or null. */
  updatedAt: string | null;
}

export function homeView(input: HomeInput): types.HomeView {
  const blocks: Block[] = [header('Kubernetes fleet posture')];
  const unsupported = input.clusters.filter((c) => c.supported === false).length;
  const affecting = input.advisories.filter((a) => a.summary.attention.count > 0);
  blocks.push(section(
    `*${input.clusters.length}* clusters · *${unsupported}* on an unsupported minor · *${affecting.length}* advisories affect the fleet`,
  ));
  blocks.push(divider, section('*Clusters*'));
  if (input.clusters.length === 0) blocks.push(section('_No posture yet: computed on the first feed poll._'));
  blocks.push(...packLines(postureLines(input.clusters)).slice(0, 40).map((t) => section(t)));
  blocks.push(divider, section('*Advisories affecting the fleet*'));
  if (affecting.length === 0) blocks.push(section('_None._'));
  const lines = affecting.map(({ advisory, summary: { attention } }) => {
    return `• *${link(advisory.url, advisory.id)}* ${severityText({ severity: advisory.severity } as Parameters<typeof severityText>[0])} — ${esc(truncate(advisory.title, 120))}\n   ${attention.count} cluster${attention.count === 1 ? '' : 's'}: ${esc(truncate(tallyNames(attention), 300))}`;
  });
  blocks.push(...packLines(lines).slice(0, 40).map((t) => section(t)));
  blocks.push(context(`${releaseDataText(input.releaseData)}${input.updatedAt ? ` · triaged ${esc(input.updatedAt)}` : ''}`));
  return { type: 'home', blocks: blocks.slice(0, LIMITS.blocksPerView) };
}
