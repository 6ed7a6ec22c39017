import { METRICS } from '../contract/metrics';
import type { IpnDeps } from './context';
import { GatewayError } from './errors';
import type { Order, OrderStatus } from './order';
import type { ConfirmedInvoice } from './ports';
import { mismatches, settleOrder, TARGET } from './settle-order';

export interface ReconcileOptions {
  /** Only PENDING orders created before now minus this many minutes are asked about. */
  readonly olderThanMinutes: number;
  /** A PENDING order older than this, that PayDunya still calls pending (or no longer knows), is EXPIRED. */
  readonly invoiceExpiryHours: number;
  /** Confirm calls in flight at once. */
  readonly concurrency: number;
}

export interface ReconcileSummary {
  checked: number;
  settled: Partial<Record<OrderStatus, number>>;
  stillPending: number;
  discrepancies: number;
  errors: number;
}

/** Runs `work` over `items` with at most `limit` in flight. */
export const forEachBounded = async <T>(
  items: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
) => {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    const task: Promise<void> = work(item).finally(() => running.delete(task));
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
};

const hoursAgo = (now: Date, hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();

const recordDiscrepancy = async (ctx: IpnDeps, order: Order, problem: string, summary: string) => {
  ctx.telemetry.count(METRICS.reconcileDiscrepancy);
  ctx.telemetry.error('reconcile discrepancy', { orderId: order.orderId, problem });
  if (order.discrepancy) return;
  await ctx.store.transition({
    order,
    to: order.status,
    at: ctx.clock.now().toISOString(),
    set: { discrepancy: problem },
    audit: { actor: 'reconcile', reason: `discrepancy: ${summary}` },
  });
  await ctx.alerts.publish({
    type: 'reconcile-discrepancy',
    severity: 'critical',
    orderId: order.orderId,
    summary,
  });
};

/**
 * Asks PayDunya about one order and applies what it says through the same state machine as the webhook.
 * Returns what happened to it. Disagreements are recorded (audit event, critical alert), never "fixed".
 */
export const reconcileOrder = async (
  ctx: IpnDeps,
  listed: Pick<Order, 'orderId'>,
  options: Pick<ReconcileOptions, 'invoiceExpiryHours'>,
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
    // (wrong keys share the same undocumented code, 1001) says nothing about the invoice: never expire on it.
    const notFound = error.kind === 'refused' && /not\s*found/i.test(error.message);
    if (!(notFound && expired && order.status === 'PENDING')) {
      summary.errors++;
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
  }

  const target = confirmed ? TARGET[confirmed.status] : undefined;
  const outcome: OrderStatus | undefined =
    target ?? (expired && order.status === 'PENDING' ? 'EXPIRED' : undefined);
  if (!outcome) {
    summary.stillPending++;
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
  }
};

/**
 * An order still CREATED long after its request: the process died (or DynamoDB failed) between PayDunya's
 * create and the PENDING write. No customer ever received its checkout URL, so nothing can be paid on it; it
 * ends INITIATION_FAILED and its Idempotency-Key is released so the customer's retry can go through.
 */
const sweepStaleCreated = async (
  ctx: IpnDeps,
  listed: Pick<Order, 'orderId'>,
  summary: ReconcileSummary,
): Promise<void> => {
  const order = await ctx.store.getOrder(listed.orderId);
  if (order?.status !== 'CREATED') return;
  summary.checked++;
  const result = await ctx.store.transition({
    order,
    to: 'INITIATION_FAILED',
    at: ctx.clock.now().toISOString(),
    audit: {
      actor: 'reconcile',
      reason: 'never reached PENDING: the invoice was not recorded, no checkout was shown',
    },
    ...(order.idempotencyKeyHash
      ? { idempotency: { keyHash: order.idempotencyKeyHash, kind: 'release' as const } }
      : {}),
  });
  if (result === 'applied') {
    summary.settled.INITIATION_FAILED = (summary.settled.INITIATION_FAILED ?? 0) + 1;
    await ctx.alerts.publish({
      type: 'stale-created-order',
      severity: 'warning',
      orderId: order.orderId,
      summary:
        'An order stayed CREATED (its PENDING write failed after PayDunya create); it was closed unpaid',
    });
  }
};

/**
 * One reconcile run: every PENDING order older than `olderThanMinutes` (found through the byStatus index, never
 * a scan) is confirmed with PayDunya, a few at a time, and settled through the state machine. A payment whose
 * IPN never arrived is completed here; an invoice past its life ends EXPIRED. Emits the heartbeat metric.
 */
export const reconcilePending = async (
  ctx: IpnDeps,
  options: ReconcileOptions,
): Promise<ReconcileSummary> => {
  const summary: ReconcileSummary = { checked: 0, settled: {}, stillPending: 0, discrepancies: 0, errors: 0 };
  const cutoff = new Date(ctx.clock.now().getTime() - options.olderThanMinutes * 60_000).toISOString();
  await forEachBounded(ctx.store.listByStatus('PENDING', cutoff), options.concurrency, (order) =>
    reconcileOrder(ctx, order, options, summary),
  );
  await forEachBounded(ctx.store.listByStatus('CREATED', cutoff), options.concurrency, (order) =>
    sweepStaleCreated(ctx, order, summary),
  );
  ctx.telemetry.count(METRICS.reconcileRun);
  if (summary.errors > 0) ctx.telemetry.count(METRICS.reconcileErrors, summary.errors);
  ctx.telemetry.info('reconcile run finished', { ...summary });
  return summary;
};

/**
 * Re-asks PayDunya about orders we settled without payment in the last `hours`: PayDunya completing what we
 * marked failed, cancelled or expired is the costliest disagreement there is (money taken, no ticket).
 */
export const recheckUnpaid = async (
  ctx: IpnDeps,
  hours: number,
  concurrency: number,
): Promise<ReconcileSummary> => {
  const summary: ReconcileSummary = { checked: 0, settled: {}, stillPending: 0, discrepancies: 0, errors: 0 };
  const now = ctx.clock.now().toISOString();
  const since = hoursAgo(ctx.clock.now(), hours);
  for (const status of ['FAILED', 'CANCELLED', 'EXPIRED'] as const) {
    await forEachBounded(ctx.store.listByStatus(status, now, since), concurrency, (order) =>
      reconcileOrder(ctx, order, { invoiceExpiryHours: hours }, summary),
    );
  }
  return summary;
};
