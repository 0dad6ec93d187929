/** Routing moved to src/notify/ (pure stage); these re-exports keep older imports working. */
export { channelFor, findingsForChannel, routeFindings } from '../notify/routing.ts';
export { describeChanges, summarize, type ComponentState, type MessageSummary } from '../notify/summary.ts';
