import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.ts';
import { createAuthorizer, refusalText } from '../../../src/slack/middleware/authz.ts';
import { testConfig } from './fixtures.ts';

function setup(groups: Record<string, string[]> = { S01PLAT: ['U09GRP'] }) {
  let lookups = 0;
  let clock = 0;
  const authz = createAuthorizer({
    config: testConfig(),
    logger: silentLogger(),
    cacheMs: 1000,
    now: () => clock,
    resolveUsergroup: async (id) => {
      lookups++;
      return groups[id] ?? [];
    },
  });
  return { authz, lookups: () => lookups, tick: (ms: number) => { clock += ms; }, groups };
}

describe('authorizer', () => {
  it.each([
    ['U01AAA', { kind: 'verify', environments: ['prod'] }, true],
    ['U02BBB', { kind: 'verify', environments: ['prod'] }, false],
    ['U02BBB', { kind: 'verify', environments: ['staging'] }, true], // "*" applies
    ['U09GRP', { kind: 'verify', environments: ['prod'] }, true], // via user group
    ['U07NOBODY', { kind: 'verify', environments: ['staging'] }, false],
    ['U02BBB', { kind: 'schedule', environments: ['prod'] }, false],
    ['U07NOBODY', { kind: 'schedule', environments: ['staging'] }, true], // no rule: anyone
    ['U02BBB', { kind: 'acknowledge' }, true],
    ['U07NOBODY', { kind: 'acknowledge' }, false],
  ] as const)('%s %j → %s', async (user, permission, allowed) => {
    const { authz } = setup();
    expect((await authz.check(user, permission)).allowed).toBe(allowed);
  });

  it('names the role needed', async () => {
    const { authz } = setup();
    const d = await authz.check('U02BBB', { kind: 'verify', environments: ['prod'] });
    expect(d).toEqual({ allowed: false, needed: ['platform'], environment: 'prod' });
    if (!d.allowed) expect(refusalText('verify `prod`', d)).toContain('needs the `platform` role');
  });

  it('caches user group members briefly', async () => {
    const s = setup();
    await s.authz.check('U09GRP', { kind: 'verify', environments: ['prod'] });
    await s.authz.check('U09GRP', { kind: 'verify', environments: ['prod'] });
    expect(s.lookups()).toBe(1);
    s.groups.S01PLAT = [];
    s.tick(1500);
    expect((await s.authz.check('U09GRP', { kind: 'verify', environments: ['prod'] })).allowed).toBe(false);
    expect(s.lookups()).toBe(2);
  });

  it('fails closed when a user group cannot be read', async () => {
    const authz = createAuthorizer({
      config: testConfig(), logger: silentLogger(),
      resolveUsergroup: async () => { throw new Error('missing_scope'); },
    });
    expect((await authz.check('U09GRP', { kind: 'verify', environments: ['prod'] })).allowed).toBe(false);
    expect((await authz.check('U01AAA', { kind: 'verify', environments: ['prod'] })).allowed).toBe(true);
  });
});
