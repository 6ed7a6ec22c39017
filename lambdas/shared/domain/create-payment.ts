import { randomUUID } from 'node:crypto';
import type { Flags } from '../contract/flags';
import { METRICS } from '../contract/metrics';
import { CALLBACK_QUERY, ROUTES } from '../contract/routes';
import { type PaydunyaKeys, PLACEHOLDER_PREFIX } from '../contract/secrets';
import { THRESHOLDS } from '../contract/thresholds';
import { apiUrl } from './api-url';
import { bestEffort } from './best-effort';
import { canonicalJson } from './canonical-json';
import type { AppContext } from './context';
import { phoneHash, sealJson, sha256Hex, signCallback, subjectHash } from './crypto';
import {
  GatewayError,
  IdempotencyConflictError,
  PaymentProviderError,
  ServiceUnavailableError,
  TooManyRequestsError,
} from './errors';
import { newOrderId } from './ids';
import { maskEmail, maskPhone } from './masking';
import { dayOf, type LimitHold, type Order, type PaymentMode } from './order';
import type { PaymentRequest } from './payment-request.schema';
import type { CreatedInvoice, IdempotencyRecord, StoredResponse, TransitionResult } from './ports';
import { type CheckoutSource, type Screened, screenCheckoutRisk } from './screen-checkout';
import { closeUnstartedOrder } from './unstarted-order';

export interface CreatePaymentInput {
  readonly idempotencyKey: string;
  readonly request: PaymentRequest;
  /** The signed-in customer (token subject): the order is theirs alone. */
  readonly subject: string;
  /** Where the request came from (source IP, country when the edge tells it): fraud screening reads it. */
  readonly source: CheckoutSource;
}

export interface CreatePaymentResult {
  readonly response: StoredResponse;
  /** True when this is the stored answer to an earlier request with the same key and body. */
  readonly replayed: boolean;
}

const secondsToMidnightUtc = (now: Date): number => {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((midnight - now.getTime()) / 1000);
};

/**
 * Tells the on-call once a day when the day's reservations reach 80% and 100% of a limit. Only a checkout whose
 * slice of the limit passed the level reads the whole day (the slices fill evenly, so this is late in the day,
 * not on every checkout); the conditional claim lets exactly one of them send the alert.
 */
const warnAsLimitFills = async (
  ctx: AppContext,
  day: string,
  limit: { readonly max_xof: number; readonly max_count: number },
  shardFill: number,
): Promise<void> => {
  if (shardFill < THRESHOLDS.dailyLimitWarningRatio) return;
  const usage = await ctx.store.getDailyLimitUsage(day);
  const used = Math.max(usage.reservedXof / limit.max_xof, usage.reservedCount / limit.max_count);
  for (const ratio of [1, THRESHOLDS.dailyLimitWarningRatio]) {
    if (used < ratio) continue;
    const level = String(Math.round(ratio * 100));
    if (await ctx.store.claimLimitWarning(day, level)) {
      await ctx.alerts.publish({
        type: ratio === 1 ? 'daily-limit-full' : 'daily-limit-80',
        severity: 'warning',
        summary: `Daily payment limit ${level}% used: ${usage.reservedXof}/${limit.max_xof} XOF, ${usage.reservedCount}/${limit.max_count} orders`,
        details: { day },
      });
    }
  }
};

/** The IPN callback URL under the API's own base, keeping its path (an execute-api URL ends in the stage, `/v1`). */
export const callbackUrlFor = (publicBaseUrl: string, orderId: string, signature: string): string =>
  apiUrl(publicBaseUrl, ROUTES.paydunyaWebhook.path, {
    [CALLBACK_QUERY.orderId]: orderId,
    [CALLBACK_QUERY.signature]: signature,
  });

const isPlaceholder = (value: string | undefined): boolean => !value || value.startsWith(PLACEHOLDER_PREFIX);

/** Refuses to talk to PayDunya with keys that cannot work: missing for the mode, or still the deploy placeholders. */
const usableKeys = (keys: PaydunyaKeys, mode: PaymentMode): boolean =>
  !isPlaceholder(keys.master_key) &&
  (mode === 'live'
    ? !isPlaceholder(keys.live_private_key) && !isPlaceholder(keys.live_token)
    : !isPlaceholder(keys.test_private_key) && !isPlaceholder(keys.test_token));

interface Checkout {
  readonly subject: string;
  readonly keyHash: string;
  readonly requestHash: string;
  readonly request: PaymentRequest;
  readonly mode: PaymentMode;
  readonly keys: PaydunyaKeys;
  readonly signingSecret: string;
  readonly flags: Flags;
  readonly screened: Screened;
}

type Admission =
  | {
      readonly kind: 'admitted';
      readonly order: Order;
      readonly hold?: LimitHold;
      readonly shardFill: number;
    }
  | { readonly kind: 'answered'; readonly result: CreatePaymentResult }
  | { readonly kind: 'key-freed' };

const secondsSince = (ctx: AppContext, iso: string) => (ctx.clock.now().getTime() - Date.parse(iso)) / 1000;

/** The 201 of the request that created `order`, rebuilt from the order (the record stores no answer). */
const replayOf = (order: Order): CreatePaymentResult => ({
  response: {
    statusCode: 201,
    body: { orderId: order.orderId, status: 'PENDING', checkoutUrl: order.checkoutUrl, token: order.token },
  },
  replayed: true,
});

const inProgress = () =>
  new IdempotencyConflictError(
    'A request with this Idempotency-Key is still being processed. Retry in a moment with the same key.',
    'IDEMPOTENCY_IN_PROGRESS',
    2,
  );

/**
 * A key already taken: answer as the request that took it did, or free the key if that request is certainly over
 * and left nothing a customer could pay (no order written, or an order that never reached PENDING).
 */
const answerTakenKey = async (
  ctx: AppContext,
  checkout: Pick<Checkout, 'keyHash' | 'requestHash'>,
  existing: IdempotencyRecord,
): Promise<Exclude<Admission, { kind: 'admitted' }>> => {
  if (existing.requestHash !== checkout.requestHash) {
    throw new IdempotencyConflictError(
      'This Idempotency-Key was already used with a different request body. Use a new key for a new payment.',
      'IDEMPOTENCY_KEY_REUSED',
    );
  }
  const over = secondsSince(ctx, existing.createdAt) > THRESHOLDS.checkout.inFlightSeconds;
  const prior = await ctx.store.getOrder(existing.orderId);
  if (!prior) {
    if (!over) throw inProgress();
    await ctx.store.releaseIdempotencyKey(checkout.keyHash, existing.orderId);
    return { kind: 'key-freed' };
  }
  if (prior.status === 'CREATED') {
    if (!over) throw inProgress();
    await closeUnstartedOrder(ctx.store, prior, {
      at: ctx.clock.now().toISOString(),
      actor: 'create-payment',
      reason: 'never reached PENDING: a retry with the same Idempotency-Key found it abandoned',
    });
    return { kind: 'key-freed' };
  }
  if (prior.status === 'INITIATION_FAILED') {
    // Released with the failure; a crash may have left the record pointing here. The customer may try again.
    await ctx.store.releaseIdempotencyKey(checkout.keyHash, existing.orderId);
    return { kind: 'key-freed' };
  }
  return { kind: 'answered', result: replayOf(prior) };
};

/**
 * Admits a checkout with four independent single-item writes at once (one round trip, no transaction, no item
 * shared by every checkout): the Idempotency-Key's record, the CREATED order with its first audit event, the
 * customer's attempt and the order's share of the daily limit. If any of them says no, the others are undone.
 *
 * Crash after some of them: a key pointing at no order is freed by the next retry once the request is
 * certainly over (`inFlightSeconds`); an order left CREATED is closed by reconcile or by that retry; an attempt
 * counted stays counted until its window ends; shares taken and not recorded on an order stay taken until the day
 * ends. Each of these can only make a limit stricter, never let a payment through twice.
 */
const admit = async (ctx: AppContext, checkout: Checkout): Promise<Admission> => {
  const { store, config } = ctx;
  const { request, flags } = checkout;
  const now = ctx.clock.now();
  const at = now.toISOString();
  const orderId = newOrderId(now);
  const customer = {
    email: request.customer_email,
    phone: request.customer_phone,
    ...(request.customer_name ? { name: request.customer_name } : {}),
  };
  const order: Order = {
    orderId,
    status: 'CREATED',
    version: 1,
    amount: request.amount,
    currency: 'XOF',
    items: request.items,
    ...(request.description ? { description: request.description } : {}),
    ...(request.reference ? { reference: request.reference } : {}),
    ...(request.metadata && Object.keys(request.metadata).length > 0 ? { metadata: request.metadata } : {}),
    mode: checkout.mode,
    customer: { email: maskEmail(request.customer_email), phone: maskPhone(request.customer_phone) },
    customerEncrypted: await sealJson(ctx.keys, customer, { orderId }),
    phoneHash: phoneHash(checkout.signingSecret, request.customer_phone),
    owner: checkout.subject,
    idempotencyKeyHash: checkout.keyHash,
    createdAt: at,
    updatedAt: at,
    ...(flags.manual_review.enabled && request.amount > flags.manual_review.threshold_xof
      ? { reviewThresholdXof: flags.manual_review.threshold_xof }
      : {}),
    riskKeys: { customer: checkout.screened.keys.customer, ip: checkout.screened.keys.ip },
    ...(checkout.screened.decision.decision === 'review'
      ? {
          risk: {
            decision: 'review',
            rules: checkout.screened.decision.reasons.map((reason) => reason.rule),
          },
        }
      : {}),
  };
  const { max, windowSeconds } = config.customerAttempts;
  const subjectKey = subjectHash(checkout.signingSecret, checkout.subject);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const windowStart = nowSeconds - (nowSeconds % windowSeconds);
  const limit = flags.daily_limit;
  const limitSettings = { maxXof: limit.max_xof, maxCount: limit.max_count };

  const [claim, put, attempt, reservation] = await Promise.allSettled([
    store.claimIdempotencyKey({
      keyHash: checkout.keyHash,
      requestHash: checkout.requestHash,
      orderId,
      createdAt: at,
    }),
    store.putNewOrder(order, {
      id: randomUUID(),
      orderId,
      version: 1,
      at,
      actor: 'create-payment',
      from: null,
      to: 'CREATED',
      reason: 'payment requested',
    }),
    // Per phone and per account: changing the number typed does not buy more attempts, nor does a new account.
    Promise.all([
      store.countAttempt(order.phoneHash, windowStart, windowSeconds, max),
      store.countAttempt(subjectKey, windowStart, windowSeconds, max),
    ]),
    limit.enabled
      ? store.reserveDailyLimit(dayOf(at), order.amount, limitSettings)
      : Promise.resolve(undefined),
  ]);
  const claimed = claim.status === 'fulfilled' && claim.value.claimed;
  const counts = attempt.status === 'fulfilled' ? attempt.value : [];
  const counted = counts.length === 2 && counts.every(Boolean);
  const reserved = reservation.status === 'fulfilled' ? reservation.value : undefined;
  const hold = reserved?.kind === 'reserved' ? { ...reserved.hold, of: limitSettings } : undefined;
  const undo = async (keep: { readonly key?: boolean } = {}) => {
    const steps: Promise<unknown>[] = [store.deleteUnstartedOrder(orderId, hold)];
    if (claimed && !keep.key) steps.push(store.releaseIdempotencyKey(checkout.keyHash, orderId));
    // Only what was counted is given back: a window that refused the attempt did not count it.
    if (counts[0]) steps.push(store.uncountAttempt(order.phoneHash, windowStart));
    if (counts[1]) steps.push(store.uncountAttempt(subjectKey, windowStart));
    for (const step of await Promise.allSettled(steps)) {
      if (step.status === 'rejected') {
        ctx.telemetry.error('could not undo part of a refused checkout; it only makes a limit stricter', {
          orderId,
          error: step.reason instanceof Error ? step.reason.name : String(step.reason),
        });
      }
    }
  };

  const failed = [claim, put, attempt, reservation].find((result) => result.status === 'rejected');
  if (failed?.status === 'rejected') {
    await undo();
    throw failed.reason;
  }
  if (claim.status === 'fulfilled' && !claim.value.claimed) {
    await undo({ key: true });
    return answerTakenKey(ctx, checkout, claim.value.existing);
  }
  if (put.status === 'fulfilled' && put.value === 'exists') {
    await undo();
    throw new Error(`order id ${orderId} already exists`);
  }
  if (!counted) {
    await undo();
    throw new TooManyRequestsError(
      'Too many payment attempts for this phone number. Please wait a few minutes before trying again.',
      'TOO_MANY_ATTEMPTS',
      windowStart + windowSeconds - nowSeconds,
    );
  }
  if (reserved?.kind === 'full') {
    await undo();
    // Once the day is full every checkout is refused: a claim that reads before it writes keeps this to one
    // alert a day without each refusal writing the same alert item.
    await bestEffort(ctx, 'daily limit alert', async () => {
      if (!(await store.claimLimitWarning(dayOf(at), 'refused'))) return;
      await ctx.alerts.publish({
        type: 'daily-limit-reached',
        severity: 'warning',
        summary: `The daily payment limit (${limit.max_xof} XOF, ${limit.max_count} orders) refused a payment`,
        details: { amount: order.amount, day: dayOf(at) },
      });
    });
    throw new TooManyRequestsError(
      "Today's payment limit has been reached. Please try again tomorrow.",
      'DAILY_LIMIT_REACHED',
      secondsToMidnightUtc(now),
    );
  }
  return {
    kind: 'admitted',
    order,
    ...(hold ? { hold } : {}),
    shardFill: reserved?.kind === 'reserved' ? reserved.shardFill : 0,
  };
};

/**
 * Creates a payment: validates nothing itself (the handler passes a parsed request), then
 * 1. refuses at once if payments are paused, PayDunya's circuit breaker is open, or the amount exceeds a day;
 * 2. admits the checkout (admit: idempotency record, CREATED order, attempt, limit share at once); a repeated
 *    Idempotency-Key is answered from the order it created (409 if the body differs or it is still in flight);
 * 3. asks PayDunya for an invoice whose callback URL carries the order id and its signature;
 * 4. moves the order to PENDING with the token and its limit shares, or to INITIATION_FAILED (giving back its
 *    shares and freeing the key, so the customer can retry with the same key) and answers 502/503.
 *
 * Crash or lost answer after PayDunya created the invoice: the PENDING write is retried with the larger
 * MUST_RECORD budget and finds its own audit event if its answer was lost. If the process dies before it, no
 * checkout page was ever shown: the order stays CREATED until reconcile (or a retry of the key) closes it
 * INITIATION_FAILED; the invoice can never be paid because nobody has its URL.
 */
export const createPayment = (ctx: AppContext, input: CreatePaymentInput): Promise<CreatePaymentResult> =>
  create(ctx, input, false);

/** `freedKey`: a second pass after an abandoned Idempotency-Key was freed; it never frees one again. */
const create = async (
  ctx: AppContext,
  input: CreatePaymentInput,
  freedKey: boolean,
): Promise<CreatePaymentResult> => {
  const { store, config, telemetry } = ctx;
  const flags = await ctx.flags.get();
  if (!flags.payments_enabled.enabled) {
    throw new ServiceUnavailableError(
      'Payments are paused for the moment. Please try again later.',
      'PAYMENTS_PAUSED',
      300,
    );
  }

  // A key is the customer's own: another account's request with the same key and body is not a replay of theirs.
  const keyHash = sha256Hex(`${input.subject}\n${input.idempotencyKey}`);
  const requestHash = sha256Hex(canonicalJson(input.request));
  // A replay is answered before anything is written or anyone is called (even while PayDunya is down). Missing
  // it here (the read is eventually consistent) is safe: the claim in admit() finds the key taken.
  const earlier = freedKey ? undefined : await store.findIdempotencyRecord(keyHash);
  if (earlier) {
    const answer = await answerTakenKey(ctx, { keyHash, requestHash }, earlier);
    if (answer.kind === 'answered') return answer.result;
    return create(ctx, input, true);
  }

  // PayDunya is known to be failing (circuit breaker open): refuse before any order or limit is written.
  const provider = ctx.gateway.availability();
  if (!provider.available) {
    telemetry.warn('payment refused: the PayDunya circuit breaker is open', {
      retryAfterSeconds: provider.retryAfterSeconds,
    });
    throw new ServiceUnavailableError(
      'Our payment provider is not answering at the moment. No payment was started and nothing was charged; please try again in a minute.',
      'PAYMENT_PROVIDER_UNAVAILABLE',
      provider.retryAfterSeconds,
    );
  }

  // A payment no day could ever hold is refused before any secret, key or write is spent on it.
  const limit = flags.daily_limit;
  if (limit.enabled && input.request.amount > limit.max_xof) {
    throw new TooManyRequestsError(
      `This payment is larger than today's payment limit (${limit.max_xof} XOF). Please contact Temba.`,
      'DAILY_LIMIT_REACHED',
    );
  }

  const mode: PaymentMode = config.paydunyaMode === 'live' && flags.live_payments.enabled ? 'live' : 'test';
  const [keys, signingSecret] = await Promise.all([ctx.secrets.paydunyaKeys(), ctx.secrets.signingSecret()]);
  if (!usableKeys(keys, mode)) {
    await bestEffort(ctx, 'keys alert', () =>
      ctx.alerts.publish({
        type: 'paydunya-keys-missing',
        severity: 'critical',
        summary: `PayDunya ${mode} keys are missing or still placeholders; payments cannot be created`,
      }),
    );
    throw new ServiceUnavailableError(
      'Payments are temporarily unavailable. Please try again later.',
      'PAYMENTS_NOT_CONFIGURED',
    );
  }

  // Screened after every refusal that costs nothing (paused, replay, circuit open, keys) and before anything of
  // the checkout is written: a block leaves no order, no limit share and no PayDunya invoice.
  const screened = await screenCheckoutRisk(ctx, {
    subject: input.subject,
    request: input.request,
    source: input.source,
    signingSecret,
  });
  const checkout: Checkout = {
    screened,
    subject: input.subject,
    keyHash,
    requestHash,
    request: input.request,
    mode,
    keys,
    signingSecret,
    flags,
  };
  const admission = await admit(ctx, checkout);
  if (admission.kind === 'answered') return admission.result;
  if (admission.kind === 'key-freed') {
    if (freedKey) throw inProgress();
    return create(ctx, input, true);
  }
  const { order, hold } = admission;
  const { orderId } = order;
  if (limit.enabled) {
    await bestEffort(ctx, 'limit warning', () =>
      warnAsLimitFills(ctx, dayOf(order.createdAt), limit, admission.shardFill),
    );
  }

  let invoice: CreatedInvoice;
  try {
    invoice = await ctx.gateway.createInvoice(mode, keys, {
      orderId,
      amount: order.amount,
      items: order.items,
      description: checkout.request.description ?? `Temba order ${orderId}`,
      store: config.store,
      customer: {
        email: checkout.request.customer_email,
        phone: checkout.request.customer_phone,
        ...(checkout.request.customer_name ? { name: checkout.request.customer_name } : {}),
      },
      callbackUrl: callbackUrlFor(config.publicBaseUrl, orderId, signCallback(signingSecret, orderId)),
      returnUrl: config.returnUrl,
      cancelUrl: config.cancelUrl,
    });
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    await closeUnstartedOrder(
      store,
      order,
      {
        at: ctx.clock.now().toISOString(),
        actor: 'create-payment',
        reason: 'PayDunya did not create the invoice',
        ...(hold ? { hold } : {}),
      },
      { kind: error.kind, message: error.message },
    );
    telemetry.count(METRICS.paymentInitiationFailed);
    telemetry.warn('PayDunya invoice creation failed', { orderId, kind: error.kind, reason: error.message });
    await bestEffort(ctx, 'initiation alert', () =>
      ctx.alerts.publish({
        type: 'payment-initiation-failed',
        severity: 'warning',
        orderId,
        summary: `PayDunya did not create an invoice: ${error.message}`,
      }),
    );
    throw new PaymentProviderError(
      error.kind === 'unavailable'
        ? 'The payment provider is not answering right now. No payment was taken; please try again in a moment.'
        : 'The payment provider refused to start this payment. No payment was taken; please try again later.',
      error.kind,
    );
  }

  let recorded: TransitionResult;
  try {
    recorded = await store.transition({
      order,
      to: 'PENDING',
      at: ctx.clock.now().toISOString(),
      set: { token: invoice.token, checkoutUrl: invoice.checkoutUrl, ...(hold ? { limit: hold } : {}) },
      audit: {
        actor: 'create-payment',
        reason: 'PayDunya invoice created',
        details: { token: invoice.token, mode },
      },
    });
  } catch (error) {
    // The invoice exists but its order could not say so: nobody has its URL, so it cannot be paid. Say where it is.
    telemetry.error('PayDunya created an invoice that could not be recorded', {
      orderId,
      token: invoice.token,
    });
    await bestEffort(ctx, 'unrecorded invoice alert', () =>
      ctx.alerts.publish({
        type: 'invoice-not-recorded',
        severity: 'critical',
        orderId,
        summary: 'PayDunya created an invoice but the order could not record it; no checkout page was shown',
        details: { token: invoice.token },
      }),
    );
    throw error;
  }
  if (recorded !== 'applied') throw new Error(`order ${orderId} left CREATED unexpectedly`);
  telemetry.count(METRICS.paymentCreated);
  telemetry.info('payment created', { orderId, mode });
  return {
    response: {
      statusCode: 201,
      body: { orderId, status: 'PENDING', checkoutUrl: invoice.checkoutUrl, token: invoice.token },
    },
    replayed: false,
  };
};
