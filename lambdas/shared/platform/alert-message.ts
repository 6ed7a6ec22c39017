import type { Alert } from '../domain/ports';

/** The stable alert message schema, shared by SNS and local mode: consumers can rely on these fields. */
export const alertMessage = (alert: Alert, stage: string, at: Date) => ({
  type: alert.type,
  severity: alert.severity,
  stage,
  orderId: alert.orderId ?? null,
  summary: alert.summary,
  details: alert.details ?? {},
  time: at.toISOString(),
});
