import { randomInt, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentEvent } from '../../lambdas/shared/contract/events';
import { DEFAULT_FRAUD_RULES, FRAUD_RULE, type FraudRules } from '../../lambdas/shared/contract/fraud';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { subjectHash } from '../../lambdas/shared/domain/crypto';
import { kpiSummaryOf, publishReport } from '../../lambdas/shared/domain/daily-report';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { bodyOf, type Json } from '../support/json';
import { type Harness, SCREENING_OFF, startHarness, validOrder } from './harness';

/**
 * Fraud screening at checkout (issue 15), end to end through the local HTTP API: the rules file (the AppConfig
 * profile's twin, read on every checkout), the risk counters in DynamoDB Local, the PayDunya simulator and its IPN,
 * the alerts log and the payment events ticketing receives.
 *
 * Every test switches on only the rules it is about, and checks out as its own customer (account, phone, e-mail):
 * the counters of one test never feed another's. All requests come from loopback, so the source IP is shared by
 * the whole file: rules keyed by IP stay off except where a test says otherwise.
 */
let h: Harness;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  h = await startHarness({ events: true, dynamoFaults: true, fraudRules: SCREENING_OFF });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...LOCAL_AWS, endpoint: inject('dynamoEndpoint') }),
  );
});
afterEach(() => {
  h.faults?.clear();
});
afterAll(async () => {
  documents?.destroy();
  await h?.stop();
});

/** SCREENING_OFF with only the given rules as stated. */
const only = (rules: Partial<FraudRules>): FraudRules => ({ ...SCREENING_OFF, ...rules });

/** A fresh customer: their own account, phone and e-mail, so that only this test's checkouts count for them. */
const newCustomer = () => {
  const id = randomUUID().slice(0, 8);
  return {
    subject: `customer-${id}`,
    email: `client.${id}@example.bf`,
    phone: `+2267${String(randomInt(0, 10_000_000)).padStart(7, '0')}`,
    name: `Client ${id}`,
  };
};
type Customer = ReturnType<typeof newCustomer>;

const checkoutOf = (
  customer: Customer,
  { amount = 5_000, tickets = 1 }: { amount?: number; tickets?: number } = {},
) =>
  validOrder({
    amount: amount * tickets,
    customer_email: customer.email,
    customer_phone: customer.phone,
    customer_name: customer.name,
    items: [{ name: 'Concert - Entrée', quantity: tickets, unit_price: amount }],
  });

/** POST /payments as `customer`, with a new Idempotency-Key. */
const checkout = async (customer: Customer, body: unknown, headers: Record<string, string> = {}) =>
  h.post(body, randomUUID(), { Authorization: `Bearer ${await h.token(customer.subject)}`, ...headers });

const created = async (
  response: Response,
): Promise<{ orderId: string; token: string; checkoutUrl: string }> => {
  const body = await bodyOf(response);
  expect(response.status, JSON.stringify(body)).toBe(201);
  expect(body.checkoutUrl).toEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//));
  return body;
};

/** The order item as stored (read by scan, not through the code under test). */
const storedOrder = async (orderId: string): Promise<Json> => {
  const order = (await h.orders()).find((item) => item.orderId === orderId);
  if (!order) throw new Error(`order ${orderId} not in the table`);
  return order;
};

const scanAll = async (): Promise<Json[]> => {
  const items: Json[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: h.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};

const customerPk = async (customer: Customer) =>
  `RISK#customer#${subjectHash(await h.ctx.secrets.signingSecret(), customer.subject)}`;

/** The audit records of the checkouts screening blocked for `customer`. */
const blocksOf = async (customer: Customer): Promise<Json[]> => {
  const pk = await customerPk(customer);
  return (await scanAll()).filter((item) => item.pk === pk && String(item.sk).startsWith('BLOCK#'));
};

const orderItemCount = async () =>
  (await scanAll()).filter((item) => String(item.pk).startsWith('ORDER#')).length;

/** Every value a customer typed that must never reach an alert, a reason or an audit record. */
const contactOf = (customer: Customer) => [
  customer.email,
  customer.email.split('@')[0] as string,
  customer.phone,
  customer.phone.slice(4),
  customer.name,
  customer.subject,
];

const expectDeclined = async (response: Response) => {
  const text = await response.text();
  expect(response.status, text).toBe(403);
  const { error } = JSON.parse(text);
  expect(error.code).toBe('PAYMENT_DECLINED');
  // Nothing a fraudster could tune against: no rule, threshold or count, in the message or anywhere in the body.
  for (const rule of Object.values(FRAUD_RULE)) expect(text).not.toContain(rule);
  expect(error.message).not.toMatch(/fraud|rule|risk|threshold|small|fail|attempt|card|test|review|\d/i);
  expect(Object.keys(error).sort()).toEqual(['code', 'message', 'requestId']);
  return error;
};

const receiver = () => {
  if (!h.events) throw new Error('harness started without events');
  return h.events;
};

describe('fraud screening at checkout', () => {
  it('block: 403 PAYMENT_DECLINED that gives nothing away, no order, no PayDunya call, one audit record, a critical alert with the rule name and no contact data', async () => {
    await h.setFraudRules(
      only({ card_testing: { enabled: true, action: 'block', failures: 100, small_checkouts: 3 } }),
    );
    const tester = newCustomer();
    const small = checkoutOf(tester, { amount: 500 });
    // Below the threshold: the 1st and 2nd small checkouts of the hour go through.
    await created(await checkout(tester, small));
    await created(await checkout(tester, small));

    const ordersBefore = await orderItemCount();
    const invoicesBefore = h.sim.invoiceCount();
    const createCallsBefore = h.sim.calls().create;
    const alertsBefore = (await h.alerts()).length;
    expect(await blocksOf(tester)).toEqual([]);

    // The 3rd reaches small_checkouts = 3.
    const error = await expectDeclined(await checkout(tester, small));
    expect(error.message).toBe(
      'This payment cannot be accepted. Nothing was charged. If you think this is a mistake, contact Temba support.',
    );

    expect(await orderItemCount()).toBe(ordersBefore);
    expect(h.sim.invoiceCount()).toBe(invoicesBefore);
    expect(h.sim.calls().create).toBe(createCallsBefore);

    const blocks = await blocksOf(tester);
    expect(blocks).toHaveLength(1);
    const [block] = blocks;
    expect(block).toMatchObject({
      pk: await customerPk(tester),
      amount: 500,
      reasons: [{ rule: FRAUD_RULE.cardTesting, measure: 'small_checkouts', observed: 3, threshold: 3 }],
    });
    expect(block.sk).toBe(`BLOCK#${block.at}#${block.blockId}`);
    const blockText = JSON.stringify(block);
    for (const contact of contactOf(tester)) expect(blockText).not.toContain(contact);

    const alerts = (await h.alerts()).slice(alertsBefore);
    const blocked = alerts.filter((alert) => alert.type === 'fraud-blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ severity: 'critical' });
    expect(blocked[0]?.summary).toContain(FRAUD_RULE.cardTesting);
    const alertText = JSON.stringify(blocked[0]);
    for (const contact of contactOf(tester)) expect(alertText).not.toContain(contact);
    expect(h.telemetry.counted(METRICS.fraudScreened, 'decision=block')).toBeGreaterThanOrEqual(1);

    expect(blocked[0]?.details).toMatchObject({ blockId: block.blockId, amountXof: 500 });

    // A blocked caller keeps being refused, at any amount; each refusal is recorded, yet the on-call is paged once
    // for the rule in the de-duplication window, not once per probe.
    await expectDeclined(await checkout(tester, small));
    await expectDeclined(await checkout(tester, checkoutOf(tester, { amount: 700 })));
    expect(await blocksOf(tester)).toHaveLength(3);
    expect(
      (await h.alerts()).slice(alertsBefore).filter((alert) => alert.type === 'fraud-blocked'),
    ).toHaveLength(1);
    const bystander = newCustomer();
    await created(await checkout(bystander, checkoutOf(bystander, { amount: 500 })));
  });

  it('review: the customer pays, the order is marked, COMPLETED with review PENDING naming the rule, a manual-review alert, and payment.completed says held', async () => {
    await h.setFraudRules(only({ tickets_per_order: { enabled: true, action: 'review', tickets: 3 } }));
    const scalper = newCustomer();
    const alertsBefore = (await h.alerts()).length;
    const { orderId, token, checkoutUrl } = await created(
      await checkout(scalper, checkoutOf(scalper, { amount: 5_000, tickets: 3 })),
    );
    expect(checkoutUrl).toContain(token);
    expect((await storedOrder(orderId)).risk).toEqual({
      decision: 'review',
      rules: [FRAUD_RULE.ticketsPerOrder],
    });
    // Nothing is alerted for a checkout sent to review: the operator hears of it once it is paid.
    expect((await h.alerts()).slice(alertsBefore)).toEqual([]);

    const settled = await h.sim.settle(token, 'completed');
    expect(settled.ipnStatuses).toEqual([200]);
    const order = await storedOrder(orderId);
    expect(order.status).toBe('COMPLETED');
    expect(order.review).toMatchObject({ status: 'PENDING', rules: [FRAUD_RULE.ticketsPerOrder] });
    // Under the amount threshold: held for fraud screening alone.
    expect(order.review.thresholdXof).toBeUndefined();

    const review = (await h.alerts())
      .slice(alertsBefore)
      .filter((alert) => alert.type === 'manual-review-required' && alert.orderId === orderId);
    expect(review).toHaveLength(1);
    expect(review[0]?.summary).toContain(`fraud screening (${FRAUD_RULE.ticketsPerOrder})`);
    const alertText = JSON.stringify(review[0]);
    for (const contact of contactOf(scalper)) expect(alertText).not.toContain(contact);

    const completed = (events: PaymentEvent[]) =>
      events.filter((e) => e.detail.orderId === orderId && e['detail-type'] === 'payment.completed');
    const [event] = completed(await receiver().waitFor((events) => completed(events).length > 0));
    expect(event?.detail).toMatchObject({ orderId, status: 'COMPLETED', held: true });
  });

  it('thresholds changed in the rules file apply to the next checkout, without a restart: allowed before, reviewed then blocked after', async () => {
    const customer = newCustomer();
    const body = checkoutOf(customer, { amount: 2_000, tickets: 4 });
    await h.setFraudRules(only({ tickets_per_order: { enabled: true, action: 'review', tickets: 10 } }));
    const before = await created(await checkout(customer, body));
    expect((await storedOrder(before.orderId)).risk).toBeUndefined();

    await h.setFraudRules(only({ tickets_per_order: { enabled: true, action: 'review', tickets: 4 } }));
    const reviewed = await created(await checkout(customer, body));
    expect((await storedOrder(reviewed.orderId)).risk).toEqual({
      decision: 'review',
      rules: [FRAUD_RULE.ticketsPerOrder],
    });

    await h.setFraudRules(only({ tickets_per_order: { enabled: true, action: 'block', tickets: 4 } }));
    const ordersBefore = await orderItemCount();
    await expectDeclined(await checkout(customer, body));
    expect(await orderItemCount()).toBe(ordersBefore);

    // And back: switched off again, the same request goes through untouched.
    await h.setFraudRules(SCREENING_OFF);
    const after = await created(await checkout(customer, body));
    expect((await storedOrder(after.orderId)).risk).toBeUndefined();
  });

  it('allow: under the default rules an ordinary checkout leaves no risk field on the order, no block record and no alert', async () => {
    // The defaults as a stage deploys them, minus the rules keyed by source IP: every checkout of this file comes
    // from loopback, which the default IP thresholds would rightly find busy.
    await h.setFraudRules({
      ...DEFAULT_FRAUD_RULES,
      ip_velocity: { ...DEFAULT_FRAUD_RULES.ip_velocity, enabled: false },
      new_customers_per_ip: { ...DEFAULT_FRAUD_RULES.new_customers_per_ip, enabled: false },
      card_testing_ip: { ...DEFAULT_FRAUD_RULES.card_testing_ip, enabled: false },
    });
    const customer = newCustomer();
    const alertsBefore = (await h.alerts()).length;
    const allowedBefore = h.telemetry.counted(METRICS.fraudScreened, 'decision=allow');
    const { orderId, token } = await created(await checkout(customer, checkoutOf(customer, { tickets: 2 })));
    const order = await storedOrder(orderId);
    expect(order).not.toHaveProperty('risk');
    expect(order.status).toBe('PENDING');
    expect(await blocksOf(customer)).toEqual([]);
    expect(h.telemetry.counted(METRICS.fraudScreened, 'decision=allow')).toBe(allowedBefore + 1);

    await h.sim.settle(token, 'completed');
    const paid = await storedOrder(orderId);
    expect(paid.status).toBe('COMPLETED');
    expect(paid).not.toHaveProperty('risk');
    expect(paid).not.toHaveProperty('review');
    expect((await h.alerts()).slice(alertsBefore)).toEqual([]);
  });

  it('failed payments are counted: after `failures` payments PayDunya refused, card_testing blocks that customer’s next checkout', async () => {
    await h.setFraudRules(
      only({ card_testing: { enabled: true, action: 'block', failures: 2, small_checkouts: 100 } }),
    );
    const tester = newCustomer();
    const body = checkoutOf(tester, { amount: 5_000 });
    for (let failure = 1; failure <= 2; failure++) {
      // Checkouts before the 2nd failure are allowed: one failure is below the threshold.
      const { orderId, token } = await created(await checkout(tester, body));
      expect((await h.sim.settle(token, 'failed')).ipnStatuses).toEqual([200]);
      expect((await storedOrder(orderId)).status).toBe('FAILED');
    }

    const invoicesBefore = h.sim.invoiceCount();
    const ordersBefore = await orderItemCount();
    await expectDeclined(await checkout(tester, body));
    expect(h.sim.invoiceCount()).toBe(invoicesBefore);
    expect(await orderItemCount()).toBe(ordersBefore);
    const blocks = await blocksOf(tester);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.reasons).toEqual([
      { rule: FRAUD_RULE.cardTesting, measure: 'failures', observed: 2, threshold: 2 },
    ]);

    // Counted against the account, not the address: another customer from the same loopback pays on.
    const other = newCustomer();
    await created(await checkout(other, checkoutOf(other, { amount: 5_000 })));
  });

  it('unexpected country: a checkout whose edge says RU goes to review; BF or no country is allowed; each country is counted for the dashboard', async () => {
    await h.setFraudRules(only({ unexpected_country: DEFAULT_FRAUD_RULES.unexpected_country }));
    const russiaBefore = h.telemetry.counted(METRICS.checkoutCountry, 'country=RU');
    const burkinaBefore = h.telemetry.counted(METRICS.checkoutCountry, 'country=BF');
    const customer = newCustomer();
    const body = checkoutOf(customer);

    const fromRussia = await created(await checkout(customer, body, { 'CloudFront-Viewer-Country': 'RU' }));
    expect((await storedOrder(fromRussia.orderId)).risk).toEqual({
      decision: 'review',
      rules: [FRAUD_RULE.unexpectedCountry],
    });
    // The header a WAF geo rule inserts is read the same way.
    const viaWaf = await created(await checkout(customer, body, { 'x-amzn-waf-viewer-country': 'ru' }));
    expect((await storedOrder(viaWaf.orderId)).risk).toEqual({
      decision: 'review',
      rules: [FRAUD_RULE.unexpectedCountry],
    });

    const fromBurkina = await created(await checkout(customer, body, { 'CloudFront-Viewer-Country': 'BF' }));
    expect((await storedOrder(fromBurkina.orderId)).risk).toBeUndefined();
    const noCountry = await created(await checkout(customer, body));
    expect((await storedOrder(noCountry.orderId)).risk).toBeUndefined();
    // CheckoutCountry, only for the requests that carried a country (the no-country checkout adds nothing).
    expect(h.telemetry.counted(METRICS.checkoutCountry, 'country=RU')).toBe(russiaBefore + 2);
    expect(h.telemetry.counted(METRICS.checkoutCountry, 'country=BF')).toBe(burkinaBefore + 1);
  });

  it('counters that cannot be read never fail a checkout and screen it leniently: a returning customer is not taken for a new one', async () => {
    await h.setFraudRules(
      only({
        first_purchase_amount: { enabled: true, action: 'review', typical_basket_xof: 10_000, ratio: 2 },
      }),
    );
    const regular = newCustomer();
    // A first purchase of 30,000 XOF reaches 2 × the typical basket: review. Then the customer pays a small one.
    const big = checkoutOf(regular, { amount: 30_000 });
    const first = await created(await checkout(regular, big));
    expect((await storedOrder(first.orderId)).risk?.rules).toEqual([FRAUD_RULE.firstPurchaseAmount]);
    const paid = await created(await checkout(regular, checkoutOf(regular, { amount: 5_000 })));
    await h.sim.settle(paid.token, 'completed');
    const returning = await created(await checkout(regular, big));
    expect((await storedOrder(returning.orderId)).risk).toBeUndefined();

    // The risk counters' read fails as a whole (throttled through every retry of the SDK).
    const unreadBefore = h.telemetry.counted(METRICS.fraudCountersUnread);
    h.faults?.inject({ operation: 'BatchGetItem', pk: 'RISK#', error: 'ThrottlingException', times: 10 });
    const unread = await created(await checkout(regular, big));
    expect(h.telemetry.counted(METRICS.fraudCountersUnread)).toBe(unreadBefore + 1);
    expect(h.faults?.counts().ThrottlingException).toBeGreaterThan(0);
    expect(h.telemetry.logs.some((log) => log.message.startsWith('risk counters could not be read'))).toBe(
      true,
    );
    expect((await storedOrder(unread.orderId)).risk).toBeUndefined();
  });
  it("the daily report counts the day's blocked checkouts by rule, exactly as their audit records say", async () => {
    // Earlier tests of this file blocked checkouts today (card testing, a threshold lowered, refused payments).
    const day = new Date().toISOString().slice(0, 10);
    const records = (await scanAll()).filter(
      (item) => String(item.sk).startsWith('BLOCK#') && String(item.at).startsWith(day),
    );
    expect(records.length).toBeGreaterThan(0);
    const expected: Record<string, number> = {};
    for (const record of records) {
      for (const rule of new Set((record.reasons as { rule: string }[]).map((r) => r.rule))) {
        expected[rule] = (expected[rule] ?? 0) + 1;
      }
    }
    const report = await publishReport(h.ctx, day);
    expect(report.fraud.blocked).toBe(records.length);
    expect(report.fraud.blocksByRule).toEqual(expected);
    expect(kpiSummaryOf(report)).toContain(`blocked ${records.length} checkouts (`);
  });
});
