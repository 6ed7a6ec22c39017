/**
 * The narrow interfaces the use cases depend on. Adapters (DynamoDB, PayDunya over fetch, Secrets Manager,
 * AppConfig, SNS, KMS, and their local-mode twins) implement them; the domain never sees an SDK.
 */
import type { PaymentEvent } from '../contract/events';
import type { Flags } from '../contract/flags';
import type { MetricName } from '../contract/metrics';
import type { PaydunyaKeys } from '../contract/secrets';
import type { StoreInfo } from '../contract/store-info';
import type {
  AuditEvent,
  LimitHold,
  Order,
  OrderItem,
  OrderStatus,
  PaymentMode,
  TransitionFields,
} from './order';

export interface StoredResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

/**
 * Which order an Idempotency-Key created. The 201 is rebuilt from that order on a replay, so the record is
 * written once and never updated.
 */
export interface IdempotencyRecord {
  readonly keyHash: string;
  readonly requestHash: string;
  readonly orderId: string;
  readonly createdAt: string;
}

/** What the store needs to know of the order it moves: identity, expected state, what the indexes need. */
export type OrderSnapshot = Pick<
  Order,
  | 'orderId'
  | 'status'
  | 'version'
  | 'amount'
  | 'createdAt'
  | 'paymentMethod'
  | 'review'
  | 'limit'
  | 'bookedDay'
  | 'fulfilment'
  | 'refunds'
>;

export interface TransitionRequest {
  /** The order as last read: the write only happens if it is still in this status at this version. */
  readonly order: OrderSnapshot;
  /** May equal `order.status` to record an audited event (a discrepancy, a review decision) without moving. */
  readonly to: OrderStatus;
  readonly at: string;
  readonly set?: TransitionFields;
  readonly audit: Pick<AuditEvent, 'actor' | 'reason' | 'details' | 'refund'>;
  /** Gives the order's limit shares back in the same atomic write (it ends unpaid, or its window lapsed). */
  readonly releaseLimit?: boolean;
}

/**
 * `applied`: written (also when the first answer was lost and the write turns out to have landed).
 * `stale`: the order was not in `from`@`expectedVersion` any more. Contention and throttling are retried inside
 * the store; when its budget runs out it throws StoreBusyError.
 */
export type TransitionResult = 'applied' | 'stale';

export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly existing: IdempotencyRecord };

export interface DailyLimitSettings {
  readonly maxXof: number;
  readonly maxCount: number;
}

export type Reservation =
  | { readonly kind: 'reserved'; readonly hold: LimitHold; readonly shardFill: number }
  | { readonly kind: 'full' };

/** Where a page of orders ends: the last order's creation time and id (the index's sort key). */
export interface OrderPosition {
  readonly createdAt: string;
  readonly orderId: string;
}

export interface OrderPage {
  readonly orderIds: readonly string[];
  readonly next?: OrderPosition;
}

/** A settled order as the daily report reads it (the byDay index's projection). */
export type BookedOrder = Pick<
  Order,
  | 'orderId'
  | 'status'
  | 'amount'
  | 'paymentMethod'
  | 'review'
  | 'discrepancy'
  | 'late'
  | 'bookedAt'
  | 'refunds'
  | 'refundedAmount'
  | 'fulfilment'
  | 'risk'
  | 'complaintCategories'
  | 'fraudLabel'
>;

/** What the daily report reads of a blocked checkout: which rules blocked it. */
export interface BlockedOnDay {
  readonly blockId: string;
  readonly rules: readonly string[];
}

/** One revision of a day's report, as stored. */
export interface StoredReport<R> {
  readonly revision: number;
  readonly report: R;
}

/**
 * Every write below tells a failed condition (an answer: returned as a result) from a conflict or throttling
 * (retried with the shared budget, then StoreBusyError).
 */
export interface PaymentStore {
  getOrder(orderId: string): Promise<Order | undefined>;
  getOrderWithAudit(orderId: string): Promise<{ order: Order; audit: AuditEvent[] } | undefined>;
  findOrderIdByToken(token: string): Promise<string | undefined>;
  /** Writes a new order with its first audit event; `exists` if the id is taken (never, for a fresh ULID). */
  putNewOrder(order: Order, audit: AuditEvent): Promise<'created' | 'exists'>;
  /** Deletes an order that never left CREATED@1 (admission refused it); nothing if it moved on. */
  deleteUnstartedOrder(orderId: string, releaseLimit?: LimitHold): Promise<void>;
  transition(request: TransitionRequest): Promise<TransitionResult>;
  /** CREATED and PENDING orders created before a time, oldest first per shard (byStatus index, never a scan). */
  listOpen(createdBefore: string): AsyncIterable<Pick<Order, 'orderId'>>;
  /** FAILED, CANCELLED and EXPIRED orders created in a time range (byStatus index). */
  listUnpaid(createdAfter: string, createdBefore: string): AsyncIterable<Pick<Order, 'orderId'>>;
  /** Settled orders booked on a day (byDay index; eventually consistent). */
  listBooked(day: string): AsyncIterable<BookedOrder>;
  /** Checkouts fraud screening blocked on a day (their audit records in the byDay index; eventually consistent). */
  listBlocked(day: string): AsyncIterable<BlockedOnDay>;
  /** Orders with a refund still REQUESTED or SUBMITTED (byStatus index). */
  listRefunding(): AsyncIterable<Pick<Order, 'orderId'>>;
  /**
   * One page of a customer's orders, newest first (byOwner index; eventually consistent): up to `limit` ids, and
   * where the next page starts if there may be one.
   */
  listByOwner(owner: string, limit: number, after?: OrderPosition): Promise<OrderPage>;
  /** The orders made for one of Temba's reservations, oldest first (byReference index; eventually consistent). */
  listByReference(reference: string): AsyncIterable<Pick<Order, 'orderId'>>;
  /**
   * Takes `amount` from the day's refund cap: false (and nothing taken) if it would go over `cap`. Refunds are
   * human-paced next to checkouts, so one item a day is far from DynamoDB's per-item limits.
   */
  takeRefundCap(day: string, amount: number, cap: number): Promise<boolean>;

  /** The record of a key, if any (eventually consistent: a cheap early look; the claim is what decides). */
  findIdempotencyRecord(keyHash: string): Promise<IdempotencyRecord | undefined>;
  /** Records which order a key creates; when the key is taken, what it points at. */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<ClaimResult>;
  /** Frees a key for a new order, only while it still points at `orderId`. */
  releaseIdempotencyKey(keyHash: string, orderId: string): Promise<void>;

  /** Counts one attempt of a customer in a window; false when the window is full. */
  countAttempt(phoneHash: string, windowStart: number, windowSeconds: number, max: number): Promise<boolean>;
  uncountAttempt(phoneHash: string, windowStart: number): Promise<void>;
  /** Takes `amount` XOF and one order from the day's limit without going over it by one XOF or one order. */
  reserveDailyLimit(day: string, amount: number, limit: DailyLimitSettings): Promise<Reservation>;
  /** Counts a payment the limit did not hold (it completed after its reservation was given back). */
  addToDailyLimit(day: string, amount: number): Promise<LimitHold>;
  /** Gives back shares taken by a write that did not happen after all; applied once even if retried. */
  giveBackDailyLimit(hold: LimitHold): Promise<void>;
  getDailyLimitUsage(day: string): Promise<DailyLimitUsage>;
  /** Marks that the day's limit passed a warning level; true only for the first caller, so one alert per level. */
  claimLimitWarning(day: string, level: string): Promise<boolean>;

  getReport(day: string): Promise<StoredReport<unknown> | undefined>;
  /** Stores a revision; false if another revision was stored since `previousRevision` (0: none yet). */
  putReport(day: string, revision: number, report: unknown): Promise<boolean>;
  /**
   * Claims an alert key for a de-duplication window (conditional write, TTL-cleaned): `claimed` for the first
   * caller of a window, across every warm instance; the others are counted as suppressed, and that count is
   * handed to the next claim once the window has ended.
   */
  claimAlert(key: string, nowSeconds: number, windowSeconds: number): Promise<AlertClaim>;
}

export interface DailyLimitUsage {
  readonly reservedXof: number;
  readonly reservedCount: number;
}

export interface InvoiceRequest {
  readonly orderId: string;
  readonly amount: number;
  readonly items: readonly OrderItem[];
  readonly description: string;
  readonly store: StoreInfo;
  readonly customer: { readonly name?: string; readonly email: string; readonly phone: string };
  readonly callbackUrl: string;
  readonly returnUrl: string;
  readonly cancelUrl: string;
}

export interface CreatedInvoice {
  readonly token: string;
  readonly checkoutUrl: string;
}

export type InvoiceStatus = 'pending' | 'completed' | 'cancelled' | 'failed' | 'unknown';

/** PayDunya's confirm answer, reduced to what decisions are made on; amounts already integers. */
export interface ConfirmedInvoice {
  readonly token: string;
  readonly status: InvoiceStatus;
  readonly rawStatus: string;
  readonly totalAmount: number;
  readonly orderId?: string;
  readonly mode?: string;
  readonly paymentMethod?: string;
  /** The number of the wallet that paid, as PayDunya reports it (completed payments only; any format). */
  readonly payerPhone?: string;
  readonly receiptUrl?: string;
  readonly providerReference?: string;
  readonly failReason?: string;
}

/** Whether gateway calls are let through now; not while its circuit breaker is open. */
export type GatewayAvailability =
  | { readonly available: true }
  | { readonly available: false; readonly retryAfterSeconds: number };

export interface PaymentGateway {
  createInvoice(mode: PaymentMode, keys: PaydunyaKeys, request: InvoiceRequest): Promise<CreatedInvoice>;
  confirm(mode: PaymentMode, keys: PaydunyaKeys, token: string): Promise<ConfirmedInvoice>;
  /** Answered from memory, without calling anyone: lets a use case refuse before it writes anything. */
  availability(): GatewayAvailability;
}

/** PayDunya's disbursement (PUSH) statuses (API.md §6), lower-cased; anything else is `unknown`. */
export type DisbursementStatus = 'created' | 'pending' | 'success' | 'failed' | 'unknown';

export interface DisbursementRequest {
  /** The payee's phone number without the country code. */
  readonly accountAlias: string;
  /** Integer XOF. */
  readonly amount: number;
  /** PayDunya's slug for the wallet (`orange-money-burkina`, `moov-burkina-faso`). */
  readonly withdrawMode: string;
  readonly callbackUrl: string;
  /** Our own reference for it: the refund id. */
  readonly disburseId: string;
}

export interface DisbursementState {
  readonly status: DisbursementStatus;
  readonly rawStatus: string;
  readonly amount?: number;
  readonly transactionId?: string;
}

/**
 * PayDunya's disbursement API, the only way money goes back to a customer (PayDunya has no refund API).
 * `create` (get-invoice) moves no money; `submit` moves it and is never retried by the adapter; `check` is a read
 * and is retried like confirm. Failures are GatewayErrors: `refused` is PayDunya's answer, `unavailable` means the
 * outcome is unknown (for submit: the money may have moved; only `check` can tell).
 */
export interface DisbursementGateway {
  createDisbursement(
    mode: PaymentMode,
    keys: PaydunyaKeys,
    request: DisbursementRequest,
  ): Promise<{ token: string }>;
  submitDisbursement(
    mode: PaymentMode,
    keys: PaydunyaKeys,
    token: string,
    disburseId: string,
  ): Promise<DisbursementState>;
  checkDisbursement(mode: PaymentMode, keys: PaydunyaKeys, token: string): Promise<DisbursementState>;
}

/**
 * Where payment events go: Temba's EventBridge bus on AWS, the URLs in EVENT_SINK_URLS (and `.local/events.jsonl`)
 * in local mode. Answers the ids of the events it could NOT take; they are retried with their stream record.
 */
export interface EventSink {
  publish(events: readonly PaymentEvent[]): Promise<ReadonlySet<string>>;
}

/** Who a customer request is from: the subject (`sub`) of a verified token. */
export interface Customer {
  readonly subject: string;
}

/**
 * Verifies a customer's bearer token (the `Authorization` header as sent) and says who they are; throws an
 * AuthenticationError for anything it cannot trust. Nothing else in a customer request runs before it.
 */
export interface CustomerAuthenticator {
  authenticate(authorization: string | undefined): Promise<Customer>;
}

export interface SecretsProvider {
  paydunyaKeys(): Promise<PaydunyaKeys>;
  signingSecret(): Promise<string>;
}

export interface FlagsProvider {
  get(): Promise<Flags>;
}

export type AlertSeverity = 'critical' | 'warning';

export interface Alert {
  readonly type: string;
  readonly severity: AlertSeverity;
  readonly summary: string;
  readonly orderId?: string;
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export interface AlertClaim {
  readonly claimed: boolean;
  /** When claimed: identical alerts suppressed during the previous window of this key. */
  readonly suppressedBefore: number;
}

export interface AlertPublisher {
  publish(alert: Alert): Promise<void>;
}

export interface DataKey {
  readonly plaintext: Uint8Array;
  readonly encrypted: Uint8Array;
  readonly keyId: string;
}

/** Wraps per-order data keys: KMS on AWS, a local key in local mode. */
export interface KeyManager {
  generateDataKey(context: Readonly<Record<string, string>>): Promise<DataKey>;
  decryptDataKey(encrypted: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}

export interface Telemetry {
  count(name: MetricName, value?: number, dimensions?: Readonly<Record<string, string>>): void;
  /** A measured value (amount in XOF, duration in ms). */
  measure(
    name: MetricName,
    value: number,
    unit: 'None' | 'Milliseconds',
    dimensions?: Readonly<Record<string, string>>,
  ): void;
  info(message: string, attributes?: Readonly<Record<string, unknown>>): void;
  warn(message: string, attributes?: Readonly<Record<string, unknown>>): void;
  error(message: string, attributes?: Readonly<Record<string, unknown>>): void;
}

export interface Clock {
  now(): Date;
}
