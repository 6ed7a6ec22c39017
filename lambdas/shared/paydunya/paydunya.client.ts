import type { PaydunyaKeys } from '../contract/secrets';
import { GatewayError, type GatewayErrorOptions } from '../domain/errors';
import type { PaymentMode } from '../domain/order';
import type {
  ConfirmedInvoice,
  CreatedInvoice,
  DisbursementGateway,
  DisbursementRequest,
  DisbursementState,
  GatewayAvailability,
  InvoiceRequest,
  PaymentGateway,
} from '../domain/ports';
import type { CallGuard } from '../platform/circuit-breaker';
import { createKeepAliveFetch, type HttpFetch } from './keep-alive-fetch';
import {
  confirmSchema,
  createSuccessSchema,
  disburseCreateSchema,
  disburseStatusSchema,
  disburseSubmitSchema,
  type Envelope,
  envelopeSchema,
  TOKEN_PATTERN,
} from './paydunya.schema';
import { normalisePaymentMethod, toDisbursementStatus, toInvoiceStatus } from './status';

export const PAYDUNYA_BASE_URLS: Readonly<Record<PaymentMode, string>> = {
  test: 'https://app.paydunya.com/sandbox-api/v1',
  live: 'https://app.paydunya.com/api/v1',
};

/** Everything the PayDunya adapter does: checkout invoices and disbursements (PUSH). */
export type PaydunyaGateway = PaymentGateway & DisbursementGateway;

/** Retries of confirm (an idempotent GET): exponential backoff with full jitter, inside a wall-clock budget. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The wait before retry n is random in [0, min(maxDelayMs, baseDelayMs × 2^(n-1))). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** All attempts and waits together; each attempt's timeout is cut to what is left of it. */
  readonly budgetMs: number;
}

/**
 * 3 attempts, 200 ms base, 2 s cap, 1.5 × the per-call timeout in all: with the stages' 8 s timeout that is 12 s,
 * inside the webhook's 20 s Lambda timeout with room for DynamoDB and the answer.
 */
export const confirmRetryDefaults = (timeoutMs: number): RetryPolicy => ({
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  budgetMs: Math.round(timeoutMs * 1.5),
});

export interface PaydunyaClientOptions {
  /** API roots per mode; PayDunya's own by default, the simulator's in local mode and tests. */
  readonly baseUrls?: Readonly<Record<PaymentMode, string>>;
  /** Per-call timeout; well under the Lambda timeout so the caller can still answer cleanly. */
  readonly timeoutMs: number;
  /** The HTTP transport: by default a keep-alive pool of its own (`createKeepAliveFetch`), one per client. */
  readonly fetch?: HttpFetch;
  /** The circuit breaker every call goes through (one per warm instance); none by default. */
  readonly guard?: CallGuard;
  readonly confirmRetry?: Partial<RetryPolicy>;
  /** For tests: the jitter source (0 ≤ x < 1), the wait and the clock. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const keyHeaders = (mode: PaymentMode, keys: PaydunyaKeys): Record<string, string> => {
  const privateKey = mode === 'live' ? keys.live_private_key : keys.test_private_key;
  const token = mode === 'live' ? keys.live_token : keys.test_token;
  if (!privateKey || !token) {
    throw new GatewayError('refused', `PayDunya ${mode} keys are not configured`);
  }
  return {
    'PAYDUNYA-MASTER-KEY': keys.master_key,
    'PAYDUNYA-PRIVATE-KEY': privateKey,
    'PAYDUNYA-TOKEN': token,
    Accept: 'application/json',
  };
};

type Call =
  | 'create'
  | 'confirm'
  | 'disburse get-invoice'
  | 'disburse submit-invoice'
  | 'disburse check-status';

/** The `response_code`/`response_text` of a body, if it is JSON that has them. */
const readEnvelope = (text: string): Envelope | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const envelope = envelopeSchema.safeParse(json);
  return envelope.success ? envelope.data : undefined;
};

const explain = (envelope: Envelope) =>
  `response_code ${envelope.response_code} (${envelope.response_text ?? 'no text'})`;

/**
 * The text PayDunya gives for an unknown token. Matched on the text, not the code: wrong keys share its code, 1001,
 * and must never pass for "the invoice does not exist".
 */
const saysNotFound = (envelope: Envelope | undefined): boolean =>
  /invoice\s*not\s*found/i.test(envelope?.response_text ?? '');

/**
 * A refusal for lack of funds on the merchant account. Matched on the text: PayDunya documents no code for it,
 * and the wording seen is French or English.
 */
const saysInsufficientBalance = (envelope: Envelope | undefined): boolean =>
  /balance|solde|insufficient|insuffisant/i.test(envelope?.response_text ?? '');

/** What a refusal says beyond its code: whether the token is unknown, whether the account lacked funds. */
const refusalOptions = (
  what: Call,
  httpStatus: number,
  envelope: Envelope | undefined,
): GatewayErrorOptions => ({
  // For disbursements only the text counts: a bare 404 there may as well be an endpoint PayDunya has removed.
  notFound:
    what === 'confirm'
      ? httpStatus === 404 || saysNotFound(envelope)
      : (what === 'disburse submit-invoice' || what === 'disburse check-status') && saysNotFound(envelope),
  insufficientBalance:
    (what === 'disburse get-invoice' || what === 'disburse submit-invoice') &&
    saysInsufficientBalance(envelope),
});

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ALWAYS: CallGuard = {
  run: (call) => call(),
  availability: (): GatewayAvailability => ({ available: true }),
};

/**
 * PayDunya checkout-invoice API (API.md §2–§4). Every answer is checked before it is believed.
 * - Connections are pooled and reused (keep-alive), every call has its own timeout.
 * - Create is never retried here: a POST whose answer was lost may have made an invoice, and only the caller's
 *   Idempotency-Key can safely ask again (a new order, never a second invoice for the same one).
 * - Confirm is retried on `unavailable` answers (timeout, reset, 5xx, 429, unreadable) with backoff and full
 *   jitter, within a budget, and not once the circuit breaker has opened.
 * - Every attempt goes through the guard (circuit breaker), which counts it and refuses calls while open.
 * Disbursements (API.md §6), the only way money goes back to a customer:
 * - get-invoice moves no money and is tried once: a lost answer leaves an unsubmitted invoice; the caller decides.
 * - submit-invoice moves the money and is NEVER retried, whatever happens: a lost answer may have paid out, and a
 *   second submit may pay out again (PayDunya documents no protection). Timeout, reset, 5xx: `unavailable`, the
 *   outcome is unknown and only check-status can tell.
 * - check-status is a read, retried exactly like confirm.
 */
export const createPaydunyaClient = (options: PaydunyaClientOptions): PaydunyaGateway => {
  const baseUrls = options.baseUrls ?? PAYDUNYA_BASE_URLS;
  const doFetch = options.fetch ?? createKeepAliveFetch();
  const guard = options.guard ?? ALWAYS;
  const retry = { ...confirmRetryDefaults(options.timeoutMs), ...options.confirmRetry };
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? wait;
  const now = options.now ?? Date.now;
  // No retry is started with less than this left of the budget: it would most likely time out anyway.
  const minAttemptMs = Math.min(500, options.timeoutMs / 4);

  const call = async (url: string, init: RequestInit, what: Call, timeoutMs: number): Promise<unknown> => {
    let response: Response;
    try {
      response = await doFetch(url, {
        ...init,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new GatewayError('unavailable', `PayDunya ${what}: ${timedOut ? 'timed out' : 'unreachable'}`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new GatewayError('unavailable', `PayDunya ${what}: connection lost while reading the answer`);
    }
    if (response.status >= 500 || response.status === 429) {
      throw new GatewayError('unavailable', `PayDunya ${what}: HTTP ${response.status}`);
    }
    if (response.status < 200 || response.status >= 300) {
      // PayDunya explains some refusals in the body (an unknown token among them): read it before judging.
      const envelope = readEnvelope(text);
      throw new GatewayError(
        'refused',
        `PayDunya ${what}: HTTP ${response.status}${envelope ? `, ${explain(envelope)}` : ''}`,
        envelope?.response_code,
        refusalOptions(what, response.status, envelope),
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatewayError('unavailable', `PayDunya ${what}: the answer was not JSON`);
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      // A submit that answers something else than a verdict may have moved the money: its outcome is unknown.
      const kind = what === 'disburse submit-invoice' ? 'unavailable' : 'refused';
      throw new GatewayError(kind, `PayDunya ${what}: the answer has no response_code`);
    }
    if (envelope.data.response_code !== '00') {
      throw new GatewayError(
        'refused',
        `PayDunya ${what}: ${explain(envelope.data)}`,
        envelope.data.response_code,
        refusalOptions(what, response.status, envelope.data),
      );
    }
    return json;
  };

  /** Retries `attempt` on `unavailable` only, while attempts, budget and the circuit breaker allow. */
  const withRetry = async (attempt: (timeoutMs: number) => Promise<unknown>): Promise<unknown> => {
    const started = now();
    for (let n = 1; ; n++) {
      const left = retry.budgetMs - (now() - started);
      try {
        return await attempt(Math.max(1, Math.min(options.timeoutMs, left)));
      } catch (error) {
        if (!(error instanceof GatewayError) || error.kind !== 'unavailable') throw error;
        const delay = Math.floor(random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1)));
        const leftAfterWait = retry.budgetMs - (now() - started) - delay;
        if (n >= retry.maxAttempts || leftAfterWait < minAttemptMs || !guard.availability().available) {
          throw n === 1 ? error : new GatewayError('unavailable', `${error.message} (after ${n} attempts)`);
        }
        await sleep(delay);
      }
    }
  };

  return {
    async createInvoice(mode, keys, request: InvoiceRequest): Promise<CreatedInvoice> {
      const items = Object.fromEntries(
        request.items.map((item, index) => [
          `item_${index}`,
          {
            name: item.name,
            quantity: item.quantity,
            unit_price: item.unit_price,
            total_price: item.quantity * item.unit_price,
            description: '',
          },
        ]),
      );
      const body = {
        invoice: {
          items,
          total_amount: request.amount,
          description: request.description,
          customer: {
            ...(request.customer.name ? { name: request.customer.name } : {}),
            email: request.customer.email,
            // PayDunya's examples pre-fill the local 8-digit number, without the country code.
            phone: request.customer.phone.replace(/^\+226/, ''),
          },
        },
        store: request.store,
        custom_data: { order_id: request.orderId },
        actions: {
          callback_url: request.callbackUrl,
          return_url: request.returnUrl,
          cancel_url: request.cancelUrl,
        },
      };
      const headers = { ...keyHeaders(mode, keys), 'Content-Type': 'application/json' };
      // One attempt only, whatever happens (see above).
      const json = await guard.run(() =>
        call(
          `${baseUrls[mode]}/checkout-invoice/create`,
          { method: 'POST', headers, body: JSON.stringify(body) },
          'create',
          options.timeoutMs,
        ),
      );
      const parsed = createSuccessSchema.safeParse(json);
      if (!parsed.success) {
        throw new GatewayError(
          'refused',
          'PayDunya create: success answer without a usable token or checkout URL',
        );
      }
      return { token: parsed.data.token, checkoutUrl: parsed.data.response_text };
    },

    async confirm(mode, keys, token): Promise<ConfirmedInvoice> {
      if (!TOKEN_PATTERN.test(token)) {
        throw new GatewayError('refused', 'PayDunya confirm: malformed token');
      }
      const url = `${baseUrls[mode]}/checkout-invoice/confirm/${encodeURIComponent(token)}`;
      const headers = keyHeaders(mode, keys);
      const json = await withRetry((timeoutMs) =>
        guard.run(() => call(url, { method: 'GET', headers }, 'confirm', timeoutMs)),
      );
      const parsed = confirmSchema.safeParse(json);
      if (!parsed.success) {
        throw new GatewayError('refused', 'PayDunya confirm: the answer does not have the expected shape');
      }
      const answer = parsed.data;
      const customData = answer.custom_data && !Array.isArray(answer.custom_data) ? answer.custom_data : {};
      const orderId = customData.order_id;
      return {
        // Only a missing token is filled in: one that is there, even a different one, is what PayDunya said.
        token: answer.invoice.token ?? token,
        status: toInvoiceStatus(answer.status),
        rawStatus: answer.status,
        totalAmount: answer.invoice.total_amount,
        orderId: typeof orderId === 'string' ? orderId : undefined,
        mode: answer.mode,
        paymentMethod: normalisePaymentMethod(answer.customer?.payment_method),
        payerPhone: answer.customer?.phone || undefined,
        receiptUrl: answer.receipt_url,
        providerReference: answer.provider_reference || undefined,
        failReason: answer.fail_reason || undefined,
      };
    },

    async createDisbursement(mode, keys, request: DisbursementRequest): Promise<{ token: string }> {
      const body = {
        account_alias: request.accountAlias,
        amount: request.amount,
        withdraw_mode: request.withdrawMode,
        callback_url: request.callbackUrl,
        disburse_id: request.disburseId,
      };
      const headers = { ...keyHeaders(mode, keys), 'Content-Type': 'application/json' };
      // One attempt only: a lost answer leaves an invoice nobody submits, which moves no money.
      const json = await guard.run(() =>
        call(
          `${baseUrls[mode]}/disburse/get-invoice`,
          { method: 'POST', headers, body: JSON.stringify(body) },
          'disburse get-invoice',
          options.timeoutMs,
        ),
      );
      const parsed = disburseCreateSchema.safeParse(json);
      const token = parsed.success ? (parsed.data.disburse_token ?? parsed.data.token) : undefined;
      if (!token || !TOKEN_PATTERN.test(token)) {
        throw new GatewayError(
          'refused',
          'PayDunya disburse get-invoice: success answer without a usable token',
        );
      }
      return { token };
    },

    async submitDisbursement(mode, keys, token, disburseId): Promise<DisbursementState> {
      if (!TOKEN_PATTERN.test(token)) {
        throw new GatewayError('refused', 'PayDunya disburse submit-invoice: malformed token');
      }
      const headers = { ...keyHeaders(mode, keys), 'Content-Type': 'application/json' };
      // NEVER retried, whatever happens (see above).
      const json = await guard.run(() =>
        call(
          `${baseUrls[mode]}/disburse/submit-invoice`,
          {
            method: 'POST',
            headers,
            body: JSON.stringify({ disburse_invoice: token, disburse_id: disburseId }),
          },
          'disburse submit-invoice',
          options.timeoutMs,
        ),
      );
      // call() has checked the "00"; every other field is optional, so this cannot fail on a verdict it accepted.
      const answer = disburseSubmitSchema.safeParse(json);
      const rawStatus = answer.success ? answer.data.status : undefined;
      return {
        // Accepted without a status: the money is on its way, which is what `pending` means.
        status: rawStatus === undefined ? 'pending' : toDisbursementStatus(rawStatus),
        rawStatus: rawStatus ?? '',
        transactionId: (answer.success && answer.data.transaction_id) || undefined,
      };
    },

    async checkDisbursement(mode, keys, token): Promise<DisbursementState> {
      if (!TOKEN_PATTERN.test(token)) {
        throw new GatewayError('refused', 'PayDunya disburse check-status: malformed token');
      }
      const url = `${baseUrls[mode]}/disburse/check-status`;
      const headers = { ...keyHeaders(mode, keys), 'Content-Type': 'application/json' };
      const body = JSON.stringify({ disburse_invoice: token });
      const json = await withRetry((timeoutMs) =>
        guard.run(() => call(url, { method: 'POST', headers, body }, 'disburse check-status', timeoutMs)),
      );
      const parsed = disburseStatusSchema.safeParse(json);
      if (!parsed.success) {
        throw new GatewayError(
          'refused',
          'PayDunya disburse check-status: the answer does not have the expected shape',
        );
      }
      const answer = parsed.data;
      return {
        status: toDisbursementStatus(answer.status),
        rawStatus: answer.status,
        amount: answer.amount,
        transactionId: answer.transaction_id || undefined,
      };
    },

    availability: () => guard.availability(),
  };
};
