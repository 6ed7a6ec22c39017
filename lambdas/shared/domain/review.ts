import { METRICS } from '../contract/metrics';
import type { RefundDeps } from './context';
import { type ReportDeps, reissueReportIfBuilt } from './daily-report';
import { ConflictError, NotFoundError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import type { FraudLabel, ReviewState } from './order';
import { advanceRefundSafely, openRefund, refundableRest, refundView } from './refunds';

export interface ReviewDecision {
  readonly orderId: string;
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
  /** Who decided: the IAM principal on AWS. */
  readonly decidedBy: string;
}

/**
 * An operator's decision on a paid order awaiting manual review. Approve: the order stays COMPLETED, review
 * APPROVED. Reject: review REJECTED and a refund of everything not yet refunded opened in the same write, then paid
 * back through PayDunya (refunds.ts); the payment is labelled as fraud (`fraudLabel`, source `review-rejected`) in
 * that write unless something labelled it before. Either way one audited write, conditional on the order still
 * awaiting review.
 */
export const decideReview = async (ctx: ReportDeps & RefundDeps, input: ReviewDecision) => {
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
  // Review holds payments because they may be fraud: a rejection is the operator saying they are.
  const label: FraudLabel | undefined =
    approved || order.fraudLabel ? undefined : { source: 'review-rejected', at, by: input.decidedBy };
  const rest = refundableRest(order);
  const refund =
    approved || rest <= 0
      ? undefined
      : openRefund(
          order,
          {
            amount: rest,
            reason: `review rejected: ${input.reason}`,
            trigger: 'review-rejected',
            requestedBy: input.decidedBy,
          },
          at,
        );
  const result = await ctx.store.transition({
    order,
    to: 'COMPLETED',
    at,
    set: { review: decided, ...refund?.set, ...(label ? { fraudLabel: label } : {}) },
    audit: {
      actor: 'admin',
      reason: `review ${approved ? 'approved' : `rejected, ${rest} XOF to refund`}: ${input.reason}`,
      details: { decidedBy: input.decidedBy },
      ...(refund ? { refund: refund.auditRefund } : {}),
    },
  });
  if (result !== 'applied') {
    throw new ConflictError(
      `Payment ${order.orderId} changed while it was being reviewed; reload it.`,
      'CONCURRENT_UPDATE',
    );
  }
  const flagged = order.risk ? 'yes' : 'no';
  ctx.telemetry.count(METRICS.reviewDecided, 1, { decision: input.decision, flagged });
  if (label) ctx.telemetry.count(METRICS.fraudLabelled, 1, { source: label.source, flagged });
  if (refund) ctx.telemetry.count(METRICS.refundRequested, 1, { trigger: 'review-rejected' });
  // Paid out as far as PayDunya lets now (a refund that ends at once re-issues the report itself).
  const now = refund
    ? await advanceRefundSafely(ctx, order.orderId, refund.refund.refundId)
    : { ...order, review: decided };
  // The decision changes the report of the day the payment was booked on, if that report was already made.
  if (order.bookedDay) {
    await reissueReportIfBuilt(
      ctx,
      order.bookedDay,
      `review ${approved ? 'approval' : 'rejection'} of order ${order.orderId}`,
      [now ?? { ...order, review: decided, ...refund?.set }],
    );
  }
  return {
    orderId: order.orderId,
    status: now?.status ?? 'COMPLETED',
    review: decided.status,
    ...(refund ? { refund: refundView(now?.refunds?.[refund.refund.refundId] ?? refund.refund) } : {}),
  };
};
