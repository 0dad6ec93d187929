/**
 * Block Kit for `/k8s windows [ENV]`: upcoming maintenance windows per environment. Pure; the Slack
 * layer posts it. Times are in each window's zone, and in the reader's own zone through Slack's
 * `<!date>` formatting (with a UTC fallback for clients that cannot render it).
 */
import type { SlackMessage } from '../slack/blocks/advisory.ts';
import { type Block, LIMITS, context, esc, header, packLines, section } from '../slack/blocks/text.ts';
import type { EnvironmentWindow } from './occurrences.ts';
import type { WindowPlan } from './plan.ts';
import { describeRule, formatAfter, formatLocalRange, formatUtcRange, groupByEnvironment } from './text.ts';

function readerTime(w: EnvironmentWindow): string {
  const unix = Math.floor(Date.parse(w.startUtc) / 1000);
  return `<!date^${unix}^{date_short_pretty} {time}|${formatUtcRange(w)}>`;
}

function windowLine(w: EnvironmentWindow): string {
  const notes = [
    w.inProgress ? ':large_orange_circle: in progress' : '',
    esc(formatAfter(w)),
    w.kind !== undefined && w.kind !== 'recurring' ? esc(`${w.kind}${w.advisory ? ` for ${w.advisory}` : ''}`) : '',
    w.state === undefined ? '' : `${w.state === 'blocked' ? ':no_entry: ' : ''}${esc(w.state)}${w.reason ? `: ${esc(w.reason)}` : ''}`,
  ].filter((n) => n !== '');
  const warning = (w.warning ? `\n      :warning: ${esc(w.warning)}` : '')
    + (w.skipped ?? []).map((s) => `\n      :snowflake: skipped ${esc(s.id)}: ${esc(s.reason)}`).join('')
    + (w.plan ? `\n      plan: ${esc(planSummary(w.plan))}` : '');
  return `• *${esc(formatLocalRange(w))}* · your time ${readerTime(w)}${notes.length > 0 ? ` · ${notes.join(' · ')}` : ''}${warning}`;
}

/** `prod-eu v1.35.4 → v1.35.8, legacy no target`: the plan in one line. */
export function planSummary(plan: WindowPlan): string {
  const parts = plan.clusters.map((c) => `${c.cluster} ${c.target === null ? 'no target' : `${c.current ?? '?'} → ${c.target}`}`);
  return parts.length > 0 ? parts.join(', ') : 'no clusters';
}

interface Chunk { block: Block; windows: number }

export function windowsMessage(windows: readonly EnvironmentWindow[], options: { environment?: string } = {}): SlackMessage {
  const scope = options.environment === undefined ? '' : `: ${options.environment}`;
  if (windows.length === 0) {
    const what = options.environment === undefined ? 'No environment has' : `Environment *${esc(options.environment)}* has`;
    return {
      text: `No maintenance windows${scope}`,
      blocks: [section(`${what} a maintenance window. Add \`environments.<env>.window\` to the configuration, like \`{ rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin }\`.`)],
    };
  }

  const chunks: Chunk[] = [];
  for (const [env, list] of groupByEnvironment(windows)) {
    const first = list[0];
    const title = `*${esc(env)}* · ${first ? esc(describeRule(first)) : ''}`;
    // Pack one window per line and remember how many windows each packed text holds.
    const lines = [title, ...list.map(windowLine)];
    for (const text of packLines(lines)) {
      const count = text.split('\n').filter((l) => l.startsWith('• ')).length;
      chunks.push({ block: section(text), windows: count });
    }
  }

  const footer = context('Times in each window\'s zone; "your time" is in yours. Calendar: `k8s-advisor windows --format ics`.');
  const room = LIMITS.blocksPerMessage - 2; // header + footer
  const shown = chunks.length <= room ? chunks : chunks.slice(0, room - 1);
  const blocks: Block[] = [header(`Maintenance windows${scope}`), ...shown.map((c) => c.block)];
  const hidden = windows.length - shown.reduce((n, c) => n + c.windows, 0);
  if (hidden > 0) blocks.push(context(`…and ${hidden} more window${hidden === 1 ? '' : 's'}; run \`k8s-advisor windows\` for the full list.`));
  blocks.push(footer);

  const next = windows.find((w) => !w.inProgress) ?? windows[0];
  const warnings = windows.filter((w) => w.warning !== undefined).length;
  const text = `Maintenance windows${scope}: ${windows.length} upcoming`
    + (next ? `, next ${next.environment} ${formatLocalRange(next)}` : '')
    + (warnings > 0 ? `, ${warnings} with warnings` : '');
  return { text, blocks };
}
