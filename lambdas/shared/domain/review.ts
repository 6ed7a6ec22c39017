import { METRICS } from '../contract/metrics';
import { type ReportDeps, reissueReportIfBuilt } from './daily-report';
import { ConflictError, NotFoundError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import type { ReviewState } from './order';

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
export const decideReview = async (ctx: ReportDeps, input: ReviewDecision) => {
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
  const decided: ReviewState = {
    ...order.review,
    status: approved ? 'APPROVED' : 'REJECTED',
    decidedBy: input.decidedBy,
    reason: input.reason,
    decidedAt: at,
  };
  const result = await ctx.store.transition({
    order,
    to: approved ? 'COMPLETED' : 'REFUND_REQUESTED',
    at,
    set: { review: decided },
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
  // The decision changes the report of the day the payment was booked on, if that report was already made.
  if (order.bookedDay) {
    await reissueReportIfBuilt(
      ctx,
      order.bookedDay,
      `review ${approved ? 'approval' : 'rejection'} of order ${order.orderId}`,
      [{ ...order, status: approved ? 'COMPLETED' : 'REFUND_REQUESTED', review: decided }],
    );
  }
  return {
    orderId: order.orderId,
    status: approved ? 'COMPLETED' : 'REFUND_REQUESTED',
    review: approved ? 'APPROVED' : 'REJECTED',
  };
};
