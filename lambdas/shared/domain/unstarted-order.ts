import type { Actor, LimitHold, Order } from './order';
import type { PaymentStore } from './ports';

/**
 * Ends an order that never reached PENDING as INITIATION_FAILED: PayDunya refused, or the request died between
 * PayDunya's create and the PENDING write. No customer ever saw a checkout page for it, so nothing can be paid on
 * it. One write moves it and gives back its daily-limit shares (`hold`, when the caller still knows them: the
 * order records them only at PENDING); then its Idempotency-Key is freed, so the customer's retry under the same
 * key starts afresh.
 *
 * Crash between the two steps: the key still points at an INITIATION_FAILED order, which a replay treats as
 * free. Answer of the first write lost: the store finds its own audit event and reports it applied.
 */
export const closeUnstartedOrder = async (
  store: Pick<PaymentStore, 'transition' | 'releaseIdempotencyKey'>,
  order: Order,
  close: { readonly at: string; readonly actor: Actor; readonly reason: string; readonly hold?: LimitHold },
  details?: Readonly<Record<string, string | number | boolean>>,
): Promise<'closed' | 'moved-on'> => {
  const hold = close.hold ?? order.limit;
  const result = await store.transition({
    order: hold ? { ...order, limit: hold } : order,
    to: 'INITIATION_FAILED',
    at: close.at,
    set: {
      bookedDay: close.at.slice(0, 10),
      bookedAt: close.at,
      ...(close.hold && !order.limit ? { limit: { ...close.hold, releasedAt: close.at } } : {}),
    },
    audit: { actor: close.actor, reason: close.reason, ...(details ? { details } : {}) },
    releaseLimit: true,
  });
  if (result !== 'applied') return 'moved-on';
  if (order.idempotencyKeyHash) await store.releaseIdempotencyKey(order.idempotencyKeyHash, order.orderId);
  return 'closed';
};
