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

export interface TransitionRequest {
  readonly orderId: string;
  readonly from: OrderStatus;
  readonly expectedVersion: number;
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
  /** Writes the order, its first audit event and the idempotency record atomically; `key-taken` if the key exists. */
  createOrder(
    order: Order,
    idempotency: IdempotencyRecord,
    audit: AuditEvent,
  ): Promise<'created' | 'key-taken'>;
  transition(request: TransitionRequest): Promise<TransitionResult>;
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

export interface PaymentGateway {
  createInvoice(mode: PaymentMode, keys: PaydunyaKeys, request: InvoiceRequest): Promise<CreatedInvoice>;
  confirm(mode: PaymentMode, keys: PaydunyaKeys, token: string): Promise<ConfirmedInvoice>;
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
