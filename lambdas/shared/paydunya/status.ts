import type { InvoiceStatus } from '../domain/ports';

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

/** `wave_senegal` and `wave-senegal` are the same method (API.md §4). */
export const normalisePaymentMethod = (method: string | null | undefined): string | undefined =>
  method ? method.trim().toLowerCase().replace(/_/g, '-') : undefined;
