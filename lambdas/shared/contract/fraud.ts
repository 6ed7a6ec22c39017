import * as z from 'zod';

/**
 * Fraud screening at checkout: the rules document (an AppConfig freeform profile, JSON, validated by
 * `fraudRulesSchema` both when it is deployed and when it is read), its defaults, and the counting constants the
 * risk counters are keyed by. Thresholds change without a deploy; windows and what counts as "small" do not,
 * because the store's items are keyed and filled by them.
 *
 * Every threshold means "fires at this value or above", and the value observed always includes the checkout being
 * screened (the 6th checkout of the hour is observed as 6).
 */
export const FRAUD_RULES_VERSION = 1;

/** Rule names: what alerts, metrics (dimension `rule`), audit events and the daily report say. */
export const FRAUD_RULE = {
  customerVelocity: 'customer_velocity',
  phoneVelocity: 'phone_velocity',
  emailVelocity: 'email_velocity',
  ipVelocity: 'ip_velocity',
  phonesPerCustomer: 'phones_per_customer',
  cardsPerCustomer: 'cards_per_customer',
  customersPerPhone: 'customers_per_phone',
  newCustomersPerIp: 'new_customers_per_ip',
  firstPurchaseAmount: 'first_purchase_amount',
  ticketsPerOrder: 'tickets_per_order',
  ticketsPerEvent: 'tickets_per_event',
  cardTesting: 'card_testing',
  cardTestingIp: 'card_testing_ip',
  unexpectedCountry: 'unexpected_country',
  disposableEmail: 'disposable_email',
} as const;

export type FraudRuleName = (typeof FRAUD_RULE)[keyof typeof FRAUD_RULE];

/**
 * How the risk counters count (see `RiskCounters` in domain/ports-fraud.ts). One item per identity (customer,
 * phone, e-mail, IP: keyed hashes) per UTC day, holding one counter per hour: the short window is the current and
 * the previous hour (so it covers the last 60 to 120 minutes), the long window the current hour and the 23 before
 * it (the last 23 to 24 hours). Distinct values (phones of a customer, customers of a phone...) and tickets per
 * event are kept per day; a rule reads today's and yesterday's.
 */
export const RISK_COUNTING = {
  bucketMinutes: 60,
  shortBuckets: 2,
  longBuckets: 24,
  /** A checkout of at most this many XOF counts as small (card testers probe with small amounts). */
  smallCheckoutXof: 1_000,
  /**
   * Distinct values kept per set and day; a set that is full stays full (the rule then reads "at least this many"),
   * so a carrier-NAT address seen by thousands cannot grow an item past DynamoDB's 400 KB.
   */
  maxDistinctPerDay: 100,
} as const;

/**
 * Disposable e-mail domains, kept short on purpose (the services seen in francophone West Africa and the big
 * international ones). A subdomain matches too. Operators add more through `disposable_email.extra_domains`.
 */
export const DISPOSABLE_EMAIL_DOMAINS: readonly string[] = [
  'yopmail.com',
  'yopmail.fr',
  'yopmail.net',
  'jetable.org',
  'mailinator.com',
  'guerrillamail.com',
  'guerrillamail.net',
  'sharklasers.com',
  'grr.la',
  '10minutemail.com',
  'temp-mail.org',
  'tempmail.com',
  'tempmailo.com',
  'tempail.com',
  'trashmail.com',
  'getnada.com',
  'dispostable.com',
  'maildrop.cc',
  'throwawaymail.com',
  'fakeinbox.com',
  'mohmal.com',
  'emailondeck.com',
  'mailnesia.com',
  'minuteinbox.com',
  'mytemp.email',
  'burnermail.io',
  'spamgourmet.com',
  'moakt.com',
];

const action = z.enum(['review', 'block']);
export type FraudAction = z.infer<typeof action>;

const count = z.number().int().positive();

/** Checkouts counted in the short and the long window. */
const velocityRule = z.object({ enabled: z.boolean(), action, short: count, long: count });
/** Distinct values seen today and yesterday, this checkout's included. */
const distinctRule = z.object({ enabled: z.boolean(), action, distinct: count });

const countryCode = z.string().regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166-1 alpha-2 code' });
const domain = z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, { error: 'must be a lower-case domain name' });

export const fraudRulesSchema = z.object({
  /** Checkouts per account (token subject). */
  [FRAUD_RULE.customerVelocity]: velocityRule,
  /** Checkouts per phone number typed at checkout (the wallet that pays). */
  [FRAUD_RULE.phoneVelocity]: velocityRule,
  /** Checkouts per e-mail address typed at checkout. */
  [FRAUD_RULE.emailVelocity]: velocityRule,
  /** Checkouts per source IP address (set high: carrier NAT puts many customers behind one address). */
  [FRAUD_RULE.ipVelocity]: velocityRule,
  [FRAUD_RULE.phonesPerCustomer]: distinctRule,
  /** Only where the payment method carries a card fingerprint (not known at checkout with PayDunya's hosted page). */
  [FRAUD_RULE.cardsPerCustomer]: distinctRule,
  [FRAUD_RULE.customersPerPhone]: distinctRule,
  /** Accounts with no paid order, per source IP: account farming. */
  [FRAUD_RULE.newCustomersPerIp]: distinctRule,
  /** A customer with no paid order whose checkout is at least `ratio` × the typical basket. */
  [FRAUD_RULE.firstPurchaseAmount]: z.object({
    enabled: z.boolean(),
    action,
    typical_basket_xof: count,
    ratio: z.number().positive().max(1_000),
  }),
  /** Tickets (the sum of the items' quantities) in one checkout. */
  [FRAUD_RULE.ticketsPerOrder]: z.object({ enabled: z.boolean(), action, tickets: count }),
  /**
   * Tickets for one event paid by one account or by one phone, today and yesterday, plus this checkout's (needs the
   * checkout's event id).
   */
  [FRAUD_RULE.ticketsPerEvent]: z.object({ enabled: z.boolean(), action, tickets: count }),
  /** Failed payments, or small checkouts (RISK_COUNTING), of one account in the short window. */
  [FRAUD_RULE.cardTesting]: z.object({
    enabled: z.boolean(),
    action,
    failures: count,
    small_checkouts: count,
  }),
  /**
   * The same from one IP address. Its own rule because an address may be carrier NAT shared with honest
   * customers: evidence tied to the account may block, evidence tied to the address should only send to review.
   */
  [FRAUD_RULE.cardTestingIp]: z.object({
    enabled: z.boolean(),
    action,
    failures: count,
    small_checkouts: count,
  }),
  /** Only where the request carries a country (CloudFront-Viewer-Country or a WAF geo label). */
  [FRAUD_RULE.unexpectedCountry]: z.object({
    enabled: z.boolean(),
    action,
    expected: z.array(countryCode).min(1),
  }),
  [FRAUD_RULE.disposableEmail]: z.object({ enabled: z.boolean(), action, extra_domains: z.array(domain) }),
});

export type FraudRules = z.infer<typeof fraudRulesSchema>;

/** The document's keys are the rule names (FRAUD_RULE): one definition. */
export type FraudRuleKey = keyof FraudRules;

/**
 * The thresholds a stage starts with, tuned on `npm run bench:fraud` (bench/fraud-results.md: the traffic model,
 * the seeds, and what each rule catches and costs).
 */
export const DEFAULT_FRAUD_RULES: FraudRules = {
  customer_velocity: { enabled: true, action: 'review', short: 5, long: 8 },
  phone_velocity: { enabled: true, action: 'review', short: 4, long: 8 },
  email_velocity: { enabled: true, action: 'review', short: 4, long: 8 },
  ip_velocity: { enabled: true, action: 'review', short: 15, long: 40 },
  phones_per_customer: { enabled: true, action: 'review', distinct: 3 },
  cards_per_customer: { enabled: true, action: 'review', distinct: 3 },
  customers_per_phone: { enabled: true, action: 'review', distinct: 4 },
  new_customers_per_ip: { enabled: true, action: 'review', distinct: 12 },
  first_purchase_amount: { enabled: true, action: 'review', typical_basket_xof: 10_000, ratio: 15 },
  tickets_per_order: { enabled: true, action: 'review', tickets: 12 },
  tickets_per_event: { enabled: true, action: 'review', tickets: 12 },
  card_testing: { enabled: true, action: 'block', failures: 4, small_checkouts: 3 },
  card_testing_ip: { enabled: true, action: 'review', failures: 10, small_checkouts: 10 },
  unexpected_country: {
    enabled: true,
    action: 'review',
    // Burkina Faso, its neighbours and the diaspora's main countries.
    expected: [
      'BF',
      'CI',
      'ML',
      'NE',
      'GH',
      'TG',
      'BJ',
      'SN',
      'FR',
      'BE',
      'IT',
      'DE',
      'ES',
      'GB',
      'US',
      'CA',
    ],
  },
  disposable_email: { enabled: true, action: 'review', extra_domains: [] },
};

/** A rule read as its default, and why (logged and counted by the caller; no threshold is secret). */
export interface FraudRuleFallback {
  readonly rule: FraudRuleKey;
  readonly reason: 'missing' | 'invalid';
}

export interface FraudRulesReading {
  readonly rules: FraudRules;
  readonly fallbacks: readonly FraudRuleFallback[];
}

const RULE_KEYS = Object.keys(fraudRulesSchema.shape) as FraudRuleKey[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a served rules document rule by rule, so that screening never breaks a checkout nor one bad rule the
 * others (the same contract as `readFlags`):
 *
 * - a rule served as `{ "enabled": false }` alone is switched off, as the operator chose;
 * - a rule absent, or whose value fails its schema, reads as its DEFAULT_FRAUD_RULES value and is named in
 *   `fallbacks` (the defaults screen: a broken document must not switch screening off);
 * - unknown keys (`version`, a rule from a newer profile) are ignored.
 */
export const readFraudRules = (raw: unknown): FraudRulesReading => {
  const document = isRecord(raw) ? raw : {};
  const fallbacks: FraudRuleFallback[] = [];
  const rules = {} as Record<FraudRuleKey, unknown>;
  for (const rule of RULE_KEYS) {
    const value = document[rule];
    if (value === undefined) {
      rules[rule] = DEFAULT_FRAUD_RULES[rule];
      fallbacks.push({ rule, reason: 'missing' });
      continue;
    }
    const parsed = fraudRulesSchema.shape[rule].safeParse(value);
    if (parsed.success) {
      rules[rule] = parsed.data;
    } else if (isRecord(value) && value.enabled === false) {
      rules[rule] = { ...DEFAULT_FRAUD_RULES[rule], enabled: false };
    } else {
      rules[rule] = DEFAULT_FRAUD_RULES[rule];
      fallbacks.push({ rule, reason: 'invalid' });
    }
  }
  return { rules: rules as FraudRules, fallbacks };
};
