import * as z from 'zod';
import { ORDER_STATUSES } from '../domain/order';

/**
 * The payment events ticketing subscribes to: one definition for the publisher, the EventBridge bus and rules
 * (lib/), the JSON Schemas kept beside this file (`events/*.schema.json`, checked by a test) and the README.
 *
 * Delivery is at least once and unordered: a consumer deduplicates by `detail.eventId` (stable across
 * redeliveries: it is the id of the audit event the change wrote) and orders by `detail.version`.
 */
export const EVENTS = {
  source: 'temba.payments',
  busNameFor: (stage: string): string => `temba-payments-${stage}`,
  schemaVersion: 1,
} as const;

export const PAYMENT_EVENT_TYPES = [
  'payment.completed',
  'payment.failed',
  'payment.cancelled',
  'payment.expired',
] as const;
export const REFUND_EVENT_TYPES = ['refund.succeeded', 'refund.failed', 'refund.manual_required'] as const;
export const EVENT_TYPES = [...PAYMENT_EVENT_TYPES, ...REFUND_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why a refund failed or needs a person, as events carry it: codes, never free text (which could hold PII). */
export const REFUND_OUTCOMES = [
  'refunds_disabled',
  'card_payment',
  'unknown_payment_method',
  'unsupported_wallet',
  'payer_wallet_differs',
  'below_minimum_payout',
  'over_daily_cap',
  'paydunya_refused',
  'insufficient_balance',
  'disbursement_failed',
] as const;
export type RefundOutcome = (typeof REFUND_OUTCOMES)[number];

const common = {
  eventId: z.string().min(1).describe('Stable across redeliveries: deduplicate on it.'),
  schemaVersion: z.literal(EVENTS.schemaVersion),
  orderId: z.string(),
  version: z
    .number()
    .int()
    .positive()
    .describe("The order's version after this change: orders events of one order."),
  reference: z.string().nullable().describe("Temba's reservation id given at checkout, or null."),
  metadata: z.record(z.string(), z.string()).describe('The string pairs given at checkout ({} if none).'),
  status: z.enum(ORDER_STATUSES).describe("The order's status after this change."),
  amount: z.number().int().positive().describe('The amount of the payment, in XOF.'),
  currency: z.literal('XOF'),
  paymentMethod: z.string().nullable().describe("PayDunya's payment method slug, when known."),
  occurredAt: z.iso.datetime().describe('When the change committed.'),
};

export const paymentEventDetailSchema = z.strictObject({
  ...common,
  late: z
    .literal(true)
    .optional()
    .describe('payment.completed only: paid after the order had expired or been cancelled.'),
  held: z
    .literal(true)
    .optional()
    .describe(
      'payment.completed only: awaiting an operator review (above the review threshold, or sent there by fraud screening); do not issue the ticket until approved.',
    ),
});

export const refundEventDetailSchema = z.strictObject({
  ...common,
  refundId: z.string(),
  refundAmount: z.number().int().positive().describe('This refund, in XOF.'),
  refundedAmount: z
    .number()
    .int()
    .nonnegative()
    .describe('XOF paid back on this order so far, this refund included when it succeeded.'),
  trigger: z
    .enum(['request', 'fulfilment-failed', 'review-rejected', 'late-payment-undelivered'])
    .describe('What set the refund off.'),
  outcome: z
    .enum(REFUND_OUTCOMES)
    .optional()
    .describe('refund.failed and refund.manual_required: why, as a code (the text is in the audit trail).'),
});

export type PaymentEventDetail = z.infer<typeof paymentEventDetailSchema>;
export type RefundEventDetail = z.infer<typeof refundEventDetailSchema>;
export type EventDetail = PaymentEventDetail | RefundEventDetail;

/** EventBridge's envelope, as a rule target (or a local sink) receives it. */
export interface PaymentEvent {
  readonly id: string;
  readonly source: typeof EVENTS.source;
  readonly 'detail-type': EventType;
  readonly time: string;
  readonly detail: EventDetail;
}

export const detailSchemaFor = (type: EventType) =>
  (REFUND_EVENT_TYPES as readonly string[]).includes(type)
    ? refundEventDetailSchema
    : paymentEventDetailSchema;
