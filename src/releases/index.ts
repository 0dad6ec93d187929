export { createReleaseCalendar, isoDay, STALE_AFTER_DAYS, type ReleaseCalendar, type CreateReleaseCalendarOptions, type ReleaseDataSource } from './calendar.ts';
export { loadBundledCalendar, loadBundledReleaseData, BUNDLED_RELEASES_PATH } from './bundled.ts';
export { refreshCalendar, mergeLiveReleases, DEFAULT_RELEASES_URL, type RefreshCalendarOptions } from './refresh.ts';
export type { MinorRelease, PatchRelease, ReleaseData, EndoflifeProduct } from './schema.ts';
