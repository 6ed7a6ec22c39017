import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_FLAGS, type Flags } from '../../lambdas/shared/contract/flags';
import { createDocumentClient } from '../../lambdas/shared/store/dynamo-client';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { bodyOf } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

const today = () => new Date().toISOString().slice(0, 10);
const order = (amount: number, phone = `+2267${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`) =>
  validOrder({ amount, customer_phone: phone, items: [{ name: 'Ticket', quantity: 1, unit_price: amount }] });
const withLimit = (max_xof: number, max_count: number): Flags => ({
  ...DEFAULT_FLAGS,
  daily_limit: { enabled: true, max_xof, max_count },
});

// Each block gets its own table: the day's limit counters must start at zero.
describe('daily limit: total XOF', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it('50 parallel creates never go over the limit by one XOF', async () => {
    await h.setFlags(withLimit(100_000, 1_000));
    const responses = await Promise.all(Array.from({ length: 50 }, () => h.post(order(7_000))));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(14); // 14 × 7,000 = 98,000 ≤ 100,000 < 105,000
    expect(await h.ctx.store.getDailyLimitUsage(today())).toEqual({ reservedXof: 98_000, reservedCount: 14 });
    const refused = await bodyOf(responses.find((r) => r.status === 429) as Response);
    expect(refused.error).toMatchObject({
      code: 'DAILY_LIMIT_REACHED',
      message: expect.stringContaining('limit'),
    });
  });

  it('warns the on-call at 80% and when the limit refuses a payment', async () => {
    const types = (await h.alerts()).map((a) => a.type);
    expect(types).toContain('daily-limit-80');
    expect(types).toContain('daily-limit-reached');
  });

  it('a payment larger than the whole limit is refused with 429 and writes nothing', async () => {
    const before = await h.itemCount();
    const response = await h.post(order(200_000));
    expect(response.status).toBe(429);
    expect(await h.itemCount()).toBe(before);
  });
});

describe('daily limit: order count', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it('50 parallel creates never go over the limit by one order, and a cancelled order frees its place', async () => {
    await h.setFlags(withLimit(10_000_000, 10));
    const responses = await Promise.all(Array.from({ length: 50 }, () => h.post(order(1_000))));
    const created = responses.filter((r) => r.status === 201);
    expect(created).toHaveLength(10);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(40);
    expect((await h.ctx.store.getDailyLimitUsage(today())).reservedCount).toBe(10);
    expect((await h.alerts()).map((a) => a.type)).toContain('daily-limit-full');

    const { token } = await bodyOf(created[0] as Response);
    await h.sim.settle(token, 'cancelled');
    expect((await h.post(order(1_000))).status).toBe(201);
    expect((await h.post(order(1_000))).status).toBe(429);
  });

  it('a full day refuses checkouts without writing for each one: one refusal alert a day, no alert claim item hit by every refusal', async () => {
    // The day is full (the test above). In an on-sale every checkout now is refused: none may write a shared item.
    const refusals = await Promise.all(Array.from({ length: 20 }, () => h.post(order(1_000))));
    expect(refusals.map((r) => r.status)).toEqual(Array(20).fill(429));
    expect((await h.alerts()).filter((a) => a.type === 'daily-limit-reached')).toHaveLength(1);
    // Its de-duplication item was written once, not once per refusal (which would count them as suppressed).
    const client = createDocumentClient({ ...LOCAL_AWS, endpoint: inject('dynamoEndpoint') });
    const claims = await client.send(
      new ScanCommand({
        TableName: h.tableName,
        FilterExpression: 'begins_with(pk, :alert)',
        ExpressionAttributeValues: { ':alert': 'ALERT#local#daily-limit-reached' },
      }),
    );
    client.destroy();
    expect((claims.Items ?? []).map((item) => Number(item.suppressed ?? 0))).toEqual([0]);
  });
});

describe('per-customer attempt limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ customerAttempts: { max: 5, windowSeconds: 900 } });
  });
  afterAll(async () => h?.stop());

  const as = async (subject: string) => ({ Authorization: `Bearer ${await h.token(subject)}` });

  it('a sixth payment creation for one phone within 15 minutes gets 429 with Retry-After; another phone is fine', async () => {
    const phone = '+22676000001';
    for (let i = 0; i < 5; i++) {
      expect((await h.post(order(1_000, phone), randomUUID(), await as(`phone-test-${i}`))).status).toBe(201);
    }
    const sixth = await h.post(order(1_000, phone));
    expect(sixth.status).toBe(429);
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect((await bodyOf(sixth)).error.code).toBe('TOO_MANY_ATTEMPTS');
    expect((await h.post(order(1_000, '+22676000002'), randomUUID(), await as('phone-test-6'))).status).toBe(
      201,
    );
  });

  it('one account cannot buy more attempts by typing another phone number each time: the sixth is 429', async () => {
    const headers = await as('account-changing-phones');
    for (let i = 0; i < 5; i++) {
      expect((await h.post(order(1_000, `+2267610000${i}`), randomUUID(), headers)).status).toBe(201);
    }
    const sixth = await h.post(order(1_000, '+22676100009'), randomUUID(), headers);
    expect(sixth.status).toBe(429);
    expect((await bodyOf(sixth)).error.code).toBe('TOO_MANY_ATTEMPTS');
    // The refused attempt gave back what it had counted: the new phone can still be used by another account.
    expect((await h.post(order(1_000, '+22676100009'), randomUUID(), await as('someone-else'))).status).toBe(
      201,
    );
  });

  it('replaying an accepted request with its Idempotency-Key is not a new attempt', async () => {
    const phone = '+22676000003';
    const key = randomUUID();
    const body = order(1_000, phone);
    const headers = await as('replaying-account');
    for (let i = 0; i < 8; i++) expect((await h.post(body, key, headers)).status).toBe(201);
  });
});
