import { METRICS } from '../contract/metrics';
import type { IpnDeps } from './context';
import { ORDER_STATUSES, type OrderStatus } from './order';
import type { DailyAggregate } from './ports';
import { recheckUnpaid } from './reconcile';

/** Statuses in which the customer's money was taken. */
const PAID: readonly OrderStatus[] = ['COMPLETED', 'REFUND_REQUESTED', 'REFUNDED'];
/**
 * Attempts that failed: PayDunya refused or failed the payment, or could not start it. Customer cancellations
 * and expired invoices are the customer's choice and left out, as in the success-rate alarms
 * (lib/constructs/payments-monitoring.ts), so the report and the rollback trigger read the same number.
 */
const FAILED: readonly OrderStatus[] = ['FAILED', 'INITIATION_FAILED'];

export interface DailyReport {
  readonly day: string;
  readonly generatedAt: string;
  readonly byStatus: Readonly<
    Partial<Record<OrderStatus, { readonly count: number; readonly amountXof: number }>>
  >;
  readonly orders: number;
  readonly amountXof: number;
  readonly paid: { readonly count: number; readonly amountXof: number };
  /** Paid ÷ (paid + failed); null when there were none. Pending, cancelled and expired orders are left out. */
  readonly successRate: number | null;
  /** Average paid amount, rounded to the franc; null when nothing was paid. */
  readonly averageValueXof: number | null;
  readonly byPaymentMethod: DailyAggregate['methods'];
  readonly discrepancies: number;
  readonly awaitingReview: number;
}

const total = (aggregate: DailyAggregate, statuses: readonly OrderStatus[]) =>
  statuses.reduce(
    (acc, status) => ({
      count: acc.count + (aggregate.counts[status] ?? 0),
      amountXof: acc.amountXof + (aggregate.sums[status] ?? 0),
    }),
    { count: 0, amountXof: 0 },
  );

/** The go-live plan's `payment_analytics` view for one day, from the day's counters (no scan). */
export const reportFromAggregate = (aggregate: DailyAggregate, generatedAt: string): DailyReport => {
  const byStatus: Partial<Record<OrderStatus, { count: number; amountXof: number }>> = {};
  for (const status of ORDER_STATUSES) {
    const count = aggregate.counts[status] ?? 0;
    if (count !== 0) byStatus[status] = { count, amountXof: aggregate.sums[status] ?? 0 };
  }
  const all = total(aggregate, ORDER_STATUSES);
  const paid = total(aggregate, PAID);
  const ended = paid.count + total(aggregate, FAILED).count;
  return {
    day: aggregate.day,
    generatedAt,
    byStatus,
    orders: all.count,
    amountXof: all.amountXof,
    paid,
    successRate: ended === 0 ? null : Math.round((paid.count / ended) * 10_000) / 10_000,
    averageValueXof: paid.count === 0 ? null : Math.round(paid.amountXof / paid.count),
    byPaymentMethod: aggregate.methods,
    discrepancies: aggregate.discrepancies,
    awaitingReview: aggregate.reviewPending,
  };
};

/**
 * The daily reconciliation: re-checks the last two days' unpaid orders with PayDunya (recording discrepancies),
 * then builds the day's report from its counters, stores it and sends it to the warning topic.
 */
export const runDailyReport = async (
  ctx: IpnDeps,
  day: string,
  options: { readonly recheckHours: number; readonly concurrency: number },
): Promise<DailyReport> => {
  await recheckUnpaid(ctx, options.recheckHours, options.concurrency);
  const report = reportFromAggregate(await ctx.store.getDailyAggregate(day), ctx.clock.now().toISOString());
  await ctx.store.putReport(day, report);
  await ctx.alerts.publish({
    type: 'daily-report',
    severity: 'warning',
    summary: `Payments on ${day}: ${report.paid.count} paid (${report.paid.amountXof} XOF) of ${report.orders} orders, success rate ${
      report.successRate === null ? 'n/a' : `${(report.successRate * 100).toFixed(1)}%`
    }, ${report.discrepancies} discrepancies, ${report.awaitingReview} awaiting review`,
    details: {
      day,
      orders: report.orders,
      paid: report.paid.count,
      paidXof: report.paid.amountXof,
      successRate: report.successRate ?? undefined,
      averageValueXof: report.averageValueXof ?? undefined,
      discrepancies: report.discrepancies,
      awaitingReview: report.awaitingReview,
    },
  });
  ctx.telemetry.count(METRICS.dailyReportPublished);
  return report;
};
