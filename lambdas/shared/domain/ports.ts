/**
 * The narrow interfaces the use cases depend on. Adapters (DynamoDB, PayDunya over fetch, Secrets Manager,
 * AppConfig, SNS, KMS, and their local-mode twins) implement them; the domain never sees an SDK.
 */
import type { Flags } from '../contract/flags';
import type { MetricName } from '../contract/metrics';
import type { PaydunyaKeys } from '../contract/secrets';
import type { StoreInfo } from '../contract/store-info';
import type { AuditEvent, Order, OrderItem, OrderStatus, PaymentMode, TransitionFields } from './order';

export interface StoredResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

export interface IdempotencyRecord {
  readonly keyHash: string;
  readonly requestHash: string;
  readonly orderId: string;
  readonly createdAt: string;
  /** Absent while the first request is still being processed. */
  readonly response?: StoredResponse;
}

/** What happens to the idempotency record in the same transaction as a transition. */
export type IdempotencyOutcome =
  | { readonly keyHash: string; readonly kind: 'complete'; readonly response: StoredResponse }
  | { readonly keyHash: string; readonly kind: 'release' };

/** What the store needs to know of the order it moves: identity, expected state, and what the counters need. */
export type OrderSnapshot = Pick<
  Order,
  'orderId' | 'status' | 'version' | 'amount' | 'createdAt' | 'limitReserved' | 'paymentMethod' | 'review'
>;

export interface TransitionRequest {
  /** The order as last read: the write only happens if it is still in this status at this version. */
  readonly order: OrderSnapshot;
  /** May equal `order.status` to record an audited event (a discrepancy, a review decision) without moving. */
  readonly to: OrderStatus;
  readonly at: string;
  readonly set?: TransitionFields;
  readonly audit: Pick<AuditEvent, 'actor' | 'reason' | 'details'>;
  readonly idempotency?: IdempotencyOutcome;
}

/** `stale`: the order was not in `from`@`expectedVersion` any more. `contended`: a concurrent transaction won the race for now. */
export type TransitionResult = 'applied' | 'stale' | 'contended';

export interface PaymentStore {
  getOrder(orderId: string): Promise<Order | undefined>;
  getOrderWithAudit(orderId: string): Promise<{ order: Order; audit: AuditEvent[] } | undefined>;
  findOrderIdByToken(token: string): Promise<string | undefined>;
  getIdempotencyRecord(keyHash: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Writes the order, its first audit event, the idempotency record, the day's counters and the limit
   * reservations in one transaction. Nothing is written unless all of it is.
   */
  createOrder(request: CreateOrderRequest): Promise<CreateOrderResult>;
  transition(request: TransitionRequest): Promise<TransitionResult>;
  getDailyLimitUsage(day: string): Promise<DailyLimitUsage>;
  /** Marks that the day's limit passed a warning level; true only for the first caller, so one alert per level. */
  claimLimitWarning(day: string, level: string): Promise<boolean>;
  getDailyAggregate(day: string): Promise<DailyAggregate>;
  /**
   * Ids of the orders in a status created before a time, oldest first, through the byStatus index (never a
   * scan). The index is eventually consistent and projects only the id: re-read the order before acting.
   */
  listByStatus(
    status: OrderStatus,
    createdBefore: string,
    createdAfter?: string,
  ): AsyncIterable<Pick<Order, 'orderId'>>;
  putReport(day: string, report: unknown): Promise<void>;
  /**
   * Claims an alert key for a de-duplication window (conditional write, TTL-cleaned): `claimed` for the first
   * caller of a window, across every warm instance; the others are counted as suppressed, and that count is
   * handed to the next claim once the window has ended.
   */
  claimAlert(key: string, nowSeconds: number, windowSeconds: number): Promise<AlertClaim>;
  getReport(day: string): Promise<unknown | undefined>;
}

export interface CreateOrderRequest {
  readonly order: Order;
  readonly idempotency: IdempotencyRecord;
  readonly audit: AuditEvent;
  /** Reserve the order's amount and one order in the stage's daily limit. */
  readonly dailyLimit?: { readonly maxXof: number; readonly maxCount: number };
  /** Count one attempt for this customer in the current window. */
  readonly attempts?: {
    readonly phoneHash: string;
    readonly windowStart: number;
    readonly windowSeconds: number;
    readonly max: number;
  };
}

export type CreateOrderResult = 'created' | 'key-taken' | 'daily-limit' | 'attempt-limit';

export interface DailyLimitUsage {
  readonly reservedXof: number;
  readonly reservedCount: number;
}

/** Per-day counters, kept in the same transaction as every transition (the go-live plan's payment_analytics). */
export interface DailyAggregate {
  readonly day: string;
  /** Orders created that day, by their current status. */
  readonly counts: Readonly<Partial<Record<OrderStatus, number>>>;
  /** Their amounts in XOF, by current status. */
  readonly sums: Readonly<Partial<Record<OrderStatus, number>>>;
  /** Completed payments by payment method. */
  readonly methods: Readonly<Record<string, { readonly count: number; readonly sum: number }>>;
  readonly discrepancies: number;
  readonly reviewPending: number;
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
