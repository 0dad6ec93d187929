#!/usr/bin/env node
/**
 * Command-line entry. Each command is a thin shell over the same services the hub uses;
 * heavy modules (Slack, BullMQ, client-node) are imported only by the commands that need them.
 *
 * Exit codes: 0 ok · 1 ran and found something (affected clusters, failed probes)
 * · 2 bad usage, config or input (the message names the file, key and fix) · 3 internal error
 * · 4 ran, but at least one cluster could not be read (`triage`, `demo`; 1 wins over it).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AdvisorError, ConfigError, errorMessage } from './errors.ts';
import { PACKAGE_ROOT } from './paths.ts';

import { EXIT } from './commands/exit-codes.ts';

export { EXIT };

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: JSON is indented for people (compact otherwise). */
  isTTY?: boolean;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
};

const formatOption = (choices: string[]) =>
  new Option('--format <format>', 'output format').choices(choices).default(choices.includes('text') ? 'text' : choices[0]);

const HUB_ROLE_NAMES = ['slack', 'workers', 'schedule'] as const;
type HubRoleName = (typeof HUB_ROLE_NAMES)[number];

function parseRoles(value: string): HubRoleName[] {
  const list = value.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = list.filter((r) => !(HUB_ROLE_NAMES as readonly string[]).includes(r));
  if (list.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${HUB_ROLE_NAMES.join(', ')}${bad.length > 0 ? ` (not: ${bad.join(', ')})` : ''}`);
  }
  return list as HubRoleName[];
}

function version(): string {
  const pkg = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Build the program; `run` resolves to the exit code instead of exiting (testable). */
export function buildProgram(io: CliIo = defaultIo): { program: Command; exitCode: () => number } {
  let code: number = EXIT.ok;
  const setCode = (c: number) => { code = c; };
  const program = new Command('k8s-advisor')
    .description('Triage Kubernetes CVEs against your fleet, verify clusters, and run it all from Slack.')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run k8s-advisor --help for usage)');

  program.command('feed')
    .description('fetch and parse the CVE feed, print structured advisories')
    .option('--feed <path|url>', 'feed file or URL (default: the official feed)')
    .addOption(formatOption(['json', 'text']))
    .action(async (opts: { feed?: string; format: 'json' | 'text' }) => {
      const { runFeed } = await import('./commands/feed.ts');
      setCode(await runFeed({ ...opts, io }));
    });

  program.command('triage')
    .description('triage advisories against every cluster in the config')
    .requiredOption('--config <file>', 'configuration file')
    .option('--feed <path|url>', 'feed file or URL (default: feed.url from the config)')
    .option('--cve <id>', 'only this advisory (CVE-YYYY-NNNN)')
    .addOption(formatOption(['json', 'ndjson', 'text']))
    .option('--all', 'json/ndjson: include not-affected findings too (default: affected, unfixed and unknown, with per-advisory counts)')
    .action(async (opts: { config: string; feed?: string; cve?: string; format: 'json' | 'ndjson' | 'text'; all?: boolean }) => {
      const { runTriage } = await import('./commands/triage.ts');
      setCode(await runTriage({ ...opts, io }));
    });

  program.command('verify')
    .description('run the verification probes against a cluster or every cluster of an environment')
    .argument('<target>', 'cluster name or environment name')
    .requiredOption('--config <file>', 'configuration file')
    .addOption(formatOption(['json', 'text']))
    .action(async (target: string, opts: { config: string; format: 'json' | 'text' }) => {
      const { runVerify } = await import('./commands/verify.ts');
      setCode(await runVerify({ target, ...opts, io }));
    });

  program.command('windows')
    .description('upcoming maintenance windows per environment (staging before prod)')
    .requiredOption('--config <file>', 'configuration file')
    .option('--from <date>', 'start from this date (YYYY-MM-DD, in each window\'s time zone) or ISO date-time (default: now)')
    .option('--count <n>', 'windows per environment (1–120, default 3)')
    .option('--env <name>', 'only this environment')
    .option('--feed <path|url>', 'triage the fleet against this feed and show each window\'s plan')
    .addOption(formatOption(['json', 'text', 'ics']))
    .action(async (opts: { config: string; from?: string; count?: string; env?: string; feed?: string; format: 'json' | 'text' | 'ics' }) => {
      const { runWindows } = await import('./commands/windows.ts');
      setCode(await runWindows({
        config: opts.config, format: opts.format, io,
        ...(opts.feed === undefined ? {} : { feed: opts.feed }),
        ...(opts.from === undefined ? {} : { from: opts.from }),
        ...(opts.count === undefined ? {} : { count: opts.count }),
        ...(opts.env === undefined ? {} : { environment: opts.env }),
      }));
    });

  program.command('audit')
    .description('export the sign-off and accepted-risk record: who approved what, when, on which evidence (needs Redis)')
    .requiredOption('--config <file>', 'configuration file')
    .option('--window <id>', 'only this window (e.g. prod-2026-12-10)')
    .option('--since <date>', 'only entries from this date (YYYY-MM-DD) or ISO date-time on')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'md', 'csv']).default('md'))
    .action(async (opts: { config: string; window?: string; since?: string; format: 'json' | 'md' | 'csv' }) => {
      const { runAudit } = await import('./commands/audit.ts');
      setCode(await runAudit({ ...opts, io }));
    });
  // --- window schedule|cancel (issue 11) ---
  const windowCmd = program.command('window').description('schedule or cancel a maintenance window (stored in Redis; same checks as /k8s window)');
  windowCmd.command('schedule')
    .description('schedule a one-off or emergency window: WHEN is YYYY-MM-DDTHH:MM in the environment\'s time zone, or now')
    .argument('<env>', 'environment')
    .argument('<when>', 'YYYY-MM-DDTHH:MM (environment\'s time zone) or now')
    .argument('[duration]', 'like 2h (default: the environment\'s window duration, else 2h)')
    .requiredOption('--config <file>', 'configuration file')
    .option('--emergency', 'an emergency window (skips the monthly cadence, not the staging gate)')
    .option('--advisory <id>', 'with --emergency: the advisory it is for (CVE-YYYY-NNNN)')
    .option('--user <id>', 'your Slack user id, checked against permissions.schedule')
    .addOption(formatOption(['json', 'text']))
    .action(async (env: string, when: string, duration: string | undefined, opts: { config: string; emergency?: boolean; advisory?: string; user?: string; format: 'json' | 'text' }) => {
      const { runWindowSchedule } = await import('./commands/window.ts');
      setCode(await runWindowSchedule({
        environment: env, when, config: opts.config, format: opts.format, io, emergency: opts.emergency === true,
        ...(duration === undefined ? {} : { duration }), ...(opts.advisory === undefined ? {} : { advisory: opts.advisory }), ...(opts.user === undefined ? {} : { user: opts.user }),
      }));
    });
  windowCmd.command('cancel')
    .description('cancel a scheduled or blocked window')
    .argument('<id>', 'window id, like prod-2026-12-10 or staging-emergency-2026-12-03T14:00')
    .requiredOption('--config <file>', 'configuration file')
    .option('--user <id>', 'your Slack user id, checked against permissions.schedule')
    .option('--reason <text>', 'why (recorded)')
    .addOption(formatOption(['json', 'text']))
    .action(async (id: string, opts: { config: string; user?: string; reason?: string; format: 'json' | 'text' }) => {
      const { runWindowCancel } = await import('./commands/window.ts');
      setCode(await runWindowCancel({
        id, config: opts.config, format: opts.format, io,
        ...(opts.user === undefined ? {} : { user: opts.user }), ...(opts.reason === undefined ? {} : { reason: opts.reason }),
      }));
    });
  windowCmd.command('override')
    .description('let a scheduled or blocked window open without its gate (the reason is recorded)')
    .argument('<id>', 'window id')
    .requiredOption('--config <file>', 'configuration file')
    .requiredOption('--reason <text>', 'why (recorded, and said in the window thread when it opens)')
    .option('--user <id>', 'your Slack user id, checked against permissions.schedule')
    .addOption(formatOption(['json', 'text']))
    .action(async (id: string, opts: { config: string; user?: string; reason: string; format: 'json' | 'text' }) => {
      const { runWindowOverride } = await import('./commands/window.ts');
      setCode(await runWindowOverride({ id, config: opts.config, format: opts.format, io, reason: opts.reason, ...(opts.user === undefined ? {} : { user: opts.user }) }));
    });
  // --- end window ---

  program.command('hub')
    .description('run the hub: Slack app, feed watcher, schedulers and workers (needs Slack tokens and Redis)')
    .requiredOption('--config <file>', 'configuration file')
    .option('--roles <list>', 'what this replica does: comma-separated slack, workers, schedule (default: all)', parseRoles)
    .action(async (opts: { config: string; roles?: HubRoleName[] }) => {
      const { runHub } = await import('./main.ts');
      setCode(await runHub({ configFile: opts.config, env: io.env, ...(opts.roles ? { roles: opts.roles } : {}) }));
    });

  program.command('agent')
    .description("run a per-cluster agent serving one cluster's inventory and probe jobs (needs Redis)")
    .requiredOption('--config <file>', 'configuration file')
    .requiredOption('--cluster <name>', 'the cluster this agent serves')
    .option('--kubeconfig <file>', 'reach the cluster through this kubeconfig instead of in-cluster credentials')
    .option('--context <name>', 'context in --kubeconfig')
    .action(async (opts: { config: string; cluster: string; kubeconfig?: string; context?: string }) => {
      const { runAgent } = await import('./main.ts');
      setCode(await runAgent({
        configFile: opts.config, cluster: opts.cluster, env: io.env,
        ...(opts.kubeconfig === undefined ? {} : { kubeconfig: opts.kubeconfig }),
        ...(opts.context === undefined ? {} : { context: opts.context }),
      }));
    });

  program.command('demo')
    .description('the whole main job offline: feed, triage of the example fleet, Slack messages rendered to the terminal')
    .option('--feed <path|url>', 'feed file or URL (default: the live feed, falling back to the bundled sample)')
    .option('--offline', 'use the bundled sample feed without trying the network')
    .option('--config <file>', 'fleet to triage (default: examples/fleet.yaml)')
    .action(async (opts: { feed?: string; offline?: boolean; config?: string }) => {
      const { runDemo } = await import('./commands/demo.ts');
      setCode(await runDemo({ ...opts, io }));
    });

  return { program, exitCode: () => code };
}

export async function run(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: Pick<CliIo, 'stderr'>): number {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every other commander error is bad usage (already printed).
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof ConfigError) {
    io.stderr(`error: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof AdvisorError) {
    // Every AdvisorError is an explained problem with the input or environment (feed, cluster, Redis).
    io.stderr(`error: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}\n`);
    return EXIT.usage;
  }
  io.stderr(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`);
  return EXIT.internal;
}

/** The process entry: bin/k8s-advisor.js (after its Node.js version check) and `node src/cli.ts`. */
export async function main(argv: string[]): Promise<void> {
  // `k8s-advisor feed | head`: a closed pipe ends the command quietly, as for any Unix tool.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await run(argv);
}

// Run when executed directly (`node src/cli.ts`, `node dist/cli.js`).
const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${realpathSync(process.argv[1])}`).href;
if (isMain) await main(process.argv.slice(2));
