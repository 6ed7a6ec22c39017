import {
  EVENTS,
  type EventType,
  type PaymentEvent,
  type PaymentEventDetail,
  type RefundEventDetail,
} from '../contract/events';
import type { AuditEvent, Order, OrderStatus, RefundStatus } from './order';

/**
 * Payment events from the table's stream: the outbox is the audit event each committed write appends to its order
 * (one write, one audit event). A stream record is a committed write, so an event exists if and only if its change
 * committed; its `eventId` is the audit event's id, so a redelivered record gives the same event.
 *
 * The detail is built from the order image of that very write, with a list of allowed fields: never the customer's
 * e-mail, phone or name, masked or not.
 */

/** An order item as the stream carries it (unmarshalled): the order and its audit trail. */
export type OrderImage = Order & { readonly audit?: readonly Omit<AuditEvent, 'orderId'>[] };

const PAYMENT_TYPES: Partial<Record<OrderStatus, EventType>> = {
  COMPLETED: 'payment.completed',
  FAILED: 'payment.failed',
  CANCELLED: 'payment.cancelled',
  EXPIRED: 'payment.expired',
};

const REFUND_TYPES: Partial<Record<RefundStatus, EventType>> = {
  SUCCEEDED: 'refund.succeeded',
  FAILED: 'refund.failed',
  MANUAL: 'refund.manual_required',
};

const asOrder = (item: Record<string, unknown> | undefined): OrderImage | undefined =>
  item?.entity === 'order' && typeof item.orderId === 'string' ? (item as unknown as OrderImage) : undefined;

/** The events of one committed write of an order item: `old` is the item before it (none for a new item). */
export const eventsOfChange = (
  old: Record<string, unknown> | undefined,
  current: Record<string, unknown> | undefined,
): PaymentEvent[] => {
  const order = asOrder(current);
  if (!order) return [];
  const seen = new Set((asOrder(old)?.audit ?? []).map((event) => event.id));
  const events: PaymentEvent[] = [];
  for (const audit of order.audit ?? []) {
    if (seen.has(audit.id)) continue;
    const event = eventOf(order, audit);
    if (event) events.push(event);
  }
  return events;
};

const eventOf = (order: OrderImage, audit: Omit<AuditEvent, 'orderId'>): PaymentEvent | undefined => {
  const common = {
    eventId: audit.id,
    schemaVersion: EVENTS.schemaVersion,
    orderId: order.orderId,
    version: audit.version,
    reference: order.reference ?? null,
    metadata: { ...(order.metadata ?? {}) },
    status: order.status,
    amount: order.amount,
    currency: 'XOF' as const,
    paymentMethod: order.paymentMethod ?? null,
    occurredAt: audit.at,
  };
  if (audit.refund) {
    const type = REFUND_TYPES[audit.refund.to];
    const refund = order.refunds?.[audit.refund.refundId];
    if (!type || !refund) return undefined;
    const detail: RefundEventDetail = {
      ...common,
      refundId: refund.refundId,
      refundAmount: refund.amount,
      refundedAmount: order.refundedAmount ?? 0,
      trigger: refund.trigger,
      ...(audit.refund.to !== 'SUCCEEDED' && refund.outcomeCode ? { outcome: refund.outcomeCode } : {}),
    };
    return envelope(type, audit.at, detail);
  }
  if (audit.from === audit.to) return undefined;
  const type = PAYMENT_TYPES[audit.to];
  if (!type) return undefined;
  const detail: PaymentEventDetail = {
    ...common,
    ...(type === 'payment.completed' && order.late ? { late: true as const } : {}),
    ...(type === 'payment.completed' && order.review?.status === 'PENDING' ? { held: true as const } : {}),
  };
  return envelope(type, audit.at, detail);
};

const envelope = (
  type: EventType,
  time: string,
  detail: PaymentEventDetail | RefundEventDetail,
): PaymentEvent => ({
  // EventBridge gives the events it stores an id of its own; locally the event's own id stands in.
  id: detail.eventId,
  source: EVENTS.source,
  'detail-type': type,
  time,
  detail,
});
