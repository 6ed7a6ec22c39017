/** Metric namespace, service name and metric names: used by the Lambda code and by the CDK alarms. */
export const METRIC_NAMESPACE = 'Temba/Payments';
export const SERVICE_NAME = 'temba-payments';

export const METRICS = {
  paymentCreated: 'PaymentCreated',
  paymentInitiationFailed: 'PaymentInitiationFailed',
  paymentCompleted: 'PaymentCompleted',
  paymentFailed: 'PaymentFailed',
  paymentCancelled: 'PaymentCancelled',
  paymentAmount: 'PaymentAmount',
  paymentDuration: 'PaymentDuration',
  webhookReceived: 'WebhookReceived',
  webhookRejected: 'WebhookRejected',
  webhookUnsigned: 'WebhookUnsigned',
  webhookFailed: 'WebhookFailed',
  fraudSuspected: 'FraudSuspected',
  stateConflict: 'StateConflict',
  reconcileDiscrepancy: 'ReconcileDiscrepancy',
  circuitOpen: 'CircuitOpen',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
