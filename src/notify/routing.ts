/**
 * Pure: which Slack channel a cluster's findings go to. The environment → channel map and the
 * cluster → environment map are built once per run (Maps), and a run's findings are grouped
 * advisory → channel → findings in one pass: routing never copies a list per finding.
 */
import type { Config } from '../config/schema.ts';
import type { Finding } from '../triage/types.ts';
import { type FindingsDigest, createFindingsDigest } from './hash.ts';
import { type AttentionCounter, createAttentionCounter } from './attention.ts';

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

/**
 * One channel's share of an advisory's findings, kept encoded: each `add` call's findings are
 * turned into UTF-8 JSON at its end, so the finding objects of a large fleet die young (cheap to
 * collect) instead of living as hundreds of thousands of objects until the run ends. The encoded
 * pieces are Buffers, outside the JavaScript heap: a whole fleet's findings (about 180 MB at
 * 10,000 clusters × the 2023 feed) held as strings made every collection of the main thread's
 * heap scan and move them, pauses of 50–400 ms.
 */
export interface ChannelFindings {
  /**
   * Pages of at most `PAGE_FINDINGS` findings, in the order added, each as its encoded pieces
   * (JSON array bodies): `pageJson` joins one when it is written, so pages filling at once
   * (every advisory's share grows alike) are not all joined in the same turn of the loop.
   */
  pages: Buffer[][];
  count: number;
  /** Clusters with a verdict other than not-affected (affected, unfixed or unknown). */
  affected: Set<string>;
  /** Some cluster has no fix yet. */
  unfixed: boolean;
  /** Who needs attention, who is unknown (stored with the view for /k8s advisories and App Home). */
  attention: AttentionCounter;
  /** Digest of the findings, fed as they are added (see hash.ts). */
  digest: FindingsDigest;
  /** Findings of the current `add` call, not yet encoded. */
  open: Finding[];
  /** Encoded pieces (UTF-8 JSON array bodies, no brackets) of the page being filled, and their count. */
  fragments: Buffer[];
  fragmentCount: number;
}

/** Findings per stored page: keeps every JSON encode and decode of a large channel short. */
export const PAGE_FINDINGS = 2_000;

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** One page as a JSON array of `Finding`, UTF-8 (what the snapshot store writes). */
export function pageBuffer(page: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  page.forEach((piece, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(piece);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** One page as a JSON array of `Finding` (text). */
export function pageJson(page: readonly Buffer[]): string {
  return pageBuffer(page).toString('utf8');
}

/** Every finding of one channel's share, decoded (small shares: tests, the demo). */
export function decodeFindings(cf: { pages: readonly (readonly Buffer[])[] }): Finding[] {
  const out: Finding[] = [];
  for (const page of cf.pages) for (const f of JSON.parse(pageJson(page)) as Finding[]) out.push(f);
  return out;
}

/**
 * Accumulates findings (from one triage or from its chunks) into advisory → channel → findings.
 * Findings of clusters without a channel are kept apart (`unrouted`), never dropped.
 */
export interface FindingRouter {
  add(findings: readonly Finding[]): void;
  /** Close the last pages once every finding is added (before reading `pages`). */
  seal(): void;
  readonly byAdvisory: Map<string, Map<string, ChannelFindings>>;
  readonly unrouted: Map<string, ChannelFindings>;
}

export function createFindingRouter(routing: Routing): FindingRouter {
  const byAdvisory = new Map<string, Map<string, ChannelFindings>>();
  const unrouted = new Map<string, ChannelFindings>();
  const fresh = (): ChannelFindings => ({
    pages: [], count: 0, affected: new Set(), unfixed: false, attention: createAttentionCounter(), digest: createFindingsDigest(), open: [], fragments: [], fragmentCount: 0,
  });
  const closePage = (cf: ChannelFindings) => {
    if (cf.fragmentCount === 0) return;
    cf.pages.push(cf.fragments);
    cf.fragments = [];
    cf.fragmentCount = 0;
  };
  const encode = (cf: ChannelFindings) => {
    let start = 0;
    while (start < cf.open.length) {
      const take = Math.min(PAGE_FINDINGS - cf.fragmentCount, cf.open.length - start);
      cf.fragments.push(Buffer.from(JSON.stringify(cf.open.slice(start, start + take)).slice(1, -1), 'utf8'));
      cf.fragmentCount += take;
      start += take;
      if (cf.fragmentCount >= PAGE_FINDINGS) closePage(cf);
    }
    cf.open = [];
  };
  const touched = new Set<ChannelFindings>();
  return {
    byAdvisory,
    unrouted,
    seal() {
      for (const perChannel of byAdvisory.values()) for (const cf of perChannel.values()) closePage(cf);
      for (const cf of unrouted.values()) closePage(cf);
    },
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
        cf.open.push(f);
        cf.count++;
        touched.add(cf);
        cf.digest.add(f);
        if (f.verdict !== 'not-affected') cf.affected.add(f.cluster);
        if (f.verdict === 'unfixed') cf.unfixed = true;
        cf.attention.add(f);
      }
      for (const cf of touched) encode(cf);
      touched.clear();
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
  const routing = createRouting(config);
  const relevant = new Set<string>();
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    const channel = routing.channelOf(f);
    if (channel === null) continue;
    let list = out.get(channel);
    if (list === undefined) out.set(channel, (list = []));
    list.push(f);
    if (f.verdict !== 'not-affected') relevant.add(channel);
  }
  for (const channel of [...out.keys()]) if (!relevant.has(channel)) out.delete(channel);
  return out;
}
