import { METRICS } from '../contract/metrics';
import type { IpnDeps } from './context';
import { type Actor, isSettled, type Order, type OrderStatus, type TransitionFields } from './order';
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
  if (target === 'COMPLETED') {
    return {
      paymentMethod: confirmed.paymentMethod,
      receiptUrl: confirmed.receiptUrl,
      providerReference: confirmed.providerReference,
      completedAt: at,
      ...(order.reviewThresholdXof !== undefined
        ? { review: { status: 'PENDING', thresholdXof: order.reviewThresholdXof } }
        : {}),
    };
  }
  return confirmed.failReason ? { failReason: confirmed.failReason.slice(0, 500) } : {};
};

/**
 * Whether PayDunya's outcome is the one the order already records: an invoice PayDunya let expire is reported
 * cancelled (our EXPIRED), and a paid order under refund is still one PayDunya calls completed.
 */
const sameOutcome = (status: OrderStatus, target: OrderStatus): boolean =>
  status === target ||
  (status === 'EXPIRED' && target === 'CANCELLED') ||
  ((status === 'REFUND_REQUESTED' || status === 'REFUNDED') && target === 'COMPLETED');

export type SettleOutcome =
  | { readonly kind: 'applied' | 'duplicate' | 'conflict'; readonly order: Order }
  | { readonly kind: 'retry-later'; readonly reason: string };

/**
 * Moves a PENDING order to the outcome PayDunya confirmed (already checked against the order), once:
 * duplicates change nothing; an outcome that contradicts a settled order changes nothing and raises a critical
 * alert (and, when `recordDiscrepancy`, an audited discrepancy event, once per order). Contention is retried.
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
    if (isSettled(order.status)) {
      await reportConflict(ctx, order, confirmed, actor, options.recordDiscrepancy ?? false);
      return { kind: 'conflict', order };
    }
    if (order.status !== 'PENDING') return { kind: 'retry-later', reason: `order is ${order.status}` };

    const at = ctx.clock.now().toISOString();
    const set = fieldsFor(order, target, confirmed, at);
    const result = await ctx.store.transition({
      order,
      to: target,
      at,
      set,
      audit: {
        actor,
        reason: target === 'EXPIRED' ? 'invoice expired unpaid' : `PayDunya confirm: ${confirmed.rawStatus}`,
        details: {
          token: confirmed.token,
          ...(confirmed.paymentMethod ? { paymentMethod: confirmed.paymentMethod } : {}),
        },
      },
    });
    if (result === 'applied') {
      await afterSettled(ctx, order, target, confirmed, at, set);
      return { kind: 'applied', order: { ...order, ...set, status: target, version: order.version + 1 } };
    }
    if (result === 'contended') await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    order = await ctx.store.getOrder(first.orderId);
  }
  return { kind: 'retry-later', reason: 'could not apply the transition under contention' };
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
  if (set.review) {
    await ctx.alerts.publish({
      type: 'manual-review-required',
      severity: 'warning',
      orderId: order.orderId,
      summary: `A paid order of ${order.amount} XOF is above the review threshold (${set.review.thresholdXof} XOF) and awaits review`,
    });
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
    await ctx.store.transition({
      order,
      to: order.status,
      at: ctx.clock.now().toISOString(),
      set: { discrepancy: `paydunya:${confirmed.rawStatus}` },
      audit: { actor, reason: `discrepancy: ${summary}`, details: { paydunyaStatus: confirmed.rawStatus } },
    });
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
