import type { PaydunyaKeys } from '../contract/secrets';
import { GatewayError } from '../domain/errors';
import type { PaymentMode } from '../domain/order';
import type { ConfirmedInvoice, CreatedInvoice, InvoiceRequest, PaymentGateway } from '../domain/ports';
import { confirmSchema, createSuccessSchema, envelopeSchema, TOKEN_PATTERN } from './paydunya.schema';
import { normalisePaymentMethod, toInvoiceStatus } from './status';

export const PAYDUNYA_BASE_URLS: Readonly<Record<PaymentMode, string>> = {
  test: 'https://app.paydunya.com/sandbox-api/v1',
  live: 'https://app.paydunya.com/api/v1',
};

export interface PaydunyaClientOptions {
  /** API roots per mode; PayDunya's own by default, the simulator's in local mode and tests. */
  readonly baseUrls?: Readonly<Record<PaymentMode, string>>;
  /** Per-call timeout; well under the Lambda timeout so the caller can still answer cleanly. */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
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

/** PayDunya checkout-invoice API over native fetch (API.md §2–§4). Every answer is checked before it is believed. */
export const createPaydunyaClient = (options: PaydunyaClientOptions): PaymentGateway => {
  const baseUrls = options.baseUrls ?? PAYDUNYA_BASE_URLS;
  const doFetch = options.fetch ?? fetch;

  const call = async (url: string, init: RequestInit, what: string): Promise<unknown> => {
    let response: Response;
    try {
      response = await doFetch(url, {
        ...init,
        signal: AbortSignal.timeout(options.timeoutMs),
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
      throw new GatewayError('refused', `PayDunya ${what}: HTTP ${response.status}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatewayError('unavailable', `PayDunya ${what}: the answer was not JSON`);
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      throw new GatewayError('refused', `PayDunya ${what}: the answer has no response_code`);
    }
    if (envelope.data.response_code !== '00') {
      throw new GatewayError(
        'refused',
        `PayDunya ${what}: response_code ${envelope.data.response_code} (${envelope.data.response_text ?? 'no text'})`,
        envelope.data.response_code,
      );
    }
    return json;
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
      const json = await call(
        `${baseUrls[mode]}/checkout-invoice/create`,
        {
          method: 'POST',
          headers: { ...keyHeaders(mode, keys), 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        },
        'create',
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
      const json = await call(
        `${baseUrls[mode]}/checkout-invoice/confirm/${encodeURIComponent(token)}`,
        { method: 'GET', headers: keyHeaders(mode, keys) },
        'confirm',
      );
      const parsed = confirmSchema.safeParse(json);
      if (!parsed.success) {
        throw new GatewayError('refused', 'PayDunya confirm: the answer does not have the expected shape');
      }
      const answer = parsed.data;
      const customData = answer.custom_data && !Array.isArray(answer.custom_data) ? answer.custom_data : {};
      const orderId = customData.order_id;
      return {
        token: answer.invoice.token,
        status: toInvoiceStatus(answer.status),
        rawStatus: answer.status,
        totalAmount: answer.invoice.total_amount,
        orderId: typeof orderId === 'string' ? orderId : undefined,
        mode: answer.mode,
        paymentMethod: normalisePaymentMethod(answer.customer?.payment_method),
        receiptUrl: answer.receipt_url ?? undefined,
        providerReference: answer.provider_reference ?? undefined,
        failReason: answer.fail_reason || undefined,
      };
    },
  };
};
