/**
 * Every listener, one file per handler, as Slack's TypeScript starter lays them out. A new
 * listener is one file exporting `register(app, deps)` and one line here; manifest.yml must
 * then declare it (test/unit/slack/manifest.test.ts holds the two in step).
 */
import { register as acknowledge } from './actions/acknowledge.ts';
import { register as verify } from './actions/verify.ts';
import { register as windowBackup } from './actions/window-backup.ts';
import { register as windowEmergency } from './actions/window-emergency.ts';
import { register as k8s } from './commands/k8s.ts';
import { register as appHomeOpened } from './events/app-home-opened.ts';
import { register as threadMessage } from './events/message.ts';
import { register as signoff } from './actions/signoff.ts';
import { register as signoffReject } from './views/signoff-reject.ts';
import type { ListenerApp, ListenerDeps, Register } from './types.ts';

export const LISTENERS: readonly Register[] = [k8s, verify, windowEmergency, windowBackup, acknowledge, signoff, signoffReject, appHomeOpened, threadMessage];

export function registerAll(app: ListenerApp, deps: ListenerDeps): void {
  for (const register of LISTENERS) register(app, deps);
}
