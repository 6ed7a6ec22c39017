import type { FraudRules } from '../contract/fraud';

/**
 * What fraud screening needs from the store: counts of recent activity per customer, phone, e-mail and IP.
 * Declared here, beside the domain that reads them; the DynamoDB adapter (and local mode's and the bench's
 * in-memory twins) implement them. No AWS type crosses this file.
 *
 * ## Keys: one item per identity and day, never one item for everyone
 *
 * Each identity a checkout comes from is a keyed hash (HMAC with the signing secret, like `phoneHash` and
 * `subjectHash`): the account (token subject), the phone typed, the e-mail typed (lower-cased), the source IP.
 * The store keeps, per identity and UTC day, one item
 *
 *     pk RISK#<identity>#<key>   sk D#<yyyy-mm-dd>   expiresAt = end of the next day + 1 day (TTL)
 *
 * with one counter attribute per hour (`c07` checkouts, `s07` small checkouts, `f07` failed payments in hour 07),
 * one attribute per event (`t:<eventId>` tickets), and string sets of hashes (`phones`, `cards`, `customers`,
 * `newCustomers`) capped at RISK_COUNTING.maxDistinctPerDay. A checkout updates its four items with single-item
 * `ADD` writes, with no condition and outside the admission transaction; screening reads eight items (today and
 * yesterday of each identity) and the customer's profile (`sk PROFILE`: has it ever paid?) in one BatchGet.
 *
 * ## Why a ticket rush keeps them cold
 *
 * No item is shared by every checkout: there is no per-event, per-day or global counter. An item is written only
 * by checkouts of its own account, phone, e-mail or address, so at 200 checkouts a second the busiest item is a
 * carrier-NAT address (Orange or Moov Burkina put many customers behind one public address): with a pool of ~100
 * addresses that is ~2 writes a second on one item, 0.2 % of a partition's 1,000. The event's tickets are counted
 * on the buyer's and the phone's items, never on the event. Single-item `ADD`s queue on DynamoDB instead of failing
 * with TransactionConflict, and a counter that cannot be written is skipped (screening must never fail a
 * checkout): counting is best effort, and a missed count only makes screening more lenient.
 *
 * ## Who writes what
 *
 * - create-payment, after screening (whatever the decision, so a blocked caller keeps being counted): on the
 *   customer's item `c`, `s` (if small), `phones` ∪ {phone}, `cards` ∪ {card}; on the phone's item `c`,
 *   `customers` ∪ {customer}; on the e-mail's item `c`; on the IP's item `c`, `s` (if small), `newCustomers` ∪
 *   {customer} when the customer has never paid.
 * - the webhook and reconcile, when an order ends FAILED (PayDunya refused the payment; not cancelled, not
 *   expired): `f` on the customer's and the IP's items, in the hour the failure became known.
 * - the webhook and reconcile, when an order is COMPLETED: the customer's profile `paid`, and the order's tickets
 *   on `t:<eventId>` of the customer's and the phone's items. Tickets are counted when paid, not when asked for,
 *   so that a customer retrying a failed payment of 6 tickets has not "bought" 12.
 *
 * The order must therefore keep its risk keys (customer, phone, IP hashes) and its event id for the webhook.
 */

/** Keyed hashes of who a checkout is from (never the values themselves). */
export interface RiskKeys {
  readonly customer: string;
  readonly phone: string;
  readonly email: string;
  readonly ip: string;
}

export type RiskIdentity = keyof RiskKeys;

/** Hour of the UTC day (0..23) → count; absent hours are 0. */
export type HourlyCounts = Readonly<Partial<Record<number, number>>>;

/** One identity's item for one UTC day, as the store holds it (fields an identity never gets stay empty). */
export interface RiskDay {
  readonly checkouts: HourlyCounts;
  readonly small: HourlyCounts;
  readonly failures: HourlyCounts;
  /** Event id → tickets. */
  readonly tickets: Readonly<Partial<Record<string, number>>>;
  readonly phones: readonly string[];
  readonly cards: readonly string[];
  readonly customers: readonly string[];
  readonly newCustomers: readonly string[];
}

export const EMPTY_RISK_DAY: RiskDay = {
  checkouts: {},
  small: {},
  failures: {},
  tickets: {},
  phones: [],
  cards: [],
  customers: [],
  newCustomers: [],
};

/** What one read gives: each identity's items of today and yesterday (empty when absent), and the profile. */
export interface RiskHistory {
  readonly days: Readonly<Record<RiskIdentity, { readonly today: RiskDay; readonly yesterday: RiskDay }>>;
  /** The customer has at least one COMPLETED order (ever). */
  readonly customerHasPaid: boolean;
}

/** What a screened checkout adds to the counters. */
export interface CheckoutCount {
  readonly keys: RiskKeys;
  readonly amount: number;
  /** Keyed hash of the card fingerprint, when the payment method carries one. */
  readonly card?: string;
  /** As read for the screening: an account that has never paid is counted as new on the IP. */
  readonly customerHasPaid: boolean;
}

export interface RiskCounters {
  /** One BatchGet (eventually consistent): 8 day items and the customer's profile. */
  read(keys: RiskKeys, at: Date): Promise<RiskHistory>;
  /** Counts a screened checkout on its four identities' items of `at`'s day (single-item ADDs). */
  recordCheckout(count: CheckoutCount, at: Date): Promise<void>;
  /** Counts a payment PayDunya refused, on the customer's and the IP's items, at the time it became known. */
  recordFailure(keys: Pick<RiskKeys, 'customer' | 'ip'>, at: Date): Promise<void>;
  /** Marks the customer as having paid, and counts the order's tickets for its event (customer's and phone's items). */
  recordPaid(paid: PaidCount, at: Date): Promise<void>;
  /** Writes the audit record of a blocked checkout (a retried write stays one record). */
  recordBlock(block: BlockedCheckout): Promise<void>;
}

/** What a COMPLETED order adds to the counters. */
export interface PaidCount {
  readonly keys: Pick<RiskKeys, 'customer' | 'phone'>;
  readonly tickets: number;
  readonly eventId?: string;
}

/** The rules document in force (AppConfig profile on AWS, a file locally), read as `readFraudRules` reads it. */
export interface FraudRulesProvider {
  get(): Promise<FraudRules>;
}

/**
 * A blocked checkout, as the audit keeps it: no order exists, so the decision is its own record (rule names and
 * numbers, the identities' hashes, never a contact detail). Kept on the customer's own risk partition.
 */
export interface BlockedCheckout {
  readonly blockId: string;
  readonly at: string;
  readonly keys: RiskKeys;
  readonly amount: number;
  readonly reasons: readonly {
    readonly rule: string;
    readonly observed: number;
    readonly threshold: number;
    readonly measure?: string;
  }[];
}
