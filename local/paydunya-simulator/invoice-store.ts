import { randomInt } from 'node:crypto';
import type { CreateRequest, Json, SimActions, SimItem, SimStore, SimTax } from './create-request.js';

export type Mode = 'test' | 'live';
export type InvoiceStatus = 'pending' | 'completed' | 'cancelled' | 'failed';
export type SettleOutcome = Exclude<InvoiceStatus, 'pending'>;

/** What happened to one IPN attempt; kept on the invoice so tests can assert on deliveries. */
export interface IpnDelivery {
  at: string;
  replay: boolean;
  outcome: 'delivered' | 'error' | 'refused' | 'dropped' | 'no-callback';
  status?: number;
  error?: string;
}

/** Payer details PayDunya only reports once an invoice is completed (API.md §4). */
export interface SimPayment {
  customer: { name: string; phone: string; email: string; payment_method: string };
  receipt_url: string;
  receipt_identifier: string;
  provider_reference: string;
}

export interface SimInvoice {
  token: string;
  mode: Mode;
  status: InvoiceStatus;
  total_amount: number;
  description: string;
  items: Record<string, SimItem>;
  taxes: Record<string, SimTax>;
  channels: string[];
  /** The pre-fill the merchant sent, not the payer (see `payment`). */
  customer: { name: string; email: string; phone: string };
  store: SimStore;
  custom_data: Json;
  actions: SimActions;
  expire_date: string;
  created_at: string;
  settled_at: string | null;
  fail_reason: string;
  payment: SimPayment | null;
  ipnsSent: IpnDelivery[];
}

/** Who paid, when the flow knows (SoftPay does); otherwise the merchant's pre-fill or a fictitious payer. */
export interface Payer {
  name?: string;
  phone?: string;
  email?: string;
  /** How they paid (`card`, `moov-burkina-faso`...); the invoice's first wallet channel, or Orange Money, if not said. */
  method?: string;
}

export class SettleError extends Error {
  constructor(
    readonly reason: 'not-found' | 'already-settled',
    message: string,
  ) {
    super(message);
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY_MS = 24 * 60 * 60 * 1000;

export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC.charAt(randomInt(ALPHANUMERIC.length));
  return out;
}

/** PayDunya's `YYYY-MM-DD HH:mm:ss`; UTC because PayDunya runs on Dakar time, which is UTC. */
export function paydunyaDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export class InvoiceStore {
  readonly #invoices = new Map<string, SimInvoice>();

  /** @param receiptBase where receipt URLs point (the simulator's public base, never the real PayDunya). */
  constructor(private readonly receiptBase: string) {}

  create(mode: Mode, request: CreateRequest, now = new Date()): SimInvoice {
    const invoice: SimInvoice = {
      ...request,
      token: this.#newToken(mode),
      mode,
      status: 'pending',
      expire_date: paydunyaDate(new Date(now.getTime() + DAY_MS)),
      created_at: now.toISOString(),
      settled_at: null,
      fail_reason: '',
      payment: null,
      ipnsSent: [],
    };
    this.#invoices.set(invoice.token, invoice);
    return invoice;
  }

  /** Invoices whose custom_data.order_id is this order: a test can prove an order got exactly one invoice. */
  forOrder(orderId: string): SimInvoice[] {
    return [...this.#invoices.values()].filter((invoice) => {
      const data = invoice.custom_data;
      return typeof data === 'object' && data !== null && !Array.isArray(data) && data.order_id === orderId;
    });
  }

  get size(): number {
    return this.#invoices.size;
  }

  /** Tokens are per mode: a sandbox token looked up on the live side is not found. */
  get(token: string, mode?: Mode): SimInvoice | undefined {
    const invoice = this.#invoices.get(token);
    return invoice && (mode === undefined || invoice.mode === mode) ? invoice : undefined;
  }

  settle(token: string, outcome: SettleOutcome, payer: Payer = {}, now = new Date()): SimInvoice {
    const invoice = this.#invoices.get(token);
    if (!invoice) throw new SettleError('not-found', `Unknown invoice ${token}`);
    if (invoice.status !== 'pending') {
      throw new SettleError('already-settled', `Invoice ${token} is already ${invoice.status}`);
    }
    invoice.status = outcome;
    invoice.settled_at = now.toISOString();
    if (outcome === 'failed') invoice.fail_reason = 'Insufficient balance';
    if (outcome === 'completed') invoice.payment = this.#payment(invoice, payer);
    return invoice;
  }

  #payment(invoice: SimInvoice, payer: Payer): SimPayment {
    const checkoutPath = invoice.mode === 'test' ? 'sandbox-checkout' : 'checkout';
    const method = payer.method ?? invoice.channels.find((c) => c !== 'card') ?? 'orange-money-burkina';
    return {
      customer: {
        name: payer.name || invoice.customer.name || 'Awa Ouedraogo',
        phone: payer.phone || invoice.customer.phone || '70123456',
        email: payer.email || invoice.customer.email || 'awa.ouedraogo@example.bf',
        payment_method: method,
      },
      receipt_url: `${this.receiptBase}/${checkoutPath}/receipt/pdf/${invoice.token}.pdf`,
      receipt_identifier: `R-${randomInt(1000, 10_000_000)}`,
      provider_reference: `${method.startsWith('moov') ? 'MV' : 'OM'}${randomAlphanumeric(10).toUpperCase()}`,
    };
  }

  #newToken(mode: Mode): string {
    for (;;) {
      // Sandbox tokens look like test_6BaZCm7FXS (API.md §1); live ones carry no prefix.
      const token = mode === 'test' ? `test_${randomAlphanumeric(10)}` : randomAlphanumeric(20);
      if (!this.#invoices.has(token)) return token;
    }
  }
}
