/**
 * Operating thresholds shared by the code and the CDK stack (schedules, alarms), so that a number changed here
 * changes both. Stage config may override the ones marked so.
 */
export const THRESHOLDS = {
  /** The go-live plan's "5 payment requests per 15 minutes", per customer phone (stage-configurable). */
  customerAttempts: { max: 5, windowSeconds: 15 * 60 },
  /** Warning alerts as the daily limit fills. */
  dailyLimitWarningRatio: 0.8,
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
