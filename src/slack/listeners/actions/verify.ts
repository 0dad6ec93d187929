/** The Verify button: queue the probes for the clusters of this channel that the advisory affects. */
import { ADVISORY_ACTIONS } from '../../blocks/advisory.ts';
import { notice } from '../../blocks/replies.ts';
import type { AdvisorySnapshot } from '../../../store/advisory-snapshots.ts';
import type { GuardedListener, ListenerApp, ListenerDeps } from '../types.ts';
import { type AdvisoryActionRequest, clustersToVerify, environmentsForChannel, readAdvisoryAction } from './advisory.ts';

const THREAD_TS_RE = /^\d{6,}\.\d{1,10}$/;

interface VerifyRequest extends AdvisoryActionRequest {
  /** The advisory's last triage, read once (the permission and the work both use it). */
  snapshot: () => Promise<AdvisorySnapshot | null>;
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

export function createVerifyAction(deps: ListenerDeps): GuardedListener<VerifyRequest> {
  const selection = async (request: VerifyRequest) => {
    const snap = await request.snapshot();
    return { snap, selected: snap ? clustersToVerify(deps, request.channel, snap.findings) : { clusters: [], environments: [] } };
  };
  return {
    read(body) {
      const read = readAdvisoryAction(body);
      if (!read.ok) return read;
      const request = read.request;
      return { ok: true, request: { ...request, snapshot: once(async () => (deps.verifyEnabled ? deps.snapshots.get(request.advisory) : null)) } };
    },

    async needs(request) {
      const { selected } = await selection(request);
      // Checked on the environments verified; with nothing to verify, on the channel's (a refused user learns nothing more).
      const environments = selected.environments.length > 0 ? selected.environments : environmentsForChannel(deps, request.channel);
      return { action: 'verify clusters', permission: { kind: 'verify', environments } };
    },

    async handle(request, reply) {
      if (!deps.verifyEnabled) {
        const env = environmentsForChannel(deps, request.channel)[0] ?? 'ENV';
        await reply(notice(`Verification from a button is not yet available. Run \`/k8s verify ${env}\` once it is, or \`k8s-advisor verify\` now.`));
        return { result: 'unavailable' };
      }
      const { snap, selected } = await selection(request);
      if (selected.clusters.length === 0) {
        await reply(notice(snap === null
          ? `${request.advisory} is not in the triage data any more; nothing to verify.`
          : `${request.advisory} affects no cluster of this channel: nothing to verify.`));
        return { result: 'ok', detail: 'no affected clusters' };
      }
      // Answer in the advisory's thread: the stored post, else the message the button is on.
      const found = (await deps.posts.get({ advisory: request.advisory, channel: request.channel }))?.ts
        ?? request.message?.thread_ts ?? request.message?.ts ?? request.containerTs;
      const threadTs = found !== undefined && THREAD_TS_RE.test(found) ? found : undefined;
      await deps.producers.verify({
        kind: 'verify', target: `${request.advisory} in ${selected.environments.join(', ')}`, clusters: selected.clusters,
        user: request.user, channel: request.channel,
        ...(threadTs ? { threadTs } : {}), ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
        origin: { kind: 'action', what: request.what },
      });
      return { result: 'queued', detail: `clusters: ${selected.clusters.join(', ')}` };
    },
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.action(ADVISORY_ACTIONS.verify, createVerifyAction(deps));
}
