import type { ComplaintCategory, FraudLabel, Order } from './order';
import { isPaid } from './order';
import type { BlockedOnDay } from './ports';

/**
 * The complaint and fraud-detection KPIs of a day's report, from the orders booked on it and their labels alone.
 * docs/fraud-kpis.md defines each figure in words; this file is that definition in code, and the two must agree.
 */

/** What the KPIs read of an order (the byDay index projects these). */
export type KpiOrder = Pick<Order, 'status' | 'risk' | 'complaintCategories' | 'fraudLabel'>;

export interface ComplaintFigures {
  /** Paid orders of the day (COMPLETED or REFUNDED) with at least one complaint, whenever it was recorded. */
  readonly paidOrders: number;
  /** `paidOrders` ÷ the day's paid orders, to 4 decimals; null when nothing was paid. */
  readonly rate: number | null;
  /** Orders of the day that were not paid with at least one complaint: outside the rate. */
  readonly unpaidOrders: number;
  /** Every complaint on the day's orders, paid or not, by category (one complaint, one count). */
  readonly byCategory: Readonly<Partial<Record<ComplaintCategory, number>>>;
}

export interface FraudFigures {
  /** Checkouts fraud screening blocked on the day (no order: their audit records). */
  readonly blocked: number;
  /** The same by rule: a checkout counts once under each rule that blocked it. */
  readonly blocksByRule: Readonly<Record<string, number>>;
  /** Orders of the day, in any status, that fraud screening sent to review (`risk` set at checkout). */
  readonly sentToReview: number;
  /** The same by rule: an order counts once under each rule that fired on it. */
  readonly reviewsByRule: Readonly<Record<string, number>>;
  /** Paid orders of the day sent to review: precision's denominator. */
  readonly flagged: number;
  /** Paid orders of the day labelled as fraud (`fraudLabel`): recall's denominator. */
  readonly labelled: number;
  /** `labelled` by what labelled them (each order by its first label). */
  readonly labelledBySource: Readonly<Record<FraudLabel['source'], number>>;
  /** Paid orders of the day both sent to review and labelled as fraud. */
  readonly flaggedAndLabelled: number;
  /** `flaggedAndLabelled` ÷ `flagged`, to 4 decimals; null when nothing paid was flagged. */
  readonly precision: number | null;
  /** `flaggedAndLabelled` ÷ `labelled`, to 4 decimals; null when nothing paid was labelled. */
  readonly recall: number | null;
}

/** A share to 4 decimals, or null when there is nothing to share: never 100 % of nothing. */
export const ratio = (part: number, whole: number): number | null =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

const byKey = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

export const kpisOf = (
  orders: Iterable<KpiOrder>,
  blocks: Iterable<Pick<BlockedOnDay, 'rules'>> = [],
): { readonly complaints: ComplaintFigures; readonly fraud: FraudFigures } => {
  let blocked = 0;
  const blocksByRule: Record<string, number> = {};
  for (const block of blocks) {
    blocked++;
    for (const rule of new Set(block.rules)) blocksByRule[rule] = (blocksByRule[rule] ?? 0) + 1;
  }
  let paid = 0;
  let complainedPaid = 0;
  let complainedUnpaid = 0;
  const byCategory: Partial<Record<ComplaintCategory, number>> = {};
  let sentToReview = 0;
  const reviewsByRule: Record<string, number> = {};
  let flagged = 0;
  let labelled = 0;
  let flaggedAndLabelled = 0;
  const labelledBySource: Record<FraudLabel['source'], number> = { complaint: 0, 'review-rejected': 0 };
  for (const order of orders) {
    const complaints = order.complaintCategories ?? [];
    for (const category of complaints) byCategory[category] = (byCategory[category] ?? 0) + 1;
    if (order.risk) {
      sentToReview++;
      // A rule named twice (never, today) still counts the order once under it.
      for (const rule of new Set(order.risk.rules)) reviewsByRule[rule] = (reviewsByRule[rule] ?? 0) + 1;
    }
    if (!isPaid(order.status)) {
      if (complaints.length > 0) complainedUnpaid++;
      continue;
    }
    paid++;
    if (complaints.length > 0) complainedPaid++;
    if (order.risk) flagged++;
    if (order.fraudLabel) {
      labelled++;
      labelledBySource[order.fraudLabel.source]++;
      if (order.risk) flaggedAndLabelled++;
    }
  }
  return {
    complaints: {
      paidOrders: complainedPaid,
      rate: ratio(complainedPaid, paid),
      unpaidOrders: complainedUnpaid,
      byCategory: byKey(byCategory),
    },
    fraud: {
      blocked,
      blocksByRule: byKey(blocksByRule),
      sentToReview,
      reviewsByRule: byKey(reviewsByRule),
      flagged,
      labelled,
      labelledBySource,
      flaggedAndLabelled,
      precision: ratio(flaggedAndLabelled, flagged),
      recall: ratio(flaggedAndLabelled, labelled),
    },
  };
};

/** "2.5%" or "n/a": how the report's text shows a share. */
export const percent = (share: number | null | undefined): string =>
  share === null || share === undefined ? 'n/a' : `${(share * 100).toFixed(1)}%`;
