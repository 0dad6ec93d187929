/**
 * The one guard every command and button runs through, driven through the real listeners as the
 * app registers them: what is acked, what the user is told, what is audited — allowed, refused,
 * invalid and failed alike.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.ts';
import type { Producers } from '../../../src/queue/producers.ts';
import { type ListenerTarget, registerListeners } from '../../../src/slack/app.ts';
import type { SlackMessage } from '../../../src/slack/blocks/advisory.ts';
import type { ListenerDeps } from '../../../src/slack/listeners/types.ts';
import { createAuthorizer } from '../../../src/slack/middleware/authz.ts';
import type { GuardedHandler } from '../../../src/slack/middleware/guard.ts';
import type { SnapshotStore } from '../../../src/store/advisory-snapshots.ts';
import type { AuditEntry, AuditLog } from '../../../src/store/audit.ts';
import type { PostStore } from '../../../src/store/posts.ts';
import { blockAction, commandBody } from '../../helpers/slack-sign.ts';
import { testConfig } from './fixtures.ts';

const RESPONSE_URL = 'https://hooks.slack.com/commands/T0TEAM/1/abc';

function setup(over: { answer?: Producers['answer']; auditFails?: boolean } = {}) {
  const events: string[] = [];
  const audit: AuditEntry[] = [];
  const responses: { url: string; text: string }[] = [];
  const acks: (SlackMessage | undefined)[] = [];
  const jobs: unknown[] = [];
  const acknowledged = new Set<string>();
  const auditLog: AuditLog = {
    async record(entry) {
      if (over.auditFails) throw new Error('redis down');
      events.push(`audit ${entry.result}`);
      audit.push(entry);
    },
    async recent() { return []; },
  };
  const producers = {
    answer: over.answer ?? (async (job) => { jobs.push(job); }),
    verify: async (job) => { jobs.push(job); },
    acknowledged: async (advisory, channel, user) => { jobs.push({ advisory, channel, user }); },
  } as Partial<Producers> as Producers;
  const posts = {
    acknowledge: async (key: { advisory: string; channel: string }) => {
      const k = `${key.advisory}/${key.channel}`;
      if (acknowledged.has(k)) return false;
      acknowledged.add(k);
      return true;
    },
    get: async () => ({ ackUser: 'U02BBB' }),
  } as unknown as PostStore;
  const deps = {
    config: testConfig(),
    logger: silentLogger(),
    authz: createAuthorizer({
      config: testConfig(), logger: silentLogger(),
      resolveUsergroup: async (id) => { events.push(`usergroup ${id}`); return id === 'S01PLAT' ? ['U09GRP'] : []; },
    }),
    audit: auditLog,
    producers,
    posts,
    // No triage snapshot: the emergency button proposes for all the channel's environments.
    snapshots: { get: async () => null } as unknown as SnapshotStore,
    respond: async (url: string, message: SlackMessage) => { events.push('respond'); responses.push({ url, text: message.text }); },
    now: () => new Date('2026-03-01T10:00:00Z'),
    verifyEnabled: false,
  } as Partial<ListenerDeps> as ListenerDeps;

  const handlers = new Map<string, GuardedHandler>();
  const target: ListenerTarget = {
    command(name, handler) { handlers.set(name, handler); },
    action(id, handler) { handlers.set(id, handler); },
    event() {},
    view() {},
  };
  registerListeners(target, deps);
  const run = async (name: string, body: unknown) => {
    const handler = handlers.get(name);
    if (!handler) throw new Error(`no handler ${name}`);
    await handler({ body, ack: async (m) => { events.push(m ? `ack "${m.text}"` : 'ack'); acks.push(m); } });
  };
  const command = (text: string, user = 'U01AAA') => run('/k8s', Object.fromEntries(new URLSearchParams(commandBody({ text, user_id: user, response_url: RESPONSE_URL }))));
  const press = (actionId: string, user: string, value = 'CVE-2099-10000') => run(actionId, blockAction({ actionId, value, user, responseUrl: RESPONSE_URL }));
  return { events, audit, responses, acks, jobs, command, press, run, handlers };
}

describe('guard: commands', () => {
  it('answers help in the ack itself and audits it as ok', async () => {
    const s = setup();
    await s.command('help', 'U07NOBODY');
    expect(s.events).toEqual(['ack "k8s-advisor commands"', 'audit ok']);
    expect(s.audit).toEqual([{ user: 'U07NOBODY', kind: 'command', what: 'help', result: 'ok', channel: 'C0PROD' }]);
  });

  it('answers a usage error in the ack and audits it as invalid, with the error', async () => {
    const s = setup();
    await s.command('verify qa');
    expect(s.acks).toHaveLength(1);
    expect(s.acks[0]?.text).toContain('neither a cluster');
    expect(s.audit).toEqual([expect.objectContaining({ user: 'U01AAA', what: 'invalid', result: 'invalid', detail: expect.stringContaining('"qa"') as string })]);
  });

  it('acks a payload of the wrong shape with a notice and audits nothing (no user to attribute it to)', async () => {
    const s = setup();
    await s.run('/k8s', { command: '/k8s', text: 'help' });
    expect(s.acks.map((a) => a?.text)).toEqual(['Sorry, that request could not be read.']);
    expect(s.audit).toEqual([]);
  });

  it('refuses verify without the role: acked empty first, then told which role, then audited as refused', async () => {
    const s = setup();
    await s.command('verify prod', 'U02BBB');
    expect(s.events).toEqual(['ack', 'usergroup S01PLAT', 'respond', 'audit refused']);
    expect(s.responses).toEqual([{ url: RESPONSE_URL, text: expect.stringContaining('verify `prod` in `prod`: it needs the `platform` role') as string }]);
    expect(s.audit).toEqual([{ user: 'U02BBB', kind: 'command', what: 'verify prod', result: 'refused', channel: 'C0PROD', detail: 'needs platform' }]);
  });

  it('lets a user-group member through to the handler, whose outcome is audited', async () => {
    const s = setup();
    await s.command('verify prod-eu', 'U09GRP');
    expect(s.events).toEqual(['ack', 'usergroup S01PLAT', 'respond', 'audit unavailable']);
    expect(s.responses[0]?.text).toContain('not yet available');
  });

  it('a command needing no role answers first and queues, audited as queued', async () => {
    const s = setup();
    await s.command('triage cve-2023-2727', 'U07NOBODY');
    expect(s.events).toEqual(['ack ":hourglass_flowing_sand: Looking that up…"', 'audit queued']);
    expect(s.jobs).toEqual([expect.objectContaining({ kind: 'answer', command: { kind: 'triage', cve: 'CVE-2023-2727' }, user: 'U07NOBODY' })]);
  });

  it('a handler that fails after the ack: the user is told to try again, the failure audited as error', async () => {
    const s = setup({ answer: async () => { throw new Error('Redis is unavailable'); } });
    await s.command('advisories');
    expect(s.events).toEqual(['ack ":hourglass_flowing_sand: Looking that up…"', 'respond', 'audit error']);
    expect(s.responses[0]?.text).toContain('Try again in a minute');
    expect(s.audit[0]).toMatchObject({ what: 'advisories', result: 'error', detail: 'Redis is unavailable' });
  });

  it('an audit store that fails does not fail the request (logged instead)', async () => {
    const s = setup({ auditFails: true });
    await expect(s.command('help')).resolves.toBeUndefined();
    expect(s.acks).toHaveLength(1);
  });
});

describe('guard: buttons', () => {
  it('acks before anything else, refuses without the role naming both roles, audits', async () => {
    const s = setup();
    await s.press('advisory_acknowledge', 'U07NOBODY');
    expect(s.events[0]).toBe('ack');
    expect(s.events.at(-1)).toBe('audit refused');
    expect(s.responses[0]?.text).toMatch(/acknowledge CVE-2099-10000: it needs the `platform` or `security` roles/);
    expect(s.audit).toEqual([{ user: 'U07NOBODY', kind: 'action', what: 'advisory_acknowledge CVE-2099-10000', result: 'refused', channel: 'C0PROD', detail: 'needs platform|security' }]);
  });

  it('allowed: the handler runs once per press; the second press is told who was first', async () => {
    const s = setup();
    await s.press('advisory_acknowledge', 'U02BBB');
    await s.press('advisory_acknowledge', 'U01AAA');
    expect(s.audit.map((a) => [a.user, a.result, a.detail])).toEqual([['U02BBB', 'queued', undefined], ['U01AAA', 'ok', 'already acknowledged']]);
    expect(s.jobs).toEqual([{ advisory: 'CVE-2099-10000', channel: 'C0PROD', user: 'U02BBB' }]);
    expect(s.responses.map((r) => r.text)).toEqual(['Already acknowledged by <@U02BBB>.']);
  });

  it('schedule emergency is checked on the channel\'s environment', async () => {
    const s = setup();
    await s.press('advisory_schedule_emergency', 'U02BBB');
    expect(s.responses[0]?.text).toContain('schedule an emergency window in `prod`: it needs the `platform` role');
  });

  it('a button whose value is not a CVE id is audited as invalid, acked, and not handled', async () => {
    const s = setup();
    await s.press('advisory_acknowledge', 'U01AAA', '../etc');
    expect(s.events).toEqual(['ack', 'audit invalid']);
    expect(s.audit[0]).toMatchObject({ user: 'U01AAA', what: 'advisory_acknowledge', result: 'invalid', detail: 'the button value is not a CVE id' });
    expect(s.jobs).toEqual([]);
  });
});

describe('guard: every registered command and button goes through it', () => {
  it('each writes exactly one audit record per request, whoever asks', async () => {
    const s = setup();
    const names = [...s.handlers.keys()];
    expect(names).toEqual(expect.arrayContaining(['/k8s', 'advisory_verify', 'advisory_schedule_emergency', 'advisory_acknowledge']));
    for (const name of names) {
      const before = s.audit.length;
      if (name.startsWith('/')) await s.command('windows', 'U07NOBODY');
      else await s.press(name, 'U07NOBODY');
      expect(s.audit.length, name).toBe(before + 1);
      expect(s.audit.at(-1)?.user, name).toBe('U07NOBODY');
    }
  });
});
