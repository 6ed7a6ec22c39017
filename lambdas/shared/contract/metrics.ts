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
  /** Fraud screening at checkout: one per decision, dimension `decision` (allow, review, block). */
  fraudScreened: 'FraudScreened',
  /** One per rule that fired on a checkout, dimensions `rule` (FRAUD_RULE) and `decision` (the checkout's). */
  fraudRuleFired: 'FraudRuleFired',
  stateConflict: 'StateConflict',
  reconcileDiscrepancy: 'ReconcileDiscrepancy',
  /** One per reconcile run: the heartbeat its missing-data alarm watches. */
  reconcileRun: 'ReconcileRun',
  reconcileErrors: 'ReconcileErrors',
  paymentExpired: 'PaymentExpired',
  /** A payment PayDunya completed after we had cancelled or expired its order. */
  latePayment: 'LatePayment',
  /** A daily report re-issued as a new revision because an event changed a day already reported. */
  reportRevised: 'ReportRevised',
  /**
   * An operator's review decision, dimensions `decision` (approve, reject) and `flagged` (`yes` when fraud screening
   * had sent the checkout to review, `no` when only the amount did): the dashboard's live precision reads it.
   */
  reviewDecided: 'ReviewDecided',
  /**
   * A payment labelled as fraud (an `unauthorized` complaint or a review rejection; once per payment), dimensions
   * `source` (complaint, review-rejected) and `flagged` (yes, no: as ReviewDecided). docs/fraud-kpis.md.
   */
  fraudLabelled: 'FraudLabelled',
  /**
   * Checkouts by the country the request carries (dimension `country`, ISO alpha-2), only when it carries one: a
   * country never seen is never a billed metric.
   */
  checkoutCountry: 'CheckoutCountry',
  /**
   * A checkout screened without its counters (the read failed as a whole): screened on its own facts, leniently. A
   * run of them means screening is blind; the dashboard shows it beside the decisions.
   */
  fraudCountersUnread: 'FraudCountersUnread',
  /**
   * Customer complaints recorded by support (POST /payments/{orderId}/complaints), dimension `category`. The total
   * on `service` alone is what the rollback alarm counts (THRESHOLDS.complaints).
   */
  complaintRecorded: 'ComplaintRecorded',
  /** Payment events handed to the bus (EventBridge on AWS, the sink URLs locally), and those it refused. */
  eventPublished: 'EventPublished',
  eventPublishFailed: 'EventPublishFailed',
  /** From the change's commit (its audit time) to the bus accepting its event (ms). */
  eventDeliveryLag: 'EventDeliveryLag',
  /** Ticketing's acknowledgements, dimension `outcome` (delivered, failed). */
  fulfilmentAcknowledged: 'FulfilmentAcknowledged',
  /** Paid orders not acknowledged within THRESHOLDS.fulfilment.ackMinutes, counted by each reconcile run. */
  fulfilmentOverdue: 'FulfilmentOverdue',
  /** Refunds by outcome: requested, succeeded, failed, sent to a person (MANUAL), stuck in SUBMITTED. */
  refundRequested: 'RefundRequested',
  refundSucceeded: 'RefundSucceeded',
  refundFailed: 'RefundFailed',
  refundManual: 'RefundManual',
  refundStuck: 'RefundStuck',
  /** PayDunya refused a disbursement for lack of funds on Temba's account. */
  disbursementBalanceLow: 'DisbursementBalanceLow',
  dailyReportPublished: 'DailyReportPublished',
  circuitOpen: 'CircuitOpen',
  /** PayDunya circuit breaker state per warm instance: 0 closed, 1 half-open, 2 open. */
  circuitState: 'CircuitState',
  /** An alert not sent because an identical one went out within the de-duplication window. */
  alertSuppressed: 'AlertSuppressed',
  /** Restore drill outcome: 1 the restored copy matched the table, 0 it did not or the drill broke. */
  restoreDrillSucceeded: 'RestoreDrillSucceeded',
  /** Restore drill duration, restore start to verdict (ms). */
  restoreDrillDuration: 'RestoreDrillDuration',
  /** Days since the last successful restore drill, published daily: the "drill missing" alarm reads it. */
  restoreDrillAgeDays: 'RestoreDrillAgeDays',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
