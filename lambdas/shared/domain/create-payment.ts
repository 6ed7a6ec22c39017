import { METRICS } from '../contract/metrics';
import { ROUTES } from '../contract/routes';
import { type PaydunyaKeys, PLACEHOLDER_PREFIX } from '../contract/secrets';
import { THRESHOLDS } from '../contract/thresholds';
import type { AppContext } from './context';
import { phoneHash, sealJson, sha256Hex, signCallback } from './crypto';
import {
  GatewayError,
  IdempotencyConflictError,
  PaymentProviderError,
  ServiceUnavailableError,
  TooManyRequestsError,
} from './errors';
import { newOrderId } from './ids';
import { maskEmail, maskPhone } from './masking';
import { dayOf, type Order, type PaymentMode } from './order';
import type { PaymentRequest } from './payment-request.schema';
import type { IdempotencyRecord, StoredResponse } from './ports';

export interface CreatePaymentInput {
  readonly idempotencyKey: string;
  readonly request: PaymentRequest;
}

export interface CreatePaymentResult {
  readonly response: StoredResponse;
  /** True when this is the stored answer to an earlier request with the same key and body. */
  readonly replayed: boolean;
}

/** Same key and same body, field order aside: keys are sorted before hashing. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

const replay = (record: IdempotencyRecord, requestHash: string): CreatePaymentResult => {
  if (record.requestHash !== requestHash) {
    throw new IdempotencyConflictError(
      'This Idempotency-Key was already used with a different request body. Use a new key for a new payment.',
      'IDEMPOTENCY_KEY_REUSED',
    );
  }
  if (!record.response) {
    throw new IdempotencyConflictError(
      'A request with this Idempotency-Key is still being processed. Retry in a moment with the same key.',
      'IDEMPOTENCY_IN_PROGRESS',
      2,
    );
  }
  return { response: record.response, replayed: true };
};

const secondsToMidnightUtc = (now: Date): number => {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((midnight - now.getTime()) / 1000);
};

/**
 * Tells the on-call once a day when the day's reservations reach 80% and 100% of a limit. Concurrent creates
 * all see the level passed; the conditional claim lets exactly one of them send the alert.
 */
const warnAsLimitFills = async (
  ctx: AppContext,
  day: string,
  limit: { readonly max_xof: number; readonly max_count: number },
): Promise<void> => {
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

const isPlaceholder = (value: string | undefined): boolean => !value || value.startsWith(PLACEHOLDER_PREFIX);

/** Refuses to talk to PayDunya with keys that cannot work: missing for the mode, or still the deploy placeholders. */
const usableKeys = (keys: PaydunyaKeys, mode: PaymentMode): boolean =>
  !isPlaceholder(keys.master_key) &&
  (mode === 'live'
    ? !isPlaceholder(keys.live_private_key) && !isPlaceholder(keys.live_token)
    : !isPlaceholder(keys.test_private_key) && !isPlaceholder(keys.test_token));

/**
 * Creates a payment: validates nothing itself (the handler passes a parsed request), then
 * 1. refuses at once if payments are paused;
 * 2. answers a repeated Idempotency-Key from its record (409 if the body differs or the first is in flight);
 *    then refuses (503, Retry-After) while the PayDunya circuit breaker is open, before writing anything;
 * 3. writes the order CREATED with its audit event and the idempotency record, in one transaction;
 * 4. asks PayDunya for an invoice whose callback URL carries the order id and its signature;
 * 5. moves the order to PENDING with the token (storing the answer for replays), or to INITIATION_FAILED
 *    (releasing the key so the customer can retry) and answers 502/503.
 */
export const createPayment = async (
  ctx: AppContext,
  input: CreatePaymentInput,
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

  const keyHash = sha256Hex(input.idempotencyKey);
  const requestHash = sha256Hex(canonicalJson(input.request));
  const existing = await store.getIdempotencyRecord(keyHash);
  if (existing) return replay(existing, requestHash);

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
    await ctx.alerts.publish({
      type: 'paydunya-keys-missing',
      severity: 'critical',
      summary: `PayDunya ${mode} keys are missing or still placeholders; payments cannot be created`,
    });
    throw new ServiceUnavailableError(
      'Payments are temporarily unavailable. Please try again later.',
      'PAYMENTS_NOT_CONFIGURED',
    );
  }

  const now = ctx.clock.now().toISOString();
  const orderId = newOrderId(ctx.clock.now());
  const { request } = input;
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
    mode,
    customer: { email: maskEmail(request.customer_email), phone: maskPhone(request.customer_phone) },
    customerEncrypted: await sealJson(ctx.keys, customer, { orderId }),
    phoneHash: phoneHash(signingSecret, request.customer_phone),
    idempotencyKeyHash: keyHash,
    createdAt: now,
    updatedAt: now,
    ...(flags.daily_limit.enabled ? { limitReserved: true } : {}),
    ...(flags.manual_review.enabled && request.amount > flags.manual_review.threshold_xof
      ? { reviewThresholdXof: flags.manual_review.threshold_xof }
      : {}),
  };
  const { max, windowSeconds } = config.customerAttempts;
  const nowSeconds = Math.floor(ctx.clock.now().getTime() / 1000);
  const windowStart = nowSeconds - (nowSeconds % windowSeconds);
  const created = await store.createOrder({
    order,
    idempotency: { keyHash, requestHash, orderId, createdAt: now },
    audit: {
      orderId,
      version: 1,
      at: now,
      actor: 'create-payment',
      from: null,
      to: 'CREATED',
      reason: 'payment requested',
    },
    dailyLimit: limit.enabled ? { maxXof: limit.max_xof, maxCount: limit.max_count } : undefined,
    attempts: { phoneHash: order.phoneHash, windowStart, windowSeconds, max },
  });
  if (created === 'key-taken') {
    // Lost a race against a concurrent request with the same key: answer as that one will.
    const winner = await store.getIdempotencyRecord(keyHash);
    return replay(winner ?? { keyHash, requestHash, orderId: '', createdAt: now }, requestHash);
  }
  if (created === 'attempt-limit') {
    throw new TooManyRequestsError(
      'Too many payment attempts for this phone number. Please wait a few minutes before trying again.',
      'TOO_MANY_ATTEMPTS',
      windowStart + windowSeconds - nowSeconds,
    );
  }
  if (created === 'daily-limit') {
    await ctx.alerts.publish({
      type: 'daily-limit-reached',
      severity: 'warning',
      summary: `The daily payment limit (${limit.max_xof} XOF, ${limit.max_count} orders) refused a payment`,
      details: { amount: order.amount, day: dayOf(now) },
    });
    throw new TooManyRequestsError(
      "Today's payment limit has been reached. Please try again tomorrow.",
      'DAILY_LIMIT_REACHED',
      secondsToMidnightUtc(ctx.clock.now()),
    );
  }
  if (limit.enabled) await warnAsLimitFills(ctx, dayOf(now), limit);

  const callbackUrl = new URL(ROUTES.paydunyaWebhook.path, config.publicBaseUrl);
  callbackUrl.searchParams.set('o', orderId);
  callbackUrl.searchParams.set('sig', signCallback(signingSecret, orderId));

  try {
    const invoice = await ctx.gateway.createInvoice(mode, keys, {
      orderId,
      amount: order.amount,
      items: order.items,
      description: request.description ?? `Temba order ${orderId}`,
      store: config.store,
      customer,
      callbackUrl: callbackUrl.toString(),
      returnUrl: config.returnUrl,
      cancelUrl: config.cancelUrl,
    });
    const body = { orderId, status: 'PENDING', checkoutUrl: invoice.checkoutUrl, token: invoice.token };
    const response: StoredResponse = { statusCode: 201, body };
    const result = await store.transition({
      order,
      to: 'PENDING',
      at: ctx.clock.now().toISOString(),
      set: { token: invoice.token, checkoutUrl: invoice.checkoutUrl },
      audit: {
        actor: 'create-payment',
        reason: 'PayDunya invoice created',
        details: { token: invoice.token, mode },
      },
      idempotency: { keyHash, kind: 'complete', response },
    });
    if (result !== 'applied') {
      throw new Error(`order ${orderId} left CREATED unexpectedly (${result})`);
    }
    telemetry.count(METRICS.paymentCreated);
    telemetry.info('payment created', { orderId, mode });
    return { response, replayed: false };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    await store.transition({
      order,
      to: 'INITIATION_FAILED',
      at: ctx.clock.now().toISOString(),
      audit: {
        actor: 'create-payment',
        reason: 'PayDunya did not create the invoice',
        details: { kind: error.kind, message: error.message },
      },
      idempotency: { keyHash, kind: 'release' },
    });
    telemetry.count(METRICS.paymentInitiationFailed);
    telemetry.warn('PayDunya invoice creation failed', { orderId, kind: error.kind, reason: error.message });
    await ctx.alerts.publish({
      type: 'payment-initiation-failed',
      severity: 'warning',
      orderId,
      summary: `PayDunya did not create an invoice: ${error.message}`,
    });
    throw new PaymentProviderError(
      error.kind === 'unavailable'
        ? 'The payment provider is not answering right now. No payment was taken; please try again in a moment.'
        : 'The payment provider refused to start this payment. No payment was taken; please try again later.',
      error.kind,
    );
  }
};
