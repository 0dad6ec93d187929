/**
 * Pure: which Slack channel a cluster's findings go to. The environment → channel map and the
 * cluster → environment map are built once per run (Maps), and a run's findings are grouped
 * advisory → channel → findings in one pass: routing never copies a list per finding.
 */
import type { Config } from '../config/schema.ts';
import type { Finding } from '../triage/types.ts';
import { type FindingsDigest, createFindingsDigest } from './hash.ts';

/** The channel for an environment: `slack.channels[env]`, else `slack.channels.default`, else none. */
export function channelFor(config: { slack: Pick<Config['slack'], 'channels'> }, environment: string): string | null {
  return config.slack.channels[environment] ?? config.slack.channels.default ?? null;
}

export interface Routing {
  /** The channel of a finding's cluster (its configured environment, else the finding's), or null. */
  channelOf(finding: Pick<Finding, 'cluster' | 'environment'>): string | null;
  /** Every channel some configured cluster posts to, sorted. */
  readonly channels: readonly string[];
}

export function createRouting(config: Pick<Config, 'slack' | 'clusters'>): Routing {
  const byEnv = new Map<string, string | null>();
  const channelOfEnv = (env: string): string | null => {
    let c = byEnv.get(env);
    if (c === undefined) {
      c = channelFor(config, env);
      byEnv.set(env, c);
    }
    return c;
  };
  const envOf = new Map(config.clusters.map((c) => [c.name, c.environment]));
  const channels = new Set<string>();
  for (const env of envOf.values()) {
    const c = channelOfEnv(env);
    if (c !== null) channels.add(c);
  }
  return {
    channelOf: (f) => channelOfEnv(envOf.get(f.cluster) ?? f.environment),
    channels: [...channels].sort(),
  };
}

/** One channel's share of an advisory's findings. */
export interface ChannelFindings {
  findings: Finding[];
  /** Clusters with a verdict other than not-affected (affected, unfixed or unknown). */
  affected: Set<string>;
  /** Digest of `findings`, fed as they are added (see hash.ts). */
  digest: FindingsDigest;
}

/**
 * Accumulates findings (from one triage or from its chunks) into advisory → channel → findings.
 * Findings of clusters without a channel are kept apart (`unrouted`), never dropped.
 */
export interface FindingRouter {
  add(findings: readonly Finding[]): void;
  readonly byAdvisory: Map<string, Map<string, ChannelFindings>>;
  readonly unrouted: Map<string, ChannelFindings>;
}

export function createFindingRouter(routing: Routing): FindingRouter {
  const byAdvisory = new Map<string, Map<string, ChannelFindings>>();
  const unrouted = new Map<string, ChannelFindings>();
  const fresh = (): ChannelFindings => ({ findings: [], affected: new Set(), digest: createFindingsDigest() });
  return {
    byAdvisory,
    unrouted,
    add(findings) {
      for (const f of findings) {
        const channel = routing.channelOf(f);
        let cf: ChannelFindings | undefined;
        if (channel === null) {
          cf = unrouted.get(f.advisory);
          if (cf === undefined) unrouted.set(f.advisory, (cf = fresh()));
        } else {
          let perChannel = byAdvisory.get(f.advisory);
          if (perChannel === undefined) byAdvisory.set(f.advisory, (perChannel = new Map()));
          cf = perChannel.get(channel);
          if (cf === undefined) perChannel.set(channel, (cf = fresh()));
        }
        cf.findings.push(f);
        cf.digest.add(f);
        if (f.verdict !== 'not-affected') cf.affected.add(f.cluster);
      }
    },
  };
}

/** The findings whose cluster's environment posts to `channel`. */
export function findingsForChannel(config: Pick<Config, 'slack' | 'clusters'>, findings: readonly Finding[], channel: string): Finding[] {
  const routing = createRouting(config);
  return findings.filter((f) => routing.channelOf(f) === channel);
}

/**
 * Channel → that channel's findings (every verdict, for the "not affected" count), for each channel
 * where at least one cluster is affected, unfixed or unknown.
 */
export function routeFindings(config: Pick<Config, 'slack' | 'clusters'>, findings: readonly Finding[]): Map<string, Finding[]> {
  const router = createFindingRouter(createRouting(config));
  router.add(findings);
  const out = new Map<string, Finding[]>();
  for (const perChannel of router.byAdvisory.values()) {
    for (const [channel, cf] of perChannel) {
      if (cf.affected.size === 0) continue;
      const list = out.get(channel);
      if (list === undefined) out.set(channel, cf.findings);
      else list.push(...cf.findings);
    }
  }
  return out;
}
