import type { RefundOutcome } from '../contract/events';
import type { COMPLAINT_CATEGORIES } from '../contract/routes';

/**
 * The order and its state machine. Pure: no I/O, no AWS SDK.
 *
 * CREATED → PENDING → COMPLETED | CANCELLED | FAILED | EXPIRED, and CREATED → INITIATION_FAILED when PayDunya
 * refused or could not be reached at create time. A customer who pays an invoice after we gave up on it (EXPIRED,
 * CANCELLED) has still paid: that late payment moves the order to COMPLETED, marked late. Nothing else moves back.
 * A paid order is REFUNDED once its refunds (records of their own, below) have paid back the whole amount.
 */
export const ORDER_STATUSES = [
  'CREATED',
  'PENDING',
  'COMPLETED',
  'CANCELLED',
  'FAILED',
  'EXPIRED',
  'INITIATION_FAILED',
  'REFUNDED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const ALLOWED: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CREATED: ['PENDING', 'INITIATION_FAILED'],
  PENDING: ['COMPLETED', 'CANCELLED', 'FAILED', 'EXPIRED'],
  // Only refunds move a paid order on (once they add up to its amount); PayDunya never does.
  COMPLETED: ['REFUNDED'],
  // A late payment: PayDunya took the money after the invoice was cancelled or expired on our side.
  CANCELLED: ['COMPLETED'],
  FAILED: [],
  EXPIRED: ['COMPLETED'],
  INITIATION_FAILED: [],
  REFUNDED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => ALLOWED[from].includes(to);
export const isTerminal = (status: OrderStatus): boolean => ALLOWED[status].length === 0;
/** Statuses in which the customer's money was taken. */
export const PAID_STATUSES: readonly OrderStatus[] = ['COMPLETED', 'REFUNDED'];
export const isPaid = (status: OrderStatus): boolean => PAID_STATUSES.includes(status);
/** The payment's outcome is known: nothing PayDunya says later may change it. */
export const isSettled = (status: OrderStatus): boolean => status !== 'CREATED' && status !== 'PENDING';
/** Outcomes in which no money was taken: the daily limit reservation is given back. */
export const isUnpaid = (status: OrderStatus): boolean =>
  status === 'CANCELLED' || status === 'FAILED' || status === 'EXPIRED' || status === 'INITIATION_FAILED';

/** The UTC day (Burkina Faso is on UTC all year) of a timestamp: limits count by it, reports book by it. */
export const dayOf = (isoTimestamp: string): string => isoTimestamp.slice(0, 10);

export type PaymentMode = 'test' | 'live';

export interface OrderItem {
  readonly name: string;
  readonly quantity: number;
  /** Integer XOF. */
  readonly unit_price: number;
}

/** Customer data as it may be shown: never the full email or phone. */
export interface MaskedCustomer {
  readonly email: string;
  readonly phone: string;
}

/** AES-256-GCM ciphertext of the customer's contact data under a data key wrapped by KMS (or the local key). */
export interface EncryptedBlob {
  readonly v: 1;
  readonly keyId: string;
  readonly encryptedKey: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

export interface Order {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** Incremented by every transition; the audit event of a transition carries the new version. */
  readonly version: number;
  /** Integer XOF. */
  readonly amount: number;
  readonly currency: 'XOF';
  readonly items: readonly OrderItem[];
  readonly description?: string;
  readonly mode: PaymentMode;
  readonly customer: MaskedCustomer;
  readonly customerEncrypted: EncryptedBlob;
  /** The customer's account: the subject (`sub`) of the token that created it. Only they see the order. */
  readonly owner?: string;
  /** Keyed hash of the phone number: lets limits and support find a customer's orders without the number. */
  readonly phoneHash: string;
  /**
   * Keyed hash (same key) of the number of the wallet that paid, as PayDunya's confirm reported it: a refund is sent
   * to the checkout's number only when it is the wallet that paid.
   */
  readonly payerPhoneHash?: string;
  readonly token?: string;
  readonly checkoutUrl?: string;
  readonly paymentMethod?: string;
  readonly receiptUrl?: string;
  readonly providerReference?: string;
  readonly failReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt?: string;
  /** The hashed Idempotency-Key that created it: reconcile releases it if the order never reaches PENDING. */
  readonly idempotencyKeyHash?: string;
  /** The part of a day's limit the order holds: given back if it ends unpaid or its checkout window lapses. */
  readonly limit?: LimitHold;
  /** The UTC day its money moved (or it ended unpaid): the daily report it belongs to. Set once settled. */
  readonly bookedDay?: string;
  readonly bookedAt?: string;
  /** Paid after the invoice had been cancelled or expired on our side. */
  readonly late?: boolean;
  /** The review threshold this order was above when it was created; it is reviewed once paid. */
  readonly reviewThresholdXof?: number;
  /** Set when a paid order is above the manual review threshold or was sent to review by fraud screening. */
  readonly review?: ReviewState;
  /** Fraud screening sent the checkout to review: the rules that fired (names only). Reviewed once paid. */
  readonly risk?: { readonly decision: 'review'; readonly rules: readonly string[] };
  /**
   * Keyed hashes of the checkout's account and source IP (the phone's is `phoneHash`): where the order settles, the
   * fraud counters count its failure or its payment on them (ports-fraud.ts). Never the values themselves.
   */
  readonly riskKeys?: { readonly customer: string; readonly ip: string };
  /** Set once reconcile has reported a disagreement with PayDunya, so it is reported once. */
  readonly discrepancy?: string;
  /** Temba's reservation id, given at checkout and echoed in every event. */
  readonly reference?: string;
  /** String pairs given at checkout, echoed in every event (never contact data: Temba's own ids). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Ticketing's acknowledgement of the paid order. */
  readonly fulfilment?: Fulfilment;
  /** Every refund of this order, by id. Kept in the order's item: "never more than was paid" is one condition. */
  readonly refunds?: Readonly<Record<string, Refund>>;
  /** XOF paid back so far (refunds SUCCEEDED). */
  readonly refundedAmount?: number;
  /** Customers' complaints recorded by support, by id (at most LIMITS.complaint.maxPerOrder). */
  readonly complaints?: Readonly<Record<string, Complaint>>;
  /**
   * The category of each of `complaints`, in the order they were recorded: what the byDay index carries for the
   * daily report's complaint figures, so support's notes stay on the order item alone (and an order with many
   * complaints does not make every later write of it an expensive index write).
   */
  readonly complaintCategories?: readonly ComplaintCategory[];
  /**
   * Set once the payment is known to be fraudulent, by the first outcome that says so (never overwritten): what
   * fraud-detection precision and recall are measured against.
   */
  readonly fraudLabel?: FraudLabel;
}

export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

/** A customer's complaint as support recorded it. The note may hold the customer's words: never logged. */
export interface Complaint {
  readonly complaintId: string;
  readonly category: ComplaintCategory;
  readonly note: string;
  readonly at: string;
  /** The IAM principal of the support tool. */
  readonly by: string;
  /** The hashed Idempotency-Key of the request that recorded it: a retried request records nothing more. */
  readonly idempotencyKeyHash: string;
  /** Hash of that request's category and note: the same key with another body is refused. */
  readonly requestHash: string;
}

/**
 * What labelled a payment as fraud: an `unauthorized` complaint (the customer says they did not make it) or an
 * operator's review rejection. `ref` names the complaint when there is one.
 */
export interface FraudLabel {
  readonly source: 'complaint' | 'review-rejected';
  readonly at: string;
  readonly by: string;
  readonly ref?: string;
}

export interface Fulfilment {
  readonly outcome: 'delivered' | 'failed';
  readonly reason?: string;
  readonly at: string;
  readonly by: string;
}

/**
 * A refund's own state machine: REQUESTED → SUBMITTED → SUCCEEDED | FAILED, and REQUESTED → MANUAL when PayDunya
 * cannot pay it back (cards, an unsupported wallet, refunds switched off, over the day's cap) or REQUESTED → FAILED
 * when PayDunya refuses to make the disbursement. SUBMITTED is written BEFORE the money-moving call: whoever wrote
 * it is the only one who ever submits.
 */
export const REFUND_STATUSES = ['REQUESTED', 'SUBMITTED', 'SUCCEEDED', 'FAILED', 'MANUAL'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

const REFUND_ALLOWED: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  REQUESTED: ['SUBMITTED', 'MANUAL', 'FAILED'],
  SUBMITTED: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: [],
  FAILED: [],
  MANUAL: [],
};
export const canRefundTransition = (from: RefundStatus, to: RefundStatus): boolean =>
  REFUND_ALLOWED[from].includes(to);
export const isOpenRefund = (refund: Pick<Refund, 'status'>): boolean =>
  refund.status === 'REQUESTED' || refund.status === 'SUBMITTED';

/** What set a refund off. */
export type RefundTrigger = 'request' | 'fulfilment-failed' | 'review-rejected' | 'late-payment-undelivered';

export interface Refund {
  readonly refundId: string;
  readonly status: RefundStatus;
  /** Integer XOF. */
  readonly amount: number;
  readonly reason: string;
  readonly trigger: RefundTrigger;
  readonly requestedBy: string;
  /** The hashed Idempotency-Key of the request that made it (refund route only). */
  readonly idempotencyKeyHash?: string;
  /** Hash of that request's amount and reason: the same key with another body is refused. */
  readonly requestHash?: string;
  readonly requestedAt: string;
  readonly updatedAt: string;
  /** PayDunya's disbursement invoice, stored before it is submitted. */
  readonly disburseToken?: string;
  readonly withdrawMode?: string;
  readonly submittedAt?: string;
  readonly transactionId?: string;
  readonly completedAt?: string;
  /** Why it failed or needs a person: in words (audit, operators) and as a code (events). */
  readonly outcome?: string;
  readonly outcomeCode?: RefundOutcome;
}

/** XOF already promised back: every refund that did not fail. A new refund may take at most the rest. */
export const committedRefunds = (order: Pick<Order, 'refunds'>): number =>
  Object.values(order.refunds ?? {})
    .filter((refund) => refund.status !== 'FAILED')
    .reduce((sum, refund) => sum + refund.amount, 0);

/** One slice of a day's limit taken by an order (see contract/table.ts: the limit is sharded). */
export interface LimitShare {
  readonly shard: number;
  readonly xof: number;
  readonly count: number;
}

export interface LimitHold {
  readonly day: string;
  readonly shares: readonly LimitShare[];
  /** The limit in force when the shares were taken: a late payment counted again is compared with it. */
  readonly of?: { readonly maxXof: number; readonly maxCount: number };
  /** Set when the shares were given back; a payment after that is counted again, on the day it completes. */
  readonly releasedAt?: string;
}

export interface ReviewState {
  readonly status: 'PENDING' | 'APPROVED' | 'REJECTED';
  /** Above this review threshold (XOF), when that is why. */
  readonly thresholdXof?: number;
  /** Fraud screening's rules that sent it to review, when that is why. */
  readonly rules?: readonly string[];
  readonly decidedBy?: string;
  readonly reason?: string;
  readonly decidedAt?: string;
}

/** Who caused a transition. */
/** `service`: one of Temba's own services (ticketing, support tools) on an IAM-authorized route. */
export type Actor = 'create-payment' | 'webhook' | 'reconcile' | 'admin' | 'service';

export interface AuditEvent {
  /** Unique per write: tells a writer whose answer was lost whether its write was applied. */
  readonly id: string;
  readonly orderId: string;
  /** The order version this event produced. */
  readonly version: number;
  readonly at: string;
  readonly actor: Actor;
  readonly from: OrderStatus | null;
  readonly to: OrderStatus;
  readonly reason: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /** Set when the change is a refund's: which one, and how it moved. */
  readonly refund?: {
    readonly refundId: string;
    readonly from: RefundStatus | null;
    readonly to: RefundStatus;
  };
}

/** Fields a transition may set on the order besides status, version and updatedAt. */
export type TransitionFields = Partial<
  Pick<
    Order,
    | 'token'
    | 'checkoutUrl'
    | 'paymentMethod'
    | 'payerPhoneHash'
    | 'receiptUrl'
    | 'providerReference'
    | 'failReason'
    | 'completedAt'
    | 'review'
    | 'discrepancy'
    | 'limit'
    | 'bookedDay'
    | 'bookedAt'
    | 'late'
    | 'fulfilment'
    | 'refunds'
    | 'refundedAmount'
    | 'complaints'
    | 'complaintCategories'
    | 'fraudLabel'
  >
>;

export const lineTotal = (items: readonly OrderItem[]): number =>
  items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0);
