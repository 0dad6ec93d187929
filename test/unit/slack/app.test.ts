import { afterEach, describe, expect, it } from 'vitest';
import { LogLevel } from '@slack/bolt';
import { createSlackApp } from '../../../src/slack/app.ts';
import type { ListenerDeps } from '../../../src/slack/listeners/types.ts';
import { boltLogger } from '../../../src/slack/logger.ts';
import { createLogger, silentLogger } from '../../../src/log.ts';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack.ts';
import { testConfig } from './fixtures.ts';

let fake: FakeSlack | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe('bolt pino logger adapter', () => {
  it('writes Bolt messages as pino JSON with the error in err, and follows setLevel', () => {
    const lines: string[] = [];
    const log = boltLogger(createLogger({ level: 'debug', destination: { write: (s: string) => { lines.push(s); } } }));
    log.warn('Failed to verify', new Error('boom'), { a: 1 });
    log.debug('noise');
    log.setLevel(LogLevel.WARN);
    log.info('dropped');
    expect(log.getLevel()).toBe(LogLevel.WARN);
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; level: number; subsystem: string; err?: { message: string } });
    expect(parsed.map((p) => p.msg)).toEqual(['Failed to verify {"a":1}', 'noise']);
    expect(parsed[0]?.err?.message).toBe('boom');
    expect(parsed[0]?.subsystem).toBe('bolt');
  });
});

describe('createSlackApp', () => {
  it('builds a Socket Mode app with the same listeners (not started: no connection made)', async () => {
    fake = await startFakeSlack();
    const app = createSlackApp({
      botToken: 'xoxb-x', apiUrl: fake.apiUrl, logger: silentLogger(),
      mode: { kind: 'socket', appToken: 'xapp-1-test' },
      deps: { logger: silentLogger(), config: testConfig() } as ListenerDeps,
    });
    expect(app.registry).toEqual({
      commands: ['/k8s'],
      actions: ['advisory_verify', 'advisory_schedule_emergency', 'window_emergency_confirm', 'window_backup_confirmed', 'advisory_acknowledge', 'signoff_approve', 'signoff_reject'],
      events: ['app_home_opened', 'message.channels', 'message.groups'],
      views: ['signoff_reject_reason'],
    });
  });
});
