/**
 * Exit codes of every command (README "Exit codes"). Apart from cli.ts so that commands can use
 * them: cli.ts imports the commands, and a command importing cli.ts back would wait on its
 * top-level await forever.
 */
export const EXIT = {
  ok: 0,
  /** The command ran and found something: an affected or unfixed cluster, a failed probe. */
  found: 1,
  /** Bad usage, config or input. */
  usage: 2,
  /** A bug. */
  internal: 3,
  /** The command ran, but at least one cluster could not be read (`triage`, `demo`); 1 wins over it. */
  unreadable: 4,
} as const;
