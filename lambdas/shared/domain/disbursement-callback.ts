import { METRICS } from '../contract/metrics';
import type { RefundSettleDeps } from './context';
import { safeEqual } from './crypto';
import { UnauthorizedError } from './errors';
import { ORDER_ID_PATTERN } from './ids';
import type { RefundStatus } from './order';
import { REFUND_ID_PATTERN, settleSubmittedRefund, signDisbursementCallback } from './refunds';

export interface DisbursementCallback {
  /** The `o`, `r` and `sig` query parameters of the callback URL this service gave PayDunya. */
  readonly orderId?: string;
  readonly refundId?: string;
  readonly signature?: string;
  /** Whether the body held anything: PayDunya is reported to probe the URL with an empty POST. */
  readonly hasBody: boolean;
}

/**
 * PayDunya's disbursement callback. Like the IPN it is only a trigger: nothing in its body is believed. The URL
 * must carry our own signature of the order and refund ids (PayDunya signs nothing); then the refund, if it is
 * SUBMITTED, is settled by asking PayDunya's check-status. An empty probe is acknowledged and changes nothing.
 */
export const handleDisbursementCallback = async (
  ctx: RefundSettleDeps,
  input: DisbursementCallback,
): Promise<{ readonly outcome: 'ignored' | 'checked'; readonly refundStatus?: RefundStatus }> => {
  const { orderId = '', refundId = '', signature = '' } = input;
  const wellFormed = ORDER_ID_PATTERN.test(orderId) && REFUND_ID_PATTERN.test(refundId);
  const secret = await ctx.secrets.signingSecret();
  if (!wellFormed || !safeEqual(signDisbursementCallback(secret, orderId, refundId), signature)) {
    if (!input.hasBody) return { outcome: 'ignored' };
    ctx.telemetry.count(METRICS.webhookRejected, 1, { reason: 'disbursement-signature' });
    await ctx.alerts.publish({
      type: 'forged-webhook',
      severity: 'critical',
      summary: 'A disbursement callback arrived without a valid signature of ours; nothing was changed',
      details: { reason: 'disbursement-signature' },
    });
    throw new UnauthorizedError('This notification could not be authenticated.');
  }
  const order = await ctx.store.getOrder(orderId);
  const refund = order?.refunds?.[refundId];
  if (!order || !refund || refund.status !== 'SUBMITTED') {
    return { outcome: 'ignored', ...(refund ? { refundStatus: refund.status } : {}) };
  }
  await settleSubmittedRefund(ctx, order, refund, 'webhook');
  const now = (await ctx.store.getOrder(orderId))?.refunds?.[refundId];
  return { outcome: 'checked', ...(now ? { refundStatus: now.status } : {}) };
};
