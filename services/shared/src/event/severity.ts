/**
 * Alert severities, lowest first: the order is the escalation order (warning -> critical), and the list is
 * the alerts table's CHECK constraint (migrations/001_init.sql). The processor raises alerts with them, the
 * API filters and answers with them.
 */
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
