import type { AppContext } from './context';
import { NotFoundError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import { refundView } from './refunds';

/** The public view of an order: masked contact data, no encrypted blob, no lookup hashes. */
export const getPayment = async (ctx: Pick<AppContext, 'store'>, orderId: string) => {
  const found = ORDER_ID_PATTERN.test(orderId) ? await ctx.store.getOrderWithAudit(orderId) : undefined;
  if (!found) throw new NotFoundError(`No payment with id "${orderId.slice(0, 40)}".`);
  const { order, audit } = found;
  return {
    orderId: order.orderId,
    status: order.status,
    amount: order.amount,
    currency: order.currency,
    items: order.items,
    description: order.description,
    mode: order.mode,
    customer: order.customer,
    checkoutUrl: order.status === 'PENDING' ? order.checkoutUrl : undefined,
    paymentMethod: order.paymentMethod,
    receiptUrl: order.receiptUrl,
    failReason: order.failReason,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    completedAt: order.completedAt,
    reference: order.reference,
    metadata: order.metadata ?? {},
    fulfilment: order.fulfilment && {
      outcome: order.fulfilment.outcome,
      reason: order.fulfilment.reason,
      at: order.fulfilment.at,
    },
    refundedAmount: order.refundedAmount ?? 0,
    refunds: Object.values(order.refunds ?? {})
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
      .map(refundView),
    events: audit.map((event) => ({
      at: event.at,
      from: event.from,
      to: event.to,
      actor: event.actor,
      reason: event.reason,
    })),
  };
};
