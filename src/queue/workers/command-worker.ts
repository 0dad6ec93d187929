/** The commands queue: answers that read the stores (advisories, triage CVE, clusters), via response_url. */
import { type Job, UnrecoverableError } from 'bullmq';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { advisoryMessage, type SlackMessage } from '../../slack/blocks/advisory.ts';
import { advisoryListMessage, clustersMessage, notice } from '../../slack/blocks/replies.ts';
import { CVE_ID_RE } from '../../slack/command.ts';
import type { Responder } from '../../slack/respond.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import { commandJobSchema } from '../payloads.ts';
import { withSlackSemantics } from './slack-semantics.ts';

export interface CommandProcessorDeps {
  config: Pick<Config, 'clusters'>;
  snapshots: SnapshotStore;
  respond: Responder;
  logger: Logger;
}

export async function answerFor(deps: Pick<CommandProcessorDeps, 'snapshots'>, command: { kind: string; cve?: unknown }): Promise<SlackMessage> {
  const fleet = await deps.snapshots.getFleet();
  const releaseData = fleet?.releaseData ?? null;
  switch (command.kind) {
    case 'advisories': {
      const list = await deps.snapshots.list();
      return advisoryListMessage(list.map((s) => ({ advisory: s.advisory, findings: s.findings })), releaseData);
    }
    case 'clusters':
      return clustersMessage(fleet?.clusters ?? [], releaseData);
    case 'triage': {
      const cve = typeof command.cve === 'string' && CVE_ID_RE.test(command.cve) ? command.cve : null;
      if (cve === null) throw new UnrecoverableError('triage job without a valid CVE id');
      const snap = await deps.snapshots.get(cve);
      if (snap === null) return notice(`${cve} is not in the feed data seen so far. Check the id, or wait for the next feed poll.`);
      const { overflow: _overflow, ...message } = advisoryMessage({
        advisory: snap.advisory, findings: snap.findings, releaseData, actions: false, maxClusterRows: 40,
      });
      return message;
    }
    default:
      throw new UnrecoverableError(`no queued answer for "${command.kind}"`);
  }
}

export function createCommandProcessor(deps: CommandProcessorDeps) {
  return async (job: Job, token?: string): Promise<string> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = commandJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed command job: ${parsed.error.message}`);
    const data = parsed.data;
    return withSlackSemantics(job, token, log, async () => {
      const message = await answerFor(deps, data.command);
      await deps.respond(data.responseUrl, message);
      return data.command.kind;
    });
  };
}
