import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadConfigFile } from '../../../src/config/load.ts';
import { parseDuration } from '../../../src/config/duration.ts';
import { ConfigError } from '../../../src/errors.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const BASE = `
environments:
  staging: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin } }
  prod: { after: staging }
clusters:
  - { name: prod-eu, environment: prod, versions: { kubernetes: v1.35.2 } }
roles:
  platform: { users: [U01AAA] }
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

describe('loadConfig', () => {
  it('accepts the example fleet and fills defaults', () => {
    const cfg = loadConfig(readFileSync(resolve(REPO_ROOT, 'examples/fleet.yaml'), 'utf8'));
    expect(cfg.clusters.map((c) => c.name)).toEqual(['staging-eu', 'prod-eu', 'prod-us', 'edge-k3s', 'legacy']);
    expect(cfg.feed.every).toBe(2 * 60_000);
    expect(cfg.environments.prod?.window?.duration).toBe(4 * 3_600_000);
    expect(cfg.environments.prod?.signoff).toEqual({ roles: ['platform', 'security'], quorum: 2, selfApproval: false, expires: 24 * 3_600_000, cancel: [] });
    expect(cfg.environments.staging?.checks.rbac).toEqual([]);
  });

  it.each([
    ['unknown environment', 'clusters:\n  - { name: a, environment: prd, agent: true }', 'clusters[0].environment: "prd" is not one of staging, prod'],
    ['no access mode', 'clusters:\n  - { name: a, environment: prod }', 'clusters[0]: give exactly one of kubeconfig (+ context), inCluster: true, agent: true or versions (found 0)'],
    ['two access modes', 'clusters:\n  - { name: a, environment: prod, agent: true, kubeconfig: /k }', 'clusters[0]: give exactly one of kubeconfig (+ context), inCluster: true, agent: true or versions (found 2)'],
    ['typo in a key', 'clusters:\n  - { name: a, environment: prod, agent: true, kubeconfg: /k }', 'clusters[0]: unknown key "kubeconfg"'],
    ['duplicate names', 'clusters:\n  - { name: a, environment: prod, agent: true }\n  - { name: a, environment: prod, agent: true }', 'clusters[1].name: "a" is used by another cluster; names must be unique'],
    ['bad version', 'clusters:\n  - { name: a, environment: prod, versions: { kubernetes: latest } }', 'clusters[0].versions.kubernetes: "latest" is not a version like "v1.29.4"'],
    ['context without kubeconfig', 'clusters:\n  - { name: a, environment: prod, agent: true, context: x }', 'clusters[0].context: context needs kubeconfig'],
  ])('reports %s', (_label, clusters, expected) => {
    const text = BASE.replace(/clusters:\n.*\n/, `${clusters}\n`);
    expect(problems(text)).toContain(expected);
  });

  it.each([
    ['feed:\n  every: 15x', 'feed.every: "15x": expected a duration like "15m" (units ms, s, m, h, d)'],
    ['slack:\n  channels: { prd: C0PROD }', 'slack.channels.prd: "prd" is not an environment (staging, prod) or "default"'],
    ['slack:\n  channels: { prod: "#prod" }', 'slack.channels.prod: "#prod": expected a Slack channel id like "C0PROD"'],
    ['permissions:\n  verify: { prod: [admins] }', 'permissions.verify.prod[0]: role "admins" is not defined under roles (defined: platform)'],
  ])('reports %j', (extra, expected) => {
    expect(problems(`${BASE}${extra}\n`)).toContain(expected);
  });

  it('reports window and environment problems', () => {
    const text = BASE.replace('prod: { after: staging }', 'prod: { after: qa, window: { rule: "second TUE", start: "25:00", duration: 4h, timezone: Mars/Base }, signoff: { roles: [sec], quorum: 2 } }');
    expect(problems(text)).toEqual(expect.arrayContaining([
      'environments.prod.after: "qa" is not one of staging, prod',
      expect.stringMatching(/^environments\.prod\.window\.rule: "second TUE": expected "<1st\|2nd/),
      'environments.prod.window.start: "25:00": expected a 24-hour time like "02:00"',
      'environments.prod.window.timezone: "Mars/Base": expected an IANA time zone like "Europe/Berlin"',
      'environments.prod.signoff.roles[0]: role "sec" is not defined under roles (defined: platform)',
    ]));
  });

  it('reports every problem at once', () => {
    const text = `${BASE.replace('environment: prod', 'environment: prd')}feed:\n  every: nope\n`;
    expect(problems(text)).toHaveLength(2);
  });

  it('detects cycles in "after"', () => {
    const text = BASE.replace('staging: { window', 'staging: { after: prod, window');
    expect(problems(text)).toContain('environments.staging.after: cycle: staging → prod → staging');
  });

  it.each([
    ['', 'the file must be a YAML mapping'],
    ['- a\n- b', 'the file must be a YAML mapping'],
    ['environments: {', 'YAML:'],
    ['a: 1\na: 2', 'YAML:'],
  ])('rejects non-config YAML %j', (text, expected) => {
    expect(problems(text).join('\n')).toContain(expected);
  });

  describe('reads YAML 1.2', () => {
    const withEnvironments = (envs: string) => `${BASE.replace(/environments:\n(?: {2}.*\n)+/, '')}${envs}`;

    it('dates stay strings (no YAML 1.1 timestamps)', () => {
      const text = withEnvironments('environments:\n  prod: { window: { rule: "2nd TUE", start: "02:00", duration: 4h, timezone: Europe/Berlin, exclude: [2026-12-24] } }\n');
      expect(loadConfig(text).environments.prod?.window?.exclude).toEqual(['2026-12-24']);
    });

    it('a duplicate key is an error, also inside a flow mapping', () => {
      expect(problems(withEnvironments('environments: { prod: {}, prod: {} }\n')).join('\n')).toMatch(/^YAML: /m);
    });

    it('yes is a string, not a boolean', () => {
      expect(problems(withEnvironments('environments: { prod: {} }\nslack: { announceBacklog: yes }\n'))).toContain('slack.announceBacklog: expected boolean, got "yes"');
    });
  });

  it('names a missing file', async () => {
    await expect(loadConfigFile('/nonexistent/fleet.yaml')).rejects.toThrow(/\/nonexistent\/fleet.yaml: [^]*file not found/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['15m', 900_000], ['4h', 14_400_000], ['90s', 90_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['250ms', 250],
    ['', null], ['15', null], ['m', null], ['0s', null], ['1 h', null],
  ])('%j → %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
