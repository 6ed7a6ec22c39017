import { METRICS } from '../contract/metrics';
import { canonicalJson } from './canonical-json';
import type { AppContext } from './context';

/** What making and re-issuing a report needs: no PayDunya. */
export type ReportDeps = Pick<AppContext, 'store' | 'alerts' | 'telemetry' | 'clock'>;

import { StoreBusyError } from './errors';
import { isPaid, ORDER_STATUSES, type Order, type OrderStatus, type RefundStatus } from './order';
import type { BlockedOnDay, BookedOrder } from './ports';
import { type ComplaintFigures, type FraudFigures, kpisOf, percent } from './report-kpis';

/**
 * Attempts that failed: PayDunya refused or failed the payment, or could not start it. Customer cancellations
 * and expired invoices are the customer's choice and left out, as in the success-rate alarms
 * (lib/constructs/payments-monitoring.ts), so the report and the rollback trigger read the same number.
 */
const FAILED: readonly OrderStatus[] = ['FAILED', 'INITIATION_FAILED'];

interface Tally {
  readonly count: number;
  readonly amountXof: number;
}

export interface DailyReport {
  readonly day: string;
  /** 1 for the first report of the day; each re-issue after a later event adds one. */
  readonly revision: number;
  readonly generatedAt: string;
  /** The orders booked on the day (settled that day), by their status now. */
  readonly byStatus: Readonly<Partial<Record<OrderStatus, Tally>>>;
  readonly orders: number;
  readonly amountXof: number;
  /** Money taken on the day: completed that day (also when later refunded or under refund). */
  readonly paid: Tally;
  /** Paid ÷ (paid + failed); null when there were none. Cancelled and expired orders are left out. */
  readonly successRate: number | null;
  /** Average paid amount, rounded to the franc; null when nothing was paid. */
  readonly averageValueXof: number | null;
  /** The paid orders by payment method (`unknown` when PayDunya did not say): always adds up to `paid`. */
  readonly byPaymentMethod: Readonly<Record<string, Tally>>;
  /** Paid after we had cancelled or expired the order (included in `paid`). */
  readonly latePayments: Tally;
  readonly discrepancies: number;
  readonly awaitingReview: number;
  /** The refunds of the day's orders, by their status now (one refund, one count). */
  readonly refunds: RefundFigures;
  /** Money kept: paid less refunds paid back. */
  readonly netXof: number;
  /** Complaints on the day's orders and the complaint rate (docs/fraud-kpis.md). */
  readonly complaints: ComplaintFigures;
  /**
   * Fraud screening's blocks of the day and reviews among the day's orders, per rule, and its precision and recall
   * against the fraud labels (docs/fraud-kpis.md). Blocked checkouts leave no order: they are counted from their
   * audit records and are in neither precision nor recall.
   */
  readonly fraud: FraudFigures;
}

export interface RefundFigures {
  readonly succeeded: Tally;
  /** REQUESTED or SUBMITTED: on their way back to the customer. */
  readonly inProgress: Tally;
  /** Waiting for a person (MANUAL). */
  readonly manual: Tally;
  readonly failed: Tally;
}

const add = (tally: Tally | undefined, amount: number): Tally => ({
  count: (tally?.count ?? 0) + 1,
  amountXof: (tally?.amountXof ?? 0) + amount,
});

/**
 * The go-live plan's `payment_analytics` view of one day, from the orders booked on it. Built from the orders
 * themselves (the byDay index), not from counters kept on the side, so it always equals them.
 */
export const buildReport = (
  day: string,
  booked: Iterable<BookedOrder>,
  generatedAt: string,
  revision = 1,
  blocks: Iterable<Pick<BlockedOnDay, 'rules'>> = [],
): DailyReport => {
  const orders = [...booked];
  const byStatus: Partial<Record<OrderStatus, Tally>> = {};
  const byPaymentMethod: Record<string, Tally> = {};
  let all: Tally = { count: 0, amountXof: 0 };
  let paid: Tally = { count: 0, amountXof: 0 };
  let late: Tally = { count: 0, amountXof: 0 };
  let failed = 0;
  let discrepancies = 0;
  let awaitingReview = 0;
  const refunds: Record<keyof RefundFigures, Tally> = {
    succeeded: { count: 0, amountXof: 0 },
    inProgress: { count: 0, amountXof: 0 },
    manual: { count: 0, amountXof: 0 },
    failed: { count: 0, amountXof: 0 },
  };
  for (const order of orders) {
    for (const refund of Object.values(order.refunds ?? {})) {
      const bucket = REFUND_BUCKET[refund.status];
      refunds[bucket] = add(refunds[bucket], refund.amount);
    }
    byStatus[order.status] = add(byStatus[order.status], order.amount);
    all = add(all, order.amount);
    if (isPaid(order.status)) {
      paid = add(paid, order.amount);
      const method = order.paymentMethod ?? 'unknown';
      byPaymentMethod[method] = add(byPaymentMethod[method], order.amount);
      if (order.late) late = add(late, order.amount);
      if (order.review?.status === 'PENDING') awaitingReview++;
    }
    if (FAILED.includes(order.status)) failed++;
    if (order.discrepancy) discrepancies++;
  }
  const ended = paid.count + failed;
  const sortedStatus = Object.fromEntries(
    ORDER_STATUSES.filter((status) => byStatus[status]).map((status) => [status, byStatus[status]]),
  );
  return {
    day,
    revision,
    generatedAt,
    byStatus: sortedStatus,
    orders: all.count,
    amountXof: all.amountXof,
    paid,
    successRate: ended === 0 ? null : Math.round((paid.count / ended) * 10_000) / 10_000,
    averageValueXof: paid.count === 0 ? null : Math.round(paid.amountXof / paid.count),
    byPaymentMethod: Object.fromEntries(
      Object.entries(byPaymentMethod).sort(([a], [b]) => a.localeCompare(b)),
    ),
    latePayments: late,
    discrepancies,
    awaitingReview,
    refunds,
    netXof: paid.amountXof - refunds.succeeded.amountXof,
    ...kpisOf(orders, blocks),
  };
};

const REFUND_BUCKET: Readonly<Record<RefundStatus, keyof RefundFigures>> = {
  REQUESTED: 'inProgress',
  SUBMITTED: 'inProgress',
  SUCCEEDED: 'succeeded',
  MANUAL: 'manual',
  FAILED: 'failed',
};

const bookedView = (order: Order): BookedOrder => ({
  orderId: order.orderId,
  status: order.status,
  amount: order.amount,
  ...(order.paymentMethod ? { paymentMethod: order.paymentMethod } : {}),
  ...(order.review ? { review: order.review } : {}),
  ...(order.discrepancy ? { discrepancy: order.discrepancy } : {}),
  ...(order.late ? { late: order.late } : {}),
  ...(order.bookedAt ? { bookedAt: order.bookedAt } : {}),
  ...(order.refunds ? { refunds: order.refunds } : {}),
  ...(order.refundedAmount !== undefined ? { refundedAmount: order.refundedAmount } : {}),
  ...(order.risk ? { risk: order.risk } : {}),
  ...(order.complaintCategories ? { complaintCategories: order.complaintCategories } : {}),
  ...(order.fraudLabel ? { fraudLabel: order.fraudLabel } : {}),
});

/**
 * The orders booked on a day. The index is eventually consistent: an order the caller has just changed is taken
 * as the caller knows it (`fresh`), so a re-issue never misses the change that caused it.
 */
const bookedOn = async (ctx: ReportDeps, day: string, fresh: readonly Order[]): Promise<BookedOrder[]> => {
  const rows = new Map<string, BookedOrder>();
  for await (const row of ctx.store.listBooked(day)) rows.set(row.orderId, row);
  for (const order of fresh) {
    if (order.bookedDay === day) rows.set(order.orderId, bookedView(order));
    else rows.delete(order.orderId);
  }
  return [...rows.values()];
};

/** The checkouts screening blocked on a day (their audit records; a block happens on the day it is recorded). */
const blockedOn = async (ctx: ReportDeps, day: string): Promise<BlockedOnDay[]> => {
  const blocks: BlockedOnDay[] = [];
  for await (const block of ctx.store.listBlocked(day)) blocks.push(block);
  return blocks;
};

/** The report's figures, whatever order a stored copy's fields come back in. */
const figures = ({ revision: _r, generatedAt: _g, ...rest }: DailyReport) => canonicalJson(rest);

const complaintsOf = (report: DailyReport) =>
  Object.values(report.complaints.byCategory).reduce((sum, count) => sum + count, 0);

/** The complaint and fraud figures that changed (docs/fraud-kpis.md). */
const describeKpiChange = (before: DailyReport, after: DailyReport): string[] => {
  const changes: string[] = [];
  for (const [name, a, b] of [
    ['complaints', complaintsOf(before), complaintsOf(after)],
    ['paid orders complained about', before.complaints.paidOrders, after.complaints.paidOrders],
    ['unpaid orders complained about', before.complaints.unpaidOrders, after.complaints.unpaidOrders],
    // Reports stored before blocks were counted have no `blocked`: read as 0.
    ['blocked by screening', before.fraud.blocked ?? 0, after.fraud.blocked],
    ['sent to review by screening', before.fraud.sentToReview, after.fraud.sentToReview],
    ['paid and sent to review', before.fraud.flagged, after.fraud.flagged],
    ['labelled as fraud', before.fraud.labelled, after.fraud.labelled],
  ] as const) {
    if (a !== b) changes.push(`${name} ${a} → ${b}`);
  }
  for (const [name, a, b] of [
    ['complaint rate', before.complaints.rate, after.complaints.rate],
    ['fraud precision', before.fraud.precision, after.fraud.precision],
    ['fraud recall', before.fraud.recall, after.fraud.recall],
  ] as const) {
    if (percent(a) !== percent(b)) changes.push(`${name} ${percent(a)} → ${percent(b)}`);
  }
  return changes;
};

/** What changed between two revisions, for the on-call: "paid 12 → 11 (180000 → 165000 XOF); …". */
export const describeChange = (before: DailyReport, after: DailyReport): string => {
  const changes: string[] = [];
  const tally = (name: string, a: Tally | undefined, b: Tally | undefined) => {
    const [ac, bc, aa, ba] = [a?.count ?? 0, b?.count ?? 0, a?.amountXof ?? 0, b?.amountXof ?? 0];
    if (ac !== bc || aa !== ba) changes.push(`${name} ${ac} → ${bc} (${aa} → ${ba} XOF)`);
  };
  tally('paid', before.paid, after.paid);
  for (const status of ORDER_STATUSES) tally(status, before.byStatus[status], after.byStatus[status]);
  tally('late payments', before.latePayments, after.latePayments);
  // Reports stored before refunds existed have no refund figures.
  for (const key of ['succeeded', 'inProgress', 'manual', 'failed'] as const) {
    tally(`refunds ${key}`, before.refunds?.[key], after.refunds?.[key]);
  }
  for (const [name, a, b] of [
    ['discrepancies', before.discrepancies, after.discrepancies],
    ['awaiting review', before.awaitingReview, after.awaitingReview],
  ] as const) {
    if (a !== b) changes.push(`${name} ${a} → ${b}`);
  }
  // Reports stored before complaints and fraud screening have neither: their next revision adds them.
  if (!before.complaints || !before.fraud) changes.push('complaint and fraud KPIs added');
  else changes.push(...describeKpiChange(before, after));
  return changes.join('; ') || 'figures unchanged';
};

const summaryOf = (report: DailyReport) =>
  `${report.paid.count} paid (${report.paid.amountXof} XOF) of ${report.orders} orders, success rate ${
    report.successRate === null ? 'n/a' : `${(report.successRate * 100).toFixed(1)}%`
  }, ${report.latePayments.count} late payments, ${report.discrepancies} discrepancies, ${report.awaitingReview} awaiting review, refunds ${report.refunds.succeeded.count} paid back (${report.refunds.succeeded.amountXof} XOF) and ${report.refunds.inProgress.count + report.refunds.manual.count} open, net ${report.netXof} XOF. ${kpiSummaryOf(report)}`;

/** The KPIs of docs/fraud-kpis.md in words, each with what it is a share of. */
export const kpiSummaryOf = ({
  complaints,
  fraud,
  paid,
}: Pick<DailyReport, 'complaints' | 'fraud' | 'paid'>) => {
  const byRule = (counts: Readonly<Record<string, number>> | undefined) =>
    Object.entries(counts ?? {})
      .map(([rule, count]) => `${rule} ${count}`)
      .join(', ');
  const rules = byRule(fraud.reviewsByRule);
  const blockRules = byRule(fraud.blocksByRule);
  return [
    `Complaint rate ${percent(complaints.rate)} (${complaints.paidOrders} of ${paid.count} paid orders complained about)`,
    `fraud screening sent ${fraud.sentToReview} orders to review${rules ? ` (${rules})` : ''}`,
    `precision ${percent(fraud.precision)} (${fraud.flaggedAndLabelled} of ${fraud.flagged} paid orders sent to review labelled fraud)`,
    `recall ${percent(fraud.recall)} (${fraud.flaggedAndLabelled} of ${fraud.labelled} paid orders labelled fraud had been sent to review)`,
    `blocked ${fraud.blocked} checkouts${blockRules ? ` (${blockRules})` : ''}, which leave no order and are in neither precision nor recall`,
  ].join('; ');
};

/**
 * Builds the day's report and stores it as a new revision if its figures differ from the stored one (the first
 * one is revision 1), then tells the on-call: the whole report the first time, what changed after that. Two
 * writers at once: the conditional put lets one store each revision; the other rebuilds on top of it.
 */
export const publishReport = async (
  ctx: ReportDeps,
  day: string,
  options: { readonly cause?: string; readonly fresh?: readonly Order[] } = {},
): Promise<DailyReport> => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await ctx.store.getReport(day);
    const previous = stored?.report as DailyReport | undefined;
    const generatedAt = ctx.clock.now().toISOString();
    const report = buildReport(
      day,
      await bookedOn(ctx, day, options.fresh ?? []),
      generatedAt,
      (stored?.revision ?? 0) + 1,
      await blockedOn(ctx, day),
    );
    if (previous && figures(previous) === figures(report)) return previous;
    if (!(await ctx.store.putReport(day, report.revision, report))) continue;
    await ctx.alerts.publish({
      type: previous ? 'daily-report-revised' : 'daily-report',
      severity: 'warning',
      summary: previous
        ? `Payments report for ${day} re-issued as revision ${report.revision}${options.cause ? ` after ${options.cause}` : ''}: ${describeChange(previous, report)}`
        : `Payments on ${day}: ${summaryOf(report)}`,
      details: {
        day,
        revision: report.revision,
        orders: report.orders,
        paid: report.paid.count,
        paidXof: report.paid.amountXof,
        successRate: report.successRate ?? undefined,
        averageValueXof: report.averageValueXof ?? undefined,
        latePayments: report.latePayments.count,
        discrepancies: report.discrepancies,
        awaitingReview: report.awaitingReview,
        refundedXof: report.refunds.succeeded.amountXof,
        netXof: report.netXof,
        complaintRate: report.complaints.rate ?? undefined,
        paidOrdersComplainedAbout: report.complaints.paidOrders,
        blockedByScreening: report.fraud.blocked,
        sentToReviewByScreening: report.fraud.sentToReview,
        fraudLabelled: report.fraud.labelled,
        fraudPrecision: report.fraud.precision ?? undefined,
        fraudRecall: report.fraud.recall ?? undefined,
      },
    });
    ctx.telemetry.count(previous ? METRICS.reportRevised : METRICS.dailyReportPublished);
    return report;
  }
  throw new StoreBusyError(`store report ${day}`, 'conflict');
};

/**
 * An event changed an order booked on `day` (a late payment, a discrepancy, a review decision): if that day's
 * report was already made, it is re-issued as a new revision. Best effort: the event itself is already stored,
 * and the next daily run re-checks recent days.
 */
export const reissueReportIfBuilt = async (
  ctx: ReportDeps,
  day: string,
  cause: string,
  fresh: readonly Order[] = [],
): Promise<void> => {
  try {
    if (!(await ctx.store.getReport(day))) return;
    await publishReport(ctx, day, { cause, fresh });
  } catch (error) {
    ctx.telemetry.warn('report re-issue failed; the next daily run re-checks it', {
      day,
      error: error instanceof Error ? error.name : String(error),
    });
  }
};
