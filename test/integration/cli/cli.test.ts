/**
 * The CLI end to end, in process: exit codes, JSON contracts, error messages. Feeds come from
 * files or a loopback server; the release calendar is never refreshed (no network in tests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli.ts';
import { startFeedServer, type FeedServer } from '../../helpers/feed-server.ts';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const SAMPLE = resolve(REPO_ROOT, 'data/sample-feed.json');
let dir: string;
let fleet: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-advisor-cli-'));
  fleet = join(dir, 'fleet.yaml');
  writeFileSync(fleet, `
releases: { refresh: false }
slack: { channels: { prod: C0PROD, default: C0SEC } }
environments: { staging: {}, prod: {} }
clusters:
  - { name: patched, environment: prod, versions: { kubernetes: v1.35.2 } }
  - { name: old-eks, environment: prod, versions: { kubernetes: v1.30.2-eks-1a2b3c4 } }
  - { name: edge, environment: staging, versions: { kubernetes: v1.28.3+k3s1, ingress-nginx: v1.11.4 } }
`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); }, env: {} });
  return { code, out: out.join(''), err: err.join('') };
}

describe('k8s-advisor feed', () => {
  it('prints { feed, advisories } from a file', async () => {
    const r = await cli('feed', '--feed', SAMPLE, '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { feed: { source: string; items: number }; advisories: { id: string; parse: { source: string } }[] };
    expect(json.feed).toMatchObject({ source: SAMPLE, items: 9 });
    // The combined 2023 item becomes two advisories.
    expect(json.advisories.map((a) => a.id)).toEqual(expect.arrayContaining(['CVE-2023-2727', 'CVE-2023-2728', 'CVE-2024-10220']));
    expect(json.advisories).toHaveLength(10);
    expect(json.advisories.find((a) => a.id === 'CVE-2024-10220')?.parse.source).toBe('osv-block');
  });

  it('reads a feed over HTTP and prints text', async () => {
    const server: FeedServer = await startFeedServer({ body: await import('node:fs').then((fs) => fs.readFileSync(SAMPLE, 'utf8')) });
    try {
      const r = await cli('feed', '--feed', server.url);
      expect(r.code).toBe(0);
      expect(r.out).toContain('CVE-2025-1974');
      expect(r.out).toMatch(/ingress-nginx\s+≤ v1\.10\.x \(no fix in this branch\)/);
      expect(r.out).toMatch(/ingress-nginx\s+v1\.12\.0 → fixed in v1\.12\.1/);
    } finally {
      await server.close();
    }
  });

  it('reads the RSS variant, saying it has no version text', async () => {
    const r = await cli('feed', '--feed', resolve(REPO_ROOT, 'test/fixtures/feeds/feed.xml'), '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { advisories: { id: string; ranges: unknown[]; parse: { confidence: string; warnings: string[] } }[] };
    expect(json.advisories.length).toBeGreaterThan(0);
    for (const a of json.advisories) {
      expect(a.ranges).toEqual([]);
      expect(a.parse).toEqual({ source: 'none', confidence: 'low', warnings: ['from the RSS feed, which carries no version text'] });
    }
    expect(r.err).toContain('use index.json to triage');
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.json'), /nope\.json/],
    ['an HTML page', () => { const f = join(dir, 'page.json'); writeFileSync(f, '<!DOCTYPE html><html>oops</html>'); return f; }, /HTML/],
    ['truncated JSON', () => { const f = join(dir, 'cut.json'); writeFileSync(f, '{"version":"https://jsonfeed.org/version/1.1","items":[{"id":'); return f; }, /cut\.json/],
  ])('exits 2 naming the problem for %s', async (_label, make, message) => {
    const r = await cli('feed', '--feed', make());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('k8s-advisor triage', () => {
  it('prints the findings contract and exits 1 when a cluster is affected', async () => {
    const r = await cli('triage', '--config', fleet, '--feed', SAMPLE, '--format', 'json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { advisories: unknown[]; findings: Record<string, unknown>[]; releaseData: { source: string } };
    expect(json.releaseData.source).toBe('bundled');
    const f = json.findings.find((x) => x.advisory === 'CVE-2025-1974' && x.cluster === 'edge');
    expect(f).toMatchObject({ component: 'ingress-nginx', version: 'v1.11.4', verdict: 'affected', fixedTarget: 'v1.11.5', upgradePath: [] });
    for (const finding of json.findings) {
      expect(Object.keys(finding)).toEqual(expect.arrayContaining(['advisory', 'cluster', 'component', 'version', 'verdict', 'fixedTarget', 'upgradePath', 'reason']));
    }
    const eks = json.findings.find((x) => x.advisory === 'CVE-2024-10220' && x.cluster === 'old-eks');
    expect(eks).toMatchObject({ verdict: 'affected', version: 'v1.30.2-eks-1a2b3c4' });
    expect(String(eks?.fixedTarget)).toMatch(/^v1\.3\d\.\d+$/);
  });

  it('filters by --cve and exits 0 when nothing is affected', async () => {
    const r = await cli('triage', '--config', fleet, '--feed', SAMPLE, '--cve', 'cve-2023-2431', '--format', 'json');
    const json = JSON.parse(r.out) as { advisories: { id: string }[]; findings: { verdict: string; cluster: string }[] };
    expect(json.advisories.map((a) => a.id)).toEqual(['CVE-2023-2431']);
    expect(r.code).toBe(json.findings.some((f) => f.verdict === 'affected' || f.verdict === 'unfixed') ? 1 : 0);
  });

  it.each([
    [['triage', '--config', 'FLEET', '--feed', SAMPLE, '--cve', 'bogus'], /--cve: "bogus" is not a CVE id/],
    [['triage', '--config', 'FLEET', '--feed', SAMPLE, '--cve', 'CVE-1999-0001'], /CVE-1999-0001 is not in the feed/],
    [['triage', '--feed', SAMPLE], /required option '--config <file>'/],
    [['triage', '--config', '/nonexistent.yaml'], /nonexistent\.yaml.*\n.*file not found/],
    [['triage', '--config', 'FLEET', '--format', 'xml'], /Allowed choices are json, ndjson, text/],
    [['bogus'], /unknown command 'bogus'/],
  ])('exits 2 for %j', async (argv, message) => {
    const r = await cli(...argv.map((a) => (a === 'FLEET' ? fleet : a)));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('names every config problem with its key path', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'environments: { prod: {} }\nclusters:\n  - { name: a, environment: prd, versions: { kubernetes: v1.30.1 } }\n');
    const r = await cli('triage', '--config', bad, '--feed', SAMPLE);
    expect(r.code).toBe(2);
    expect(r.err).toContain('clusters[0].environment: "prd" is not one of prod');
  });
});

describe('k8s-advisor triage: JSON contract at scale, exit code 4', () => {
  type Out = { include: string; findings: { verdict: string; cluster: string; advisory: string }[]; counts: Record<string, Record<string, number>>; clusters: { cluster: string; readable: boolean }[]; clients: { advisory: string }[] };

  it('findings hold affected, unfixed and unknown; counts say how many of each, not-affected included', async () => {
    const r = await cli('triage', '--config', fleet, '--feed', SAMPLE, '--format', 'json');
    const json = JSON.parse(r.out) as Out;
    expect(json.include).toBe('actionable');
    expect(json.findings.filter((f) => f.verdict === 'not-affected')).toEqual([]);
    const all = JSON.parse((await cli('triage', '--config', fleet, '--feed', SAMPLE, '--format', 'json', '--all')).out) as Out;
    expect(all.include).toBe('all');
    for (const [id, counts] of Object.entries(json.counts)) {
      for (const verdict of ['affected', 'unfixed', 'unknown', 'not-affected']) {
        expect(counts[verdict], `${id} ${verdict}`).toBe(all.findings.filter((f) => f.advisory === id && f.verdict === verdict).length);
      }
    }
    expect(all.findings.some((f) => f.verdict === 'not-affected')).toBe(true);
    expect(json.clients.map((c) => c.advisory)).toEqual(['CVE-2019-11243']);
    // Not a terminal: compact, one line.
    expect(r.out.trimEnd().split('\n')).toHaveLength(1);
  });

  it('ndjson: one typed record per line, the same findings as json', async () => {
    const json = JSON.parse((await cli('triage', '--config', fleet, '--feed', SAMPLE, '--format', 'json')).out) as Out;
    const r = await cli('triage', '--config', fleet, '--feed', SAMPLE, '--format', 'ndjson');
    const records = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
    expect(records[0]).toMatchObject({ type: 'run', include: 'actionable', releaseData: { source: 'bundled' } });
    const findings = records.filter((x) => x.type === 'finding').map(({ type: _type, ...f }) => f);
    expect(findings).toEqual(json.findings);
    expect(records.filter((x) => x.type === 'cluster')).toHaveLength(3);
    expect(records.find((x) => x.type === 'advisory' && x.id === 'CVE-2025-1974')).toMatchObject({ counts: { affected: 1 } });
    expect(r.code).toBe(1);
  });

  it('exits 4 when a cluster could not be read and nothing is affected; 1 wins', async () => {
    const unreadable = join(dir, 'unreadable.yaml');
    writeFileSync(unreadable, `
releases: { refresh: false }
environments: { prod: {} }
clusters:
  - { name: patched, environment: prod, versions: { kubernetes: v1.35.2 } }
  - { name: gone, environment: prod, kubeconfig: ${join(dir, 'no-such-kubeconfig')} }
`);
    const r = await cli('triage', '--config', unreadable, '--feed', SAMPLE, '--cve', 'CVE-2023-2431', '--format', 'json');
    const json = JSON.parse(r.out) as Out;
    expect(json.clusters.map((c) => [c.cluster, c.readable])).toEqual([['gone', false], ['patched', true]]);
    expect(json.findings.map((f) => [f.cluster, f.verdict])).toEqual([['gone', 'unknown']]);
    expect(r.code).toBe(4);
    const text = await cli('triage', '--config', unreadable, '--feed', SAMPLE, '--cve', 'CVE-2023-2431');
    expect(text.out).toMatch(/Clusters that could not be read \(every verdict unknown\):\n {2}gone/);
    expect(text.code).toBe(4);
    const demo = await cli('demo', '--offline', '--config', unreadable);
    expect(demo.out).toMatch(/gone\s+prod\s+unknown\s+\S+\s+COULD NOT BE READ/);
    expect(demo.code).toBe(4);
    // Something affected as well: 1.
    const both = join(dir, 'both.yaml');
    writeFileSync(both, readFileSync(unreadable, 'utf8').replace('v1.35.2', 'v1.27.1'));
    expect((await cli('triage', '--config', both, '--feed', SAMPLE, '--cve', 'CVE-2023-2431', '--format', 'json')).code).toBe(1);
  });
});

describe('k8s-advisor demo', () => {
  it('runs offline on the bundled sample and renders the Slack messages', async () => {
    const r = await cli('demo', '--offline');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Feed:     bundled sample');
    expect(r.out).toMatch(/#C0PROD \(prod\)/);
    expect(r.out).toContain('[ Verify ] [ Schedule emergency window ] [ Acknowledge ]');
    expect(r.out).toMatch(/legacy\s+prod\s+v1\.27\.9\s+\S+\s+END OF LIFE since 2024-06-28/);
    expect(r.out).toMatch(/^Summary: \d+ of 10 advisories affect \d+ of 5 clusters/m);
    // The client-go advisory of the sample is its own section, not a cluster verdict.
    expect(r.out).toMatch(/Clients and libraries[^\n]*\n {2}CVE-2019-11243 {2}programs built with client-go v1\.12\.0 – v1\.12\.4, v1\.13\.0; fixed in v1\.12\.5, v1\.13\.1/);
    expect(r.out).toMatch(/Upcoming maintenance windows[^]*staging-\d{4}-\d{2}-\d{2}[^]*prod-\d{4}-\d{2}-\d{2} {2}Thu/);
  });

  it('windows is a command with the contract flags', async () => {
    const r = await cli('windows', '--config', resolve(REPO_ROOT, 'examples/fleet.yaml'), '--from', '2026-12-01', '--count', '1', '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { windows: { id: string }[] };
    expect(json.windows.map((w) => w.id)).toEqual(['staging-2026-12-08', 'prod-2026-12-10']);
    expect((await cli('windows', '--config', fleet, '--from', 'soon')).code).toBe(2);
  });

  it('says when it falls back from an unreachable feed', async () => {
    const server = await startFeedServer();
    server.fail('error-500', 10);
    try {
      const r = await cli('demo', '--config', fleet, '--feed', server.url);
      // An explicit --feed is not replaced by the sample: the error is the answer.
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/500/);
    } finally {
      await server.close();
    }
  });

  it('--help exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('demo');
  });
});
