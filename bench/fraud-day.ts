/**
 * `npm run bench:fraud [-- --seed N [--seed M ...]] [--customers N] [--without-event-id]`
 *
 * A reproducible day of checkouts (legitimate customers plus injected fraud), screened one by one in time order by
 * the real `screenCheckout` with DEFAULT_FRAUD_RULES, against in-memory risk counters that count exactly as the
 * store is specified to (domain/ports-fraud.ts: same keys, same hourly buckets, same windows, the same reference
 * update functions). Prints recall, false-positive rate and precision, per pattern and per rule, and writes
 * bench/fraud-results.md. No network, no AWS, a few seconds.
 *
 * ## Traffic model (assumptions, all in MODEL below)
 *
 * - One Saturday in Ouagadougou (Burkina Faso is on UTC all year). 5,000 signed-in customers buy tickets; 60 %
 *   have paid before (their profile says so), 40 % are first-timers. Checkouts follow an hourly curve with a
 *   lunch bump and an evening peak (18:00–22:00); a hot concert opens its sale at 10:00 and 40 % of its buyers
 *   come in the first 90 minutes.
 * - Ten events priced in tiers from 2,000 to 50,000 XOF; most buyers take the cheapest tier; 1–4 tickets (a few
 *   5–6); 4 % of first-timers (1 % of returning customers) buy a group's tickets, 5–10 at once; 8 % of orders mix two
 *   tiers.
 * - Outcomes: 74 % paid, 12 % refused by PayDunya (balance, OTP), 14 % abandoned. 70 % retry a refused payment (1–10
 *   min later), 25 % an abandoned one (2–30 min); at most 3 attempts; a retry switches to another phone 15 % of the
 *   time (a relative's wallet) and lowers the quantity 15 % of the time. 8 % of customers come back later for
 *   another event, 1 % twice.
 * - Phones: 4 % of customers share a phone with an earlier customer (families: 2–3 accounts on one wallet); a
 *   fifth of those also type the family's e-mail.
 * - Addresses: 72 % on mobile data behind carrier NAT (Orange: 256 public addresses, Moov: 128; a new address per
 *   session, and 20 % of retries change it); 15 % on their own home line; 8 % in one of 40 offices; 5 % in one of 25
 *   cyber cafés. Countries: 97.2 % BF, 2.5 % the diaspora (CI, FR, ML, SN, US, CA: expected), 0.3 % travellers
 *   elsewhere (AE, CN, TR, MA, BR). E-mail: the big webmails, local and company domains; 0.3 % of honest customers
 *   use a disposable address.
 * - Every checkout carries its event in `metadata.event_id` (`--without-event-id` measures a ticketing that does
 *   not send it) and a country (CloudFront-Viewer-Country). No card fingerprint at checkout (PayDunya's page picks
 *   the method), so `cards_per_customer` never fires here.
 * - Injected fraud, each actor with its own accounts, phones and addresses:
 *   - card testing (3 actors): 25–60 attempts 20–90 s apart from 1–4 new accounts (half on disposable e-mail), from a
 *     VPS abroad (40 %), a home line (30 %) or mobile data (30 %, sharing carrier NAT with honest customers); 60 %
 *     of attempts at 100–900 XOF, the rest at 2,000–5,000; 88 % refused. Phones typed at random 70 % of the time.
 *   - scalping (2 actors): at the hot concert's opening, 10–18 accounts (30 % aged, with paid history), 3–4 SIMs,
 *     one fibre line or carrier NAT; 1–3 orders per account of 4–10 tickets in the upper tiers.
 *   - stolen phone (4 actors): one stolen wallet pays for 5–12 accounts (80 % new) within the hour or two, 2–4
 *     tickets each, 40 % typing the same e-mail every time, from mobile data.
 *   - account farming (2 actors): 20–40 new accounts from one address over 1–3 hours, 60 % disposable e-mails,
 *     one phone each, one cheap checkout each (half abandoned).
 * - Not modelled: the per-account and per-phone attempt limit (5 per 15 min) and WAF, which would stop some of the
 *   same traffic before screening (the figures are the screening's alone); the day before (yesterday's items are
 *   empty); fraudsters adapting to being reviewed or blocked (a blocked checkout simply gets no invoice).
 *
 * Keys are opaque ids standing for the keyed hashes the store would hold.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_FRAUD_RULES,
  FRAUD_RULE,
  type FraudRuleName,
  type FraudRules,
} from '../lambdas/shared/contract/fraud';
import {
  checkoutFacts,
  type RiskDecisionKind,
  riskDayAfterCheckout,
  riskDayAfterFailure,
  riskDayAfterPayment,
  riskSignals,
  screenCheckout,
} from '../lambdas/shared/domain/fraud-screening';
import {
  type CheckoutCount,
  EMPTY_RISK_DAY,
  type PaidCount,
  type RiskCounters,
  type RiskDay,
  type RiskHistory,
  type RiskIdentity,
  type RiskKeys,
} from '../lambdas/shared/domain/ports-fraud';

const DEFAULT_SEEDS = ['1', '2', '3'];
const USAGE = `usage: npm run bench:fraud -- [--seed N]... [--customers N] [--without-event-id]

Generates a reproducible day of checkouts (honest customers and injected fraud) from each seed, screens every
checkout with the real screenCheckout and DEFAULT_FRAUD_RULES, prints recall, false-positive rate and precision,
and writes bench/fraud-results.md.

options:
  --seed N             a seed; repeat for several days (default: ${DEFAULT_SEEDS.join(', ')})
  --customers N        honest customers in the day (default: 5000)
  --without-event-id   checkouts carry no metadata.event_id (tickets_per_event cannot fire)
  -h, --help           print this help and exit`;

// ---------------------------------------------------------------------------------------------------------------
// Model

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY_START = Date.UTC(2026, 11, 5);

const MODEL = {
  returningShare: 0.6,
  /** Relative checkouts per hour of the day, 00:00 to 23:00 (UTC = Ouagadougou). */
  hourly: [0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 1, 2, 3, 4, 4.5, 4.5, 5.5, 5.5, 4, 4, 4.5, 6, 8.5, 10, 10, 8, 5, 2],
  hotEventRushShare: 0.4,
  hotEventOpening: DAY_START + 10 * HOUR,
  quantity: [
    [1, 38],
    [2, 34],
    [3, 12],
    [4, 12],
    [5, 2.5],
    [6, 1.5],
  ] as [number, number][],
  groupShareNew: 0.04,
  groupShareReturning: 0.01,
  twoTierShare: 0.08,
  outcome: [
    ['paid', 74],
    ['failed', 12],
    ['abandoned', 14],
  ] as [Outcome, number][],
  retryAfterFailure: 0.7,
  retryAfterAbandon: 0.25,
  retrySwitchesPhone: 0.15,
  retryLowersQuantity: 0.15,
  retryChangesAddress: 0.2,
  secondSession: 0.08,
  thirdSession: 0.01,
  familyPhoneShare: 0.04,
  familyEmailShare: 0.2,
  access: [
    ['mobile', 72],
    ['home', 15],
    ['office', 8],
    ['cafe', 5],
  ] as [Access, number][],
  natPools: { orange: 256, moov: 128 },
  orangeShare: 0.6,
  offices: 40,
  cafes: 25,
  diasporaShare: 0.025,
  travellerShare: 0.003,
  diaspora: ['CI', 'FR', 'ML', 'SN', 'US', 'CA'],
  travel: ['AE', 'CN', 'TR', 'MA', 'BR'],
  honestDisposableShare: 0.003,
  emailDomains: [
    ['gmail.com', 55],
    ['yahoo.fr', 15],
    ['yahoo.com', 8],
    ['hotmail.fr', 5],
    ['hotmail.com', 3],
    ['outlook.com', 5],
    ['icloud.com', 2],
    ['orange.bf', 2],
    ['onatel.bf', 1],
    ['company.bf', 4],
  ] as [string, number][],
  disposableDomains: [
    'yopmail.com',
    'yopmail.fr',
    'mailinator.com',
    'jetable.org',
    'temp-mail.org',
    'guerrillamail.com',
  ],
} as const;

interface TicketEvent {
  readonly id: string;
  readonly tiers: readonly number[];
  readonly popularity: number;
}

const EVENTS: readonly TicketEvent[] = [
  { id: 'evt-concert-hot', tiers: [5_000, 10_000, 25_000, 50_000], popularity: 25 },
  { id: 'evt-football', tiers: [2_000, 3_000, 5_000], popularity: 20 },
  { id: 'evt-comedy', tiers: [3_000, 5_000, 10_000], popularity: 10 },
  { id: 'evt-maquis-night', tiers: [2_000, 5_000], popularity: 10 },
  { id: 'evt-gospel', tiers: [2_000, 3_000], popularity: 6 },
  { id: 'evt-theatre', tiers: [3_000, 5_000, 10_000], popularity: 6 },
  { id: 'evt-gala', tiers: [10_000, 25_000, 50_000], popularity: 4 },
  { id: 'evt-festival', tiers: [5_000, 10_000, 20_000], popularity: 9 },
  { id: 'evt-kids', tiers: [2_000, 3_000], popularity: 5 },
  { id: 'evt-conference', tiers: [5_000, 15_000], popularity: 5 },
];
const HOT_EVENT = EVENTS[0] as TicketEvent;
/** Cheapest tier most of the time. */
const TIER_WEIGHTS = [55, 30, 12, 3];

type Outcome = 'paid' | 'failed' | 'abandoned';
type Access = 'mobile' | 'home' | 'office' | 'cafe';
const PATTERNS = ['card_testing', 'scalping', 'stolen_phone', 'account_farming'] as const;
type Pattern = 'legit' | (typeof PATTERNS)[number];

interface Item {
  readonly name: string;
  readonly quantity: number;
  readonly unit_price: number;
}

interface Attempt {
  readonly at: number;
  readonly pattern: Pattern;
  readonly actor: string;
  readonly keys: RiskKeys;
  readonly email: string;
  readonly country: string;
  readonly eventId: string;
  readonly items: readonly Item[];
  readonly outcome: Outcome;
  /** From the checkout to PayDunya's answer (IPN). */
  readonly settlesAfter: number;
}

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let r = this.next() * total;
    for (const [value, weight] of entries) {
      r -= weight;
      if (r < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generator

const hourOfDay = (random: Random): number =>
  random.weighted(MODEL.hourly.map((w, hour) => [hour, w] as const));
const timeInDay = (random: Random): number => DAY_START + hourOfDay(random) * HOUR + random.int(0, HOUR - 1);

const natAddress = (random: Random, carrier: 'orange' | 'moov'): string =>
  `nat-${carrier}-${random.int(1, MODEL.natPools[carrier])}`;

const basket = (random: Random, event: TicketEvent, group: boolean): Item[] => {
  const tier = () => {
    const weights = event.tiers.map((price, i) => [price, TIER_WEIGHTS[i] ?? 1] as const);
    return random.weighted(weights);
  };
  const quantity = group ? random.int(5, 10) : random.weighted(MODEL.quantity);
  const first = tier();
  if (quantity >= 2 && random.chance(MODEL.twoTierShare)) {
    const second = tier();
    if (second !== first) {
      const split = random.int(1, quantity - 1);
      return [
        { name: `${event.id} ${first}`, quantity: split, unit_price: first },
        { name: `${event.id} ${second}`, quantity: quantity - split, unit_price: second },
      ];
    }
  }
  return [{ name: `${event.id} ${first}`, quantity, unit_price: first }];
};

const settleDelay = (random: Random): number => random.int(30_000, 180_000);

interface Customer {
  readonly id: string;
  readonly returning: boolean;
  readonly phone: string;
  readonly email: string;
  readonly access: Access;
  readonly carrier: 'orange' | 'moov';
  readonly fixedAddress?: string;
  readonly country: string;
}

const honestCustomers = (random: Random, count: number): Customer[] => {
  const customers: Customer[] = [];
  for (let i = 0; i < count; i++) {
    const id = `cust-${i}`;
    const family =
      customers.length > 0 && random.chance(MODEL.familyPhoneShare) ? random.pick(customers) : undefined;
    const domain = random.chance(MODEL.honestDisposableShare)
      ? random.pick(MODEL.disposableDomains)
      : random.weighted(MODEL.emailDomains);
    const email = family && random.chance(MODEL.familyEmailShare) ? family.email : `${id}@${domain}`;
    const abroad = random.chance(MODEL.diasporaShare + MODEL.travellerShare);
    const country = !abroad
      ? 'BF'
      : random.chance(MODEL.diasporaShare / (MODEL.diasporaShare + MODEL.travellerShare))
        ? random.pick(MODEL.diaspora)
        : random.pick(MODEL.travel);
    const access: Access = abroad ? 'home' : random.weighted(MODEL.access);
    const fixedAddress =
      access === 'home'
        ? `home-${id}`
        : access === 'office'
          ? `office-${random.int(1, MODEL.offices)}`
          : access === 'cafe'
            ? `cafe-${random.int(1, MODEL.cafes)}`
            : undefined;
    customers.push({
      id,
      returning: random.chance(MODEL.returningShare),
      phone: family ? family.phone : `phone-${id}`,
      email,
      access,
      carrier: random.chance(MODEL.orangeShare) ? 'orange' : 'moov',
      ...(fixedAddress ? { fixedAddress } : {}),
      country,
    });
  }
  return customers;
};

const sessionStart = (random: Random, event: TicketEvent): number =>
  event === HOT_EVENT && random.chance(MODEL.hotEventRushShare)
    ? MODEL.hotEventOpening + random.int(0, 90 * MINUTE)
    : timeInDay(random);

const honestAttempts = (random: Random, customers: readonly Customer[]): Attempt[] => {
  const attempts: Attempt[] = [];
  const events = EVENTS.map((event) => [event, event.popularity] as const);
  for (const customer of customers) {
    const sessions =
      1 + (random.chance(MODEL.secondSession) ? 1 : 0) + (random.chance(MODEL.thirdSession) ? 1 : 0);
    for (let s = 0; s < sessions; s++) {
      const event = random.weighted(events);
      const group = random.chance(customer.returning ? MODEL.groupShareReturning : MODEL.groupShareNew);
      let items = basket(random, event, group);
      let at = sessionStart(random, event);
      let phone = customer.phone;
      let address = customer.fixedAddress ?? natAddress(random, customer.carrier);
      for (let n = 1; n <= 3; n++) {
        const outcome = random.weighted(MODEL.outcome);
        attempts.push({
          at,
          pattern: 'legit',
          actor: customer.id,
          keys: { customer: customer.id, phone, email: customer.email, ip: address },
          email: customer.email,
          country: customer.country,
          eventId: event.id,
          items,
          outcome,
          settlesAfter: settleDelay(random),
        });
        const retry =
          (outcome === 'failed' && random.chance(MODEL.retryAfterFailure)) ||
          (outcome === 'abandoned' && random.chance(MODEL.retryAfterAbandon));
        if (!retry) break;
        at += outcome === 'failed' ? random.int(1, 10) * MINUTE : random.int(2, 30) * MINUTE;
        if (random.chance(MODEL.retrySwitchesPhone)) phone = `phone-${customer.id}-relative`;
        if (!customer.fixedAddress && random.chance(MODEL.retryChangesAddress)) {
          address = natAddress(random, customer.carrier);
        }
        if (random.chance(MODEL.retryLowersQuantity)) {
          items = items.map((item) => ({ ...item, quantity: Math.max(1, item.quantity - 1) }));
        }
      }
    }
  }
  return attempts;
};

/** A new account's e-mail: disposable with probability `p`, else a webmail address. */
const fraudEmail = (random: Random, account: string, p: number): string =>
  `${account}@${random.chance(p) ? random.pick(MODEL.disposableDomains) : random.pick(['gmail.com', 'yahoo.fr', 'outlook.com'])}`;

const cardTesting = (random: Random, actor: string): Attempt[] => {
  const accounts = Array.from({ length: random.int(1, 4) }, (_, j) => `${actor}-acct-${j}`);
  const emails = accounts.map((account) => fraudEmail(random, account, 0.5));
  const where = random.weighted([
    ['vps', 40],
    ['home', 30],
    ['mobile', 30],
  ] as const);
  const country = where === 'vps' ? random.pick(['NL', 'US', 'DE', 'FR', 'RU', 'SG']) : 'BF';
  const carrier = random.chance(0.6) ? 'orange' : 'moov';
  let address = where === 'mobile' ? natAddress(random, carrier) : `${where}-${actor}`;
  const fixedPhone = random.chance(0.3) ? `phone-${actor}` : undefined;
  const event = random.pick(EVENTS);
  const total = random.int(25, 60);
  let at = DAY_START + random.int(0, 22 * 60) * MINUTE;
  const attempts: Attempt[] = [];
  for (let n = 0; n < total; n++) {
    const account = n % accounts.length;
    if (where === 'mobile' && n > 0 && n % 10 === 0) address = natAddress(random, carrier);
    const price = random.chance(0.6) ? random.int(1, 9) * 100 : random.int(2, 5) * 1_000;
    attempts.push({
      at,
      pattern: 'card_testing',
      actor,
      keys: {
        customer: accounts[account] as string,
        phone: fixedPhone ?? `phone-${actor}-${n}`,
        email: emails[account] as string,
        ip: address,
      },
      email: emails[account] as string,
      country,
      eventId: event.id,
      items: [{ name: `${event.id} ${price}`, quantity: 1, unit_price: price }],
      outcome: random.weighted([
        ['failed', 88],
        ['paid', 10],
        ['abandoned', 2],
      ] as const),
      settlesAfter: random.int(20_000, 60_000),
    });
    at += random.int(20, 90) * 1_000;
  }
  return attempts;
};

const scalping = (random: Random, actor: string, paidBefore: Set<string>): Attempt[] => {
  const accounts = Array.from({ length: random.int(10, 18) }, (_, j) => `${actor}-acct-${j}`);
  for (const account of accounts) if (random.chance(0.3)) paidBefore.add(account);
  const sims = Array.from({ length: random.int(3, 4) }, (_, j) => `phone-${actor}-sim-${j}`);
  const mobile = random.chance(0.5);
  const attempts: Attempt[] = [];
  accounts.forEach((account, j) => {
    const email = fraudEmail(random, account, 0.25);
    const address = mobile ? natAddress(random, 'orange') : `fibre-${actor}`;
    let at = MODEL.hotEventOpening + random.int(0, 180) * 1_000 + random.int(0, 30) * MINUTE;
    const orders = random.int(1, 3);
    for (let n = 0; n < orders; n++) {
      const price = random.pick(HOT_EVENT.tiers.slice(1));
      attempts.push({
        at,
        pattern: 'scalping',
        actor,
        keys: { customer: account, phone: sims[j % sims.length] as string, email, ip: address },
        email,
        country: 'BF',
        eventId: HOT_EVENT.id,
        items: [{ name: `${HOT_EVENT.id} ${price}`, quantity: random.int(4, 10), unit_price: price }],
        outcome: random.weighted([
          ['paid', 92],
          ['failed', 5],
          ['abandoned', 3],
        ] as const),
        settlesAfter: random.int(30_000, 120_000),
      });
      at += random.int(2, 8) * MINUTE;
    }
  });
  return attempts;
};

const stolenPhone = (random: Random, actor: string, paidBefore: Set<string>): Attempt[] => {
  const phone = `phone-${actor}-stolen`;
  const carrier = random.chance(0.6) ? 'orange' : 'moov';
  const sameEmail = random.chance(0.4) ? fraudEmail(random, actor, 0) : undefined;
  const event = random.weighted(EVENTS.map((e) => [e, e.popularity] as const));
  let at = DAY_START + 8 * HOUR + random.int(0, 14 * 60) * MINUTE;
  let address = natAddress(random, carrier);
  const attempts: Attempt[] = [];
  const accounts = random.int(5, 12);
  for (let j = 0; j < accounts; j++) {
    const account = `${actor}-acct-${j}`;
    if (random.chance(0.2)) paidBefore.add(account);
    const email = sameEmail ?? fraudEmail(random, account, 0.1);
    const orders = random.chance(0.2) ? 2 : 1;
    for (let n = 0; n < orders; n++) {
      if (random.chance(0.3)) address = natAddress(random, carrier);
      const price = random.pick(event.tiers.slice(Math.min(1, event.tiers.length - 1)));
      attempts.push({
        at,
        pattern: 'stolen_phone',
        actor,
        keys: { customer: account, phone, email, ip: address },
        email,
        country: 'BF',
        eventId: event.id,
        items: [{ name: `${event.id} ${price}`, quantity: random.int(2, 4), unit_price: price }],
        outcome: random.weighted([
          ['paid', 80],
          ['failed', 20],
        ] as const),
        settlesAfter: random.int(30_000, 120_000),
      });
      at += random.int(2, 10) * MINUTE;
    }
  }
  return attempts;
};

const accountFarming = (random: Random, actor: string): Attempt[] => {
  const address = `farm-${actor}`;
  const start = DAY_START + random.int(9, 20) * HOUR;
  const span = random.int(1, 3) * HOUR;
  const event = random.pick(EVENTS);
  const price = event.tiers[0] as number;
  return Array.from({ length: random.int(20, 40) }, (_, j): Attempt => {
    const account = `${actor}-acct-${j}`;
    const email = fraudEmail(random, account, 0.6);
    return {
      at: start + random.int(0, span),
      pattern: 'account_farming',
      actor,
      keys: { customer: account, phone: `phone-${actor}-${j}`, email, ip: address },
      email,
      country: 'BF',
      eventId: event.id,
      items: [{ name: `${event.id} ${price}`, quantity: random.int(1, 2), unit_price: price }],
      outcome: random.weighted([
        ['paid', 50],
        ['abandoned', 45],
        ['failed', 5],
      ] as const),
      settlesAfter: random.int(30_000, 180_000),
    };
  });
};

interface Day {
  readonly attempts: readonly Attempt[];
  /** Accounts with a COMPLETED order before the day. */
  readonly paidBefore: ReadonlySet<string>;
}

const generateDay = (seed: number, customerCount: number): Day => {
  const random = new Random(seed);
  const customers = honestCustomers(random, customerCount);
  const paidBefore = new Set(customers.filter((c) => c.returning).map((c) => c.id));
  const attempts = [
    ...honestAttempts(random, customers),
    ...[1, 2, 3].flatMap((n) => cardTesting(random, `card-tester-${n}`)),
    ...[1, 2].flatMap((n) => scalping(random, `scalper-${n}`, paidBefore)),
    ...[1, 2, 3, 4].flatMap((n) => stolenPhone(random, `phone-thief-${n}`, paidBefore)),
    ...[1, 2].flatMap((n) => accountFarming(random, `farmer-${n}`)),
  ].filter((attempt) => attempt.at < DAY_START + 24 * HOUR);
  attempts.sort((a, b) => a.at - b.at);
  return { attempts, paidBefore };
};

// ---------------------------------------------------------------------------------------------------------------
// In-memory risk counters: the store's items, updated with the domain's reference functions.

const IDENTITIES: readonly RiskIdentity[] = ['customer', 'phone', 'email', 'ip'];
const dayOf = (at: Date): string => at.toISOString().slice(0, 10);
const previousDayOf = (at: Date): string => dayOf(new Date(at.getTime() - 24 * HOUR));

class MemoryRiskCounters implements RiskCounters {
  private readonly items = new Map<string, RiskDay>();
  private readonly paid: Set<string>;

  constructor(paidBefore: ReadonlySet<string>) {
    this.paid = new Set(paidBefore);
  }

  private item(identity: RiskIdentity, key: string, day: string): RiskDay {
    return this.items.get(`RISK#${identity}#${key}|D#${day}`) ?? EMPTY_RISK_DAY;
  }

  private update(identity: RiskIdentity, key: string, at: Date, change: (day: RiskDay) => RiskDay): void {
    const day = dayOf(at);
    this.items.set(`RISK#${identity}#${key}|D#${day}`, change(this.item(identity, key, day)));
  }

  async read(keys: RiskKeys, at: Date): Promise<RiskHistory> {
    const today = dayOf(at);
    const yesterday = previousDayOf(at);
    const days = Object.fromEntries(
      IDENTITIES.map((identity) => [
        identity,
        {
          today: this.item(identity, keys[identity], today),
          yesterday: this.item(identity, keys[identity], yesterday),
        },
      ]),
    ) as RiskHistory['days'];
    return { days, customerHasPaid: this.paid.has(keys.customer) };
  }

  async recordCheckout(count: CheckoutCount, at: Date): Promise<void> {
    for (const identity of IDENTITIES) {
      this.update(identity, count.keys[identity], at, (day) =>
        riskDayAfterCheckout(identity, day, count, at.getUTCHours()),
      );
    }
  }

  /** The bench counts blocks from the decisions themselves; the audit record is the store's concern. */
  async recordBlock(): Promise<void> {}

  async recordFailure(keys: Pick<RiskKeys, 'customer' | 'ip'>, at: Date): Promise<void> {
    this.update('customer', keys.customer, at, (day) => riskDayAfterFailure(day, at.getUTCHours()));
    this.update('ip', keys.ip, at, (day) => riskDayAfterFailure(day, at.getUTCHours()));
  }

  async recordPaid(paid: PaidCount, at: Date): Promise<void> {
    this.paid.add(paid.keys.customer);
    this.update('customer', paid.keys.customer, at, (day) => riskDayAfterPayment(day, paid));
    this.update('phone', paid.keys.phone, at, (day) => riskDayAfterPayment(day, paid));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Simulation

interface Screened {
  readonly attempt: Attempt;
  readonly decision: RiskDecisionKind;
  readonly rules: readonly FraudRuleName[];
}

interface Settlement {
  readonly at: number;
  readonly attempt: Attempt;
}

const tickets = (items: readonly Item[]): number => items.reduce((sum, item) => sum + item.quantity, 0);

/** Screens the day in time order; PayDunya's answers reach the counters when they arrive (an IPN). */
const simulate = async (day: Day, rules: FraudRules, withEventId: boolean): Promise<Screened[]> => {
  const counters = new MemoryRiskCounters(day.paidBefore);
  const pending: Settlement[] = [];
  const settle = async (until: number) => {
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && (pending[0] as Settlement).at <= until) {
      const { at, attempt } = pending.shift() as Settlement;
      if (attempt.outcome === 'failed') await counters.recordFailure(attempt.keys, new Date(at));
      if (attempt.outcome === 'paid') {
        await counters.recordPaid(
          {
            keys: attempt.keys,
            tickets: tickets(attempt.items),
            ...(withEventId ? { eventId: attempt.eventId } : {}),
          },
          new Date(at),
        );
      }
    }
  };
  const screened: Screened[] = [];
  for (const attempt of day.attempts) {
    await settle(attempt.at);
    const at = new Date(attempt.at);
    const request = {
      amount: attempt.items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0),
      items: attempt.items,
      customer_email: attempt.email,
      ...(withEventId ? { metadata: { event_id: attempt.eventId } } : {}),
    };
    const facts = checkoutFacts(request, attempt.keys, { country: attempt.country });
    const history = await counters.read(attempt.keys, at);
    const { decision, reasons } = screenCheckout(facts, riskSignals(history, facts.eventId, at), rules);
    await counters.recordCheckout(
      { keys: attempt.keys, amount: request.amount, customerHasPaid: history.customerHasPaid },
      at,
    );
    screened.push({ attempt, decision, rules: reasons.map((r) => r.rule) });
    if (decision !== 'block' && attempt.outcome !== 'abandoned') {
      pending.push({ at: attempt.at + attempt.settlesAfter, attempt });
    }
  }
  return screened;
};

// ---------------------------------------------------------------------------------------------------------------
// Figures

interface PatternFigures {
  readonly total: number;
  readonly caught: number;
  readonly blocked: number;
  readonly actors: number;
  readonly actorsCaught: number;
}

interface Figures {
  readonly seed: number;
  readonly legit: number;
  readonly legitReviewed: number;
  readonly legitBlocked: number;
  readonly fraud: number;
  readonly fraudCaught: number;
  readonly patterns: Readonly<Record<Exclude<Pattern, 'legit'>, PatternFigures>>;
  /** Rule → [honest checkouts it fired on, fraudulent ones]. */
  readonly rules: Readonly<Record<FraudRuleName, readonly [number, number]>>;
  readonly recall: number;
  readonly falsePositiveRate: number;
  readonly precision: number;
}

const figuresOf = (seed: number, screened: readonly Screened[]): Figures => {
  const flagged = (s: Screened) => s.decision !== 'allow';
  const legit = screened.filter((s) => s.attempt.pattern === 'legit');
  const fraud = screened.filter((s) => s.attempt.pattern !== 'legit');
  const patterns = Object.fromEntries(
    PATTERNS.map((pattern) => {
      const of = fraud.filter((s) => s.attempt.pattern === pattern);
      const actors = new Set(of.map((s) => s.attempt.actor));
      const actorsCaught = new Set(of.filter(flagged).map((s) => s.attempt.actor));
      return [
        pattern,
        {
          total: of.length,
          caught: of.filter(flagged).length,
          blocked: of.filter((s) => s.decision === 'block').length,
          actors: actors.size,
          actorsCaught: actorsCaught.size,
        },
      ];
    }),
  ) as Figures['patterns'];
  const rules = {} as Record<FraudRuleName, readonly [number, number]>;
  for (const rule of Object.values(FRAUD_RULE)) {
    rules[rule] = [
      legit.filter((s) => s.rules.includes(rule)).length,
      fraud.filter((s) => s.rules.includes(rule)).length,
    ];
  }
  const legitFlagged = legit.filter(flagged).length;
  const fraudCaught = fraud.filter(flagged).length;
  return {
    seed,
    legit: legit.length,
    legitReviewed: legit.filter((s) => s.decision === 'review').length,
    legitBlocked: legit.filter((s) => s.decision === 'block').length,
    fraud: fraud.length,
    fraudCaught,
    patterns,
    rules,
    recall: fraudCaught / fraud.length,
    falsePositiveRate: legitFlagged / legit.length,
    precision: fraudCaught + legitFlagged === 0 ? 1 : fraudCaught / (fraudCaught + legitFlagged),
  };
};

const pct = (value: number): string => `${(value * 100).toFixed(1)} %`;

const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const TARGET = { recall: 0.9, falsePositiveRate: 0.01 };

const meetsTarget = (recall: number, falsePositiveRate: number): string =>
  recall >= TARGET.recall && falsePositiveRate <= TARGET.falsePositiveRate ? 'met' : 'MISSED';

const summaryTable = (all: readonly Figures[]): string => {
  const sum = (field: 'legit' | 'fraud' | 'fraudCaught' | 'legitReviewed' | 'legitBlocked') =>
    all.reduce((total, f) => total + f[field], 0);
  const [legit, fraud, caught, reviewed, blocked] = [
    sum('legit'),
    sum('fraud'),
    sum('fraudCaught'),
    sum('legitReviewed'),
    sum('legitBlocked'),
  ];
  const row = (
    name: string,
    f: Pick<Figures, 'legit' | 'fraud' | 'fraudCaught' | 'legitReviewed' | 'legitBlocked'>,
  ): string[] => {
    const recall = f.fraudCaught / f.fraud;
    const fpr = (f.legitReviewed + f.legitBlocked) / f.legit;
    const flagged = f.fraudCaught + f.legitReviewed + f.legitBlocked;
    return [
      name,
      String(f.legit),
      String(f.fraud),
      `${pct(recall)} (${f.fraudCaught})`,
      `${pct(fpr)} (${f.legitReviewed + f.legitBlocked})`,
      String(f.legitBlocked),
      pct(flagged === 0 ? 1 : f.fraudCaught / flagged),
      meetsTarget(recall, fpr),
    ];
  };
  return table(
    [
      'seed',
      'honest checkouts',
      'fraud checkouts',
      'recall',
      'false positives',
      'honest blocked',
      'precision',
      'target',
    ],
    [
      ...all.map((f) => row(String(f.seed), f)),
      ...(all.length > 1
        ? [row('all', { legit, fraud, fraudCaught: caught, legitReviewed: reviewed, legitBlocked: blocked })]
        : []),
    ],
  );
};

const patternTable = (all: readonly Figures[]): string =>
  table(
    ['seed', ...PATTERNS.map((pattern) => `${pattern}: caught / total (blocked)`), 'actors flagged'],
    all.map((f) => [
      String(f.seed),
      ...PATTERNS.map((pattern) => {
        const p = f.patterns[pattern];
        return `${p.caught} / ${p.total} = ${pct(p.caught / Math.max(1, p.total))} (${p.blocked})`;
      }),
      `${PATTERNS.reduce((n, p) => n + f.patterns[p].actorsCaught, 0)} / ${PATTERNS.reduce((n, p) => n + f.patterns[p].actors, 0)}`,
    ]),
  );

const ruleTable = (all: readonly Figures[], rules: FraudRules): string =>
  table(
    ['rule', 'action', 'honest checkouts it fired on', 'fraud checkouts it fired on'],
    Object.values(FRAUD_RULE).map((rule) => [
      rule,
      rules[rule].enabled ? rules[rule].action : 'off',
      String(all.reduce((n, f) => n + f.rules[rule][0], 0)),
      String(all.reduce((n, f) => n + f.rules[rule][1], 0)),
    ]),
  );

const RESULTS = join(import.meta.dirname, 'fraud-results.md');
const BEGIN =
  '<!-- bench:fraud begin: written by `npm run bench:fraud`; text outside these markers is kept -->';
const END = '<!-- bench:fraud end -->';

/** Replaces the generated part of bench/fraud-results.md, keeping what people wrote around it. */
const writeResults = (generated: string): void => {
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const start = previous.indexOf(BEGIN);
  const end = previous.indexOf(END);
  const block = `${BEGIN}\n\n${generated}\n\n${END}`;
  writeFileSync(
    RESULTS,
    start >= 0 && end > start
      ? `${previous.slice(0, start)}${block}${previous.slice(end + END.length)}`
      : `# Fraud screening: a measured day of traffic\n\n${block}\n`,
  );
};

// ---------------------------------------------------------------------------------------------------------------
// Command line

const parse = () => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: {
        seed: { type: 'string', multiple: true },
        customers: { type: 'string', default: '5000' },
        'without-event-id': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
};

const wholeNumber = (name: string, value: string): number => {
  if (!/^\d+$/.test(value)) {
    console.error(`--${name} must be a whole number, not "${value}"\n\n${USAGE}`);
    process.exit(2);
  }
  return Number(value);
};

const main = async (): Promise<void> => {
  const options = parse();
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const seeds = (options.seed ?? DEFAULT_SEEDS).map((seed) => wholeNumber('seed', seed));
  const customers = wholeNumber('customers', options.customers);
  const withEventId = !options['without-event-id'];
  const rules = DEFAULT_FRAUD_RULES;

  const started = performance.now();
  const all: Figures[] = [];
  for (const seed of seeds) {
    all.push(figuresOf(seed, await simulate(generateDay(seed, customers), rules, withEventId)));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  const command = [
    'npm run bench:fraud --',
    ...seeds.map((seed) => `--seed ${seed}`),
    ...(customers !== 5000 ? [`--customers ${customers}`] : []),
    ...(withEventId ? [] : ['--without-event-id']),
  ].join(' ');
  const sections = [
    `Target: ≥ ${pct(TARGET.recall)} of injected fraud checkouts caught (review or block), with ≤ ${pct(TARGET.falsePositiveRate)} of honest checkouts sent to review or blocked.`,
    `### Overall\n\n${summaryTable(all)}`,
    `### Per pattern\n\n${patternTable(all)}`,
    `### Per rule, all seeds (a checkout can fire several rules)\n\n${ruleTable(all, rules)}`,
  ];
  console.log(`${command}  (${seconds} s)\n\n${sections.join('\n\n')}`);
  writeResults(
    [
      `Command: \`${command}\` (${seconds} s, Node ${process.version}). Rules: \`DEFAULT_FRAUD_RULES\``,
      '(lambdas/shared/contract/fraud.ts). Traffic model and its assumptions: the header of bench/fraud-day.ts.',
      `Checkouts carry their event id: ${withEventId ? 'yes' : 'no'}.`,
      '',
      sections.join('\n\n'),
    ].join('\n'),
  );
};

await main();
