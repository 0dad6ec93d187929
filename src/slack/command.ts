/**
 * `/k8s` command text → a typed command. Pure. Every argument a user types is checked against a
 * regex or the names in the config before anything else sees it, so no free text ever reaches a
 * Redis key, a path or a queue payload unvalidated.
 */
import type { Config } from '../config/schema.ts';

export const CVE_ID_RE = /^CVE-\d{4}-\d{4,7}$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** `prod-2026-12-10`, `staging-emergency-2026-12-03T14:00`: window ids as stored (src/store/windows.ts). */
export const WINDOW_ID_RE = /^[a-z0-9][a-z0-9-]{0,80}(?:T\d{2}:\d{2})?$/;
/** Window ids as stored (src/store/windows.ts), scheduled ones with their local start time. */
const SCHEDULED_ID_RE = /^[a-z0-9][a-z0-9-]{0,80}-\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/;
const LOCAL_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const DURATION_RE = /^(\d+(ms|s|m|h|d))+$/;

export type VerifyTarget = { type: 'cluster'; name: string; environment: string } | { type: 'environment'; name: string };

export type Command =
  | { kind: 'help' }
  | { kind: 'advisories' }
  | { kind: 'triage'; cve: string }
  | { kind: 'clusters' }
  | { kind: 'verify'; target: VerifyTarget; clusters: string[]; environments: string[] }
  | { kind: 'windows'; environment: string | null }
  | { kind: 'window-schedule'; environment: string; when: string; duration: string | null; emergency: boolean }
  | { kind: 'window-cancel'; windowId: string }
  | { kind: 'window-override'; windowId: string; reason: string }
  | { kind: 'signoff'; windowId: string }
  | { kind: 'audit'; windowId: string }
  | { kind: 'accept'; advisory: string; target: { kind: 'cluster' | 'environment'; name: string }; environments: string[]; until: string; reason: string };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string };

/** Usage lines, in the order `help` shows them. */
export const COMMAND_FORMS: readonly { form: string; does: string }[] = [
  { form: '/k8s help', does: 'this list' },
  { form: '/k8s advisories', does: 'recent advisories and how many clusters each affects' },
  { form: '/k8s triage CVE-YYYY-NNNN', does: 'one advisory against every cluster: current version → smallest fixed target' },
  { form: '/k8s clusters', does: 'fleet posture: versions, support status, inventory age' },
  { form: '/k8s verify CLUSTER|ENV', does: 'run the verification probes against a cluster or an environment' },
  { form: '/k8s windows [ENV]', does: 'upcoming maintenance windows' },
  { form: '/k8s window schedule ENV YYYY-MM-DDTHH:MM|now [DURATION] [emergency]', does: 'schedule a maintenance window (in the environment\'s time zone)' },
  { form: '/k8s window cancel WINDOW-ID', does: 'cancel a scheduled window' },
  { form: '/k8s window override WINDOW-ID REASON', does: 'let a blocked window open without its gate (recorded with the reason)' },
  { form: '/k8s signoff WINDOW-ID', does: "a window's sign-off: who approved, what is still missing" },
  { form: '/k8s audit WINDOW-ID', does: "a window's sign-off record: every request, vote, comment and evidence hash" },
  { form: '/k8s accept CVE-ID CLUSTER|ENV until YYYY-MM-DD reason…', does: 'accept a risk until a date, with the reason (audited; expires by itself)' },
];

export function usage(): string {
  return COMMAND_FORMS.map((f) => `• \`${f.form}\` — ${f.does}`).join('\n');
}

/** Shown only when the value is safe to echo: short, and stripped of Slack mention/link syntax. */
function shown(value: string): string {
  const clean = value.replace(/[<>&*_~`]/g, '').slice(0, 40);
  return clean.length > 0 ? `"${clean}"` : 'that';
}

function oneOf(list: readonly string[]): string {
  return list.length > 0 ? list.map((s) => `\`${s}\``).join(', ') : '(none configured)';
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

function ok(command: Command): ParseResult {
  return { ok: true, command };
}

export function parseCommand(text: string, config: Pick<Config, 'clusters' | 'environments'>): ParseResult {
  const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
  const [head, ...args] = words;
  const sub = (head ?? 'help').toLowerCase();
  const envs = Object.keys(config.environments);
  const clusters = config.clusters.map((c) => c.name);

  const noArgs = (command: Command): ParseResult =>
    args.length === 0 ? ok(command) : fail(`\`/k8s ${sub}\` takes no arguments.`);

  switch (sub) {
    case 'help':
      return ok({ kind: 'help' });
    case 'advisories':
      return noArgs({ kind: 'advisories' });
    case 'clusters':
      return noArgs({ kind: 'clusters' });
    case 'triage': {
      const [id, ...rest] = args;
      if (id === undefined || rest.length > 0) return fail('Usage: `/k8s triage CVE-YYYY-NNNN` (one CVE id).');
      if (!CVE_ID_RE.test(id)) return fail(`${shown(id)} is not a CVE id like \`CVE-2023-2727\`.`);
      return ok({ kind: 'triage', cve: id.toUpperCase() });
    }
    case 'verify': {
      const [target, ...rest] = args;
      if (target === undefined || rest.length > 0) {
        return fail(`Usage: \`/k8s verify CLUSTER|ENV\`. Clusters: ${oneOf(clusters)}. Environments: ${oneOf(envs)}.`);
      }
      const name = target.toLowerCase();
      const cluster = config.clusters.find((c) => c.name === name);
      if (cluster) {
        return ok({ kind: 'verify', target: { type: 'cluster', name, environment: cluster.environment }, clusters: [name], environments: [cluster.environment] });
      }
      if (envs.includes(name)) {
        return ok({
          kind: 'verify', target: { type: 'environment', name },
          clusters: config.clusters.filter((c) => c.environment === name).map((c) => c.name), environments: [name],
        });
      }
      return fail(`${shown(target)} is neither a cluster (${oneOf(clusters)}) nor an environment (${oneOf(envs)}).`);
    }
    case 'windows': {
      if (args.length > 1) return fail(`Usage: \`/k8s windows [ENV]\`. Environments: ${oneOf(envs)}.`);
      const [env] = args;
      if (env === undefined) return ok({ kind: 'windows', environment: null });
      const name = env.toLowerCase();
      if (!envs.includes(name)) return fail(`${shown(env)} is not an environment (${oneOf(envs)}).`);
      return ok({ kind: 'windows', environment: name });
    }
    case 'window': {
      // --- window schedule|cancel (issue 11) ---
      const [verb, first, ...rest] = args;
      const scheduleForm = `Usage: \`/k8s window schedule ENV YYYY-MM-DDTHH:MM|now [DURATION] [emergency]\`. Environments: ${oneOf(envs)}.`;
      if (verb?.toLowerCase() === 'override') {
        const overrideForm = 'Usage: `/k8s window override WINDOW-ID REASON` (the reason is recorded).';
        if (first === undefined || rest.length === 0) return fail(overrideForm);
        if (!SCHEDULED_ID_RE.test(first)) return fail(`${shown(first)} is not a window id like \`prod-2026-12-10\`.`);
        // Free text, kept for the audit trail: Slack markup removed, length capped.
        const reason = rest.join(' ').replace(/[<>&*_~`]/g, '').slice(0, 300).trim();
        if (reason.length < 3) return fail(overrideForm);
        return ok({ kind: 'window-override', windowId: first, reason });
      }
      if (verb?.toLowerCase() === 'cancel') {
        if (first === undefined || rest.length > 0) return fail('Usage: `/k8s window cancel WINDOW-ID` (like `prod-2026-12-10`).');
        if (!SCHEDULED_ID_RE.test(first)) return fail(`${shown(first)} is not a window id like \`prod-2026-12-10\` or \`staging-emergency-2026-12-03T14:00\`.`);
        return ok({ kind: 'window-cancel', windowId: first });
      }
      const [when, ...options] = rest;
      if (verb?.toLowerCase() !== 'schedule' || first === undefined || when === undefined) return fail(scheduleForm);
      const name = first.toLowerCase();
      if (!envs.includes(name)) return fail(`${shown(first)} is not an environment (${oneOf(envs)}).`);
      if (when.toLowerCase() !== 'now' && !LOCAL_TIME_RE.test(when)) {
        return fail(`${shown(when)} is not a time like \`2026-12-03T14:00\` (in the environment's time zone) or \`now\`.`);
      }
      let duration: string | null = null;
      let emergency = false;
      for (const o of options) {
        if (o.toLowerCase() === 'emergency' && !emergency) emergency = true;
        else if (DURATION_RE.test(o) && duration === null) duration = o;
        else return fail(`${shown(o)} is neither a duration like \`2h\` nor \`emergency\`. ${scheduleForm}`);
      }
      return ok({ kind: 'window-schedule', environment: name, when: when.toLowerCase() === 'now' ? 'now' : when, duration, emergency });
      // --- end window ---
    }
    case 'signoff': {
      const [id, ...rest] = args;
      if (id === undefined || rest.length > 0) return fail('Usage: `/k8s signoff WINDOW-ID`.');
      if (!WINDOW_ID_RE.test(id)) return fail(`${shown(id)} is not a window id (lowercase letters, digits and "-").`);
      return ok({ kind: 'signoff', windowId: id });
    }
    case 'audit': {
      const [id, ...rest] = args;
      if (id === undefined || rest.length > 0) return fail('Usage: `/k8s audit WINDOW-ID`.');
      if (!WINDOW_ID_RE.test(id)) return fail(`${shown(id)} is not a window id (like \`prod-2026-12-10\`).`);
      return ok({ kind: 'audit', windowId: id });
    }
    case 'accept': {
      const [cve, target, word, until, ...reasonWords] = args;
      const form = 'Usage: `/k8s accept CVE-ID CLUSTER|ENV until YYYY-MM-DD reason…`.';
      if (cve === undefined || !CVE_ID_RE.test(cve)) return fail(`${cve === undefined ? 'Name the advisory.' : `${shown(cve)} is not a CVE id.`} ${form}`);
      if (target === undefined) return fail(`Name a cluster or an environment. ${form}`);
      const name = target.toLowerCase();
      const cluster = config.clusters.find((c) => c.name === name);
      if (!cluster && !envs.includes(name)) return fail(`${shown(target)} is neither a cluster nor an environment. Clusters: ${oneOf(clusters)}. Environments: ${oneOf(envs)}.`);
      if (word?.toLowerCase() !== 'until' || until === undefined || !DATE_RE.test(until)) return fail(`Give the last day the acceptance holds. ${form}`);
      const reason = reasonWords.join(' ').replace(/[<>]/g, '').trim().slice(0, 500);
      if (reason.length < 3) return fail(`Give the reason after the date. ${form}`);
      return ok({
        kind: 'accept', advisory: cve.toUpperCase(), until, reason,
        target: cluster ? { kind: 'cluster', name } : { kind: 'environment', name },
        environments: cluster ? [cluster.environment] : [name],
      });
    }
    default:
      return fail(`Unknown subcommand ${shown(sub)}.`);
  }
}

/** A short, log- and audit-safe description of what was asked (validated parts only). */
export function describeCommand(command: Command): string {
  switch (command.kind) {
    case 'triage': return `triage ${command.cve}`;
    case 'verify': return `verify ${command.target.name}`;
    case 'windows': return command.environment === null ? 'windows' : `windows ${command.environment}`;
    case 'window-schedule': return `window schedule ${command.environment} ${command.when}${command.duration ? ` ${command.duration}` : ''}${command.emergency ? ' emergency' : ''}`;
    case 'window-cancel': return `window cancel ${command.windowId}`;
    case 'window-override': return `window override ${command.windowId}`;
    case 'signoff': return `signoff ${command.windowId}`;
    case 'audit': return `audit ${command.windowId}`;
    case 'accept': return `accept ${command.advisory} ${command.target.name} until ${command.until}`;
    default: return command.kind;
  }
}
