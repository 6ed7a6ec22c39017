import { createHash } from 'node:crypto';
import type { Json, SimActions, SimItem, SimTax } from './create-request.js';
import type { Mode, SimInvoice, SimPayment } from './invoice-store.js';

/**
 * The confirm answer, which is also the IPN's `data` object (API.md §4, §5).
 * Field order matters: the IPN form body is serialised in this order, matching the fixtures.
 */
export interface PaydunyaEnvelope {
  response_code: '00';
  response_text: 'Transaction Found';
  hash: string;
  invoice: {
    token: string;
    // PHP encodes an empty associative array as [], which is what the fixtures show for taxes.
    items: Record<string, SimItem> | [];
    taxes: Record<string, SimTax> | [];
    total_amount: string;
    description: string;
    pal_is_on: '0';
    total_amount_without_fees: string;
    expire_date: string;
  };
  custom_data: Json;
  actions: SimActions;
  mode: Mode;
  status: string;
  fail_reason: string;
  customer?: SimPayment['customer'];
  receipt_url?: string;
  receipt_identifier?: string;
  provider_reference?: string;
}

export function sha512Hex(value: string): string {
  return createHash('sha512').update(value, 'utf8').digest('hex');
}

export interface EnvelopeOptions {
  hash: string;
  /** Lets a fault make confirm report another status than the real one. */
  status?: string;
  /** Added to `total_amount` only, to fake an amount mismatch between IPN and confirm. */
  amountDelta?: number;
}

export function buildEnvelope(invoice: SimInvoice, options: EnvelopeOptions): PaydunyaEnvelope {
  const status = options.status ?? invoice.status;
  const envelope: PaydunyaEnvelope = {
    response_code: '00',
    response_text: 'Transaction Found',
    hash: options.hash,
    invoice: {
      token: invoice.token,
      items: orEmptyArray(invoice.items),
      taxes: orEmptyArray(invoice.taxes),
      total_amount: String(invoice.total_amount + (options.amountDelta ?? 0)),
      description: invoice.description,
      pal_is_on: '0',
      total_amount_without_fees: String(invoice.total_amount),
      expire_date: invoice.expire_date,
    },
    custom_data: invoice.custom_data,
    actions: { ...invoice.actions },
    mode: invoice.mode,
    status,
    // Reported per status, so an overridden `pending` never carries a failure reason.
    fail_reason: status === 'failed' ? invoice.fail_reason || 'Insufficient balance' : '',
  };
  // Payer and receipt exist only once really paid, and are only reported while the status says completed.
  if (status === 'completed' && invoice.payment) {
    const { customer, receipt_url, receipt_identifier, provider_reference } = invoice.payment;
    Object.assign(envelope, {
      customer: { ...customer },
      receipt_url,
      receipt_identifier,
      provider_reference,
    });
  }
  return envelope;
}

function orEmptyArray<T>(record: Record<string, T>): Record<string, T> | [] {
  return Object.keys(record).length > 0 ? { ...record } : [];
}
