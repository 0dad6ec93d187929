/** App Home tab: publish the fleet posture when a user opens it. */
import { errorMessage } from '../../../errors.ts';
import { homeView } from '../../blocks/home.ts';
import { appHomeOpenedSchema } from '../../payloads.ts';
import type { EventHandler, ListenerApp, ListenerDeps } from '../types.ts';

export function createAppHomeOpenedHandler(deps: ListenerDeps): EventHandler {
  const log = deps.logger.child({ subsystem: 'slack', listener: 'app_home_opened' });
  return async ({ event }) => {
    const parsed = appHomeOpenedSchema.safeParse(event);
    if (!parsed.success || (parsed.data.tab !== undefined && parsed.data.tab !== 'home')) return;
    try {
      const [fleet, advisories] = await Promise.all([deps.snapshots.getFleet(), deps.snapshots.listSummaries()]);
      const view = homeView({
        clusters: fleet?.clusters ?? [],
        advisories,
        releaseData: fleet?.releaseData ?? null,
        updatedAt: fleet?.updatedAt ?? null,
      });
      await deps.publishHome(parsed.data.user, view);
    } catch (err) {
      // The next app_home_opened tries again; nothing to queue.
      log.warn({ err: errorMessage(err) }, 'home tab publish failed');
    }
  };
}

export function register(app: ListenerApp, deps: ListenerDeps): void {
  app.event('app_home_opened', createAppHomeOpenedHandler(deps));
}
