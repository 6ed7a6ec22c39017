import {
  DISPOSABLE_EMAIL_DOMAINS,
  FRAUD_RULE,
  type FraudAction,
  type FraudRuleName,
  type FraudRules,
  RISK_COUNTING,
} from '../contract/fraud';
import type { PaymentRequest } from './payment-request.schema';
import type {
  CheckoutCount,
  HourlyCounts,
  PaidCount,
  RiskDay,
  RiskHistory,
  RiskIdentity,
  RiskKeys,
} from './ports-fraud';

/**
 * Fraud screening of a checkout, before any invoice exists: pure functions, no I/O.
 *
 * 1. `checkoutFacts` takes what the request, the token and the edge tell (amount, tickets, e-mail domain, event,
 *    country) and the identities' keyed hashes.
 * 2. `riskSignals` turns what the store read (`RiskCounters.read`) into window counts as of now.
 * 3. `screenCheckout` applies the rules document: every rule that fires is a reason; the strongest action wins.
 *
 * Reasons carry rule names and numbers only: no e-mail, phone, address, hash or country code, so that they can go
 * into alerts, metrics, audit events and reports as they are.
 */

/** The metadata key under which Temba's ticketing names the event a checkout buys tickets for. */
export const EVENT_ID_METADATA_KEY = 'event_id';

export interface CheckoutFacts {
  readonly keys: RiskKeys;
  /** Integer XOF. */
  readonly amount: number;
  /** Tickets in the checkout: the sum of the items' quantities (every item line is a ticket type). */
  readonly tickets: number;
  /** The e-mail's domain, lower-cased. */
  readonly emailDomain: string;
  /**
   * The event the tickets are for. Not a field of the request today: read from `metadata.event_id` when
   * ticketing sends it; without it, `tickets_per_event` cannot fire.
   */
  readonly eventId?: string;
  /** ISO 3166-1 alpha-2, from CloudFront-Viewer-Country or WAF's geo label, when the request carries one. */
  readonly country?: string;
  /** Keyed hash of a card fingerprint, when the payment method carries one (not at checkout with PayDunya today). */
  readonly card?: string;
}

/** What the edge may tell about a request, beside its body. */
export interface CheckoutOrigin {
  readonly country?: string;
  readonly card?: string;
}

export const emailDomainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/** The parts of a validated checkout request (PaymentRequest) that screening reads. */
export interface ScreenedRequest {
  readonly amount: PaymentRequest['amount'];
  readonly items: readonly Pick<PaymentRequest['items'][number], 'quantity'>[];
  readonly customer_email: PaymentRequest['customer_email'];
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The facts of a validated checkout request. */
export const checkoutFacts = (
  request: ScreenedRequest,
  keys: RiskKeys,
  origin: CheckoutOrigin = {},
): CheckoutFacts => {
  const eventId = request.metadata?.[EVENT_ID_METADATA_KEY];
  const country = origin.country?.toUpperCase();
  return {
    keys,
    amount: request.amount,
    tickets: request.items.reduce((sum, item) => sum + item.quantity, 0),
    emailDomain: emailDomainOf(request.customer_email),
    ...(eventId ? { eventId } : {}),
    ...(country && /^[A-Z]{2}$/.test(country) ? { country } : {}),
    ...(origin.card ? { card: origin.card } : {}),
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Counting: what the store holds, turned into windows. Every count is of activity BEFORE this checkout.

export interface WindowCounts {
  /** The current and the previous hour (the last 60 to 120 minutes). */
  readonly short: number;
  /** The current hour and the 23 before it. */
  readonly long: number;
}

export interface RiskSignals {
  readonly customer: {
    readonly checkouts: WindowCounts;
    readonly small: number;
    readonly failures: number;
    readonly phones: ReadonlySet<string>;
    readonly cards: ReadonlySet<string>;
    readonly eventTickets: number;
    readonly hasPaid: boolean;
  };
  readonly phone: {
    readonly checkouts: WindowCounts;
    readonly customers: ReadonlySet<string>;
    readonly eventTickets: number;
  };
  readonly email: { readonly checkouts: WindowCounts };
  readonly ip: {
    readonly checkouts: WindowCounts;
    readonly small: number;
    readonly failures: number;
    readonly newCustomers: ReadonlySet<string>;
  };
}

const NO_WINDOW: WindowCounts = { short: 0, long: 0 };

/**
 * Signals when the counters could not be read: screening still runs the rules that need none (tickets per order,
 * first purchase as if returning, country, e-mail domain). The caller counts that it happened.
 */
export const NO_SIGNALS: RiskSignals = {
  customer: {
    checkouts: NO_WINDOW,
    small: 0,
    failures: 0,
    phones: new Set(),
    cards: new Set(),
    eventTickets: 0,
    hasPaid: true,
  },
  phone: { checkouts: NO_WINDOW, customers: new Set(), eventTickets: 0 },
  email: { checkouts: NO_WINDOW },
  ip: { checkouts: NO_WINDOW, small: 0, failures: 0, newCustomers: new Set() },
};

const HOURS_A_DAY = 24;

/** The sum of the last `buckets` hourly counts up to `hour` of today, reaching into yesterday. */
const lastHours = (today: HourlyCounts, yesterday: HourlyCounts, hour: number, buckets: number): number => {
  let sum = 0;
  for (let back = 0; back < buckets; back++) {
    const h = hour - back;
    sum += h >= 0 ? (today[h] ?? 0) : (yesterday[h + HOURS_A_DAY] ?? 0);
  }
  return sum;
};

const windows = (today: HourlyCounts, yesterday: HourlyCounts, hour: number): WindowCounts => ({
  short: lastHours(today, yesterday, hour, RISK_COUNTING.shortBuckets),
  long: lastHours(today, yesterday, hour, RISK_COUNTING.longBuckets),
});

const union = (a: readonly string[], b: readonly string[]): ReadonlySet<string> => new Set([...a, ...b]);

/** Window counts as of `at`, from the items the store read (today's and yesterday's of each identity). */
export const riskSignals = (history: RiskHistory, eventId: string | undefined, at: Date): RiskSignals => {
  const hour = at.getUTCHours();
  const day = (identity: RiskIdentity) => history.days[identity];
  const shortOf = (identity: RiskIdentity, field: 'small' | 'failures') =>
    lastHours(day(identity).today[field], day(identity).yesterday[field], hour, RISK_COUNTING.shortBuckets);
  const ticketsOf = (identity: RiskIdentity) =>
    eventId === undefined
      ? 0
      : (day(identity).today.tickets[eventId] ?? 0) + (day(identity).yesterday.tickets[eventId] ?? 0);
  const checkoutsOf = (identity: RiskIdentity) =>
    windows(day(identity).today.checkouts, day(identity).yesterday.checkouts, hour);
  const { customer, phone, ip } = history.days;
  return {
    customer: {
      checkouts: checkoutsOf('customer'),
      small: shortOf('customer', 'small'),
      failures: shortOf('customer', 'failures'),
      phones: union(customer.today.phones, customer.yesterday.phones),
      cards: union(customer.today.cards, customer.yesterday.cards),
      eventTickets: ticketsOf('customer'),
      hasPaid: history.customerHasPaid,
    },
    phone: {
      checkouts: checkoutsOf('phone'),
      customers: union(phone.today.customers, phone.yesterday.customers),
      eventTickets: ticketsOf('phone'),
    },
    email: { checkouts: checkoutsOf('email') },
    ip: {
      checkouts: checkoutsOf('ip'),
      small: shortOf('ip', 'small'),
      failures: shortOf('ip', 'failures'),
      newCustomers: union(ip.today.newCustomers, ip.yesterday.newCustomers),
    },
  };
};

const plusOne = (counts: HourlyCounts, hour: number, by = 1): HourlyCounts => ({
  ...counts,
  [hour]: (counts[hour] ?? 0) + by,
});

const withMember = (set: readonly string[], member: string | undefined): readonly string[] =>
  member === undefined || set.includes(member) || set.length >= RISK_COUNTING.maxDistinctPerDay
    ? set
    : [...set, member];

/**
 * The reference semantics of `RiskCounters.recordCheckout` on one identity's item of the day: what the DynamoDB
 * adapter's `ADD` expressions do, and what in-memory counters (local mode, the bench) apply.
 */
export const riskDayAfterCheckout = (
  identity: RiskIdentity,
  day: RiskDay,
  count: CheckoutCount,
  hour: number,
): RiskDay => {
  const small = count.amount <= RISK_COUNTING.smallCheckoutXof;
  const counted = { ...day, checkouts: plusOne(day.checkouts, hour) };
  switch (identity) {
    case 'customer':
      return {
        ...counted,
        small: small ? plusOne(day.small, hour) : day.small,
        phones: withMember(day.phones, count.keys.phone),
        cards: withMember(day.cards, count.card),
      };
    case 'phone':
      return { ...counted, customers: withMember(day.customers, count.keys.customer) };
    case 'email':
      return counted;
    case 'ip':
      return {
        ...counted,
        small: small ? plusOne(day.small, hour) : day.small,
        newCustomers: count.customerHasPaid
          ? day.newCustomers
          : withMember(day.newCustomers, count.keys.customer),
      };
  }
};

/** The reference semantics of `RiskCounters.recordFailure` on the customer's or the IP's item of the day. */
export const riskDayAfterFailure = (day: RiskDay, hour: number): RiskDay => ({
  ...day,
  failures: plusOne(day.failures, hour),
});

/** The reference semantics of `RiskCounters.recordPaid` on the customer's or the phone's item of the day. */
export const riskDayAfterPayment = (day: RiskDay, paid: PaidCount): RiskDay =>
  paid.eventId === undefined
    ? day
    : {
        ...day,
        tickets: { ...day.tickets, [paid.eventId]: (day.tickets[paid.eventId] ?? 0) + paid.tickets },
      };

// ---------------------------------------------------------------------------------------------------------------
// The decision.

export type RiskDecisionKind = 'allow' | FraudAction;

/** Why a rule fired: its name, what was observed, the threshold it reached, and which measure when it has several. */
export interface RiskReason {
  readonly rule: FraudRuleName;
  readonly observed: number;
  readonly threshold: number;
  readonly measure?: string;
}

export interface RiskDecision {
  readonly decision: RiskDecisionKind;
  readonly reasons: readonly RiskReason[];
}

interface Finding {
  readonly action: FraudAction;
  readonly reason: RiskReason;
}

/** The first measure that reached its threshold, as a reason of `rule`. */
const firstReached = (
  rule: FraudRuleName,
  measures: readonly { readonly measure: string; readonly observed: number; readonly threshold: number }[],
): RiskReason | undefined => {
  const hit = measures.find((m) => m.observed >= m.threshold);
  return hit ? { rule, observed: hit.observed, threshold: hit.threshold, measure: hit.measure } : undefined;
};

const velocity = (
  rule: FraudRuleName,
  seen: WindowCounts,
  thresholds: { readonly short: number; readonly long: number },
): RiskReason | undefined =>
  firstReached(rule, [
    { measure: 'short', observed: seen.short + 1, threshold: thresholds.short },
    { measure: 'long', observed: seen.long + 1, threshold: thresholds.long },
  ]);

const distinctWith = (seen: ReadonlySet<string>, current: string | undefined): number =>
  current === undefined || seen.has(current) ? seen.size : seen.size + 1;

const isDisposable = (domain: string, extra: readonly string[]): boolean =>
  [...DISPOSABLE_EMAIL_DOMAINS, ...extra].some(
    (listed) => domain === listed || domain.endsWith(`.${listed}`),
  );

/**
 * Screens a checkout: each enabled rule of `rules` that fires gives a reason; the decision is the strongest
 * action among them (`block` over `review` over `allow`). Counts in `signals` are of activity before this
 * checkout; every observed value includes this checkout.
 */
export const screenCheckout = (
  facts: CheckoutFacts,
  signals: RiskSignals,
  rules: FraudRules,
): RiskDecision => {
  const findings: Finding[] = [];
  const check = (
    config: { readonly enabled: boolean; readonly action: FraudAction },
    reason?: RiskReason,
  ) => {
    if (config.enabled && reason) findings.push({ action: config.action, reason });
  };
  const { customer, phone, email, ip } = signals;
  const { keys } = facts;
  const small = facts.amount <= RISK_COUNTING.smallCheckoutXof ? 1 : 0;

  check(
    rules.customer_velocity,
    velocity(FRAUD_RULE.customerVelocity, customer.checkouts, rules.customer_velocity),
  );
  check(rules.phone_velocity, velocity(FRAUD_RULE.phoneVelocity, phone.checkouts, rules.phone_velocity));
  check(rules.email_velocity, velocity(FRAUD_RULE.emailVelocity, email.checkouts, rules.email_velocity));
  check(rules.ip_velocity, velocity(FRAUD_RULE.ipVelocity, ip.checkouts, rules.ip_velocity));

  check(
    rules.phones_per_customer,
    firstReached(FRAUD_RULE.phonesPerCustomer, [
      {
        measure: 'distinct',
        observed: distinctWith(customer.phones, keys.phone),
        threshold: rules.phones_per_customer.distinct,
      },
    ]),
  );
  if (facts.card !== undefined) {
    check(
      rules.cards_per_customer,
      firstReached(FRAUD_RULE.cardsPerCustomer, [
        {
          measure: 'distinct',
          observed: distinctWith(customer.cards, facts.card),
          threshold: rules.cards_per_customer.distinct,
        },
      ]),
    );
  }
  check(
    rules.customers_per_phone,
    firstReached(FRAUD_RULE.customersPerPhone, [
      {
        measure: 'distinct',
        observed: distinctWith(phone.customers, keys.customer),
        threshold: rules.customers_per_phone.distinct,
      },
    ]),
  );
  if (!customer.hasPaid) {
    check(
      rules.new_customers_per_ip,
      firstReached(FRAUD_RULE.newCustomersPerIp, [
        {
          measure: 'distinct',
          observed: distinctWith(ip.newCustomers, keys.customer),
          threshold: rules.new_customers_per_ip.distinct,
        },
      ]),
    );
    const { typical_basket_xof, ratio } = rules.first_purchase_amount;
    check(
      rules.first_purchase_amount,
      firstReached(FRAUD_RULE.firstPurchaseAmount, [
        { measure: 'amount_xof', observed: facts.amount, threshold: Math.ceil(typical_basket_xof * ratio) },
      ]),
    );
  }

  check(
    rules.tickets_per_order,
    firstReached(FRAUD_RULE.ticketsPerOrder, [
      { measure: 'tickets', observed: facts.tickets, threshold: rules.tickets_per_order.tickets },
    ]),
  );
  if (facts.eventId !== undefined) {
    const threshold = rules.tickets_per_event.tickets;
    check(
      rules.tickets_per_event,
      firstReached(FRAUD_RULE.ticketsPerEvent, [
        { measure: 'customer', observed: customer.eventTickets + facts.tickets, threshold },
        { measure: 'phone', observed: phone.eventTickets + facts.tickets, threshold },
      ]),
    );
  }

  const testing = rules.card_testing;
  check(
    testing,
    firstReached(FRAUD_RULE.cardTesting, [
      { measure: 'failures', observed: customer.failures, threshold: testing.failures },
      { measure: 'small_checkouts', observed: customer.small + small, threshold: testing.small_checkouts },
    ]),
  );
  const testingIp = rules.card_testing_ip;
  check(
    testingIp,
    firstReached(FRAUD_RULE.cardTestingIp, [
      { measure: 'failures', observed: ip.failures, threshold: testingIp.failures },
      { measure: 'small_checkouts', observed: ip.small + small, threshold: testingIp.small_checkouts },
    ]),
  );

  if (facts.country !== undefined && !rules.unexpected_country.expected.includes(facts.country)) {
    check(rules.unexpected_country, { rule: FRAUD_RULE.unexpectedCountry, observed: 1, threshold: 1 });
  }
  if (isDisposable(facts.emailDomain, rules.disposable_email.extra_domains)) {
    check(rules.disposable_email, { rule: FRAUD_RULE.disposableEmail, observed: 1, threshold: 1 });
  }

  const decision: RiskDecisionKind = findings.some((f) => f.action === 'block')
    ? 'block'
    : findings.length > 0
      ? 'review'
      : 'allow';
  return { decision, reasons: findings.map((f) => f.reason) };
};
