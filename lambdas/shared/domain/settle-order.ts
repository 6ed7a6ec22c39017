import { METRICS } from '../contract/metrics';
import { bestEffort, bestEffortAlert } from './best-effort';
import type { IpnDeps } from './context';
import { normaliseBfPhone, phoneHash } from './crypto';
import { reissueReportIfBuilt } from './daily-report';
import { EVENT_ID_METADATA_KEY } from './fraud-screening';
import {
  type Actor,
  dayOf,
  isSettled,
  isUnpaid,
  type LimitHold,
  type Order,
  type OrderStatus,
  type TransitionFields,
} from './order';
import type { ConfirmedInvoice, InvoiceStatus } from './ports';

/** The order statuses PayDunya's answers lead to. */
export const TARGET: Readonly<Partial<Record<InvoiceStatus, OrderStatus>>> = {
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
  failed: 'FAILED',
};

const OUTCOME_METRIC = {
  COMPLETED: METRICS.paymentCompleted,
  CANCELLED: METRICS.paymentCancelled,
  FAILED: METRICS.paymentFailed,
  EXPIRED: METRICS.paymentCancelled,
} as const;

const MAX_ATTEMPTS = 5;

/** Confirm must describe this very order, or nothing it says is believed. */
export const mismatches = (order: Order, confirmed: ConfirmedInvoice): string[] => {
  const problems: string[] = [];
  if (confirmed.token !== order.token) problems.push('token');
  if (confirmed.totalAmount !== order.amount) problems.push('amount');
  if (confirmed.orderId !== order.orderId) problems.push('custom_data.order_id');
  if (confirmed.mode !== undefined && confirmed.mode !== order.mode) problems.push('mode');
  return problems;
};

const fieldsFor = (
  order: Order,
  target: OrderStatus,
  confirmed: ConfirmedInvoice,
  at: string,
): TransitionFields => {
  // Booked on the day the money moved (or the order ended unpaid): the report of that day counts it.
  const booked = { bookedDay: dayOf(at), bookedAt: at };
  if (target === 'COMPLETED') {
    return {
      ...booked,
      paymentMethod: confirmed.paymentMethod,
      receiptUrl: confirmed.receiptUrl,
      providerReference: confirmed.providerReference,
      completedAt: at,
      ...(isLate(order.status) ? { late: true } : {}),
      ...(order.reviewThresholdXof !== undefined || order.risk
        ? {
            review: {
              status: 'PENDING',
              ...(order.reviewThresholdXof !== undefined ? { thresholdXof: order.reviewThresholdXof } : {}),
              ...(order.risk ? { rules: order.risk.rules } : {}),
            },
          }
        : {}),
    };
  }
  return { ...booked, ...(confirmed.failReason ? { failReason: confirmed.failReason.slice(0, 500) } : {}) };
};

/** We gave up on the invoice (cancelled, expired) but PayDunya took the money anyway: a late payment. */
const isLate = (status: OrderStatus) => status === 'EXPIRED' || status === 'CANCELLED';

/**
 * Whether PayDunya's outcome is the one the order already records: an invoice PayDunya let expire is reported
 * cancelled (our EXPIRED), and a refunded order is still one PayDunya calls completed.
 */
const sameOutcome = (status: OrderStatus, target: OrderStatus): boolean =>
  status === target ||
  (status === 'EXPIRED' && target === 'CANCELLED') ||
  (status === 'REFUNDED' && target === 'COMPLETED');

export type SettleOutcome =
  | { readonly kind: 'applied' | 'duplicate' | 'conflict'; readonly order: Order }
  | { readonly kind: 'retry-later'; readonly reason: string };

/**
 * A payment that the day's limit does not hold any more (its checkout window lapsed, or it was cancelled or
 * expired first) is counted again, on the day it completes, before the order says COMPLETED: a crash between
 * the two counts it twice (stricter), never not at all. Returns the new hold for the order to record.
 */
const countAgainIfReleased = async (
  ctx: IpnDeps,
  order: Order,
  at: string,
): Promise<LimitHold | undefined> => {
  if (!order.limit?.releasedAt) return undefined;
  const day = dayOf(at);
  const hold = await ctx.store.addToDailyLimit(day, order.amount);
  const of = order.limit.of;
  if (of) {
    const usage = await ctx.store.getDailyLimitUsage(day);
    if (usage.reservedXof > of.maxXof || usage.reservedCount > of.maxCount) {
      await ctx.alerts.publish({
        type: 'late-payment-over-limit',
        severity: 'warning',
        orderId: order.orderId,
        summary: `A payment of ${order.amount} XOF completed after its checkout window and took ${day} over its limit: ${usage.reservedXof}/${of.maxXof} XOF, ${usage.reservedCount}/${of.maxCount} orders`,
        details: { day },
      });
    }
  }
  return { ...hold, ...(of ? { of } : {}) };
};

/**
 * Moves a PENDING order (or, for a late payment, an EXPIRED or CANCELLED one) to the outcome PayDunya confirmed
 * (already checked against the order), once: duplicates change nothing; an outcome that contradicts a settled
 * order changes nothing and raises a critical alert (and, when `recordDiscrepancy`, an audited discrepancy event,
 * once per order). A version that moved under us is re-read and decided again. An unpaid outcome gives the
 * order's daily-limit shares back in the same write.
 */
export const settleOrder = async (
  ctx: IpnDeps,
  first: Order,
  target: OrderStatus,
  confirmed: ConfirmedInvoice,
  actor: Actor,
  options: { readonly recordDiscrepancy?: boolean } = {},
): Promise<SettleOutcome> => {
  let order: Order | undefined = first;
  for (let attempt = 1; order && attempt <= MAX_ATTEMPTS; attempt++) {
    if (sameOutcome(order.status, target)) return { kind: 'duplicate', order };
    const late = isLate(order.status) && target === 'COMPLETED';
    if (isSettled(order.status) && !late) {
      await reportConflict(ctx, order, confirmed, actor, options.recordDiscrepancy ?? false);
      return { kind: 'conflict', order };
    }
    if (order.status !== 'PENDING' && !late)
      return { kind: 'retry-later', reason: `order is ${order.status}` };

    const at = ctx.clock.now().toISOString();
    const recount = target === 'COMPLETED' ? await countAgainIfReleased(ctx, order, at) : undefined;
    // Which wallet paid, as a keyed hash: a refund goes to the checkout's number only if it is that wallet.
    const payer =
      target === 'COMPLETED' && confirmed.payerPhone
        ? {
            payerPhoneHash: phoneHash(
              await ctx.secrets.signingSecret(),
              normaliseBfPhone(confirmed.payerPhone),
            ),
          }
        : {};
    const set = {
      ...fieldsFor(order, target, confirmed, at),
      ...payer,
      ...(recount ? { limit: recount } : {}),
    };
    const result = await ctx.store.transition({
      order,
      to: target,
      at,
      set,
      audit: {
        actor,
        reason: late
          ? `late payment: PayDunya confirm says ${confirmed.rawStatus} for an order we had ${order.status}`
          : target === 'EXPIRED'
            ? 'invoice expired unpaid'
            : `PayDunya confirm: ${confirmed.rawStatus}`,
        details: {
          token: confirmed.token,
          ...(confirmed.paymentMethod ? { paymentMethod: confirmed.paymentMethod } : {}),
        },
      },
      releaseLimit: isUnpaid(target),
    });
    if (result === 'applied') {
      await afterSettled(ctx, order, target, confirmed, at, set);
      return { kind: 'applied', order: { ...order, ...set, status: target, version: order.version + 1 } };
    }
    if (recount) await ctx.store.giveBackDailyLimit(recount);
    order = await ctx.store.getOrder(first.orderId);
  }
  return { kind: 'retry-later', reason: 'the order kept changing while it was being settled' };
};

/**
 * What fraud screening learns from a settled order (ports-fraud.ts): a payment PayDunya refused counts against the
 * account and the source address (card testing), a payment made marks the account as a paying one and counts its
 * tickets for its event. Counted after the write applied, so once per order; a crash before it loses the count,
 * which only makes screening more lenient. Orders created before screening carry no risk keys and count nothing.
 */
const countForFraudScreening = async (ctx: IpnDeps, order: Order, target: OrderStatus, at: string) => {
  const keys = order.riskKeys;
  if (!keys || order.status === 'COMPLETED') return;
  const when = new Date(at);
  if (target === 'FAILED') {
    await bestEffort(ctx, 'fraud screening failure count', () => ctx.risk.recordFailure(keys, when));
  } else if (target === 'COMPLETED') {
    const eventId = order.metadata?.[EVENT_ID_METADATA_KEY];
    await bestEffort(ctx, 'fraud screening payment count', () =>
      ctx.risk.recordPaid(
        {
          keys: { customer: keys.customer, phone: order.phoneHash },
          tickets: order.items.reduce((sum, item) => sum + item.quantity, 0),
          ...(eventId ? { eventId } : {}),
        },
        when,
      ),
    );
  }
};

const afterSettled = async (
  ctx: IpnDeps,
  order: Order,
  target: OrderStatus,
  confirmed: ConfirmedInvoice,
  at: string,
  set: TransitionFields,
) => {
  const { telemetry } = ctx;
  const dimensions = confirmed.paymentMethod ? { method: confirmed.paymentMethod } : undefined;
  await countForFraudScreening(ctx, order, target, at);
  const metric = OUTCOME_METRIC[target as keyof typeof OUTCOME_METRIC];
  if (metric) telemetry.count(metric, 1, dimensions);
  if (target === 'COMPLETED') {
    telemetry.measure(METRICS.paymentAmount, order.amount, 'None', dimensions);
    telemetry.measure(
      METRICS.paymentDuration,
      Date.parse(at) - Date.parse(order.createdAt),
      'Milliseconds',
      dimensions,
    );
  }
  telemetry.info('order transition applied', { orderId: order.orderId, from: order.status, to: target });
  const { review } = set;
  if (review) {
    await bestEffortAlert(ctx, {
      type: 'manual-review-required',
      severity: 'warning',
      orderId: order.orderId,
      summary: `A paid order of ${order.amount} XOF awaits review: ${[
        ...(review.thresholdXof !== undefined
          ? [`above the review threshold (${review.thresholdXof} XOF)`]
          : []),
        ...(review.rules ? [`fraud screening (${review.rules.join(', ')})`] : []),
      ].join('; ')}`,
    });
  }
  if (set.late) {
    telemetry.count(METRICS.latePayment, 1, dimensions);
    await bestEffortAlert(ctx, {
      type: 'late-payment',
      severity: 'warning',
      orderId: order.orderId,
      summary: `A customer paid ${order.amount} XOF after the order was ${order.status}: recorded as a late payment on ${set.bookedDay}; the ticket may need to be issued or refunded`,
    });
  }
  // The order leaves the day it was booked on (a cancellation becomes a payment): that day's report changes.
  if (order.bookedDay && order.bookedDay !== set.bookedDay) {
    await reissueReportIfBuilt(ctx, order.bookedDay, `late payment of order ${order.orderId}`, [
      { ...order, ...set, status: target },
    ]);
  }
};

const reportConflict = async (
  ctx: IpnDeps,
  order: Order,
  confirmed: ConfirmedInvoice,
  actor: Actor,
  record: boolean,
) => {
  const summary = `PayDunya says ${confirmed.rawStatus} for an order already ${order.status}; nothing was changed`;
  ctx.telemetry.count(METRICS.stateConflict);
  ctx.telemetry.error('PayDunya contradicts a settled order', {
    orderId: order.orderId,
    current: order.status,
    reported: confirmed.rawStatus,
  });
  if (record && !order.discrepancy) {
    ctx.telemetry.count(METRICS.reconcileDiscrepancy);
    const result = await ctx.store.transition({
      order,
      to: order.status,
      at: ctx.clock.now().toISOString(),
      set: { discrepancy: `paydunya:${confirmed.rawStatus}` },
      audit: { actor, reason: `discrepancy: ${summary}`, details: { paydunyaStatus: confirmed.rawStatus } },
    });
    if (result === 'applied' && order.bookedDay) {
      await reissueReportIfBuilt(ctx, order.bookedDay, `discrepancy on order ${order.orderId}`, [
        { ...order, discrepancy: `paydunya:${confirmed.rawStatus}` },
      ]);
    }
  } else if (record) {
    return; // Reported once already; reconcile sees it every run.
  }
  await ctx.alerts.publish({
    type: record ? 'reconcile-discrepancy' : 'state-conflict',
    severity: 'critical',
    orderId: order.orderId,
    summary,
  });
};
