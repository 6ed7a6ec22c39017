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
  /** The daily report runs shortly after midnight UTC for the day before. */
  dailyReportCron: { minute: '30', hour: '0' },
} as const;
