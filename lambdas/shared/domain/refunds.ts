import type { RefundOutcome } from '../contract/events';
import { METRICS } from '../contract/metrics';
import { CALLBACK_QUERY, ROUTES } from '../contract/routes';
import { THRESHOLDS } from '../contract/thresholds';
import { apiUrl } from './api-url';
import { bestEffortAlert } from './best-effort';
import { canonicalJson } from './canonical-json';
import type { RefundDeps, RefundSettleDeps } from './context';
import { openJson, sha256Hex, signCallback } from './crypto';
import { reissueReportIfBuilt } from './daily-report';
import {
  ConflictError,
  GatewayError,
  IdempotencyConflictError,
  NotFoundError,
  StoreBusyError,
} from './errors';
import { newOrderId, ORDER_ID_PATTERN } from './ids';
import {
  type Actor,
  committedRefunds,
  dayOf,
  isPaid,
  type Order,
  type OrderStatus,
  type Refund,
  type RefundStatus,
  type TransitionFields,
} from './order';
import type { DisbursementState, TransitionRequest } from './ports';

/**
 * Refunds: money back to the customer's wallet through PayDunya's disbursement API (PayDunya has no refund API).
 *
 * Money leaves at most once. The steps, and what a crash or a lost answer between them does:
 * 1. REQUESTED is written with the order (one conditional write: the refunds never add up to more than was paid).
 *    Crash after: the order is in the REFUNDING index group; reconcile resumes it.
 * 2. get-invoice makes a disbursement invoice; it moves no money. Crash (or a lost answer) before its token is
 *    stored: the invoice is left unsubmitted, harmless; the resumed refund makes another one and uses only that.
 * 3. The day's refund cap is taken, then the token is stored on the refund (still REQUESTED). Crash between the
 *    two: the cap counts the amount twice when resumed (stricter, never looser).
 * 4. SUBMITTED is written BEFORE submit-invoice, conditional on the order's version: of any number of concurrent
 *    processors exactly one writes it, and only that one ever submits. A refund found SUBMITTED is never submitted
 *    again, whatever happened to the call.
 * 5. submit-invoice moves the money. Its answer lost (timeout, reset, 5xx): the outcome is settled by
 *    check-status, now and by every reconcile run (and PayDunya's callback), never by a second submit. A refund
 *    SUBMITTED and unresolved for THRESHOLDS.refunds.stuckSubmittedMinutes alerts the on-call.
 * 6. SUCCEEDED is written with the order's refunded amount (and REFUNDED once it covers the payment) in one write;
 *    the payment events are derived from that write, so an event exists if and only if it committed.
 */

export const REFUND_ID_PATTERN = /^RF[0-9A-HJKMNP-TV-Z]{26}$/;

/** The wallets PayDunya can pay back to (its withdraw_mode slugs, API.md §6); anything else is paid by a person. */
const WITHDRAW_MODES = new Set([
  'orange-money-burkina',
  'moov-burkina-faso',
  'orange-money-senegal',
  'wave-senegal',
  'free-money-senegal',
  'expresso-sn',
  'wizall-senegal',
  'mtn-benin',
  'moov-benin',
  'orange-money-ci',
  'wave-ci',
  'mtn-ci',
  'moov-ci',
  't-money-togo',
  'moov-togo',
  'orange-money-mali',
  'moov-ml',
]);

const MAX_WRITE_ATTEMPTS = 5;

/** A refund as Temba's services see it. */
export const refundView = (refund: Refund) => ({
  refundId: refund.refundId,
  amount: refund.amount,
  status: refund.status,
  reason: refund.reason,
  trigger: refund.trigger,
  requestedAt: refund.requestedAt,
  updatedAt: refund.updatedAt,
  ...(refund.submittedAt ? { submittedAt: refund.submittedAt } : {}),
  ...(refund.completedAt ? { completedAt: refund.completedAt } : {}),
  ...(refund.outcome ? { outcome: refund.outcome } : {}),
});

export type NewRefund = Pick<
  Refund,
  'amount' | 'reason' | 'trigger' | 'requestedBy' | 'idempotencyKeyHash' | 'requestHash'
>;

/**
 * The fields and audit of a write that opens a refund on `order` (alone, or with the write that caused it: a
 * fulfilment failure, a review rejection), for the amount asked or, by default, all that is left.
 */
export const openRefund = (
  order: Order,
  input: NewRefund,
  at: string,
): {
  readonly refund: Refund;
  readonly set: TransitionFields;
  readonly auditRefund: TransitionRequest['audit']['refund'];
} => {
  const refund: Refund = {
    refundId: `RF${newOrderId(new Date(at))}`,
    status: 'REQUESTED',
    amount: input.amount,
    reason: input.reason,
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    ...(input.idempotencyKeyHash ? { idempotencyKeyHash: input.idempotencyKeyHash } : {}),
    ...(input.requestHash ? { requestHash: input.requestHash } : {}),
    requestedAt: at,
    updatedAt: at,
  };
  return {
    refund,
    set: { refunds: { ...order.refunds, [refund.refundId]: refund } },
    auditRefund: { refundId: refund.refundId, from: null, to: 'REQUESTED' },
  };
};

/** XOF that may still be refunded on a paid order: paid, less every refund that did not fail. */
export const refundableRest = (order: Order): number => order.amount - committedRefunds(order);

export interface RefundRequest {
  readonly orderId: string;
  readonly idempotencyKey: string;
  /** XOF; the whole rest when absent. */
  readonly amount?: number;
  readonly reason: string;
  readonly requestedBy: string;
}

const notFound = (orderId: string) => new NotFoundError(`No payment with id "${orderId.slice(0, 40)}".`);

/**
 * POST /payments/{orderId}/refunds. The same Idempotency-Key and body answers with the refund it made; the same
 * key with another body is 409. Over what is left to refund, or on an unpaid order: 409, nothing written.
 * The refund is then paid out at once as far as PayDunya lets (`advanceRefund`); what is left is reconcile's.
 */
export const requestRefund = async (ctx: RefundDeps, input: RefundRequest) => {
  const keyHash = sha256Hex(input.idempotencyKey);
  const requestHash = sha256Hex(canonicalJson({ amount: input.amount ?? null, reason: input.reason }));
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const order = ORDER_ID_PATTERN.test(input.orderId) ? await ctx.store.getOrder(input.orderId) : undefined;
    if (!order) throw notFound(input.orderId);
    const earlier = Object.values(order.refunds ?? {}).find((r) => r.idempotencyKeyHash === keyHash);
    if (earlier) {
      if (earlier.requestHash !== requestHash) {
        throw new IdempotencyConflictError(
          'This Idempotency-Key was already used for another refund request. Use a new key for a new refund.',
          'IDEMPOTENCY_KEY_REUSED',
        );
      }
      return { refund: refundView(earlier), refundedAmount: order.refundedAmount ?? 0, replayed: true };
    }
    if (!isPaid(order.status)) {
      throw new ConflictError(
        `Payment ${order.orderId} is not paid (status ${order.status}): there is nothing to refund.`,
        'NOT_PAID',
      );
    }
    const rest = refundableRest(order);
    const amount = input.amount ?? rest;
    if (rest <= 0 || amount > rest) {
      throw new ConflictError(
        `At most ${Math.max(rest, 0)} XOF can still be refunded on payment ${order.orderId}: it paid ${order.amount} XOF and ${committedRefunds(order)} XOF is refunded or being refunded${input.amount !== undefined ? `; ${input.amount} XOF was asked` : ''}.`,
        rest <= 0 ? 'NOTHING_LEFT_TO_REFUND' : 'REFUND_EXCEEDS_PAYMENT',
      );
    }
    const at = ctx.clock.now().toISOString();
    const opened = openRefund(
      order,
      {
        amount,
        reason: input.reason,
        trigger: 'request',
        requestedBy: input.requestedBy,
        idempotencyKeyHash: keyHash,
        requestHash,
      },
      at,
    );
    const result = await ctx.store.transition({
      order,
      to: order.status,
      at,
      set: opened.set,
      audit: {
        actor: 'service',
        reason: `refund of ${amount} XOF requested: ${input.reason}`,
        details: { requestedBy: input.requestedBy },
        refund: opened.auditRefund,
      },
    });
    if (result !== 'applied') continue;
    ctx.telemetry.count(METRICS.refundRequested, 1, { trigger: 'request' });
    const after = await advanceRefundSafely(ctx, order.orderId, opened.refund.refundId);
    return {
      refund: refundView(after?.refunds?.[opened.refund.refundId] ?? opened.refund),
      refundedAmount: after?.refundedAmount ?? order.refundedAmount ?? 0,
      replayed: false,
    };
  }
  throw new StoreBusyError(`request refund on ${input.orderId}`, 'conflict');
};

/**
 * Pays a refund out as far as it can go now; any failure is logged and left for reconcile (the refund is recorded,
 * so the request that made it has succeeded). Returns the order as it is afterwards.
 */
export const advanceRefundSafely = async (
  ctx: RefundDeps,
  orderId: string,
  refundId: string,
): Promise<Order | undefined> => {
  try {
    await advanceRefund(ctx, orderId, refundId, 'service');
  } catch (error) {
    ctx.telemetry.warn('refund recorded; paying it out failed for now, reconcile resumes it', {
      orderId,
      refundId,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
  return ctx.store.getOrder(orderId);
};

interface Why {
  readonly code: RefundOutcome;
  readonly text: string;
}

/** Why a refund cannot be paid back through PayDunya and needs a person, if it cannot. */
const manualReason = async (ctx: RefundDeps, order: Order, refund: Refund): Promise<Why | undefined> => {
  const flag = (await ctx.flags.get()).refunds_enabled;
  if (!flag.enabled) {
    return { code: 'refunds_disabled', text: 'automatic refunds are switched off (flag refunds_enabled)' };
  }
  const method = order.paymentMethod;
  if (!method) {
    return {
      code: 'unknown_payment_method',
      text: 'PayDunya did not say how the customer paid, so there is no wallet to pay back to',
    };
  }
  if (method === 'card') {
    return {
      code: 'card_payment',
      text: 'the customer paid by card: PayDunya cannot pay a card back; refund it from the PayDunya dashboard',
    };
  }
  if (!WITHDRAW_MODES.has(method)) {
    return { code: 'unsupported_wallet', text: `PayDunya cannot pay back to "${method}"` };
  }
  // PayDunya pre-fills the checkout's number, but the customer may pay from another wallet: money is only sent
  // back to the number given at checkout when PayDunya said that wallet paid (or said nothing to the contrary).
  if (order.payerPhoneHash && order.payerPhoneHash !== order.phoneHash) {
    return {
      code: 'payer_wallet_differs',
      text: 'the customer paid from another wallet than the number given at checkout: pay back the wallet that paid',
    };
  }
  if (refund.amount < THRESHOLDS.refunds.minimumXof) {
    return {
      code: 'below_minimum_payout',
      text: `${refund.amount} XOF is under PayDunya's minimum payout (${THRESHOLDS.refunds.minimumXof} XOF)`,
    };
  }
  return undefined;
};

/** A refund ended FAILED or MANUAL for `why`: written once; `again` if the order moved first. */
const endRefund = async (
  ctx: RefundSettleDeps,
  order: Order,
  refund: Refund,
  status: 'FAILED' | 'MANUAL',
  why: Why,
  actor: Actor,
): Promise<'stop' | 'again'> => {
  const result = await writeRefund(ctx, order, refund, {
    status,
    reason: status === 'MANUAL' ? `refund needs a person: ${why.text}` : `refund failed: ${why.text}`,
    fields: { outcome: why.text, outcomeCode: why.code, completedAt: ctx.clock.now().toISOString() },
    actor,
  });
  if (result !== 'applied') return 'again';
  await onFinal(ctx, order, refund, status, why.text);
  return 'stop';
};

interface RefundChange {
  readonly status: RefundStatus;
  readonly reason: string;
  readonly fields?: Partial<Refund>;
  readonly actor: Actor;
}

/**
 * One audited write of a refund's new state, conditional on the order's version (and so on the refund's state as
 * read). A SUCCEEDED refund adds to the order's refunded amount and, once that covers the payment, makes the
 * order REFUNDED, in the same write.
 */
const writeRefund = async (
  ctx: Pick<RefundSettleDeps, 'store' | 'clock'>,
  order: Order,
  refund: Refund,
  change: RefundChange,
): Promise<'applied' | 'stale'> => {
  const at = ctx.clock.now().toISOString();
  const next: Refund = { ...refund, ...change.fields, status: change.status, updatedAt: at };
  const refundedAmount =
    change.status === 'SUCCEEDED' ? (order.refundedAmount ?? 0) + refund.amount : order.refundedAmount;
  const to: OrderStatus =
    change.status === 'SUCCEEDED' && (refundedAmount ?? 0) >= order.amount ? 'REFUNDED' : order.status;
  return ctx.store.transition({
    order,
    to,
    at,
    set: {
      refunds: { ...order.refunds, [refund.refundId]: next },
      ...(refundedAmount !== undefined ? { refundedAmount } : {}),
    },
    audit: {
      actor: change.actor,
      reason: change.reason,
      refund: { refundId: refund.refundId, from: refund.status, to: change.status },
      ...(next.disburseToken ? { details: { disburseToken: next.disburseToken } } : {}),
    },
  });
};

/** Metrics, alerts and the report once a refund reached a final state. */
const onFinal = async (
  ctx: RefundSettleDeps,
  order: Order,
  refund: Refund,
  status: RefundStatus,
  why: string,
) => {
  if (status === 'SUCCEEDED') {
    ctx.telemetry.count(METRICS.refundSucceeded);
    ctx.telemetry.info('refund paid back', { orderId: order.orderId, refundId: refund.refundId });
  } else if (status === 'FAILED') {
    ctx.telemetry.count(METRICS.refundFailed);
    await bestEffortAlert(ctx, {
      type: 'refund-failed',
      severity: 'critical',
      orderId: order.orderId,
      summary: `A refund of ${refund.amount} XOF failed: ${why}. The customer has not been paid back`,
      details: { refundId: refund.refundId },
    });
  } else if (status === 'MANUAL') {
    ctx.telemetry.count(METRICS.refundManual);
    await bestEffortAlert(ctx, {
      type: 'refund-manual',
      severity: 'warning',
      orderId: order.orderId,
      summary: `A refund of ${refund.amount} XOF needs a person: ${why}`,
      details: { refundId: refund.refundId },
    });
  }
  // The refund changes the figures of the day the payment was booked on, if that report was already made.
  if (order.bookedDay) {
    const fresh = await ctx.store.getOrder(order.orderId);
    await reissueReportIfBuilt(
      ctx,
      order.bookedDay,
      `refund ${refund.refundId} ${status}`,
      fresh ? [fresh] : [],
    );
  }
};

const disbursementCallbackUrl = (publicBaseUrl: string, secret: string, orderId: string, refundId: string) =>
  apiUrl(publicBaseUrl, ROUTES.disbursementWebhook.path, {
    [CALLBACK_QUERY.orderId]: orderId,
    [CALLBACK_QUERY.refundId]: refundId,
    [CALLBACK_QUERY.signature]: signDisbursementCallback(secret, orderId, refundId),
  });

/** The signature on a disbursement callback URL: the refund's own, never valid as an IPN URL's. */
export const signDisbursementCallback = (secret: string, orderId: string, refundId: string): string =>
  signCallback(secret, `${orderId}:${refundId}`);

/**
 * Moves one refund on as far as it can go now (see the steps at the top of this file). Safe to run from any
 * number of places at once (the route, reconcile, PayDunya's callback): every step is a conditional write, and
 * only the writer of SUBMITTED submits.
 */
export const advanceRefund = async (
  ctx: RefundDeps,
  orderId: string,
  refundId: string,
  actor: Actor,
): Promise<void> => {
  for (let step = 0; step < 8; step++) {
    const order = await ctx.store.getOrder(orderId);
    const refund = order?.refunds?.[refundId];
    if (!order || !refund) return;
    if (refund.status === 'SUBMITTED') return settleSubmittedRefund(ctx, order, refund, actor);
    if (refund.status !== 'REQUESTED') return;

    if (!refund.disburseToken) {
      const manual = await manualReason(ctx, order, refund);
      if (manual) {
        if ((await endRefund(ctx, order, refund, 'MANUAL', manual, actor)) === 'stop') return;
        continue;
      }
      const made = await makeDisbursement(ctx, order, refund, actor);
      if (made === 'stop') return;
      continue;
    }

    // The kill switch holds until the money moves: an invoice made but not submitted is left, unpaid, to a person.
    if (!(await ctx.flags.get()).refunds_enabled.enabled) {
      const why: Why = {
        code: 'refunds_disabled',
        text: 'automatic refunds were switched off (flag refunds_enabled) before it was submitted',
      };
      if ((await endRefund(ctx, order, refund, 'MANUAL', why, actor)) === 'stop') return;
      continue;
    }
    // The lock: only the processor whose SUBMITTED write applies goes on to submit.
    const submittedAt = ctx.clock.now().toISOString();
    const locked = await writeRefund(ctx, order, refund, {
      status: 'SUBMITTED',
      reason: 'refund submitted to PayDunya',
      fields: { submittedAt },
      actor,
    });
    if (locked !== 'applied') continue;
    const submitted: Refund = { ...refund, status: 'SUBMITTED', submittedAt };
    const current = (await ctx.store.getOrder(orderId)) ?? order;
    await submitOnce(ctx, current, submitted, actor);
    const reread = await ctx.store.getOrder(orderId);
    const now = reread?.refunds?.[refundId];
    if (reread && now?.status === 'SUBMITTED') return settleSubmittedRefund(ctx, reread, now, actor);
    return;
  }
};

/** Step 2–3: a disbursement invoice, the day's cap, and the token stored. `again`: re-read and go on. */
const makeDisbursement = async (
  ctx: RefundDeps,
  order: Order,
  refund: Refund,
  actor: Actor,
): Promise<'again' | 'stop'> => {
  const [keys, secret, flags] = await Promise.all([
    ctx.secrets.paydunyaKeys(),
    ctx.secrets.signingSecret(),
    ctx.flags.get(),
  ]);
  const withdrawMode = order.paymentMethod as string;
  // The phone is decrypted here and only here, to name the wallet; it is never stored or logged in clear.
  const contact = (await openJson(ctx.keys, order.customerEncrypted, { orderId: order.orderId })) as {
    phone: string;
  };
  let token: string;
  try {
    ({ token } = await ctx.disbursements.createDisbursement(order.mode, keys, {
      accountAlias: contact.phone.replace(/^\+226/, ''),
      amount: refund.amount,
      withdrawMode,
      callbackUrl: disbursementCallbackUrl(ctx.config.publicBaseUrl, secret, order.orderId, refund.refundId),
      disburseId: refund.refundId,
    }));
  } catch (error) {
    if (!(error instanceof GatewayError) || error.kind === 'unavailable') throw error;
    return endRefund(
      ctx,
      order,
      refund,
      'FAILED',
      { code: 'paydunya_refused', text: `PayDunya refused the disbursement: ${error.message}` },
      actor,
    );
  }
  const cap = flags.refunds_enabled.daily_cap_xof;
  const day = dayOf(ctx.clock.now().toISOString());
  if (!(await ctx.store.takeRefundCap(day, refund.amount, cap))) {
    return endRefund(
      ctx,
      order,
      refund,
      'MANUAL',
      { code: 'over_daily_cap', text: `the day's refund cap (${cap} XOF) would be exceeded` },
      actor,
    );
  }
  await writeRefund(ctx, order, refund, {
    status: 'REQUESTED',
    reason: 'PayDunya disbursement invoice created',
    fields: { disburseToken: token, withdrawMode },
    actor,
  });
  return 'again';
};

/** Step 5: the one submit. Only a definite refusal fails the refund; anything else is for check-status. */
const submitOnce = async (ctx: RefundDeps, order: Order, refund: Refund, actor: Actor): Promise<void> => {
  const keys = await ctx.secrets.paydunyaKeys();
  try {
    const state = await ctx.disbursements.submitDisbursement(
      order.mode,
      keys,
      refund.disburseToken as string,
      refund.refundId,
    );
    if (state.status === 'success' || state.status === 'failed') {
      await finishSubmitted(
        ctx,
        order,
        refund,
        state.status === 'success',
        state.transactionId,
        `PayDunya submit: ${state.rawStatus}`,
        actor,
      );
    }
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    if (error.kind === 'unavailable') {
      ctx.telemetry.warn('disbursement submit answer lost; check-status settles it, never a second submit', {
        orderId: order.orderId,
        refundId: refund.refundId,
      });
      return;
    }
    if (error.insufficientBalance) {
      ctx.telemetry.count(METRICS.disbursementBalanceLow);
      await bestEffortAlert(ctx, {
        type: 'refund-insufficient-balance',
        severity: 'critical',
        summary: "PayDunya refused a refund: Temba's PayDunya balance is too low to pay customers back",
        orderId: order.orderId,
        details: { refundId: refund.refundId, amount: refund.amount },
      });
    }
    // A FAILED refund frees its amount for another one, so a refusal is believed only when check-status agrees that
    // nothing moved: PayDunya documents no error codes, and a "refusal" that paid would otherwise pay twice.
    let moved: DisbursementState | undefined;
    try {
      moved = await ctx.disbursements.checkDisbursement(order.mode, keys, refund.disburseToken as string);
    } catch (checkError) {
      if (!(checkError instanceof GatewayError)) throw checkError;
    }
    if (moved?.status === 'success') {
      await finishSubmitted(
        ctx,
        order,
        refund,
        true,
        moved.transactionId,
        'PayDunya check-status after a refused submit: success',
        actor,
      );
      return;
    }
    if (moved?.status !== 'created' && moved?.status !== 'failed') {
      // Pending, unknown or unanswered: left SUBMITTED for check-status (reconcile, the callback, the stuck alert).
      ctx.telemetry.warn('PayDunya refused a submit but check-status does not confirm that nothing moved', {
        orderId: order.orderId,
        refundId: refund.refundId,
        checkStatus: moved?.rawStatus ?? 'no answer',
      });
      return;
    }
    await finishSubmitted(
      ctx,
      order,
      refund,
      false,
      undefined,
      `PayDunya refused the submit: ${error.message}`,
      actor,
      error.insufficientBalance ? 'insufficient_balance' : 'paydunya_refused',
    );
  }
};

/** The final write of a submitted refund, retried on a version that moved; nothing if it is already final. */
const finishSubmitted = async (
  ctx: RefundSettleDeps,
  first: Order,
  firstRefund: Refund,
  succeeded: boolean,
  transactionId: string | undefined,
  why: string,
  actor: Actor,
  failure: RefundOutcome = 'disbursement_failed',
): Promise<void> => {
  let order: Order | undefined = first;
  for (let attempt = 0; order && attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const refund: Refund | undefined = order.refunds?.[firstRefund.refundId];
    if (refund?.status !== 'SUBMITTED') return;
    const status: RefundStatus = succeeded ? 'SUCCEEDED' : 'FAILED';
    const result = await writeRefund(ctx, order, refund, {
      status,
      reason: succeeded ? `refund paid back (${why})` : `refund failed (${why})`,
      fields: {
        completedAt: ctx.clock.now().toISOString(),
        ...(transactionId ? { transactionId } : {}),
        ...(succeeded ? {} : { outcome: why, outcomeCode: failure }),
      },
      actor,
    });
    if (result === 'applied') {
      await onFinal(ctx, order, refund, status, why);
      return;
    }
    order = await ctx.store.getOrder(first.orderId);
  }
};

/**
 * A SUBMITTED refund: PayDunya's check-status decides. Success or failure is written once; still created or
 * pending, it waits (and past THRESHOLDS.refunds.stuckSubmittedMinutes the on-call is told, since only a person can
 * tell what PayDunya did with it). Never submits.
 */
export const settleSubmittedRefund = async (
  ctx: RefundSettleDeps,
  order: Order,
  refund: Refund,
  actor: Actor,
): Promise<void> => {
  if (refund.status !== 'SUBMITTED' || !refund.disburseToken) return;
  let state: Awaited<ReturnType<RefundSettleDeps['disbursements']['checkDisbursement']>> | undefined;
  try {
    state = await ctx.disbursements.checkDisbursement(
      order.mode,
      await ctx.secrets.paydunyaKeys(),
      refund.disburseToken,
    );
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    ctx.telemetry.warn('disbursement check-status failed; tried again next run', {
      orderId: order.orderId,
      refundId: refund.refundId,
      reason: error.message,
    });
  }
  if (state?.status === 'success' || state?.status === 'failed') {
    await finishSubmitted(
      ctx,
      order,
      refund,
      state.status === 'success',
      state.transactionId,
      `PayDunya check-status: ${state.rawStatus}`,
      actor,
    );
    return;
  }
  const minutes = (ctx.clock.now().getTime() - Date.parse(refund.submittedAt ?? refund.updatedAt)) / 60_000;
  if (minutes >= THRESHOLDS.refunds.stuckSubmittedMinutes) {
    ctx.telemetry.count(METRICS.refundStuck);
    await bestEffortAlert(ctx, {
      type: 'refund-stuck',
      severity: 'critical',
      orderId: order.orderId,
      summary: `A refund of ${refund.amount} XOF has been submitted to PayDunya for ${Math.round(minutes)} minutes without a final status (PayDunya says ${state?.rawStatus ?? 'nothing'})`,
      details: { refundId: refund.refundId, disburseToken: refund.disburseToken },
    });
  }
};

/** Open refunds of an order (REQUESTED or SUBMITTED). */
export const openRefundIds = (order: Order): string[] =>
  Object.values(order.refunds ?? {})
    .filter((refund) => refund.status === 'REQUESTED' || refund.status === 'SUBMITTED')
    .map((refund) => refund.refundId);
