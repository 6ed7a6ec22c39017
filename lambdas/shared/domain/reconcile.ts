import { METRICS } from '../contract/metrics';
import { THRESHOLDS } from '../contract/thresholds';
import type { IpnDeps, RefundDeps } from './context';
import { type DailyReport, publishReport, reissueReportIfBuilt } from './daily-report';
import { GatewayError } from './errors';
import { dayOf, type Order, type OrderStatus } from './order';
import type { ConfirmedInvoice } from './ports';
import { advanceRefund, openRefund, openRefundIds } from './refunds';
import { mismatches, settleOrder, TARGET } from './settle-order';
import { closeUnstartedOrder } from './unstarted-order';

/** What a reconcile run touches: payments with PayDunya's confirm, refunds with its disbursement API. */
export type ReconcileDeps = IpnDeps & RefundDeps;

export interface ReconcileOptions {
  /** Only open orders created before now minus this many minutes are looked at. */
  readonly olderThanMinutes: number;
  /** A PENDING order older than this, that PayDunya still calls pending (or no longer knows), is EXPIRED. */
  readonly invoiceExpiryHours: number;
  /** Confirm calls in flight at once. */
  readonly concurrency: number;
  /** A PENDING order older than this gives its share of the daily limit back (THRESHOLDS.checkout). */
  readonly checkoutWindowMinutes?: number;
  /** A paid order ticketing has not acknowledged after this long is overdue (THRESHOLDS.fulfilment). */
  readonly fulfilmentAckMinutes?: number;
}

export interface ReconcileSummary {
  checked: number;
  settled: Partial<Record<OrderStatus, number>>;
  stillPending: number;
  discrepancies: number;
  /** Orders whose checkout window lapsed: their share of the daily limit was given back. */
  released: number;
  errors: number;
  /** Refunds found REQUESTED or SUBMITTED and moved on (each is tried again next run until it is final). */
  refundsResumed: number;
  /** Paid orders ticketing has not acknowledged in time, and late payments refunded for want of a ticket. */
  fulfilmentOverdue: number;
  lateRefunded: number;
  /** One line per order that could not be reconciled this run (it is tried again next run). */
  failures: { readonly orderId: string; readonly reason: string }[];
}

const emptySummary = (): ReconcileSummary => ({
  checked: 0,
  settled: {},
  stillPending: 0,
  discrepancies: 0,
  released: 0,
  errors: 0,
  refundsResumed: 0,
  fulfilmentOverdue: 0,
  lateRefunded: 0,
  failures: [],
});

/**
 * Runs `work` over `items` with at most `limit` in flight. A failing item is reported to `onError` and counted
 * by the caller; it never stops the others nor escapes as an unhandled rejection.
 */
export const forEachBounded = async <T>(
  items: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
  onError: (item: T, error: unknown) => void,
) => {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    const task: Promise<void> = work(item)
      .catch((error: unknown) => onError(item, error))
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
};

const failed =
  (ctx: IpnDeps, summary: ReconcileSummary) => (item: Pick<Order, 'orderId'>, error: unknown) => {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    summary.errors++;
    summary.failures.push({ orderId: item.orderId, reason: reason.slice(0, 200) });
    ctx.telemetry.error('reconcile could not handle an order; it is tried again next run', {
      orderId: item.orderId,
      reason,
    });
  };

const hoursAgo = (now: Date, hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();

const recordDiscrepancy = async (ctx: IpnDeps, order: Order, problem: string, summary: string) => {
  ctx.telemetry.count(METRICS.reconcileDiscrepancy);
  ctx.telemetry.error('reconcile discrepancy', { orderId: order.orderId, problem });
  if (order.discrepancy) return;
  const result = await ctx.store.transition({
    order,
    to: order.status,
    at: ctx.clock.now().toISOString(),
    set: { discrepancy: problem },
    audit: { actor: 'reconcile', reason: `discrepancy: ${summary}` },
  });
  if (result !== 'applied') return;
  if (order.bookedDay) {
    await reissueReportIfBuilt(ctx, order.bookedDay, `discrepancy on order ${order.orderId}`, [
      { ...order, discrepancy: problem },
    ]);
  }
  await ctx.alerts.publish({
    type: 'reconcile-discrepancy',
    severity: 'critical',
    orderId: order.orderId,
    summary,
  });
};

/**
 * A PENDING order past its checkout window gives its share of the day's limit back, so abandoned checkouts do
 * not close sales for everyone. One write moves the shares and marks the order (never twice); if the customer
 * pays later, the payment is counted again on the day it completes (settle-order).
 */
const releaseLapsedHold = async (
  ctx: IpnDeps,
  order: Order,
  windowMinutes: number,
  summary: ReconcileSummary,
) => {
  if (!order.limit || order.limit.releasedAt || order.status !== 'PENDING') return;
  const ageMinutes = (ctx.clock.now().getTime() - Date.parse(order.createdAt)) / 60_000;
  if (ageMinutes < windowMinutes) return;
  const result = await ctx.store.transition({
    order,
    to: 'PENDING',
    at: ctx.clock.now().toISOString(),
    audit: {
      actor: 'reconcile',
      reason: `checkout window of ${windowMinutes} minutes over: its share of the daily limit was given back`,
    },
    releaseLimit: true,
  });
  if (result === 'applied') summary.released++;
};

/**
 * Asks PayDunya about one order and applies what it says through the same state machine as the webhook.
 * Disagreements are recorded (audit event, critical alert), never "fixed"; an answer it does not understand
 * (an unknown status) is a discrepancy too, and never ends an order.
 */
export const reconcileOrder = async (
  ctx: IpnDeps,
  listed: Pick<Order, 'orderId'>,
  options: Pick<ReconcileOptions, 'invoiceExpiryHours' | 'checkoutWindowMinutes'>,
  summary: ReconcileSummary,
): Promise<void> => {
  // The index is eventually consistent: act only on the order as it is now.
  const order = await ctx.store.getOrder(listed.orderId);
  if (!order?.token) return;
  summary.checked++;
  const expired = order.createdAt < hoursAgo(ctx.clock.now(), options.invoiceExpiryHours);

  let confirmed: ConfirmedInvoice | undefined;
  try {
    confirmed = await ctx.gateway.confirm(order.mode, await ctx.secrets.paydunyaKeys(), order.token);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    // "Invoice not found" for an invoice past its life: PayDunya has forgotten it unpaid. Any other refusal
    // (wrong keys share the same undocumented code, 1001; a bare 404 may be a wrong base URL) says nothing
    // about the invoice: never expire on it.
    const notFound = error.notFound && /not\s*found/i.test(error.message);
    if (!(notFound && expired && order.status === 'PENDING')) {
      summary.errors++;
      summary.failures.push({ orderId: order.orderId, reason: error.message.slice(0, 200) });
      ctx.telemetry.warn('reconcile could not confirm an order', {
        orderId: order.orderId,
        reason: error.message,
      });
      return;
    }
  }

  if (confirmed) {
    const problems = mismatches(order, confirmed);
    if (problems.length > 0) {
      summary.discrepancies++;
      await recordDiscrepancy(
        ctx,
        order,
        `mismatch:${problems.join(',')}`,
        `PayDunya confirm does not match the order (${problems.join(', ')}): PayDunya ${confirmed.totalAmount} XOF ${confirmed.rawStatus}, order ${order.amount} XOF ${order.status}`,
      );
      return;
    }
    if (confirmed.status === 'unknown') {
      summary.discrepancies++;
      await recordDiscrepancy(
        ctx,
        order,
        `unknown-status:${confirmed.rawStatus.slice(0, 40)}`,
        `PayDunya answered a status this service does not know ("${confirmed.rawStatus}") for an order ${order.status}; nothing was changed`,
      );
      return;
    }
  }

  const target = confirmed ? TARGET[confirmed.status] : undefined;
  const outcome: OrderStatus | undefined =
    target ?? (expired && order.status === 'PENDING' ? 'EXPIRED' : undefined);
  if (!outcome) {
    summary.stillPending++;
    await releaseLapsedHold(
      ctx,
      order,
      options.checkoutWindowMinutes ?? THRESHOLDS.checkout.windowMinutes,
      summary,
    );
    return;
  }
  const basis: ConfirmedInvoice = confirmed ?? {
    token: order.token,
    status: 'cancelled',
    rawStatus: 'not found',
    totalAmount: order.amount,
    orderId: order.orderId,
  };
  const result = await settleOrder(ctx, order, outcome, basis, 'reconcile', { recordDiscrepancy: true });
  if (result.kind === 'applied') {
    summary.settled[outcome] = (summary.settled[outcome] ?? 0) + 1;
    if (outcome === 'EXPIRED') ctx.telemetry.count(METRICS.paymentExpired);
  } else if (result.kind === 'conflict') {
    summary.discrepancies++;
  } else if (result.kind === 'retry-later') {
    summary.errors++;
    summary.failures.push({ orderId: order.orderId, reason: result.reason });
  }
};

/**
 * An order still CREATED long after its request: the process died (or DynamoDB failed) between PayDunya's
 * create and the PENDING write. No customer ever received its checkout URL, so nothing can be paid on it; it
 * ends INITIATION_FAILED and its Idempotency-Key is released so the customer's retry can go through.
 */
const sweepStaleCreated = async (ctx: IpnDeps, order: Order, summary: ReconcileSummary): Promise<void> => {
  // Younger than this, its request may still be running (`--older-than-minutes 0`): closing it would make that
  // request's PENDING write fail and the customer get an error for a checkout PayDunya has just created.
  const ageSeconds = (ctx.clock.now().getTime() - Date.parse(order.createdAt)) / 1000;
  if (ageSeconds <= THRESHOLDS.checkout.inFlightSeconds) return;
  summary.checked++;
  const closed = await closeUnstartedOrder(ctx.store, order, {
    at: ctx.clock.now().toISOString(),
    actor: 'reconcile',
    reason: 'never reached PENDING: the invoice was not recorded, no checkout was shown',
  });
  if (closed !== 'closed') return;
  summary.settled.INITIATION_FAILED = (summary.settled.INITIATION_FAILED ?? 0) + 1;
  await ctx.alerts.publish({
    type: 'stale-created-order',
    severity: 'warning',
    orderId: order.orderId,
    summary: 'An order stayed CREATED (its PENDING write failed after PayDunya create); it was closed unpaid',
  });
};

/**
 * One reconcile run: every open order older than `olderThanMinutes` (found through the byStatus index, never a
 * scan) is looked at, a few at a time. A PENDING one is confirmed with PayDunya and settled through the state
 * machine (a payment whose IPN never arrived is completed here; an invoice past its life ends EXPIRED; a checkout
 * past its window gives its limit share back); a CREATED one was abandoned and is closed. Every order's outcome
 * is counted, failures included. Emits the heartbeat metric.
 */
export const reconcilePending = async (
  ctx: ReconcileDeps,
  options: ReconcileOptions,
): Promise<ReconcileSummary> => {
  const summary = emptySummary();
  const cutoff = new Date(ctx.clock.now().getTime() - options.olderThanMinutes * 60_000).toISOString();
  await forEachBounded(
    ctx.store.listOpen(cutoff),
    options.concurrency,
    async (listed) => {
      const order = await ctx.store.getOrder(listed.orderId);
      if (order?.status === 'PENDING') await reconcileOrder(ctx, order, options, summary);
      else if (order?.status === 'CREATED') await sweepStaleCreated(ctx, order, summary);
    },
    failed(ctx, summary),
  );
  await resumeRefunds(ctx, options.concurrency, summary);
  await watchFulfilment(ctx, options, summary);
  ctx.telemetry.count(METRICS.reconcileRun);
  if (summary.errors > 0) ctx.telemetry.count(METRICS.reconcileErrors, summary.errors);
  ctx.telemetry.info('reconcile run finished', { ...summary });
  return summary;
};

/**
 * Refunds left half-way (a crash, PayDunya unreachable, a submit whose answer was lost) are moved on: each step
 * is safe to repeat (refunds.ts), and a SUBMITTED refund is only ever checked, never submitted again.
 */
const resumeRefunds = async (ctx: ReconcileDeps, concurrency: number, summary: ReconcileSummary) => {
  await forEachBounded(
    ctx.store.listRefunding(),
    concurrency,
    async (listed) => {
      const order = await ctx.store.getOrder(listed.orderId);
      if (!order) return;
      for (const refundId of openRefundIds(order)) {
        summary.refundsResumed++;
        await advanceRefund(ctx, order.orderId, refundId, 'reconcile');
      }
    },
    failed(ctx, summary),
  );
};

/**
 * Paid orders ticketing has not acknowledged, found among the orders booked today and yesterday (byDay index, whose
 * rows carry status, review and fulfilment): past the ack window they are counted and the on-call is warned
 * (ticketing may be down); a late payment (its order had expired or been cancelled, so no ticket awaits it) that
 * stays unacknowledged past THRESHOLDS.fulfilment.lateUnacknowledgedRefundMinutes is refunded in full. Older orders
 * are left to people.
 */
const watchFulfilment = async (ctx: ReconcileDeps, options: ReconcileOptions, summary: ReconcileSummary) => {
  const now = ctx.clock.now();
  const ackMinutes = options.fulfilmentAckMinutes ?? THRESHOLDS.fulfilment.ackMinutes;
  const minutesSince = (iso: string | undefined) =>
    (now.getTime() - Date.parse(iso ?? now.toISOString())) / 60_000;
  const days = [dayOf(hoursAgo(now, 24)), dayOf(now.toISOString())];
  async function* awaiting() {
    for (const day of days) {
      for await (const row of ctx.store.listBooked(day)) {
        // Held for review: ticketing rightly waits for the decision before it issues (or acknowledges) anything.
        if (row.status !== 'COMPLETED' || row.fulfilment || row.review?.status === 'PENDING') continue;
        if (minutesSince(row.bookedAt) >= ackMinutes) yield row;
      }
    }
  }
  let oldest = 0;
  await forEachBounded(
    awaiting(),
    options.concurrency,
    async (listed) => {
      // The index is eventually consistent: decide on the order as it is now.
      const order = await ctx.store.getOrder(listed.orderId);
      if (order?.status !== 'COMPLETED' || order.fulfilment || order.review?.status === 'PENDING') return;
      const waited = minutesSince(order.completedAt);
      if (waited < ackMinutes) return;
      if (order.late && !order.refunds && waited >= THRESHOLDS.fulfilment.lateUnacknowledgedRefundMinutes) {
        const at = now.toISOString();
        const refund = openRefund(
          order,
          {
            amount: order.amount,
            reason: `late payment not acknowledged by ticketing within ${THRESHOLDS.fulfilment.lateUnacknowledgedRefundMinutes} minutes: no ticket awaits it`,
            trigger: 'late-payment-undelivered',
            requestedBy: 'reconcile',
          },
          at,
        );
        const result = await ctx.store.transition({
          order,
          to: order.status,
          at,
          set: refund.set,
          audit: { actor: 'reconcile', reason: refund.refund.reason, refund: refund.auditRefund },
        });
        if (result === 'applied') {
          summary.lateRefunded++;
          ctx.telemetry.count(METRICS.refundRequested, 1, { trigger: 'late-payment-undelivered' });
          await advanceRefund(ctx, order.orderId, refund.refund.refundId, 'reconcile');
        }
        return;
      }
      summary.fulfilmentOverdue++;
      oldest = Math.max(oldest, waited);
    },
    failed(ctx, summary),
  );
  if (summary.fulfilmentOverdue === 0) return;
  ctx.telemetry.count(METRICS.fulfilmentOverdue, summary.fulfilmentOverdue);
  // One alert a run at most (and de-duplicated across runs by its constant summary): the count is in the details.
  await ctx.alerts.publish({
    type: 'fulfilment-overdue',
    severity: 'warning',
    summary: `Paid orders are waiting for ticketing's acknowledgement longer than ${ackMinutes} minutes: ticketing may be down or not receiving events`,
    details: { orders: summary.fulfilmentOverdue, oldestMinutes: Math.round(oldest) },
  });
};

/**
 * Re-asks PayDunya about orders we settled without payment in the last `hours`: PayDunya completing what we
 * marked cancelled or expired is a late payment (recorded, counted, alerted); completing what it told us had
 * failed is a discrepancy (money taken, no ticket) for a person to look at.
 */
export const recheckUnpaid = async (
  ctx: IpnDeps,
  hours: number,
  concurrency: number,
): Promise<ReconcileSummary> => {
  const summary = emptySummary();
  const now = ctx.clock.now().toISOString();
  await forEachBounded(
    ctx.store.listUnpaid(hoursAgo(ctx.clock.now(), hours), now),
    concurrency,
    (order) => reconcileOrder(ctx, order, { invoiceExpiryHours: hours }, summary),
    failed(ctx, summary),
  );
  return summary;
};

/**
 * The daily reconciliation: re-checks the last two days' unpaid orders with PayDunya (late payments,
 * discrepancies), then makes the day's report from the orders booked on it and sends it to the warning topic.
 * Run again for a day already reported, it stores a new revision only if the figures changed. The day before is
 * re-checked too, since the recheck may have changed it.
 */
export const runDailyReport = async (
  ctx: IpnDeps,
  day: string,
  options: { readonly recheckHours: number; readonly concurrency: number },
): Promise<DailyReport> => {
  await recheckUnpaid(ctx, options.recheckHours, options.concurrency);
  const report = await publishReport(ctx, day);
  const dayBefore = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  await reissueReportIfBuilt(ctx, dayBefore, 'the daily re-check');
  return report;
};
