/** `slack.pace`: defaults, overrides, and what a bad value says. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';

const BASE = `
environments: { prod: {} }
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.35.2 } }
`;

function problems(text: string): string[] {
  try {
    loadConfig(text, { file: 'fleet.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('slack.pace', () => {
  it('defaults to Slack\'s limits: one post a second per channel, a burst of 3, 50 updates a minute', () => {
    expect(loadConfig(BASE).slack.pace).toEqual({ perChannel: 1, burst: 3, updatesPerMinute: 50 });
    expect(loadConfig(`${BASE}slack: { channels: { prod: C0PROD } }`).slack.pace).toEqual({ perChannel: 1, burst: 3, updatesPerMinute: 50 });
  });

  it('takes part of the keys and defaults the rest', () => {
    expect(loadConfig(`${BASE}slack: { pace: { perChannel: 0.5 } }`).slack.pace).toEqual({ perChannel: 0.5, burst: 3, updatesPerMinute: 50 });
  });

  it.each([
    ['perChannel: 0', /slack\.pace\.perChannel/],
    ['burst: 1.5', /slack\.pace\.burst/],
    ['burst: 0', /slack\.pace\.burst/],
    ['updatesPerMinute: -1', /slack\.pace\.updatesPerMinute/],
    ['perSecond: 1', /slack\.pace.*perSecond/],
  ])('refuses %s, naming the key', (bad, key) => {
    expect(problems(`${BASE}slack: { pace: { ${bad} } }`).join('\n')).toMatch(key);
  });
});
