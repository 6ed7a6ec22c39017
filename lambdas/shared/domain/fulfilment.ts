import { METRICS } from '../contract/metrics';
import type { RefundDeps } from './context';
import { ConflictError, NotFoundError, StoreBusyError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import { type Fulfilment, isPaid, type Order } from './order';
import { advanceRefundSafely, openRefund, refundableRest, refundView } from './refunds';

export interface FulfilmentInput {
  readonly orderId: string;
  readonly outcome: Fulfilment['outcome'];
  readonly reason?: string;
  /** The IAM principal of the service acknowledging. */
  readonly by: string;
}

const view = (order: Order, fulfilment: Fulfilment, refundId?: string) => {
  const refund = refundId ? order.refunds?.[refundId] : undefined;
  return {
    orderId: order.orderId,
    status: order.status,
    fulfilment: { outcome: fulfilment.outcome, reason: fulfilment.reason, at: fulfilment.at },
    ...(refund ? { refund: refundView(refund) } : {}),
    refundedAmount: order.refundedAmount ?? 0,
  };
};

/** The refund a `failed` acknowledgement opened, if it did. */
const refundOf = (order: Order): string | undefined =>
  Object.values(order.refunds ?? {}).find((refund) => refund.trigger === 'fulfilment-failed')?.refundId;

/**
 * POST /payments/{orderId}/fulfilment: ticketing says whether the ticket of a paid order was issued. Recorded once,
 * audited: the same outcome again answers the same; the other outcome is 409; an unpaid order is 409.
 *
 * `failed` opens a refund of everything not yet refunded in the SAME write as the acknowledgement, so five
 * concurrent `failed` acknowledgements make one refund (one write applies; the others re-read and find it), and a
 * crash after the write leaves the refund for reconcile to pay out.
 */
export const recordFulfilment = async (ctx: RefundDeps, input: FulfilmentInput) => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const order = ORDER_ID_PATTERN.test(input.orderId) ? await ctx.store.getOrder(input.orderId) : undefined;
    if (!order) throw new NotFoundError(`No payment with id "${input.orderId.slice(0, 40)}".`);
    const known = order.fulfilment;
    if (known) {
      if (known.outcome !== input.outcome) {
        throw new ConflictError(
          `Payment ${order.orderId} was already acknowledged as "${known.outcome}" at ${known.at}; it cannot become "${input.outcome}".`,
          'FULFILMENT_ALREADY_RECORDED',
        );
      }
      return { ...view(order, known, refundOf(order)), replayed: true };
    }
    if (!isPaid(order.status)) {
      throw new ConflictError(
        `Payment ${order.orderId} is not paid (status ${order.status}): there is no ticket to acknowledge.`,
        'NOT_PAID',
      );
    }
    const at = ctx.clock.now().toISOString();
    const fulfilment: Fulfilment = {
      outcome: input.outcome,
      ...(input.reason ? { reason: input.reason } : {}),
      at,
      by: input.by,
    };
    const rest = refundableRest(order);
    const refund =
      input.outcome === 'failed' && rest > 0
        ? openRefund(
            order,
            {
              amount: rest,
              reason: `ticket not issued: ${input.reason ?? 'no reason given'}`,
              trigger: 'fulfilment-failed',
              requestedBy: input.by,
            },
            at,
          )
        : undefined;
    const result = await ctx.store.transition({
      order,
      to: order.status,
      at,
      set: { fulfilment, ...refund?.set },
      audit: {
        actor: 'service',
        reason:
          input.outcome === 'delivered'
            ? 'ticket delivered'
            : `ticket not issued${refund ? `, ${rest} XOF to refund` : ''}: ${input.reason ?? 'no reason given'}`,
        details: { by: input.by },
        ...(refund ? { refund: refund.auditRefund } : {}),
      },
    });
    if (result !== 'applied') continue;
    ctx.telemetry.count(METRICS.fulfilmentAcknowledged, 1, { outcome: input.outcome });
    if (!refund) return { ...view({ ...order, fulfilment }, fulfilment), replayed: false };
    ctx.telemetry.count(METRICS.refundRequested, 1, { trigger: 'fulfilment-failed' });
    const now = await advanceRefundSafely(ctx, order.orderId, refund.refund.refundId);
    return {
      ...view(now ?? { ...order, ...refund.set, fulfilment }, fulfilment, refund.refund.refundId),
      replayed: false,
    };
  }
  throw new StoreBusyError(`record fulfilment of ${input.orderId}`, 'conflict');
};
