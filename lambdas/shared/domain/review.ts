import { METRICS } from '../contract/metrics';
import type { AppContext } from './context';
import { ConflictError, NotFoundError } from './errors';
import { ORDER_ID_PATTERN } from './ids';

export interface ReviewDecision {
  readonly orderId: string;
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
  /** Who decided: the IAM principal on AWS. */
  readonly decidedBy: string;
}

/**
 * An operator's decision on a paid order awaiting manual review. Approve: the order stays COMPLETED, review
 * APPROVED. Reject: the order moves to REFUND_REQUESTED (PayDunya has no refund API; the refund is paid out by
 * hand). Either way one audited transition, conditional on the order still awaiting review.
 */
export const decideReview = async (
  ctx: Pick<AppContext, 'store' | 'clock' | 'telemetry'>,
  input: ReviewDecision,
) => {
  const order = ORDER_ID_PATTERN.test(input.orderId) ? await ctx.store.getOrder(input.orderId) : undefined;
  if (!order) throw new NotFoundError(`No payment with id "${input.orderId.slice(0, 40)}".`);
  if (order.status !== 'COMPLETED' || order.review?.status !== 'PENDING') {
    throw new ConflictError(
      `Payment ${order.orderId} is not awaiting review (status ${order.status}, review ${order.review?.status ?? 'none'}).`,
      'NOT_AWAITING_REVIEW',
    );
  }
  const at = ctx.clock.now().toISOString();
  const approved = input.decision === 'approve';
  const result = await ctx.store.transition({
    order,
    to: approved ? 'COMPLETED' : 'REFUND_REQUESTED',
    at,
    set: {
      review: {
        ...order.review,
        status: approved ? 'APPROVED' : 'REJECTED',
        decidedBy: input.decidedBy,
        reason: input.reason,
        decidedAt: at,
      },
    },
    audit: {
      actor: 'admin',
      reason: `review ${approved ? 'approved' : 'rejected'}: ${input.reason}`,
      details: { decidedBy: input.decidedBy },
    },
  });
  if (result !== 'applied') {
    throw new ConflictError(
      `Payment ${order.orderId} changed while it was being reviewed; reload it.`,
      'CONCURRENT_UPDATE',
    );
  }
  ctx.telemetry.count(METRICS.reviewDecided, 1, { decision: input.decision });
  return {
    orderId: order.orderId,
    status: approved ? 'COMPLETED' : 'REFUND_REQUESTED',
    review: approved ? 'APPROVED' : 'REJECTED',
  };
};
