/** Deliver-stage jobs are checked before anything is read or posted: a malformed one fails for good, naming the field. */
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.ts';
import { createSlackProcessor } from '../../../src/queue/workers/slack-worker.ts';
import type { SlackApi } from '../../../src/slack/web.ts';
import type { SnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import type { Lock, PostStore } from '../../../src/store/posts.ts';
import { testConfig } from '../slack/fixtures.ts';

const untouched = new Proxy({}, { get: (_t, name) => { throw new Error(`must not be called: ${String(name)}`); } });

const processor = createSlackProcessor({
  config: testConfig(),
  slack: untouched as SlackApi,
  posts: untouched as PostStore,
  lock: untouched as Lock,
  snapshots: untouched as SnapshotStore,
  logger: silentLogger(),
});

const entry = { id: 'CVE-2023-2431', title: 't', url: 'https://github.com/kubernetes/kubernetes/issues/118690', rating: 'low', score: 3.4, status: 'fixed', clusters: 1, unfixed: false };

describe('slack job input', () => {
  it.each([
    { name: 'a digest for a channel id that is not one', data: { kind: 'digest', channel: 'general', digest: { known: 1, entries: [entry] } }, field: 'channel' },
    { name: 'a digest with a negative count', data: { kind: 'digest', channel: 'C0PROD', digest: { known: -1, entries: [] } }, field: 'known' },
    { name: 'a digest entry without a CVE id', data: { kind: 'digest', channel: 'C0PROD', digest: { known: 1, entries: [{ ...entry, id: 'GHSA-1' }] } }, field: 'id' },
    { name: 'a deliver with a hash that is not hex', data: { kind: 'deliver', advisory: 'CVE-2023-2431', channel: 'C0PROD', hash: 'zz' }, field: 'hash' },
    { name: 'an unknown kind', data: { kind: 'explode', channel: 'C0PROD' }, field: 'kind' },
  ])('$name fails for good', async ({ data, field }) => {
    const job = { id: 'j1', queueName: 'slack', data, attemptsMade: 0, opts: {} } as unknown as Job;
    const err = await processor(job).then(() => null, (e: unknown) => e as Error);
    expect(err?.name).toBe('UnrecoverableError');
    expect(err?.message).toContain('malformed slack job');
    expect(err?.message).toContain(field);
  });
});
