import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/lib-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { BuildHandlerArguments, BuildHandlerOutput, BuildMiddleware } from '@smithy/types';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RISK_COUNTING } from '../../lambdas/shared/contract/fraud';
import { TABLE } from '../../lambdas/shared/contract/table';
import {
  type BlockedCheckout,
  EMPTY_RISK_DAY,
  type RiskIdentity,
  type RiskKeys,
} from '../../lambdas/shared/domain/ports-fraud';
import { createDocumentClient, DYNAMO_CLIENT_DEFAULTS } from '../../lambdas/shared/store/dynamo-client';
import { blockedKey } from '../../lambdas/shared/store/keys';
import {
  BLOCK_RECORD_DAYS,
  createDynamoRiskCounters,
  riskBlockKey,
  riskDayExpiresAt,
  riskDayKey,
  riskProfileKey,
} from '../../lambdas/shared/store/risk-counters';
import { WRITE_RETRY } from '../../lambdas/shared/store/write-retry';
import { ensureTable } from '../../local/create-table';
import { attachDynamoFaults, type DynamoFaults } from '../../local/dynamo-faults';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { RecordingTelemetry } from '../support/recording-telemetry';

/**
 * The risk counters (lambdas/shared/store/risk-counters.ts) on DynamoDB Local: the item layout screening reads,
 * the capped sets, and what each write does when DynamoDB throttles it, loses its answer or leaves keys unread
 * (local/dynamo-faults.ts answers as DynamoDB does, below the SDK's deserializer and retries).
 */
let endpoint = '';
const tableName = `it-risk-${randomUUID()}`;
let admin: DynamoDBClient;
/** A client with no injector: what is really in the table. */
let plain: DynamoDBDocumentClient;
const clients: DynamoDBDocumentClient[] = [];

beforeAll(async () => {
  endpoint = inject('dynamoEndpoint');
  admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(admin, tableName);
  plain = createDocumentClient({ ...LOCAL_AWS, endpoint });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(() => {
  plain?.destroy();
  admin?.destroy();
});

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** Today's UTC midnight: every item written here is dated today or yesterday, so none is past its TTL. */
const MIDNIGHT = (() => {
  const now = new Date();
  now.setUTCHours(0, 0, 0, 0);
  return now.getTime();
})();
const at = (dayOffset: number, hour: number, minute = 0) =>
  new Date(MIDNIGHT + dayOffset * DAY_MS + hour * HOUR_MS + minute * 60_000);
/** 07:05 today: its counters are `c07`, `s07`, `f07`. */
const NOW = at(0, 7, 5);
const dayOf = (when: Date) => when.toISOString().slice(0, 10);
const TODAY = dayOf(NOW);

const hash = () => randomBytes(32).toString('hex');
const newKeys = (): RiskKeys => ({ customer: hash(), phone: hash(), email: hash(), ip: hash() });
const hashes = (count: number) => Array.from({ length: count }, hash);

/** A call as the counters sent it (once per send: the SDK's own retries are below this). */
interface Sent {
  readonly operation: string;
  readonly pks: readonly string[];
  readonly keys: number;
}

type Key = { readonly pk: string; readonly sk: string };

/**
 * Sees every call the counters send and can make BatchGetItem leave keys unprocessed, as DynamoDB does when it
 * throttles some of them: the withheld items are taken out of `Responses` and their keys put in `UnprocessedKeys`.
 * It sits in the build step, above the SDK's retries and the document client's unmarshalling.
 */
const spy = (documents: DynamoDBDocumentClient) => {
  const sent: Sent[] = [];
  let withholding: { match: (key: Key) => boolean; rounds: number } | undefined;
  const utf8 = new TextDecoder();
  const middleware: BuildMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next) =>
    async (
      args: BuildHandlerArguments<ServiceInputTypes>,
    ): Promise<BuildHandlerOutput<ServiceOutputTypes>> => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const target = Object.entries(request.headers ?? {}).find(
        ([name]) => name.toLowerCase() === 'x-amz-target',
      )?.[1];
      const operation = target?.slice(target.indexOf('.') + 1) ?? '';
      const raw = request.body;
      const body = JSON.parse(
        typeof raw === 'string' ? raw : raw instanceof Uint8Array ? utf8.decode(raw) : '{}',
      ) as {
        Key?: { pk?: { S?: string } };
        Item?: { pk?: { S?: string } };
        RequestItems?: Record<string, { Keys?: { pk: { S: string }; sk: { S: string } }[] }>;
      };
      const asked: Key[] = (body.RequestItems?.[tableName]?.Keys ?? []).map((key) => ({
        pk: key.pk.S,
        sk: key.sk.S,
      }));
      const pk = body.Key?.pk?.S ?? body.Item?.pk?.S;
      sent.push({
        operation,
        pks: pk === undefined ? asked.map((key) => key.pk) : [pk],
        keys: asked.length,
      });
      const result = await next(args);
      if (operation !== 'BatchGetItem' || !withholding || withholding.rounds <= 0) return result;
      const { match } = withholding;
      const withheld = asked.filter(match);
      if (withheld.length === 0) return result;
      withholding.rounds -= 1;
      const output = result.output as unknown as {
        Responses?: Record<string, Key[]>;
        UnprocessedKeys?: Record<string, { Keys?: Key[] }>;
      };
      output.Responses = {
        ...output.Responses,
        [tableName]: (output.Responses?.[tableName] ?? []).filter((item) => !match(item)),
      };
      output.UnprocessedKeys = {
        ...output.UnprocessedKeys,
        [tableName]: {
          Keys: [
            ...(output.UnprocessedKeys?.[tableName]?.Keys ?? []),
            ...withheld.map(({ pk, sk }) => ({ pk, sk })),
          ],
        },
      };
      return result;
    };
  documents.middlewareStack.add(middleware, {
    step: 'build',
    name: 'riskCountersSpy',
  });
  return {
    sent,
    /** The next `rounds` BatchGets that ask for a matching key leave every matching key unprocessed. */
    withhold(match: (key: Key) => boolean, rounds = Number.POSITIVE_INFINITY) {
      withholding = { match, rounds };
    },
  };
};

/**
 * The production client settings (3 attempts, standard mode) with an injector, its backoff shortened to 1 ms:
 * the SDK waits up to 1 s, then 2 s, between throttled attempts, and these tests exhaust its retries on purpose.
 * The store's own retries (WRITE_RETRY) are as in production.
 */
const counters = (table = tableName) => {
  const documents = createDocumentClient({
    ...LOCAL_AWS,
    endpoint,
    retryStrategy: new ConfiguredRetryStrategy(DYNAMO_CLIENT_DEFAULTS.maxAttempts, 1),
  });
  clients.push(documents);
  const telemetry = new RecordingTelemetry();
  const faults: DynamoFaults = attachDynamoFaults(documents);
  const { sent, withhold } = spy(documents);
  return {
    risk: createDynamoRiskCounters(documents, table, { telemetry }),
    faults,
    telemetry,
    sent,
    withhold,
    warnings: () => telemetry.logs.filter((log) => log.level === 'warn'),
  };
};

const stored = async (identity: RiskIdentity, key: string, day = TODAY) =>
  (
    await plain.send(
      new GetCommand({ TableName: tableName, Key: riskDayKey(identity, key, day), ConsistentRead: true }),
    )
  ).Item;

/** Puts a day item as a test's starting point (a set already at or near its cap). */
const seed = (identity: RiskIdentity, key: string, fields: Record<string, unknown>, day = TODAY) =>
  plain.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...riskDayKey(identity, key, day), [TABLE.ttlAttribute]: riskDayExpiresAt(day), ...fields },
    }),
  );

/** A string set of a stored item (the document client reads it as a Set), empty when absent. */
const setOf = (item: Record<string, unknown> | undefined, field: string): Set<string> =>
  (item?.[field] as Set<string> | undefined) ?? new Set();

const updatesOf = (sent: readonly Sent[], pk: string) =>
  sent.filter((call) => call.operation === 'UpdateItem' && call.pks.includes(pk)).length;

const blockRecords = async (customer: string) =>
  (
    await plain.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :block)',
        ExpressionAttributeValues: { ':pk': `RISK#customer#${customer}`, ':block': 'BLOCK#' },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const block = (keys: RiskKeys, overrides: Partial<BlockedCheckout> = {}): BlockedCheckout => ({
  blockId: randomUUID(),
  at: NOW.toISOString(),
  keys,
  amount: 500,
  reasons: [
    { rule: 'card_testing', observed: 7, threshold: 5, measure: 'small_checkouts' },
    { rule: 'velocity_phone', observed: 4, threshold: 3 },
  ],
  ...overrides,
});

describe('recordCheckout and read: what a checkout counts, on which item', () => {
  it('a checkout counts on its four identities in its hour: checkouts everywhere, small ones (amount <= smallCheckoutXof) on the customer and the IP, each set its member', async () => {
    const { risk, warnings } = counters();
    const keys = newKeys();
    const card = hash();

    await risk.recordCheckout(
      { keys, amount: RISK_COUNTING.smallCheckoutXof, card, customerHasPaid: false },
      NOW,
    );
    await risk.recordCheckout(
      { keys, amount: RISK_COUNTING.smallCheckoutXof + 1, customerHasPaid: false },
      at(0, 7, 59),
    );

    expect(await stored('customer', keys.customer)).toMatchObject({
      c07: 2,
      s07: 1,
      phones: new Set([keys.phone]),
      cards: new Set([card]),
    });
    const phone = await stored('phone', keys.phone);
    expect(phone).toMatchObject({ c07: 2, customers: new Set([keys.customer]) });
    expect(phone).not.toHaveProperty('s07');
    const email = await stored('email', keys.email);
    expect(email).toMatchObject({ c07: 2 });
    expect(email).not.toHaveProperty('s07');
    expect(await stored('ip', keys.ip)).toMatchObject({
      c07: 2,
      s07: 1,
      newCustomers: new Set([keys.customer]),
    });

    const history = await risk.read(keys, NOW);
    expect(history.customerHasPaid).toBe(false);
    expect(history.days.customer.today).toEqual({
      ...EMPTY_RISK_DAY,
      checkouts: { 7: 2 },
      small: { 7: 1 },
      phones: [keys.phone],
      cards: [card],
    });
    expect(history.days.phone.today).toEqual({
      ...EMPTY_RISK_DAY,
      checkouts: { 7: 2 },
      customers: [keys.customer],
    });
    expect(history.days.email.today).toEqual({ ...EMPTY_RISK_DAY, checkouts: { 7: 2 } });
    expect(history.days.ip.today).toEqual({
      ...EMPTY_RISK_DAY,
      checkouts: { 7: 2 },
      small: { 7: 1 },
      newCustomers: [keys.customer],
    });
    for (const identity of ['customer', 'phone', 'email', 'ip'] as const) {
      expect(history.days[identity].yesterday).toEqual(EMPTY_RISK_DAY);
    }
    expect(warnings()).toEqual([]);
  });

  it("a customer who has paid is counted on the IP's checkouts but not among its new customers", async () => {
    const { risk } = counters();
    const keys = newKeys();

    await risk.recordCheckout({ keys, amount: 5_000, customerHasPaid: true }, NOW);

    const ip = await stored('ip', keys.ip);
    expect(ip).toMatchObject({ c07: 1 });
    expect(ip).not.toHaveProperty('newCustomers');
    expect(ip).not.toHaveProperty('s07');
  });

  it("read gives yesterday's and today's items apart, and nothing of the day before", async () => {
    const { risk } = counters();
    const keys = newKeys();
    const count = { keys, amount: 500, customerHasPaid: false };

    await risk.recordCheckout(count, at(-2, 12));
    await risk.recordCheckout(count, at(-1, 23, 30));
    await risk.recordFailure(keys, at(-1, 23, 45));
    await risk.recordCheckout(count, at(0, 0, 15));

    const { days } = await risk.read(keys, NOW);
    expect(days.customer.yesterday).toMatchObject({
      checkouts: { 23: 1 },
      small: { 23: 1 },
      failures: { 23: 1 },
    });
    expect(days.customer.today).toMatchObject({ checkouts: { 0: 1 }, small: { 0: 1 }, failures: {} });
    expect(days.email.yesterday.checkouts).toEqual({ 23: 1 });
    expect(days.email.today.checkouts).toEqual({ 0: 1 });
    expect(days.ip.yesterday).toMatchObject({ checkouts: { 23: 1 }, failures: { 23: 1 } });
    expect(days.ip.today).toMatchObject({ checkouts: { 0: 1 }, failures: {} });
    expect(days.phone.yesterday.customers).toEqual([keys.customer]);
  });

  it('recordPaid marks the customer as having paid and counts tickets per event on the customer and phone items only', async () => {
    const { risk } = counters();
    const keys = newKeys();
    await risk.recordCheckout({ keys, amount: 5_000, customerHasPaid: false }, NOW);
    expect((await risk.read(keys, NOW)).customerHasPaid).toBe(false);

    await risk.recordPaid({ keys, tickets: 2, eventId: 'evt-concert' }, NOW);
    await risk.recordPaid({ keys, tickets: 3, eventId: 'evt-concert' }, at(0, 9));
    await risk.recordPaid({ keys, tickets: 1, eventId: 'evt-match' }, at(0, 10));

    const history = await risk.read(keys, NOW);
    expect(history.customerHasPaid).toBe(true);
    expect(history.days.customer.today.tickets).toEqual({ 'evt-concert': 5, 'evt-match': 1 });
    expect(history.days.phone.today.tickets).toEqual({ 'evt-concert': 5, 'evt-match': 1 });
    expect(history.days.email.today.tickets).toEqual({});
    expect(history.days.ip.today.tickets).toEqual({});
    expect(await stored('customer', keys.customer)).toMatchObject({ 't:evt-concert': 5, 't:evt-match': 1 });
  });

  it('recordPaid without an event marks the profile only, and a profile never expires', async () => {
    const { risk } = counters();
    const keys = newKeys();

    await risk.recordPaid({ keys, tickets: 4 }, NOW);

    expect(await stored('customer', keys.customer)).toBeUndefined();
    expect(await stored('phone', keys.phone)).toBeUndefined();
    const profile = await plain.send(
      new GetCommand({ TableName: tableName, Key: riskProfileKey(keys.customer), ConsistentRead: true }),
    );
    expect(profile.Item).toEqual({ ...riskProfileKey(keys.customer), paid: true });
    expect((await risk.read(keys, NOW)).customerHasPaid).toBe(true);
  });

  it('recordFailure counts failures on the customer and IP items in the hour given, nowhere else', async () => {
    const { risk } = counters();
    const keys = newKeys();

    await risk.recordFailure(keys, at(0, 13, 40));
    await risk.recordFailure(keys, at(0, 13, 59));
    await risk.recordFailure(keys, at(0, 14));

    expect(await stored('customer', keys.customer)).toMatchObject({ f13: 2, f14: 1 });
    expect(await stored('ip', keys.ip)).toMatchObject({ f13: 2, f14: 1 });
    const { days } = await risk.read(keys, NOW);
    expect(days.customer.today).toEqual({ ...EMPTY_RISK_DAY, failures: { 13: 2, 14: 1 } });
    expect(days.ip.today).toEqual({ ...EMPTY_RISK_DAY, failures: { 13: 2, 14: 1 } });
    expect(days.phone.today).toEqual(EMPTY_RISK_DAY);
    expect(days.email.today).toEqual(EMPTY_RISK_DAY);
  });

  it('every day item expires at riskDayExpiresAt(day): the end of the day after it, plus a day', async () => {
    const { risk } = counters();
    const keys = newKeys();
    const yesterday = at(-1, 18);

    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, yesterday);
    await risk.recordFailure(keys, NOW);
    await risk.recordPaid({ keys, tickets: 1, eventId: 'evt' }, NOW);

    const todayExpiry = MIDNIGHT / 1000 + 3 * 24 * 3600;
    expect(riskDayExpiresAt(TODAY)).toBe(todayExpiry);
    for (const identity of ['customer', 'phone', 'email', 'ip'] as const) {
      expect((await stored(identity, keys[identity]))?.[TABLE.ttlAttribute]).toBe(todayExpiry);
      expect((await stored(identity, keys[identity], dayOf(yesterday)))?.[TABLE.ttlAttribute]).toBe(
        riskDayExpiresAt(dayOf(yesterday)),
      );
    }
    expect(riskDayExpiresAt(dayOf(yesterday))).toBe(todayExpiry - 24 * 3600);
  });
});

describe('capped sets: never past RISK_COUNTING.maxDistinctPerDay, the checkout still counted', () => {
  const cap = RISK_COUNTING.maxDistinctPerDay;

  it('a set one short of its cap takes one more member; a full set takes no new member, yet the checkout is counted and the sets with room still take theirs', async () => {
    const { risk, sent, warnings } = counters();
    const keys = newKeys();
    const phones = hashes(cap - 1);
    await seed('customer', keys.customer, { c07: 5, phones: new Set(phones) });
    const hundredth = hash();

    await risk.recordCheckout(
      { keys: { ...keys, phone: hundredth }, amount: 5_000, customerHasPaid: false },
      NOW,
    );
    const full = await stored('customer', keys.customer);
    expect(full?.phones).toEqual(new Set([...phones, hundredth]));
    expect(full?.c07).toBe(6);

    const card = hash();
    const extra = hash();
    const pk = riskDayKey('customer', keys.customer, TODAY).pk;
    const before = updatesOf(sent, pk);
    await risk.recordCheckout(
      { keys: { ...keys, phone: extra }, amount: 500, card, customerHasPaid: false },
      NOW,
    );

    const after = await stored('customer', keys.customer);
    expect(setOf(after, 'phones').size).toBe(cap);
    expect(after?.phones).not.toContain(extra);
    expect(after?.cards).toEqual(new Set([card]));
    expect(after).toMatchObject({ c07: 7, s07: 1 });
    // Sent once with the full set (its condition failed, nothing written), once without it.
    expect(updatesOf(sent, pk) - before).toBe(2);
    // The other items of the checkout are not affected by the customer's full set.
    expect(await stored('phone', extra)).toMatchObject({ c07: 1, customers: new Set([keys.customer]) });
    expect(warnings()).toEqual([]);
  });

  it('a member already in a full set is still accepted, in a single write', async () => {
    const { risk, sent, warnings } = counters();
    const keys = newKeys();
    const phones = [...hashes(cap - 1), keys.phone];
    await seed('customer', keys.customer, { c07: 1, phones: new Set(phones) });

    await risk.recordCheckout({ keys, amount: 5_000, customerHasPaid: false }, NOW);

    const item = await stored('customer', keys.customer);
    expect(item?.phones).toEqual(new Set(phones));
    expect(item?.c07).toBe(2);
    expect(updatesOf(sent, riskDayKey('customer', keys.customer, TODAY).pk)).toBe(1);
    expect(warnings()).toEqual([]);
  });

  it("the IP's newCustomers stops at the cap while its checkouts and small checkouts still count", async () => {
    const { risk, warnings } = counters();
    const keys = newKeys();
    const customers = hashes(cap);
    await seed('ip', keys.ip, { c07: cap, newCustomers: new Set(customers) });

    await risk.recordCheckout({ keys, amount: 200, customerHasPaid: false }, NOW);

    const ip = await stored('ip', keys.ip);
    expect(ip?.newCustomers).toEqual(new Set(customers));
    expect(ip).toMatchObject({ c07: cap + 1, s07: 1 });
    const { days } = await risk.read(keys, NOW);
    expect(days.ip.today.newCustomers).toHaveLength(cap);
    expect(days.ip.today.checkouts).toEqual({ 7: cap + 1 });
    expect(warnings()).toEqual([]);
  });

  it('concurrent checkouts never push a set past its cap, and every one of them is counted', async () => {
    const { risk, warnings } = counters();
    const keys = newKeys();
    await seed('phone', keys.phone, { customers: new Set(hashes(cap - 5)) });
    const newcomers = hashes(12);

    await Promise.all(
      newcomers.map((customer) =>
        risk.recordCheckout({ keys: { ...keys, customer }, amount: 5_000, customerHasPaid: false }, NOW),
      ),
    );

    const phone = await stored('phone', keys.phone);
    expect(setOf(phone, 'customers').size).toBe(cap);
    expect(newcomers.filter((customer) => setOf(phone, 'customers').has(customer))).toHaveLength(5);
    expect(phone?.c07).toBe(newcomers.length);
    expect(warnings()).toEqual([]);
  });
});

describe('faults: counting is best effort, never counted twice, never fails the caller', () => {
  it("a write whose answer was lost is counted once: the SDK's retry finds its own write id", async () => {
    const { risk, faults, warnings } = counters();
    const keys = newKeys();
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);
    faults.inject({ error: 'AnswerLost', operation: 'UpdateItem', pk: `RISK#ip#${keys.ip}`, times: 1 });

    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);

    expect(faults.counts().AnswerLost).toBe(1);
    expect(await stored('ip', keys.ip)).toMatchObject({ c07: 2, s07: 2 });
    expect(await stored('customer', keys.customer)).toMatchObject({ c07: 2, s07: 2 });
    expect(warnings()).toEqual([]);
  });

  it("a write whose answer is lost on every one of the SDK's attempts is retried by the store and still counted once", async () => {
    const { risk, faults, warnings } = counters();
    const keys = newKeys();
    faults.inject({
      error: 'AnswerLost',
      operation: 'UpdateItem',
      pk: `RISK#customer#${keys.customer}`,
      times: DYNAMO_CLIENT_DEFAULTS.maxAttempts,
    });

    await risk.recordCheckout({ keys, amount: 500, card: hash(), customerHasPaid: false }, NOW);

    expect(faults.counts().AnswerLost).toBe(DYNAMO_CLIENT_DEFAULTS.maxAttempts);
    expect(await stored('customer', keys.customer)).toMatchObject({ c07: 1, s07: 1 });
    expect(warnings()).toEqual([]);
  });

  it('a lost answer on a checkout that met a full set is counted once too', async () => {
    const { risk, faults, warnings } = counters();
    const keys = newKeys();
    const customers = hashes(RISK_COUNTING.maxDistinctPerDay);
    await seed('phone', keys.phone, { c07: 3, customers: new Set(customers) });
    faults.inject({ error: 'AnswerLost', operation: 'UpdateItem', pk: `RISK#phone#${keys.phone}`, times: 2 });

    await risk.recordCheckout({ keys, amount: 5_000, customerHasPaid: false }, NOW);

    expect(faults.counts().AnswerLost).toBe(2);
    const phone = await stored('phone', keys.phone);
    expect(phone?.c07).toBe(4);
    expect(phone?.customers).toEqual(new Set(customers));
    expect(warnings()).toEqual([]);
  });

  it("throttling beyond the SDK's and the store's retries skips that item only, with a warning, and does not throw", async () => {
    const { risk, faults, warnings } = counters();
    const keys = newKeys();
    faults.inject({
      error: 'ThrottlingException',
      operation: 'UpdateItem',
      pk: `RISK#phone#${keys.phone}`,
      times: 1_000,
    });

    await expect(
      risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW),
    ).resolves.toBeUndefined();

    // Every attempt the SDK makes, for each try of the store's budget.
    expect(faults.counts().ThrottlingException).toBe(
      DYNAMO_CLIENT_DEFAULTS.maxAttempts * (1 + WRITE_RETRY.throttles),
    );
    expect(await stored('phone', keys.phone)).toBeUndefined();
    expect(await stored('customer', keys.customer)).toMatchObject({ c07: 1 });
    expect(await stored('email', keys.email)).toMatchObject({ c07: 1 });
    expect(await stored('ip', keys.ip)).toMatchObject({ c07: 1 });
    expect(warnings()).toEqual([
      {
        level: 'warn',
        message: 'risk counter phone skipped; screening reads it as lower',
        attributes: { error: 'StoreBusyError' },
      },
    ]);

    faults.clear();
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);
    expect(await stored('phone', keys.phone)).toMatchObject({ c07: 1 });
  });

  it("a throttled customer partition skips the profile and the customer's tickets with warnings; the phone's tickets are still counted", async () => {
    const { risk, faults, warnings } = counters();
    const keys = newKeys();
    faults.inject({
      error: 'ThrottlingException',
      operation: 'UpdateItem',
      pk: `RISK#customer#${keys.customer}`,
      times: 1_000,
    });

    await expect(risk.recordPaid({ keys, tickets: 2, eventId: 'evt' }, NOW)).resolves.toBeUndefined();

    faults.clear();
    const history = await risk.read(keys, NOW);
    expect(history.days.phone.today.tickets).toEqual({ evt: 2 });
    expect(history.days.customer.today.tickets).toEqual({});
    // Nothing marked it as having paid: screening still sees a new customer (the lenient side for a count).
    expect(history.customerHasPaid).toBe(false);
    expect(
      warnings()
        .map((log) => log.message)
        .sort(),
    ).toEqual([
      'risk counter customer skipped; screening reads it as lower',
      'risk counter profile skipped; screening reads it as lower',
    ]);
  });

  it('on a table DynamoDB refuses outright, counting skips every item with a warning and never throws', async () => {
    const { risk, warnings } = counters(`it-risk-missing-${randomUUID()}`);
    const keys = newKeys();

    await expect(
      risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW),
    ).resolves.toBeUndefined();
    await expect(risk.recordFailure(keys, NOW)).resolves.toBeUndefined();
    await expect(risk.recordPaid({ keys, tickets: 1, eventId: 'evt' }, NOW)).resolves.toBeUndefined();

    expect(warnings()).toHaveLength(4 + 2 + 3);
    expect(new Set(warnings().map((log) => log.attributes?.error))).toEqual(
      new Set(['ResourceNotFoundException']),
    );
    await expect(risk.read(keys, NOW)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('read: unprocessed keys asked again, then read leniently', () => {
  it('keys a BatchGet leaves unprocessed are asked again, only they, and then read as stored', async () => {
    const { risk, sent, withhold, warnings } = counters();
    const keys = newKeys();
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);
    await risk.recordPaid({ keys, tickets: 2, eventId: 'evt' }, NOW);
    const profile = riskProfileKey(keys.customer);
    const customerToday = riskDayKey('customer', keys.customer, TODAY);
    withhold(
      (key) =>
        (key.pk === profile.pk && key.sk === profile.sk) ||
        (key.pk === customerToday.pk && key.sk === customerToday.sk),
      2,
    );

    const history = await risk.read(keys, NOW);

    expect(sent.filter((call) => call.operation === 'BatchGetItem').map((call) => call.keys)).toEqual([
      9, 2, 2,
    ]);
    expect(history.customerHasPaid).toBe(true);
    expect(history.days.customer.today).toMatchObject({
      checkouts: { 7: 1 },
      small: { 7: 1 },
      tickets: { evt: 2 },
      phones: [keys.phone],
    });
    expect(warnings()).toEqual([]);
  });

  it('keys still unprocessed after the last round read as empty days and the profile as "has paid", with a warning', async () => {
    const { risk, sent, withhold, warnings } = counters();
    const keys = newKeys();
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, at(-1, 20));
    const profile = riskProfileKey(keys.customer);
    const customerToday = riskDayKey('customer', keys.customer, TODAY);
    const ipYesterday = riskDayKey('ip', keys.ip, dayOf(at(-1, 20)));
    const unread = [profile, customerToday, ipYesterday];
    withhold((key) => unread.some((withheld) => withheld.pk === key.pk && withheld.sk === key.sk));

    const history = await risk.read(keys, NOW);

    // The first BatchGet and three more rounds, each for the three keys still missing.
    expect(sent.filter((call) => call.operation === 'BatchGetItem').map((call) => call.keys)).toEqual([
      9, 3, 3, 3,
    ]);
    // Lenient: this customer has never paid, but its profile could not be read.
    expect(history.customerHasPaid).toBe(true);
    expect(history.days.customer.today).toEqual(EMPTY_RISK_DAY);
    expect(history.days.ip.yesterday).toEqual(EMPTY_RISK_DAY);
    expect(history.days.customer.yesterday.checkouts).toEqual({ 20: 1 });
    expect(history.days.ip.today.checkouts).toEqual({ 7: 1 });
    expect(history.days.phone.today.customers).toEqual([keys.customer]);
    expect(warnings()).toEqual([
      {
        level: 'warn',
        message: 'risk counter read of 3 item(s) skipped; screening reads it as lower',
        attributes: { error: 'Error' },
      },
    ]);
  });

  it('a BatchGet refused as a whole, after the SDK retries, rejects', async () => {
    const { risk, faults } = counters();
    const keys = newKeys();
    await risk.recordCheckout({ keys, amount: 500, customerHasPaid: false }, NOW);
    faults.inject({
      error: 'ProvisionedThroughputExceededException',
      operation: 'BatchGetItem',
      times: 1_000,
    });

    await expect(risk.read(keys, NOW)).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
    expect(faults.counts().ProvisionedThroughputExceededException).toBe(DYNAMO_CLIENT_DEFAULTS.maxAttempts);
  });
});

describe('recordBlock: one audit record per blocked checkout', () => {
  it("writes one record on the customer's partition: reasons, amount, key hashes, kept BLOCK_RECORD_DAYS days", async () => {
    const { risk } = counters();
    const keys = newKeys();
    const blocked = block(keys);

    await risk.recordBlock(blocked);

    expect(await blockRecords(keys.customer)).toEqual([
      {
        pk: `RISK#customer#${keys.customer}`,
        sk: `BLOCK#${blocked.at}#${blocked.blockId}`,
        // Also under its day in the byDay index, for the daily report (one of the day's shards).
        gsi3pk: blockedKey(blocked.at.slice(0, 10), blocked.blockId),
        gsi3sk: `${blocked.at}#${blocked.blockId}`,
        blockId: blocked.blockId,
        at: blocked.at,
        amount: 500,
        keys,
        reasons: blocked.reasons,
        expiresAt: Math.floor(NOW.getTime() / 1000) + BLOCK_RECORD_DAYS * 24 * 3600,
      },
    ]);
    expect(riskBlockKey(blocked)).toEqual({
      pk: `RISK#customer#${keys.customer}`,
      sk: `BLOCK#${blocked.at}#${blocked.blockId}`,
    });
  });

  it('the retry of a block record whose answer was lost leaves one record and does not throw', async () => {
    const { risk, faults } = counters();
    const keys = newKeys();
    faults.inject({
      error: 'AnswerLost',
      operation: 'PutItem',
      pk: `RISK#customer#${keys.customer}`,
      times: 1,
    });

    await expect(risk.recordBlock(block(keys))).resolves.toBeUndefined();

    expect(faults.counts().AnswerLost).toBe(1);
    expect(await blockRecords(keys.customer)).toHaveLength(1);
  });

  it("a block record whose answer is lost on every one of the SDK's attempts is retried by the store: one record, no throw", async () => {
    const { risk, faults } = counters();
    const keys = newKeys();
    faults.inject({
      error: 'AnswerLost',
      operation: 'PutItem',
      pk: `RISK#customer#${keys.customer}`,
      times: DYNAMO_CLIENT_DEFAULTS.maxAttempts,
    });

    await expect(risk.recordBlock(block(keys))).resolves.toBeUndefined();

    expect(faults.counts().AnswerLost).toBe(DYNAMO_CLIENT_DEFAULTS.maxAttempts);
    expect(await blockRecords(keys.customer)).toHaveLength(1);
  });

  it('two blocks of one customer are two records, in time order', async () => {
    const { risk } = counters();
    const keys = newKeys();
    const first = block(keys, { at: at(0, 7, 1).toISOString() });
    const second = block(keys, { at: at(0, 7, 2).toISOString() });

    await risk.recordBlock(second);
    await risk.recordBlock(first);

    expect((await blockRecords(keys.customer)).map((record) => record.blockId)).toEqual([
      first.blockId,
      second.blockId,
    ]);
  });

  it('a block record DynamoDB refuses as invalid rejects (ValidationException), and one on a missing table too', async () => {
    const { risk } = counters();
    // A partition key over DynamoDB's 2,048 bytes.
    const keys = { ...newKeys(), customer: 'f'.repeat(2_100) };

    await expect(risk.recordBlock(block(keys))).rejects.toMatchObject({ name: 'ValidationException' });

    const missing = counters(`it-risk-missing-${randomUUID()}`);
    await expect(missing.risk.recordBlock(block(newKeys()))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
