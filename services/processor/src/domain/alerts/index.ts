export { DEFAULT_ALERT_RULES } from './defaults';
export { describeRules } from './describe-rules';
export {
  DEFAULT_SILENCE_MESSAGE,
  DEFAULT_THRESHOLD_MESSAGE,
  SILENCE_PLACEHOLDERS,
  THRESHOLD_PLACEHOLDERS,
} from './message';
export { parseAlertRules, type ParseAlertRulesResult } from './parse-rules';
export {
  SEVERITIES,
  alertRuleSchema,
  alertRulesFileSchema,
  rulesForSensor,
  severityRank,
  silenceRules,
  type AlertRule,
  type Band,
  type Severity,
  type SilenceRule,
  type ThresholdLevel,
  type ThresholdRule,
} from './rules';
export {
  findSilentDevices,
  resolveSilence,
  type DeviceLiveness,
  type SilenceAction,
  type SilenceOpenAction,
  type SilenceResolveAction,
} from './silence-rule';
export { evaluateThreshold, rearmAfterPersonResolved } from './threshold-rule';
export type {
  AlertReading,
  EscalateAlertAction,
  OpenAlertAction,
  ResolveAlertAction,
  ThresholdAction,
  ThresholdEvaluation,
} from './threshold-actions';
export {
  INITIAL_THRESHOLD_STATE,
  parseThresholdState,
  thresholdStateSchema,
  type OpenAlertState,
  type ParseThresholdStateResult,
  type ThresholdState,
} from './threshold-state';
export {
  evaluateThresholdWork,
  firstReadingByDevice,
  groupThresholdWork,
  rearmResolvedByPeople,
  stateKey,
  withOpenAlert,
  type BatchEvaluation,
  type BatchReading,
  type ThresholdWork,
} from './batch';
