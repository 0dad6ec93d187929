import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DELIVERY_BOT_SCOPES } from '../../../src/queue/workers/slack-worker.ts';
import { type ListenerTarget, REQUIRED_BOT_SCOPES, SLACK_EVENTS_PATH, registerListeners } from '../../../src/slack/app.ts';
import type { ListenerDeps } from '../../../src/slack/listeners/types.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';
import { silentLogger } from '../../../src/log.ts';
import { testConfig } from './fixtures.ts';

interface Manifest {
  display_information?: { name?: string };
  features?: {
    bot_user?: { display_name?: string };
    app_home?: { home_tab_enabled?: boolean };
    slash_commands?: { command: string; url?: string; description?: string }[];
  };
  oauth_config?: { scopes?: { bot?: string[] } };
  settings?: {
    event_subscriptions?: { bot_events?: string[]; request_url?: string };
    interactivity?: { is_enabled?: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
  };
}

const manifest = parse(readFileSync(resolve(REPO_ROOT, 'manifest.yml'), 'utf8')) as Manifest;

// Registration only records names; handlers are never called here.
const noop: ListenerTarget = { command() {}, action() {}, event() {}, view() {} };
const registry = registerListeners(noop, { logger: silentLogger(), config: testConfig() } as ListenerDeps);

describe('manifest.yml matches the registered listeners', () => {
  it('is a complete manifest', () => {
    expect(manifest.display_information?.name).toBe('k8s-advisor');
    expect(manifest.features?.bot_user?.display_name).toBeTruthy();
    expect(manifest.settings?.socket_mode_enabled).toBe(true);
  });

  it('declares exactly the slash commands the app handles', () => {
    const declared = (manifest.features?.slash_commands ?? []).map((c) => c.command).sort();
    expect(declared).toEqual([...registry.commands].sort());
    for (const c of manifest.features?.slash_commands ?? []) {
      expect(c.url).toMatch(new RegExp(`${SLACK_EVENTS_PATH}$`));
      expect(c.description).toBeTruthy();
    }
  });

  it('subscribes to exactly the bot events the app handles', () => {
    expect([...(manifest.settings?.event_subscriptions?.bot_events ?? [])].sort()).toEqual([...registry.events].sort());
    expect(manifest.settings?.event_subscriptions?.request_url).toMatch(new RegExp(`${SLACK_EVENTS_PATH}$`));
  });

  it('enables interactivity exactly when there are action listeners', () => {
    expect(registry.actions.length).toBeGreaterThan(0);
    expect(manifest.settings?.interactivity?.is_enabled).toBe(registry.actions.length > 0);
    expect(manifest.settings?.interactivity?.request_url).toMatch(new RegExp(`${SLACK_EVENTS_PATH}$`));
  });

  it('enables the Home tab because app_home_opened publishes it', () => {
    expect(manifest.features?.app_home?.home_tab_enabled).toBe(registry.events.includes('app_home_opened'));
  });

  it('requests every bot scope the code uses, and no other', () => {
    const scopes = [...(manifest.oauth_config?.scopes?.bot ?? [])].sort();
    expect(scopes).toEqual([...REQUIRED_BOT_SCOPES, ...DELIVERY_BOT_SCOPES].sort());
  });
});
