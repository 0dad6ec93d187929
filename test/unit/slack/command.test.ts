import { describe, expect, it } from 'vitest';
import { parseCommand, usage } from '../../../src/slack/command.ts';
import { testConfig } from './fixtures.ts';

const config = testConfig();

describe('parseCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  HELP  ', { kind: 'help' }],
    ['advisories', { kind: 'advisories' }],
    ['clusters', { kind: 'clusters' }],
    ['triage CVE-2023-2727', { kind: 'triage', cve: 'CVE-2023-2727' }],
    ['triage cve-2023-2727', { kind: 'triage', cve: 'CVE-2023-2727' }],
    ['verify prod-eu', { kind: 'verify', target: { type: 'cluster', name: 'prod-eu', environment: 'prod' }, clusters: ['prod-eu'], environments: ['prod'] }],
    ['verify prod', { kind: 'verify', target: { type: 'environment', name: 'prod' }, clusters: ['prod-eu', 'prod-us'], environments: ['prod'] }],
    ['windows', { kind: 'windows', environment: null }],
    ['windows staging', { kind: 'windows', environment: 'staging' }],
    ['window schedule prod 2026-03-12T14:00', { kind: 'window-schedule', environment: 'prod', when: '2026-03-12T14:00', duration: null, emergency: false }],
    ['window schedule prod 2026-03-12T14:00 emergency', { kind: 'window-schedule', environment: 'prod', when: '2026-03-12T14:00', duration: null, emergency: true }],
    ['window schedule Prod NOW 2h emergency', { kind: 'window-schedule', environment: 'prod', when: 'now', duration: '2h', emergency: true }],
    ['window schedule prod now emergency 90m', { kind: 'window-schedule', environment: 'prod', when: 'now', duration: '90m', emergency: true }],
    ['window cancel staging-emergency-2026-12-03T14:00', { kind: 'window-cancel', windowId: 'staging-emergency-2026-12-03T14:00' }],
    ['window cancel prod-2026-12-10', { kind: 'window-cancel', windowId: 'prod-2026-12-10' }],
    ['window override prod-2026-12-10 staging rehearsed by hand', { kind: 'window-override', windowId: 'prod-2026-12-10', reason: 'staging rehearsed by hand' }],
    ['window override prod-2026-12-10 <!channel> *now*', { kind: 'window-override', windowId: 'prod-2026-12-10', reason: '!channel now' }],
    ['signoff win-prod-2026-03', { kind: 'signoff', windowId: 'win-prod-2026-03' }],
  ])('%j parses', (text, command) => {
    expect(parseCommand(text, config)).toEqual({ ok: true, command });
  });

  it.each([
    ['frobnicate', /Unknown subcommand "frobnicate"/],
    ['triage', /Usage: `\/k8s triage/],
    ['triage CVE-2023', /not a CVE id/],
    ['triage ../../etc/passwd', /not a CVE id/],
    ['triage CVE-2023-2727 CVE-2023-2728', /one CVE id/],
    ['verify', /Clusters: `prod-eu`, `prod-us`, `stage-1`/],
    ['verify qa', /neither a cluster .* nor an environment \(`staging`, `prod`\)/],
    ['verify prod;rm', /neither a cluster/],
    ['verify prod; rm -rf /', /Usage/],
    ['windows qa', /not an environment/],
    ['windows prod staging', /Usage/],
    ['advisories now', /takes no arguments/],
    ['window schedule prod 2026-03-12', /not a time like `2026-12-03T14:00` \(in the environment's time zone\) or `now`/],
    ['window schedule qa now', /"qa" is not an environment/],
    ['window schedule prod', /Usage: `\/k8s window schedule ENV YYYY-MM-DDTHH:MM\|now \[DURATION\] \[emergency\]`/],
    ['window schedule prod now soon', /"soon" is neither a duration like `2h` nor `emergency`/],
    ['window schedule prod now 2h 3h', /"3h" is neither a duration/],
    ['window schedule prod now emergency emergency', /"emergency" is neither/],
    ['window cancel prod 2026-03-12', /Usage: `\/k8s window cancel WINDOW-ID`/],
    ['window cancel prod-2026-12-10:*', /is not a window id/],
    ['window cancel <@U01AAA>', /is not a window id/],
    ['window frobnicate', /Usage/],
    ['window override prod-2026-12-10', /Usage: `\/k8s window override WINDOW-ID REASON`/],
    ['window override prod-2026-12-10 ok', /Usage: `\/k8s window override/],
    ['window override ../x because', /is not a window id/],
    ['signoff ../x', /not a window id/],
  ])('%j is refused helpfully', (text, message) => {
    const res = parseCommand(text, config);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatch(message);
  });

  it('never echoes Slack markup a user typed', () => {
    const res = parseCommand('verify <!channel>*bold*', config);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error).not.toContain('<!channel>');
      expect(res.error).not.toContain('*bold*');
    }
  });

  it('usage lists every form, none of them "coming later"', () => {
    const text = usage();
    for (const form of ['/k8s help', '/k8s advisories', '/k8s triage CVE-YYYY-NNNN', '/k8s clusters', '/k8s verify CLUSTER|ENV', '/k8s windows [ENV]']) {
      expect(text).toContain(form);
    }
    expect(text).toMatch(/signoff WINDOW-ID` — a window's sign-off/);
    expect(text).not.toMatch(/signoff WINDOW-ID[^\n]*coming later/);
    // Verification is served from Slack (with a dispatcher): help does not call it "later".
    expect(text).toMatch(/verify CLUSTER\|ENV` — run the verification probes[^\n]*$/m);
    expect(text).not.toMatch(/verify CLUSTER\|ENV[^\n]*coming later/);
  });
});
