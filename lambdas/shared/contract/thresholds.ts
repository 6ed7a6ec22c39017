/**
 * Operating thresholds shared by the code and the CDK stack (schedules, alarms), so that a number changed here
 * changes both. Stage config may override the ones marked so.
 */
export const THRESHOLDS = {
  /** The go-live plan's "5 payment requests per 15 minutes", per customer phone (stage-configurable). */
  customerAttempts: { max: 5, windowSeconds: 15 * 60 },
  /** Warning alerts as the daily limit fills. */
  dailyLimitWarningRatio: 0.8,
  checkout: {
    /**
     * How long a checkout holds its share of the day's limit (stage-configurable): long enough to pay on the
     * handset, short enough that abandoned checkouts give the day back. Reconcile gives it back after this.
     */
    windowMinutes: 30,
    /**
     * Past this, a request that claimed an Idempotency-Key is certainly over (Lambda times out at 28 s at most):
     * a retry with the same key may finish what it left (an order never written, or never sent to PayDunya).
     */
    inFlightSeconds: 60,
  },
  reconcile: {
    /** How often reconcile runs (stage-configurable). */
    scheduleMinutes: 15,
    /** A PENDING order is asked about once it is this old. */
    pendingOlderThanMinutes: 15,
    /** Settled orders are re-checked against PayDunya for this long after creation, to catch discrepancies. */
    recheckSettledHours: 48,
    /** PayDunya is said to cancel unpaid invoices after 24 h (API.md §4); past this, a pending order expires. */
    invoiceExpiryHours: 24,
    /** Confirm calls in flight at once. */
    concurrency: 5,
  },
  fulfilment: {
    /** A paid order ticketing has not acknowledged within this many minutes raises a warning (ticketing may be down). */
    ackMinutes: 10,
    /**
     * A late payment (its order had expired or been cancelled, so no ticket awaits it) that ticketing has not
     * acknowledged within this many minutes is refunded in full automatically.
     */
    lateUnacknowledgedRefundMinutes: 60,
  },
  refunds: {
    /** A refund SUBMITTED to PayDunya longer than this without a final status alerts the on-call. */
    stuckSubmittedMinutes: 30,
    /** PayDunya's reported minimum payout (API.md §6): a smaller refund is paid back by a person. */
    minimumXof: 200,
  },
  complaints: {
    /**
     * The go-live plan's rollback trigger: more than this many complaints in one period raises the critical alarm
     * `complaints-rollback` (once: it stays in ALARM while the hour's count is over, and goes back to OK after).
     */
    rollbackAbove: 10,
    periodMinutes: 60,
  },
  events: {
    /** A committed change whose event is not on the bus after this many seconds alarms. */
    maxPublishLagSeconds: 60,
  },
  /** The daily report runs shortly after midnight UTC for the day before. */
  dailyReportCron: { minute: '30', hour: '0' },
} as const;
