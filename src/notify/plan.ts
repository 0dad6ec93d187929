/**
 * The notify stage, pure: triage findings × what is already posted × channel routing → the
 * deliveries to make (first posts, updates of existing threads, first-run digests). Workers do
 * the I/O around it: read the previous posts, store the views, queue the deliveries.
 *
 * Rules:
 * - a new or changed advisory (`feed`) goes to every channel with an affected, unfixed or
 *   unknown cluster, and to every channel that already has its thread (so an update, or "no
 *   longer affected", reaches it);
 * - a first run (`backlog`) posts nothing per advisory: each channel gets one digest of the
 *   advisories affecting its clusters instead;
 * - a fleet re-triage (`retriage`) updates existing threads, and posts an advisory for the
 *   first time in a channel only when a cluster there is newly affected (a new cluster, an
 *   upgrade that went wrong): a backlog advisory is not announced merely because the fleet
 *   was read again;
 * - a feed poll triages the known advisories again beside the new ones (a cluster's one
 *   remediation counts every open advisory, and the posts show it): those follow the
 *   re-triage rules, so a changed recommendation updates their threads;
 * - after Redis lost its data, an advisory known only from Slack (`recovered`: a thread or a
 *   first-run digest line was found) keeps its threads up to date and is posted nowhere new;
 * - a channel whose thread already shows this exact state (same render hash) gets nothing.
 *
 * `createPlanner` takes findings in chunks (a large fleet is triaged in chunks, yielding between
 * them); `planDeliveries` is the same in one call.
 */
import type { Advisory } from '../advisory/types.ts';
import type { ClusterPosture, Finding, Remediation, TriageResult } from '../triage/types.ts';
import { type AttentionSummary, affectedClusterNames } from './attention.ts';
import { type DigestEntry, type DigestInput, digestEntry } from './digest.ts';
import { remediationDigest, renderHash, renderHashOf } from './hash.ts';
import { type ChannelFindings, type Routing, createFindingRouter } from './routing.ts';
import { createHash } from 'node:crypto';

/** A channel's parent post record, as far as planning needs it. */
export interface PreviousPost {
  /** `released`: an attempt failed without posting (e.g. a channel the bot could not read); post again. */
  state: 'posting' | 'posted' | 'released';
  /** Render hash of what the message shows now. */
  hash: string | null;
  /** Times the message was re-rendered after posting. */
  rev: number;
  /** Times a claim was released without a post. */
  releases?: number;
}

/** advisory id → channel → its parent post record. */
export type PreviousPosts = ReadonlyMap<string, ReadonlyMap<string, PreviousPost>>;

/** What a fleet re-triage compares with: the stored view of each known advisory. */
export interface PreviousView {
  hash: string;
  /** Clusters that had a verdict other than not-affected (any channel). */
  affected: ReadonlySet<string>;
  /** Channels owed a first post by the run that stored this view (kept so a crashed run's retry still posts them). */
  newChannels?: readonly string[];
}

export type PlanMode =
  /**
   * `known`: advisories triaged again beside the new ones (every open advisory counts in a
   * cluster's one remediation), planned by the `retriage` rules against their stored view.
   */
  | { kind: 'feed'; known?: ReadonlyMap<string, PreviousView>; recovered?: ReadonlySet<string> }
  | { kind: 'backlog'; known: number }
  | { kind: 'retriage'; previous: ReadonlyMap<string, PreviousView> };

/** One channel's part of an advisory. */
export interface ChannelView {
  /** The channel's findings as pages of UTF-8 encoded pieces (routing.ts `pageBuffer` makes each a JSON array). */
  pages: Buffer[][];
  count: number;
  hash: string;
  /** Clusters affected, unfixed or unknown, sorted. */
  affected: string[];
  unfixed: boolean;
  /** Who needs attention and who is unknown, as /k8s advisories and App Home show it. */
  attention: AttentionSummary;
}

/** An advisory as triaged now, split per channel, with its render hashes. */
export interface AdvisoryView {
  advisory: Advisory;
  /** Hash of the whole view (every channel and the unrouted findings): "did anything change". */
  hash: string;
  channels: Map<string, ChannelView>;
  /** Findings of clusters no channel receives (pages as in ChannelView), or null when there are none. */
  unrouted: ChannelView | null;
  /** Retriage: channels owed a first post. */
  newChannels: string[];
}

export type Delivery =
  | {
    kind: 'deliver';
    advisory: string;
    channel: string;
    /** The channel's render hash to reach. */
    hash: string;
    /** The message as it is now (`deliverFrom`), or null when it was never posted (`released-N` after N failed attempts). */
    from: string | null;
  }
  | { kind: 'digest'; channel: string; digest: DigestInput };

export interface AdvisoryPlan {
  view: AdvisoryView;
  /** The view differs from the previous one (retriage) or is new (feed, backlog). */
  changed: boolean;
  deliveries: Delivery[];
}

/** The message's current state as a job-id part: its hash and its update count. */
export function deliverFrom(record: { hash: string | null; rev: number }): string {
  return `${(record.hash ?? 'none').slice(0, 8)}-r${record.rev}`;
}

/** The hash of a whole view, from its parts' render hashes (each part hashed once). */
function viewHash(channels: Map<string, ChannelView>, unroutedHash: string): string {
  const h = createHash('sha256');
  h.update(unroutedHash);
  for (const channel of [...channels.keys()].sort()) h.update(`\n${channel}=${(channels.get(channel) as ChannelView).hash}`);
  return h.digest('hex');
}

export interface Planner {
  /** Add triage findings (all at once or chunk by chunk). */
  addFindings(findings: readonly Finding[]): void;
  /**
   * The clusters' remediations (triage postures), which the posts show and so their hashes
   * cover; before the first `planAdvisory`. Without them hashes cover the findings only.
   */
  setRemediations(clusters: readonly Pick<ClusterPosture, 'cluster' | 'remediation'>[]): void;
  /** Plan one advisory once all its findings are added. */
  planAdvisory(advisory: Advisory): AdvisoryPlan;
  /** Backlog mode: one digest per channel (call after every advisory is planned). Empty otherwise. */
  digests(): Delivery[];
}

export function createPlanner(previousPosts: PreviousPosts, routing: Routing, mode: PlanMode): Planner {
  const router = createFindingRouter(routing);
  const digestEntries = new Map<string, DigestEntry[]>(routing.channels.map((c) => [c, []]));
  const none = new Map<string, PreviousPost>();

  let sealed = false;
  const remediations = new Map<string, Remediation>();
  const partOf = (advisory: Advisory, cf: ChannelFindings): ChannelView => {
    const affected = [...cf.affected].sort();
    const hash = renderHashOf(advisory, cf.digest.digest(), remediationDigest(advisory.id, affected, remediations));
    return { pages: cf.pages, count: cf.count, hash, affected, unfixed: cf.unfixed, attention: cf.attention.summary() };
  };
  const view = (advisory: Advisory): AdvisoryView => {
    if (!sealed) {
      router.seal();
      sealed = true;
    }
    const perChannel: Map<string, ChannelFindings> = router.byAdvisory.get(advisory.id) ?? new Map();
    const channels = new Map<string, ChannelView>();
    for (const [channel, cf] of perChannel) channels.set(channel, partOf(advisory, cf));
    const u = router.unrouted.get(advisory.id);
    const unrouted = u === undefined ? null : partOf(advisory, u);
    return { advisory, hash: viewHash(channels, unrouted?.hash ?? renderHash(advisory, [])), channels, unrouted, newChannels: [] };
  };

  const deliver = (v: AdvisoryView, channel: string, posts: ReadonlyMap<string, PreviousPost>): Delivery | null => {
    const hash = v.channels.get(channel)?.hash ?? renderHash(v.advisory, []);
    const prev = posts.get(channel);
    if (prev?.state === 'posted' && prev.hash === hash) return null;
    const from = prev?.state === 'posted' ? deliverFrom(prev) : prev?.state === 'released' ? `released-${prev.releases ?? 0}` : null;
    return { kind: 'deliver', advisory: v.advisory.id, channel, hash, from };
  };

  const relevantChannels = (v: AdvisoryView): string[] => [...v.channels].filter(([, c]) => c.affected.length > 0).map(([c]) => c);

  return {
    addFindings: (findings) => {
      if (sealed) throw new Error('findings added after planning started');
      router.add(findings);
    },
    setRemediations: (clusters) => {
      if (sealed) throw new Error('remediations set after planning started');
      remediations.clear();
      for (const c of clusters) if (c.remediation) remediations.set(c.cluster, c.remediation);
    },
    planAdvisory(advisory) {
      const v = view(advisory);
      const posts = previousPosts.get(advisory.id) ?? none;
      const deliveries: Delivery[] = [];
      const push = (channel: string) => {
        const d = deliver(v, channel, posts);
        if (d !== null) deliveries.push(d);
      };
      if (mode.kind === 'backlog') {
        for (const channel of relevantChannels(v)) {
          const cv = v.channels.get(channel) as ChannelView;
          digestEntries.get(channel)?.push(digestEntry(advisory, cv.affected.length, cv.unfixed));
        }
        // A thread that exists already (an earlier install's) is still kept up to date.
        for (const channel of [...posts.keys()].sort()) push(channel);
        return { view: v, changed: true, deliveries };
      }
      const known = mode.kind === 'feed' ? mode.known?.get(advisory.id) : undefined;
      if (mode.kind === 'feed' && mode.recovered?.has(advisory.id) === true) {
        // Known from Slack alone after Redis lost its data: keep its threads up to date, post it nowhere new.
        for (const channel of [...posts.keys()].sort()) push(channel);
        return { view: v, changed: true, deliveries };
      }
      if (mode.kind === 'feed' && known === undefined) {
        for (const channel of [...new Set([...relevantChannels(v), ...posts.keys()])].sort()) push(channel);
        return { view: v, changed: true, deliveries };
      }
      const prev = mode.kind === 'retriage' ? mode.previous.get(advisory.id) : known;
      if (prev === undefined) return { view: v, changed: false, deliveries };
      const changed = prev.hash !== v.hash;
      if (changed) {
        v.newChannels = [...v.channels]
          .filter(([channel, cv]) => !posts.has(channel) && cv.affected.some((cluster) => !prev.affected.has(cluster)))
          .map(([channel]) => channel)
          .sort();
      } else {
        v.newChannels = (prev.newChannels ?? []).filter((c) => (v.channels.get(c)?.affected.length ?? 0) > 0);
      }
      for (const channel of [...new Set([...posts.keys(), ...v.newChannels])].sort()) push(channel);
      return { view: v, changed, deliveries };
    },
    digests() {
      if (mode.kind !== 'backlog') return [];
      return [...digestEntries].map(([channel, entries]) => ({ kind: 'digest' as const, channel, digest: { known: mode.known, entries } }));
    },
  };
}

/** Plans every advisory of a triage result: its views and the deliveries to make. */
export function planDeliveries(
  previousPosts: PreviousPosts,
  triage: Pick<TriageResult, 'advisories' | 'findings'> & Partial<Pick<TriageResult, 'clusters'>>,
  routing: Routing,
  mode: PlanMode = { kind: 'feed' },
): { advisories: AdvisoryPlan[]; deliveries: Delivery[] } {
  const planner = createPlanner(previousPosts, routing, mode);
  planner.addFindings(triage.findings);
  if (triage.clusters) planner.setRemediations(triage.clusters);
  const advisories = triage.advisories.map((a) => planner.planAdvisory(a));
  return { advisories, deliveries: [...advisories.flatMap((p) => p.deliveries), ...planner.digests()] };
}

/** The clusters a stored view showed as affected, unfixed or unknown. */
export function affectedClusters(findings: readonly Finding[]): Set<string> {
  return new Set(affectedClusterNames(findings));
}
