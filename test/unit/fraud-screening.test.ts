import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FRAUD_RULES,
  FRAUD_RULE,
  type FraudRules,
  fraudRulesSchema,
  RISK_COUNTING,
  readFraudRules,
} from '../../lambdas/shared/contract/fraud';
import {
  type CheckoutFacts,
  checkoutFacts,
  NO_SIGNALS,
  type RiskSignals,
  riskDayAfterCheckout,
  riskDayAfterFailure,
  riskDayAfterPayment,
  riskSignals,
  screenCheckout,
} from '../../lambdas/shared/domain/fraud-screening';
import { EMPTY_RISK_DAY, type RiskHistory, type RiskKeys } from '../../lambdas/shared/domain/ports-fraud';

const KEYS: RiskKeys = { customer: 'cust-hash', phone: 'phone-hash', email: 'email-hash', ip: 'ip-hash' };

/** A returning customer's ordinary checkout from Burkina Faso: no rule fires on it with the defaults. */
const FACTS: CheckoutFacts = {
  keys: KEYS,
  amount: 10_000,
  tickets: 2,
  emailDomain: 'gmail.com',
  eventId: 'evt-1',
  country: 'BF',
};

/** Signals of a customer who has paid before and has no other recent activity. */
const QUIET: RiskSignals = NO_SIGNALS;

type Patch = {
  readonly customer?: Partial<RiskSignals['customer']>;
  readonly phone?: Partial<RiskSignals['phone']>;
  readonly email?: Partial<RiskSignals['email']>;
  readonly ip?: Partial<RiskSignals['ip']>;
};

const signals = (patch: Patch): RiskSignals => ({
  customer: { ...QUIET.customer, ...patch.customer },
  phone: { ...QUIET.phone, ...patch.phone },
  email: { ...QUIET.email, ...patch.email },
  ip: { ...QUIET.ip, ...patch.ip },
});

/** `n` distinct hashes, none of them the current checkout's. */
const others = (n: number, prefix = 'other'): ReadonlySet<string> =>
  new Set(Array.from({ length: n }, (_, i) => `${prefix}-${i}`));

const rulesFired = (facts: CheckoutFacts, s: RiskSignals, rules: FraudRules = DEFAULT_FRAUD_RULES) =>
  screenCheckout(facts, s, rules).reasons.map((r) => r.rule);

describe('an ordinary checkout', () => {
  it('is allowed with no reason under the default rules', () => {
    expect(screenCheckout(FACTS, QUIET, DEFAULT_FRAUD_RULES)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('the default rules are a valid document whose keys are exactly the rule names', () => {
    expect(fraudRulesSchema.parse(DEFAULT_FRAUD_RULES)).toEqual(DEFAULT_FRAUD_RULES);
    expect(Object.keys(fraudRulesSchema.shape).sort()).toEqual(Object.values(FRAUD_RULE).sort());
  });
});

describe('velocity rules fire at their threshold (this checkout included), not one below', () => {
  const cases = [
    { rule: FRAUD_RULE.customerVelocity, config: DEFAULT_FRAUD_RULES.customer_velocity, on: 'customer' },
    { rule: FRAUD_RULE.phoneVelocity, config: DEFAULT_FRAUD_RULES.phone_velocity, on: 'phone' },
    { rule: FRAUD_RULE.emailVelocity, config: DEFAULT_FRAUD_RULES.email_velocity, on: 'email' },
    { rule: FRAUD_RULE.ipVelocity, config: DEFAULT_FRAUD_RULES.ip_velocity, on: 'ip' },
  ] as const;

  for (const { rule, config, on } of cases) {
    it(`${rule}: the short window's ${config.short}th checkout, and the long window's ${config.long}th`, () => {
      const short = (seen: number) => signals({ [on]: { checkouts: { short: seen, long: seen } } });
      expect(rulesFired(FACTS, short(config.short - 2))).not.toContain(rule);
      expect(screenCheckout(FACTS, short(config.short - 1), DEFAULT_FRAUD_RULES).reasons).toContainEqual({
        rule,
        observed: config.short,
        threshold: config.short,
        measure: 'short',
      });

      const long = (seen: number) => signals({ [on]: { checkouts: { short: 0, long: seen } } });
      expect(rulesFired(FACTS, long(config.long - 2))).not.toContain(rule);
      expect(screenCheckout(FACTS, long(config.long - 1), DEFAULT_FRAUD_RULES).reasons).toContainEqual({
        rule,
        observed: config.long,
        threshold: config.long,
        measure: 'long',
      });
    });
  }
});

describe('distinct-value rules count this checkout once', () => {
  it(`phones_per_customer fires at ${DEFAULT_FRAUD_RULES.phones_per_customer.distinct} phones, this one new`, () => {
    const { distinct } = DEFAULT_FRAUD_RULES.phones_per_customer;
    expect(rulesFired(FACTS, signals({ customer: { phones: others(distinct - 2) } }))).not.toContain(
      FRAUD_RULE.phonesPerCustomer,
    );
    expect(rulesFired(FACTS, signals({ customer: { phones: others(distinct - 1) } }))).toContain(
      FRAUD_RULE.phonesPerCustomer,
    );
    // The same phone again is not one more phone.
    const known = new Set([...others(distinct - 2), KEYS.phone]);
    expect(rulesFired(FACTS, signals({ customer: { phones: known } }))).not.toContain(
      FRAUD_RULE.phonesPerCustomer,
    );
  });

  it('cards_per_customer fires at its threshold, and only when the payment method carries a card', () => {
    const { distinct } = DEFAULT_FRAUD_RULES.cards_per_customer;
    const withCard = { ...FACTS, card: 'card-hash' };
    expect(rulesFired(withCard, signals({ customer: { cards: others(distinct - 2) } }))).not.toContain(
      FRAUD_RULE.cardsPerCustomer,
    );
    expect(rulesFired(withCard, signals({ customer: { cards: others(distinct - 1) } }))).toContain(
      FRAUD_RULE.cardsPerCustomer,
    );
    expect(rulesFired(FACTS, signals({ customer: { cards: others(distinct + 5) } }))).not.toContain(
      FRAUD_RULE.cardsPerCustomer,
    );
  });

  it(`customers_per_phone fires at ${DEFAULT_FRAUD_RULES.customers_per_phone.distinct} accounts on one phone`, () => {
    const { distinct } = DEFAULT_FRAUD_RULES.customers_per_phone;
    expect(rulesFired(FACTS, signals({ phone: { customers: others(distinct - 2) } }))).not.toContain(
      FRAUD_RULE.customersPerPhone,
    );
    expect(rulesFired(FACTS, signals({ phone: { customers: others(distinct - 1) } }))).toContain(
      FRAUD_RULE.customersPerPhone,
    );
  });

  it('new_customers_per_ip fires at its threshold for an account that has never paid, never for one that has', () => {
    const { distinct } = DEFAULT_FRAUD_RULES.new_customers_per_ip;
    const newcomer = (seen: number) =>
      signals({ customer: { hasPaid: false }, ip: { newCustomers: others(seen) } });
    expect(rulesFired(FACTS, newcomer(distinct - 2))).not.toContain(FRAUD_RULE.newCustomersPerIp);
    expect(rulesFired(FACTS, newcomer(distinct - 1))).toContain(FRAUD_RULE.newCustomersPerIp);
    expect(rulesFired(FACTS, signals({ ip: { newCustomers: others(distinct + 5) } }))).not.toContain(
      FRAUD_RULE.newCustomersPerIp,
    );
  });
});

describe('amount and ticket rules', () => {
  const { typical_basket_xof, ratio } = DEFAULT_FRAUD_RULES.first_purchase_amount;
  const threshold = Math.ceil(typical_basket_xof * ratio);

  it(`first_purchase_amount fires at ${ratio} × the typical basket (${threshold} XOF) for a first purchase only`, () => {
    const firstTimer = signals({ customer: { hasPaid: false } });
    expect(rulesFired({ ...FACTS, amount: threshold - 1 }, firstTimer)).not.toContain(
      FRAUD_RULE.firstPurchaseAmount,
    );
    expect(
      screenCheckout({ ...FACTS, amount: threshold }, firstTimer, DEFAULT_FRAUD_RULES).reasons,
    ).toContainEqual({
      rule: FRAUD_RULE.firstPurchaseAmount,
      observed: threshold,
      threshold,
      measure: 'amount_xof',
    });
    expect(rulesFired({ ...FACTS, amount: threshold * 3 }, QUIET)).not.toContain(
      FRAUD_RULE.firstPurchaseAmount,
    );
  });

  it(`tickets_per_order fires at ${DEFAULT_FRAUD_RULES.tickets_per_order.tickets} tickets in one checkout`, () => {
    const { tickets } = DEFAULT_FRAUD_RULES.tickets_per_order;
    expect(rulesFired({ ...FACTS, tickets: tickets - 1 }, QUIET)).not.toContain(FRAUD_RULE.ticketsPerOrder);
    expect(rulesFired({ ...FACTS, tickets }, QUIET)).toContain(FRAUD_RULE.ticketsPerOrder);
  });

  it('tickets_per_event fires when paid tickets plus this order reach the threshold, per account or per phone', () => {
    const { tickets } = DEFAULT_FRAUD_RULES.tickets_per_event;
    const facts = { ...FACTS, tickets: 2 };
    expect(rulesFired(facts, signals({ customer: { eventTickets: tickets - 3 } }))).not.toContain(
      FRAUD_RULE.ticketsPerEvent,
    );
    expect(rulesFired(facts, signals({ customer: { eventTickets: tickets - 2 } }))).toContain(
      FRAUD_RULE.ticketsPerEvent,
    );
    expect(rulesFired(facts, signals({ phone: { eventTickets: tickets - 3 } }))).not.toContain(
      FRAUD_RULE.ticketsPerEvent,
    );
    expect(rulesFired(facts, signals({ phone: { eventTickets: tickets - 2 } }))).toContain(
      FRAUD_RULE.ticketsPerEvent,
    );
  });

  it('tickets_per_event cannot fire on a checkout without an event id', () => {
    const { eventId: _none, ...withoutEvent } = FACTS;
    expect(rulesFired(withoutEvent, signals({ customer: { eventTickets: 1_000 } }))).not.toContain(
      FRAUD_RULE.ticketsPerEvent,
    );
  });
});

describe('card testing', () => {
  const small = { ...FACTS, amount: RISK_COUNTING.smallCheckoutXof };

  it(`card_testing blocks at ${DEFAULT_FRAUD_RULES.card_testing.failures} failed payments of the account`, () => {
    const { failures } = DEFAULT_FRAUD_RULES.card_testing;
    expect(
      screenCheckout(FACTS, signals({ customer: { failures: failures - 1 } }), DEFAULT_FRAUD_RULES).decision,
    ).toBe('allow');
    const screened = screenCheckout(FACTS, signals({ customer: { failures } }), DEFAULT_FRAUD_RULES);
    expect(screened.decision).toBe('block');
    expect(screened.reasons).toEqual([
      { rule: FRAUD_RULE.cardTesting, observed: failures, threshold: failures, measure: 'failures' },
    ]);
  });

  it('card_testing counts this checkout among the small ones only when it is small itself', () => {
    const threshold = DEFAULT_FRAUD_RULES.card_testing.small_checkouts;
    const before = signals({ customer: { small: threshold - 1 } });
    expect(rulesFired(small, before)).toContain(FRAUD_RULE.cardTesting);
    expect(rulesFired({ ...small, amount: RISK_COUNTING.smallCheckoutXof + 1 }, before)).not.toContain(
      FRAUD_RULE.cardTesting,
    );
    expect(rulesFired(small, signals({ customer: { small: threshold - 2 } }))).not.toContain(
      FRAUD_RULE.cardTesting,
    );
  });

  it('card_testing_ip reviews (never blocks) at its thresholds of failures and small checkouts from one address', () => {
    const { failures, small_checkouts } = DEFAULT_FRAUD_RULES.card_testing_ip;
    expect(rulesFired(FACTS, signals({ ip: { failures: failures - 1 } }))).not.toContain(
      FRAUD_RULE.cardTestingIp,
    );
    expect(screenCheckout(FACTS, signals({ ip: { failures } }), DEFAULT_FRAUD_RULES).decision).toBe('review');
    expect(rulesFired(small, signals({ ip: { small: small_checkouts - 2 } }))).not.toContain(
      FRAUD_RULE.cardTestingIp,
    );
    expect(rulesFired(small, signals({ ip: { small: small_checkouts - 1 } }))).toContain(
      FRAUD_RULE.cardTestingIp,
    );
  });
});

describe('country and e-mail domain', () => {
  it('unexpected_country fires for a country outside the expected list, and not without a country', () => {
    expect(rulesFired({ ...FACTS, country: 'FR' }, QUIET)).not.toContain(FRAUD_RULE.unexpectedCountry);
    expect(rulesFired({ ...FACTS, country: 'RU' }, QUIET)).toEqual([FRAUD_RULE.unexpectedCountry]);
    const { country: _none, ...withoutCountry } = FACTS;
    expect(rulesFired(withoutCountry, QUIET)).toEqual([]);
  });

  it('disposable_email fires on a listed domain and its subdomains, not on a look-alike', () => {
    expect(rulesFired({ ...FACTS, emailDomain: 'yopmail.com' }, QUIET)).toEqual([FRAUD_RULE.disposableEmail]);
    expect(rulesFired({ ...FACTS, emailDomain: 'eu.mailinator.com' }, QUIET)).toEqual([
      FRAUD_RULE.disposableEmail,
    ]);
    expect(rulesFired({ ...FACTS, emailDomain: 'notyopmail.com' }, QUIET)).toEqual([]);
  });
});

describe('the rules document decides', () => {
  it('a threshold changed in the document takes effect on the next call', () => {
    const sixth = signals({ customer: { checkouts: { short: 5, long: 5 } } });
    const stricter: FraudRules = {
      ...DEFAULT_FRAUD_RULES,
      customer_velocity: { ...DEFAULT_FRAUD_RULES.customer_velocity, short: 7, long: 7 },
    };
    expect(rulesFired(FACTS, sixth)).toContain(FRAUD_RULE.customerVelocity);
    expect(rulesFired(FACTS, sixth, stricter)).not.toContain(FRAUD_RULE.customerVelocity);
  });

  it('operators can add disposable domains, switch a rule off and change its action', () => {
    const facts = { ...FACTS, emailDomain: 'burner.example' };
    const added: FraudRules = {
      ...DEFAULT_FRAUD_RULES,
      disposable_email: { enabled: true, action: 'block', extra_domains: ['burner.example'] },
    };
    expect(rulesFired(facts, QUIET)).toEqual([]);
    expect(screenCheckout(facts, QUIET, added).decision).toBe('block');
    const off: FraudRules = { ...added, disposable_email: { ...added.disposable_email, enabled: false } };
    expect(screenCheckout(facts, QUIET, off)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('the strongest action wins, and every rule that fired is a reason', () => {
    const busy = signals({
      customer: { failures: DEFAULT_FRAUD_RULES.card_testing.failures },
      phone: { customers: others(10) },
    });
    const screened = screenCheckout({ ...FACTS, emailDomain: 'yopmail.fr' }, busy, DEFAULT_FRAUD_RULES);
    expect(screened.decision).toBe('block');
    expect(screened.reasons.map((r) => r.rule).sort()).toEqual(
      [FRAUD_RULE.cardTesting, FRAUD_RULE.customersPerPhone, FRAUD_RULE.disposableEmail].sort(),
    );
    const reviewOnly = screenCheckout(
      { ...FACTS, emailDomain: 'yopmail.fr' },
      signals({ phone: { customers: others(10) } }),
      DEFAULT_FRAUD_RULES,
    );
    expect(reviewOnly.decision).toBe('review');
  });
});

describe('reasons are safe to send anywhere', () => {
  it('carry rule names and numbers only: no e-mail, phone, address, hash or country', () => {
    const email = 'awa.ouedraogo@yopmail.com';
    const phone = '+22670123456';
    const keys: RiskKeys = { customer: 'sub-123', phone: 'h-phone-9f', email: 'h-email-3c', ip: 'h-ip-77' };
    const facts = checkoutFacts(
      {
        amount: 500_000,
        items: [{ quantity: 20 }],
        customer_email: email,
        metadata: { event_id: 'evt-secret-gala' },
      },
      keys,
      { country: 'ru' },
    );
    const screened = screenCheckout(
      facts,
      signals({
        customer: { hasPaid: false, failures: 9, phones: others(9), eventTickets: 40 },
        phone: { customers: others(9), checkouts: { short: 20, long: 30 } },
        email: { checkouts: { short: 20, long: 30 } },
        ip: { failures: 20, newCustomers: others(30), checkouts: { short: 90, long: 300 } },
      }),
      DEFAULT_FRAUD_RULES,
    );
    expect(screened.reasons.length).toBeGreaterThan(8);
    const text = JSON.stringify(screened);
    for (const secret of [
      email,
      'awa',
      'yopmail',
      phone,
      '70123456',
      ...Object.values(keys),
      'RU',
      'evt-secret',
    ]) {
      expect(text).not.toContain(secret);
    }
    for (const reason of screened.reasons) {
      expect(Object.values(FRAUD_RULE)).toContain(reason.rule);
      expect(Number.isInteger(reason.observed) && Number.isInteger(reason.threshold)).toBe(true);
    }
  });
});

describe('the lenient reader never breaks a checkout', () => {
  it('reads the defaults exactly, ignoring a version and unknown rules', () => {
    const reading = readFraudRules({
      version: 1,
      ...DEFAULT_FRAUD_RULES,
      rule_from_the_future: { enabled: true },
    });
    expect(reading).toEqual({ rules: DEFAULT_FRAUD_RULES, fallbacks: [] });
  });

  it('falls back rule by rule to the default for a missing or malformed rule, and names it', () => {
    const { phone_velocity: _missing, ...rest } = DEFAULT_FRAUD_RULES;
    const reading = readFraudRules({
      ...rest,
      customer_velocity: { enabled: true, action: 'review', short: 2, long: 4 },
      ip_velocity: { enabled: true, action: 'review', short: -1, long: 40 },
      card_testing: { enabled: true, action: 'ban', failures: 4, small_checkouts: 3 },
      unexpected_country: { enabled: true, action: 'review', expected: ['Burkina'] },
    });
    expect(reading.rules).toEqual({
      ...DEFAULT_FRAUD_RULES,
      customer_velocity: { enabled: true, action: 'review', short: 2, long: 4 },
    });
    expect(reading.fallbacks).toEqual([
      { rule: 'phone_velocity', reason: 'missing' },
      { rule: 'ip_velocity', reason: 'invalid' },
      { rule: 'card_testing', reason: 'invalid' },
      { rule: 'unexpected_country', reason: 'invalid' },
    ]);
  });

  it('honours a rule switched off without its thresholds', () => {
    const reading = readFraudRules({ ...DEFAULT_FRAUD_RULES, disposable_email: { enabled: false } });
    expect(reading.fallbacks).toEqual([]);
    expect(reading.rules.disposable_email).toEqual({
      ...DEFAULT_FRAUD_RULES.disposable_email,
      enabled: false,
    });
  });

  it('reads anything that is not a document as the defaults, every rule named', () => {
    for (const raw of [undefined, null, 'oops', [1, 2]]) {
      const reading = readFraudRules(raw);
      expect(reading.rules).toEqual(DEFAULT_FRAUD_RULES);
      expect(reading.fallbacks.map((f) => f.rule)).toEqual(Object.keys(DEFAULT_FRAUD_RULES));
    }
  });
});

describe('the counters count as specified', () => {
  const at = new Date('2026-12-05T00:30:00Z');
  const day = (changes: Partial<typeof EMPTY_RISK_DAY>) => ({ ...EMPTY_RISK_DAY, ...changes });
  const history = (customer: {
    today: typeof EMPTY_RISK_DAY;
    yesterday: typeof EMPTY_RISK_DAY;
  }): RiskHistory => ({
    days: {
      customer,
      phone: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
      email: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
      ip: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
    },
    customerHasPaid: false,
  });

  it('the short window is this hour and the one before (across midnight); the long one the last 24 hours', () => {
    const read = riskSignals(
      history({
        today: day({ checkouts: { 0: 2 }, failures: { 0: 1 } }),
        yesterday: day({ checkouts: { 23: 3, 1: 4, 0: 100 }, failures: { 23: 2, 22: 7 } }),
      }),
      undefined,
      at,
    );
    expect(read.customer.checkouts).toEqual({ short: 5, long: 9 });
    expect(read.customer.failures).toBe(3);
  });

  it('a checkout adds to its hour, small checkouts and distinct values; failures and paid tickets are their own writes', () => {
    const count = { keys: KEYS, amount: RISK_COUNTING.smallCheckoutXof, customerHasPaid: false };
    let customer = riskDayAfterCheckout('customer', EMPTY_RISK_DAY, count, 0);
    customer = riskDayAfterCheckout('customer', customer, { ...count, amount: 5_000 }, 0);
    customer = riskDayAfterFailure(customer, 0);
    customer = riskDayAfterPayment(customer, { keys: KEYS, tickets: 3, eventId: 'evt-1' });
    expect(customer).toMatchObject({
      checkouts: { 0: 2 },
      small: { 0: 1 },
      failures: { 0: 1 },
      tickets: { 'evt-1': 3 },
      phones: [KEYS.phone],
    });
    expect(riskDayAfterCheckout('ip', EMPTY_RISK_DAY, count, 0).newCustomers).toEqual([KEYS.customer]);
    expect(
      riskDayAfterCheckout('ip', EMPTY_RISK_DAY, { ...count, customerHasPaid: true }, 0).newCustomers,
    ).toEqual([]);
  });

  it('a set stops growing at its cap, so no item can grow without bound', () => {
    let phone = EMPTY_RISK_DAY;
    for (let i = 0; i < RISK_COUNTING.maxDistinctPerDay + 10; i++) {
      phone = riskDayAfterCheckout(
        'phone',
        phone,
        { keys: { ...KEYS, customer: `c-${i}` }, amount: 5_000, customerHasPaid: true },
        12,
      );
    }
    expect(phone.customers).toHaveLength(RISK_COUNTING.maxDistinctPerDay);
  });
});
