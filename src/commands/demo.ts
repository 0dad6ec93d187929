/**
 * `k8s-advisor demo`: the main job with no Slack and no Redis. Live feed when reachable (else
 * the bundled sample, and it says which), triage of the example fleet, and the exact Block Kit
 * messages the hub would post, per channel, rendered for a terminal.
 */
import type { CliIo } from '../cli.ts';
import { EXIT } from './exit-codes.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { display } from '../advisory/versions.ts';
import { routeFindings } from '../hub/routing.ts';
import { createLogger } from '../log.ts';
import { BUNDLED_FEED, EXAMPLE_FLEET } from '../paths.ts';
import { advisoryMessage } from '../slack/blocks/advisory.ts';
import type { ClusterPosture, Remediation, TriageResult } from '../triage/types.ts';
import { remediationLines } from '../triage/remediation.ts';
import { environmentWindows } from '../maintenance/occurrences.ts';
import { formatWindowsText } from '../maintenance/text.ts';
import { renderMessage } from './render-blocks.ts';
import { runTriagePipeline } from './triage.ts';

export async function runDemo(opts: { feed?: string; offline?: boolean; config?: string; io: CliIo }): Promise<number> {
  const out = (line = '') => opts.io.stdout(`${line}\n`);
  const config = await loadConfigFile(opts.config ?? EXAMPLE_FLEET);
  const logger = createLogger({ level: opts.io.env.LOG_LEVEL ?? 'silent' });
  const source = opts.feed ?? (opts.offline ? BUNDLED_FEED : config.feed.url);

  const { loaded, result } = await runTriagePipeline({
    config,
    feed: source,
    now: new Date(),
    logger,
    fallbackToBundled: opts.feed === undefined,
    feedTimeoutMs: 5_000,
    refreshReleases: !opts.offline,
  });

  out('k8s-advisor demo: what the hub would post to Slack for this fleet');
  out();
  if (loaded.fallback) {
    out(`Feed:     bundled sample (${loaded.advisories.length} advisories); the live feed was unreachable: ${loaded.fallback.reason}`);
  } else {
    out(`Feed:     ${source === BUNDLED_FEED ? 'bundled sample' : loaded.feed.source} (${loaded.feed.items} items, ${loaded.advisories.length} advisories${loaded.feed.updatedAt ? `, updated ${loaded.feed.updatedAt}` : ''})`);
  }
  out(`Fleet:    ${opts.config ?? 'examples/fleet.yaml'} (${config.clusters.length} clusters)`);
  out(`Releases: data as of ${result.releaseData.asOf} (${result.releaseData.source})${result.releaseData.stale ? ', STALE: refresh when online' : ''}`);
  for (const w of result.warnings) out(`Warning:  ${w}`);
  out();
  out('Fleet posture');
  for (const line of postureLines(result.clusters)) out(`  ${line}`);
  const next = result.clusters.filter((c) => c.readable !== false && c.remediation && (c.remediation.target !== null || c.remediation.remains.length > 0));
  if (next.length > 0) {
    out('');
    out('Remediation (one version per cluster that clears its open advisories)');
    for (const c of next) for (const line of remediationLines(c.cluster, c.remediation as Remediation)) out(`  ${line}`);
  }
  const conditions = conditionLines(result);
  if (conditions.length > 0) {
    out();
    out('Platform conditions (advisories limited to one OS; judged only where such nodes run)');
    for (const line of conditions) out(`  ${line}`);
  }
  const clients = result.clients ?? [];
  if (clients.length > 0) {
    out();
    out('Clients and libraries (not cluster components: not posted per cluster)');
    for (const c of clients) out(`  ${c.advisory}  ${c.summary}`);
  }

  const posts = renderPosts(config, result);
  out();
  out(`${posts.length} message${posts.length === 1 ? '' : 's'} would be posted:`);
  for (const p of posts) {
    out();
    out(p);
  }
  const windows = environmentWindows(config, { from: new Date(), count: 2 });
  if (windows.length > 0) {
    out();
    out('Upcoming maintenance windows (k8s-advisor windows --config FILE):');
    for (const line of formatWindowsText(windows).split('\n')) out(line ? `  ${line}` : '');
  }
  out();
  out(summary(result));
  // The demo always finds something (that is its point); an unreadable cluster is what it reports.
  return result.clusters.some((c) => c.readable === false) ? EXIT.unreadable : EXIT.ok;
}

function postureLines(clusters: readonly ClusterPosture[]): string[] {
  const width = Math.max(...clusters.map((c) => c.cluster.length), 7);
  return clusters.map((c) => {
    const version = c.server ? display(c.server) === c.server ? c.server : c.server : 'unknown';
    const support = c.readable === false ? `COULD NOT BE READ (${c.inventoryError ?? 'no versions'}): every verdict unknown`
      : c.inventoryError ? `inventory error: ${c.inventoryError}`
      : c.eol ? `END OF LIFE since ${c.eol}`
      : c.supported ? 'supported' : 'support unknown';
    return `${c.cluster.padEnd(width)}  ${c.environment.padEnd(8)} ${version.padEnd(22)} ${c.provider.padEnd(9)} ${support}`;
  });
}

/** Per OS-limited advisory, each cluster's verdict on it and why: "CVE-2024-9042 (Windows nodes only)  prod-eu affected …". */
export function conditionLines(result: TriageResult): string[] {
  const lines: string[] = [];
  for (const a of result.advisories) {
    const os = a.conditions.find((c) => c.kind === 'os');
    if (os === undefined) continue;
    const findings = result.findings.filter((f) => f.advisory === a.id);
    if (findings.length === 0) continue;
    lines.push(`${a.id} (${os.value} nodes only): ${os.text}`);
    const width = Math.max(...findings.map((f) => f.cluster.length));
    for (const f of findings) lines.push(`  ${f.cluster.padEnd(width)}  ${f.verdict.padEnd(12)}  ${f.reason}`);
  }
  return lines;
}

function renderPosts(config: Config, result: TriageResult): string[] {
  const envOfChannel = new Map<string, string>();
  for (const [env, channel] of Object.entries(config.slack.channels)) envOfChannel.set(channel, env);
  const name = (id: string) => `${id} (${envOfChannel.get(id) ?? 'channel'})`;
  const posts: string[] = [];
  for (const advisory of result.advisories) {
    const findings = result.findings.filter((f) => f.advisory === advisory.id);
    for (const [channel, channelFindings] of routeFindings(config, findings)) {
      const message = advisoryMessage({ advisory, findings: channelFindings, releaseData: result.releaseData, clusters: result.clusters });
      posts.push(renderMessage({ channel, blocks: message.blocks, thread: message.overflow.map((m) => ({ channel, ...m })) }, name));
    }
  }
  return posts;
}

function summary(result: TriageResult): string {
  const hit = result.findings.filter((f) => f.verdict === 'affected' || f.verdict === 'unfixed');
  const clusters = new Set(hit.map((f) => f.cluster));
  const advisories = new Set(hit.map((f) => f.advisory));
  const eol = result.clusters.filter((c) => c.eol !== null).length;
  const unread = result.clusters.filter((c) => c.readable === false).length;
  const clients = new Set((result.clients ?? []).map((c) => c.advisory)).size;
  return [
    `Summary: ${advisories.size} of ${result.advisories.length} advisories affect ${clusters.size} of ${result.clusters.length} clusters; ${eol} cluster${eol === 1 ? ' is' : 's are'} on an end-of-life minor`,
    unread > 0 ? `; ${unread} cluster${unread === 1 ? '' : 's'} could not be read (unknown, not counted as affected)` : '',
    clients > 0 ? `; ${clients} advisor${clients === 1 ? 'y concerns' : 'ies concern'} clients and libraries (kubectl, client-go), not clusters` : '',
    '.',
  ].join('');
}
