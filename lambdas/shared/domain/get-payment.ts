import { complaintView } from './complaints';
import type { AppContext } from './context';
import { NotFoundError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import { refundView } from './refunds';

/**
 * An order as Temba shows it: masked contact data, no encrypted blob, no lookup hashes. With `subject` (a customer's
 * request), an order of another account is "not found", exactly like one that does not exist; without it (Temba's
 * own services, IAM-authorized), any order.
 *
 * Complaints: Temba's services see each one whole and the order's fraud label; the customer sees that a complaint
 * was recorded (category and time), never support's note or the label.
 */
export const getPayment = async (ctx: Pick<AppContext, 'store'>, orderId: string, subject?: string) => {
  const found = ORDER_ID_PATTERN.test(orderId) ? await ctx.store.getOrderWithAudit(orderId) : undefined;
  if (!found || (subject !== undefined && found.order.owner !== subject)) {
    throw new NotFoundError(`No payment with id "${orderId.slice(0, 40)}".`);
  }
  const { order, audit } = found;
  const internal = subject === undefined;
  const complaints = Object.values(order.complaints ?? {}).sort((a, b) => a.at.localeCompare(b.at));
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
    complaints: internal
      ? complaints.map(complaintView)
      : complaints.map(({ complaintId, category, at }) => ({ complaintId, category, at })),
    ...(internal && order.fraudLabel ? { fraudLabel: order.fraudLabel } : {}),
    events: audit.map((event) => ({
      at: event.at,
      from: event.from,
      to: event.to,
      actor: event.actor,
      reason: event.reason,
    })),
  };
};
