/**
 * The commands queue: answers that read the stores (advisories, triage CVE, clusters), via
 * response_url; and verification runs (verify-worker.ts), when the hub has a dispatcher.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { advisoryMessage, affectedClusterNames, type SlackMessage } from '../../slack/blocks/advisory.ts';
import { advisoryListMessage, clustersMessage, notice } from '../../slack/blocks/replies.ts';
import { CVE_ID_RE } from '../../slack/command.ts';
import type { Responder } from '../../slack/respond.ts';
import type { SlackApi } from '../../slack/web.ts';
import type { SnapshotStore } from '../../store/advisory-snapshots.ts';
import type { AuditLog } from '../../store/audit.ts';
import { commandJobSchema, type VerifyJob } from '../payloads.ts';
import { withSlackSemantics } from './slack-semantics.ts';
import { createVerifyJobRunner, reportVerifyFailure, type Verifier } from './verify-worker.ts';

export interface CommandProcessorDeps {
  config: Pick<Config, 'clusters' | 'verify'>;
  snapshots: SnapshotStore;
  respond: Responder;
  logger: Logger;
  /** Verification: runs `verify` jobs; without it such a job fails for good (the listener does not queue them then). */
  verify?: {
    verifier: Verifier;
    slack: SlackApi;
    audit: AuditLog;
    updateEveryMs?: number;
    now?: () => Date;
  };
}

export async function answerFor(deps: Pick<CommandProcessorDeps, 'snapshots'>, command: { kind: string; cve?: unknown }): Promise<SlackMessage> {
  // Each answer reads only what it shows: at 10,000 clusters the fleet's postures are megabytes and
  // an advisory's findings tens of megabytes, so nothing reads them that does not print them.
  switch (command.kind) {
    case 'advisories': {
      const [list, releaseData] = await Promise.all([deps.snapshots.listSummaries(), deps.snapshots.getReleaseData()]);
      return advisoryListMessage(list, releaseData);
    }
    case 'clusters': {
      const fleet = await deps.snapshots.getFleet();
      return clustersMessage(fleet?.clusters ?? [], fleet?.releaseData ?? null);
    }
    case 'triage': {
      const cve = typeof command.cve === 'string' && CVE_ID_RE.test(command.cve) ? command.cve : null;
      if (cve === null) throw new UnrecoverableError('triage job without a valid CVE id');
      const [snap, releaseData] = await Promise.all([deps.snapshots.get(cve), deps.snapshots.getReleaseData()]);
      if (snap === null) return notice(`${cve} is not in the feed data seen so far. Check the id, or wait for the next feed poll.`);
      // The clusters' one remediation: "fixed in vX (smallest); recommended vY (clears all N open advisories)".
      const remediations = await deps.snapshots.getRemediations(affectedClusterNames(snap.findings));
      const { overflow: _overflow, ...message } = advisoryMessage({
        advisory: snap.advisory, findings: snap.findings, releaseData, actions: false, maxClusterRows: 40, remediations,
      });
      return message;
    }
    default:
      throw new UnrecoverableError(`no queued answer for "${command.kind}"`);
  }
}

export function createCommandProcessor(deps: CommandProcessorDeps) {
  const v = deps.verify;
  const runVerify = v ? createVerifyJobRunner({ config: deps.config, respond: deps.respond, logger: deps.logger, ...v }) : null;

  const verify = async (job: Job, token: string | undefined, data: VerifyJob, log: Logger): Promise<string> => {
    if (!runVerify || !v) throw new UnrecoverableError('this hub has no cluster dispatcher: verification is not available');
    try {
      return await withSlackSemantics(job, token, log, () => runVerify(job, data, log));
    } catch (err) {
      const final = !(err instanceof DelayedError) && (err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      // The job data holds the steps done so far (progress message ts): read it back.
      if (final) await reportVerifyFailure({ slack: v.slack, audit: v.audit, logger: log }, { ...data, ...(job.data as Partial<VerifyJob>) }, err);
      throw err;
    }
  };

  return async (job: Job, token?: string): Promise<string> => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
    const parsed = commandJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed command job: ${parsed.error.message}`);
    const data = parsed.data;
    if (data.kind === 'verify') return verify(job, token, data as VerifyJob, log);
    return withSlackSemantics(job, token, log, async () => {
      const message = await answerFor(deps, data.command);
      await deps.respond(data.responseUrl, message);
      return data.command.kind;
    });
  };
}
