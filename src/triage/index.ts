export { triage, createTriageSession, formatAge, type TriageOptions, type TriageSession } from './triage.ts';
export { formatTriageText } from './format-text.ts';
export { createEvaluator, describeRange, componentKind, type ComponentPlan, type VersionEval, type Evaluator, type SupportState } from './evaluate.ts';
export { maxNodeSkew, withinSkew, skewRole, firstNodeSkewBreak, type SkewRole } from './skew.ts';
export { providerTargetNote, providerEolNote, providerLabel, isManaged } from './providers.ts';
export type { Finding, Verdict, TriageResult, ClusterPosture, ReleaseDataInfo } from './types.ts';
