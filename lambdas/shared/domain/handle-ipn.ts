import { METRICS } from '../contract/metrics';
import type { IpnNotice } from '../paydunya/ipn';
import type { IpnDeps } from './context';
import { paydunyaHash, safeEqual, verifyCallbackSignature } from './crypto';
import { GatewayError, UnauthorizedError } from './errors';
import type { Order } from './order';
import type { ConfirmedInvoice } from './ports';
import { mismatches, settleOrder, TARGET } from './settle-order';

export interface IpnInput {
  /** Undefined when the body was empty or unparseable: acknowledged, nothing changes. */
  readonly notice: IpnNotice | undefined;
  /** The `o` and `sig` query parameters of the callback URL, when PayDunya kept them. */
  readonly callbackOrderId?: string;
  readonly callbackSignature?: string;
}

export type IpnOutcome =
  | 'ignored'
  | 'unknown-invoice'
  | 'still-pending'
  | 'applied'
  | 'duplicate'
  | 'conflict'
  | 'rejected';

/** What the webhook answers: 200 with an outcome, or 503 so PayDunya (if it retries) tries again later. */
export type IpnResult =
  | { readonly kind: 'done'; readonly outcome: IpnOutcome; readonly orderId?: string }
  | { readonly kind: 'retry-later'; readonly reason: string };

const reject = async (ctx: IpnDeps, reason: string, summary: string): Promise<never> => {
  ctx.telemetry.count(METRICS.webhookRejected, 1, { reason });
  ctx.telemetry.warn('webhook rejected', { reason });
  await ctx.alerts.publish({ type: 'forged-webhook', severity: 'critical', summary, details: { reason } });
  throw new UnauthorizedError('This notification could not be authenticated.');
};

/** Finds the order an IPN is about: by the signed callback id, then PayDunya's custom_data, then the token index. */
const findOrder = async (
  ctx: IpnDeps,
  notice: IpnNotice,
  trustedOrderId?: string,
): Promise<Order | undefined> => {
  for (const candidate of [trustedOrderId, notice.orderId]) {
    if (!candidate || !/^[0-9A-Z]{26}$/.test(candidate)) continue;
    const order = await ctx.store.getOrder(candidate);
    if (order?.token === notice.token) return order;
  }
  const byToken = await ctx.store.findOrderIdByToken(notice.token);
  return byToken ? ctx.store.getOrder(byToken) : undefined;
};

/**
 * Handles one PayDunya IPN. The IPN is only a trigger (API.md §5):
 * 1. an unreadable body is acknowledged and ignored;
 * 2. `data[hash]` must equal SHA-512(master key), compared in constant time, else 401;
 * 3. the callback signature, when present, must be ours, else 401; when absent it is counted;
 * 4. PayDunya confirm is asked and only its answer is believed; it must match the stored order's token,
 *    amount and id, else a fraud alert and no change;
 * 5. the order moves once, conditionally, with its audit event; duplicates and late contradictions change nothing.
 */
export const handleIpn = async (ctx: IpnDeps, input: IpnInput): Promise<IpnResult> => {
  const { telemetry } = ctx;
  telemetry.count(METRICS.webhookReceived);
  const { notice } = input;
  if (!notice) {
    telemetry.info('webhook body empty or unreadable; acknowledged and ignored');
    return { kind: 'done', outcome: 'ignored' };
  }

  const keys = await ctx.secrets.paydunyaKeys();
  if (!safeEqual(notice.hash.toLowerCase(), paydunyaHash(keys.master_key))) {
    return reject(ctx, 'hash', 'A webhook arrived with a wrong PayDunya hash');
  }

  let trustedOrderId: string | undefined;
  if (input.callbackSignature !== undefined) {
    const secret = await ctx.secrets.signingSecret();
    if (
      !input.callbackOrderId ||
      !verifyCallbackSignature(secret, input.callbackOrderId, input.callbackSignature)
    ) {
      return reject(ctx, 'signature', 'A webhook arrived with a wrong callback signature');
    }
    trustedOrderId = input.callbackOrderId;
  } else {
    // Whether PayDunya keeps our query string is unverified (README): accept, but make it visible.
    telemetry.count(METRICS.webhookUnsigned);
    telemetry.warn('webhook without callback signature', { token: notice.token });
  }

  const order = await findOrder(ctx, notice, trustedOrderId);
  if (!order) {
    telemetry.count(METRICS.webhookRejected, 1, { reason: 'unknown-invoice' });
    telemetry.warn('webhook for an unknown invoice', { token: notice.token });
    await ctx.alerts.publish({
      type: 'webhook-unknown-invoice',
      severity: 'warning',
      summary: 'A correctly hashed webhook named an invoice this service does not know',
      details: { token: notice.token, orderId: notice.orderId },
    });
    return { kind: 'done', outcome: 'unknown-invoice' };
  }
  const orderId = order.orderId;
  if (trustedOrderId && notice.orderId && notice.orderId !== trustedOrderId) {
    telemetry.count(METRICS.fraudSuspected);
    await ctx.alerts.publish({
      type: 'fraud-suspected',
      severity: 'critical',
      orderId,
      summary: 'IPN custom_data.order_id differs from the signed callback order id',
      details: { ipnOrderId: notice.orderId },
    });
    return { kind: 'done', outcome: 'rejected', orderId };
  }
  if (!order.token) {
    return { kind: 'retry-later', reason: 'order has no invoice token yet' };
  }

  let confirmed: ConfirmedInvoice;
  try {
    confirmed = await ctx.gateway.confirm(order.mode, keys, order.token);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    telemetry.warn('PayDunya confirm failed; the order waits for a retry or reconcile', {
      orderId,
      reason: error.message,
    });
    return { kind: 'retry-later', reason: error.message };
  }

  const problems = mismatches(order, confirmed);
  if (problems.length > 0) {
    telemetry.count(METRICS.fraudSuspected);
    telemetry.error('confirm answer does not match the order', { orderId, problems });
    await ctx.alerts.publish({
      type: 'fraud-suspected',
      severity: 'critical',
      orderId,
      summary: `PayDunya confirm does not match the stored order (${problems.join(', ')}); nothing was marked paid`,
      details: {
        confirmedAmount: confirmed.totalAmount,
        orderAmount: order.amount,
        status: confirmed.rawStatus,
      },
    });
    return { kind: 'done', outcome: 'rejected', orderId };
  }
  if (notice.totalAmount !== undefined && notice.totalAmount !== order.amount) {
    // Confirm agrees with the order, so the truth is safe to apply; a tampered IPN still deserves eyes.
    await ctx.alerts.publish({
      type: 'ipn-amount-mismatch',
      severity: 'warning',
      orderId,
      summary: 'An IPN carried an amount that differs from the order; PayDunya confirm agrees with the order',
      details: { ipnAmount: notice.totalAmount, orderAmount: order.amount },
    });
  }

  if (confirmed.status === 'unknown') {
    await ctx.alerts.publish({
      type: 'unknown-paydunya-status',
      severity: 'warning',
      orderId,
      summary: `PayDunya reported an unknown status "${confirmed.rawStatus}"; the order stays as it is`,
    });
    return { kind: 'done', outcome: 'still-pending', orderId };
  }
  const target = TARGET[confirmed.status];
  if (!target) return { kind: 'done', outcome: 'still-pending', orderId };

  const settled = await settleOrder(ctx, order, target, confirmed, 'webhook');
  if (settled.kind === 'retry-later') return { kind: 'retry-later', reason: settled.reason };
  return { kind: 'done', outcome: settled.kind, orderId };
};
