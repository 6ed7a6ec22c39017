import type { DisbursementStatus, InvoiceStatus } from '../domain/ports';

/**
 * PayDunya's invoice statuses, with the defensive spellings API.md §4 and §7 list (`canceled`, `fail`).
 * `expired` is undocumented; an expired invoice is reported as cancelled. Anything else is `unknown`:
 * left pending, and an alert.
 */
export const toInvoiceStatus = (raw: string): InvoiceStatus => {
  switch (raw.trim().toLowerCase()) {
    case 'pending':
      return 'pending';
    case 'completed':
      return 'completed';
    case 'cancelled':
    case 'canceled':
    case 'expired':
      return 'cancelled';
    case 'failed':
    case 'fail':
      return 'failed';
    default:
      return 'unknown';
  }
};

/** A slug like `orange-money-burkina`, once normalised. */
const METHOD_SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * `wave_senegal` and `wave-senegal` are the same method (API.md §4). Methods nobody listed are kept: PayDunya adds
 * channels without notice, and the list we have is third-party. A value that is not even a slug is dropped (the
 * store counts it as `unknown`): it becomes part of a counter's name and a metric dimension.
 */
export const normalisePaymentMethod = (method: string | null | undefined): string | undefined => {
  const slug = method?.trim().toLowerCase().replace(/_/g, '-');
  return slug && slug.length <= 64 && METHOD_SLUG.test(slug) ? slug : undefined;
};

/**
 * PayDunya's disbursement statuses (API.md §6): `created` and `pending` on the way, `success` and `failed` final.
 * They arrive lower-case in practice; any other value is `unknown` (the caller keeps the raw one).
 */
export const toDisbursementStatus = (raw: string): DisbursementStatus => {
  switch (raw.trim().toLowerCase()) {
    case 'created':
      return 'created';
    case 'pending':
      return 'pending';
    case 'success':
      return 'success';
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
};
