import { LIMITS } from '../contract/routes';
import type { AppContext } from './context';
import { ValidationError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import type { Order } from './order';
import type { OrderPosition } from './ports';

/** The opaque cursor of GET /payments: where the previous page ended, base64url. */
const encodeCursor = (position: OrderPosition): string =>
  Buffer.from(`${position.createdAt}|${position.orderId}`, 'utf8').toString('base64url');

const decodeCursor = (cursor: string): OrderPosition => {
  const [createdAt = '', orderId = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!ORDER_ID_PATTERN.test(orderId) || Number.isNaN(Date.parse(createdAt))) {
    throw new ValidationError('The cursor is not one this API gave: start again without it.', [
      { path: 'cursor', message: 'must be the `next` value of a previous page' },
    ]);
  }
  return { createdAt, orderId };
};

export const parseListQuery = (query: Readonly<Record<string, string | undefined>>) => {
  const raw = query.limit;
  const limit = raw === undefined ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listPageMax) {
    throw new ValidationError(`limit must be a whole number from 1 to ${LIMITS.listPageMax}.`, [
      { path: 'limit', message: `must be from 1 to ${LIMITS.listPageMax}` },
    ]);
  }
  return { limit, ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}) };
};

/**
 * GET /payments: the signed-in customer's own payments, newest first, a page at a time through the byOwner index
 * (never a scan). Each order is read from the table itself, so the page shows its state now.
 */
export const listPayments = async (
  ctx: Pick<AppContext, 'store'>,
  subject: string,
  page: { readonly limit: number; readonly after?: OrderPosition },
) => {
  const { orderIds, next } = await ctx.store.listByOwner(subject, page.limit, page.after);
  const orders = await Promise.all(orderIds.map((orderId) => ctx.store.getOrder(orderId)));
  return {
    payments: orders
      .filter((order): order is Order => order?.owner === subject)
      .map((order) => ({
        orderId: order.orderId,
        status: order.status,
        amount: order.amount,
        currency: order.currency,
        reference: order.reference,
        refundedAmount: order.refundedAmount ?? 0,
        createdAt: order.createdAt,
        updatedAt: order.updatedAt,
      })),
    next: next ? encodeCursor(next) : null,
  };
};
