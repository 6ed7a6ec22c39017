import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, type Flags } from '../../lambdas/shared/contract/flags';
import type { AppContext } from '../../lambdas/shared/domain/context';
import { createPayment } from '../../lambdas/shared/domain/create-payment';
import { parsePaymentRequest } from '../../lambdas/shared/domain/payment-request.schema';
import { reconcilePending } from '../../lambdas/shared/domain/reconcile';
import { decideReview } from '../../lambdas/shared/domain/review';
import { bodyOf, type Json } from '../support/json';
import { DEFAULT_SUBJECT, type Harness, startHarness, validOrder } from './harness';

/**
 * DynamoDB Local runs one transaction at a time and never throttles, so on it nothing ever conflicts. Here the
 * context's DynamoDB client answers as real DynamoDB does under contention (local/dynamo-faults.ts: the SDK's
 * own deserializer and retry strategy see DynamoDB's error bodies), on each write path of a payment.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ dynamoFaults: true });
});
afterEach(async () => {
  h.faults?.clear();
  h.sim.faults.reset();
  await h.setFlags(DEFAULT_FLAGS);
});
afterAll(async () => h?.stop());

const faults = () => {
  if (!h.faults) throw new Error('the harness has no fault injector');
  return h.faults;
};
const today = () => new Date().toISOString().slice(0, 10);
const phone = () => `+2267${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const order = (amount = 15_000) =>
  validOrder({
    amount,
    customer_phone: phone(),
    items: [{ name: 'Ticket', quantity: 1, unit_price: amount }],
  });
const payment = async (orderId: string): Promise<Json> => bodyOf(await h.get(orderId));
const trail = async (orderId: string) =>
  ((await payment(orderId)).events as { to: string }[]).map((e) => e.to);
const injected = (kind: keyof ReturnType<ReturnType<typeof faults>['counts']>) => faults().counts()[kind];
const withLimit = (max_xof: number, max_count: number): Flags => ({
  ...DEFAULT_FLAGS,
  daily_limit: { enabled: true, max_xof, max_count },
});

describe('create: every admission write retries conflicts and throttling', () => {
  it('conflicts on the key, the order, the attempt and the limit share are retried: 201, one order, one invoice', async () => {
    for (const pk of ['IDEM#', 'ORDER#', 'ATTEMPTS#', 'LIMIT#']) {
      faults().inject({ error: 'TransactionConflictException', pk, times: 2 });
    }
    const before = injected('TransactionConflictException');
    const invoices = h.sim.invoiceCount();
    const response = await h.post(order());
    expect(response.status).toBe(201);
    expect(injected('TransactionConflictException') - before).toBe(8);
    expect(h.sim.invoiceCount()).toBe(invoices + 1);
    expect(await trail((await bodyOf(response)).orderId)).toEqual(['CREATED', 'PENDING']);
  });

  it('throttling beyond the SDK retries on the order write is retried again by the store: 201', async () => {
    faults().inject({ error: 'ThrottlingException', pk: 'ORDER#', operation: 'PutItem', times: 4 });
    expect((await h.post(order())).status).toBe(201);
  });

  it('contention that outlasts the whole budget answers 503 TEMPORARILY_BUSY with Retry-After, never 500, and leaves no order', async () => {
    faults().inject({ error: 'TransactionConflictException', pk: 'IDEM#', times: 100 });
    const invoices = h.sim.invoiceCount();
    const key = randomUUID();
    const response = await h.post(order(), key);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect((await bodyOf(response)).error.code).toBe('TEMPORARILY_BUSY');
    expect(h.sim.invoiceCount()).toBe(invoices);
    faults().clear();
    // Nothing of it is left in the way: the same key now goes through.
    expect((await h.post(order(), key)).status).toBe(201);
  });
});

describe('create: once PayDunya has created the invoice, the order always records it', () => {
  it('→ PENDING is retried through conflicts and throttling: 201, and the order holds the token', async () => {
    faults().inject({
      error: 'TransactionConflictException',
      pk: 'ORDER#',
      operation: 'UpdateItem',
      times: 5,
    });
    faults().inject({ error: 'ThrottlingException', pk: 'ORDER#', operation: 'UpdateItem', times: 4 });
    const response = await h.post(order());
    expect(response.status).toBe(201);
    const { orderId, token } = await bodyOf(response);
    const stored = await h.ctx.store.getOrder(orderId);
    expect(stored).toMatchObject({ status: 'PENDING', token });
    expect(stored?.limit?.shares.length).toBeGreaterThan(0);
  });

  it('→ PENDING whose answer was lost is found applied by its audit event id: one PENDING event, 201', async () => {
    faults().inject({ error: 'AnswerLost', pk: 'ORDER#', operation: 'UpdateItem', times: 1 });
    const response = await h.post(order());
    expect(response.status).toBe(201);
    expect(await trail((await bodyOf(response)).orderId)).toEqual(['CREATED', 'PENDING']);
    expect(injected('AnswerLost')).toBeGreaterThanOrEqual(1);
  });
});

describe('create: → INITIATION_FAILED is retried, so the same key works once PayDunya is back', () => {
  it('conflicts on the give-back transaction and on freeing the key are retried: 502, then the same key makes a new order', async () => {
    await h.setFlags(withLimit(10_000_000, 1_000));
    const usage = await h.ctx.store.getDailyLimitUsage(today());
    h.sim.faults.createFailure = { responseCode: '1001' };
    faults().inject({
      error: 'TransactionConflict',
      operation: 'TransactWriteItems',
      pk: 'ORDER#',
      times: 3,
    });
    faults().inject({
      error: 'TransactionConflictException',
      operation: 'DeleteItem',
      pk: 'IDEM#',
      times: 2,
    });
    const key = randomUUID();
    const body = order();
    const refused = await h.post(body, key);
    expect(refused.status).toBe(502);
    expect(await h.ctx.store.getDailyLimitUsage(today())).toEqual(usage);
    h.sim.faults.reset();
    const retried = await h.post(body, key);
    expect(retried.status).toBe(201);
  });
});

describe('webhook: settlement retries conflicts', () => {
  it('conflicts on the settlement write are retried: the IPN gets 200 and the order completes once', async () => {
    const { orderId, token } = await h.createOrder(order());
    faults().inject({
      error: 'TransactionConflictException',
      pk: 'ORDER#',
      operation: 'UpdateItem',
      times: 4,
    });
    expect((await h.sim.settle(token, 'completed')).ipnStatuses).toEqual([200]);
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
  });

  it('contention past the budget answers 503 (PayDunya re-delivers), and the re-delivery completes it once', async () => {
    const { orderId, token } = await h.createOrder(order());
    faults().inject({
      error: 'TransactionConflictException',
      pk: 'ORDER#',
      operation: 'UpdateItem',
      times: 100,
    });
    expect((await h.sim.settle(token, 'completed')).ipnStatuses[0]).toBe(503);
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING']);
    faults().clear();
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
  });

  it('a cancellation gives its limit share back in a transaction that retries TransactionConflict, exactly once', async () => {
    await h.setFlags(withLimit(10_000_000, 1_000));
    const before = await h.ctx.store.getDailyLimitUsage(today());
    const { orderId, token } = await h.createOrder(order(7_000));
    faults().inject({ error: 'TransactionConflict', operation: 'TransactWriteItems', times: 3 });
    expect((await h.sim.settle(token, 'cancelled')).ipnStatuses).toEqual([200]);
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect((await payment(orderId)).status).toBe('CANCELLED');
    expect(await h.ctx.store.getDailyLimitUsage(today())).toEqual(before);
  });
});

describe('reconcile and review retry conflicts', () => {
  const later = (minutes: number): AppContext => ({
    ...h.ctx,
    clock: { now: () => new Date(Date.now() + minutes * 60_000) },
  });

  it('a checkout past its window gives its share back through conflicts, once, and stays payable', async () => {
    await h.setFlags(withLimit(10_000_000, 1_000));
    const options = {
      olderThanMinutes: 0,
      invoiceExpiryHours: 24,
      concurrency: 5,
      checkoutWindowMinutes: 30,
    };
    await reconcilePending(later(31), options); // the earlier tests' checkouts lapse first
    const before = await h.ctx.store.getDailyLimitUsage(today());
    const { orderId, token } = await h.createOrder(order(9_000));
    faults().inject({ error: 'TransactionConflict', operation: 'TransactWriteItems', times: 2 });
    expect((await reconcilePending(later(31), options)).released).toBe(1);
    expect((await reconcilePending(later(32), options)).released).toBe(0);
    expect(await h.ctx.store.getDailyLimitUsage(today())).toEqual(before);
    // Paid after its window: recorded, and counted again.
    expect((await h.sim.settle(token, 'completed')).ipnStatuses).toEqual([200]);
    expect((await payment(orderId)).status).toBe('COMPLETED');
    expect(await h.ctx.store.getDailyLimitUsage(today())).toEqual({
      reservedXof: before.reservedXof + 9_000,
      reservedCount: before.reservedCount + 1,
    });
  });

  it('a review decision retries a conflict on the order', async () => {
    await h.setFlags({ ...DEFAULT_FLAGS, manual_review: { enabled: true, threshold_xof: 20_000 } });
    const { orderId, token } = await h.createOrder(order(30_000));
    await h.sim.settle(token, 'completed');
    faults().inject({
      error: 'TransactionConflictException',
      pk: 'ORDER#',
      operation: 'UpdateItem',
      times: 3,
    });
    const result = await decideReview(h.ctx, {
      orderId,
      decision: 'approve',
      reason: 'known customer',
      decidedBy: 'test',
    });
    expect(result).toEqual({ orderId, status: 'COMPLETED', review: 'APPROVED' });
  });
});

describe('limits and alerts under contention', () => {
  it('an order split over several limit slices retries a TransactionConflict and stays within the limit', async () => {
    // 16 slices of 2,500 XOF: a 12,000 XOF order needs five of them.
    await h.setFlags(withLimit(40_000, 100));
    const day = today();
    const before = await h.ctx.store.getDailyLimitUsage(day);
    faults().inject({
      error: 'TransactionConflict',
      operation: 'TransactWriteItems',
      pk: 'LIMIT#',
      times: 2,
    });
    const response = await h.post(order(12_000));
    expect(response.status).toBe(201);
    const after = await h.ctx.store.getDailyLimitUsage(day);
    expect(after.reservedXof - before.reservedXof).toBe(12_000);
    const stored = await h.ctx.store.getOrder((await bodyOf(response)).orderId);
    expect(stored?.limit?.shares.reduce((sum, share) => sum + share.xof, 0)).toBe(12_000);
  });

  it('alerts and limit warnings that cannot be sent never fail a checkout: SNS down, warning claims contended', async () => {
    // A table of its own: the day's limit starts empty, so the fifth payment fills it.
    const quiet = await startHarness({ dynamoFaults: true });
    try {
      await quiet.setFlags(withLimit(10_000_000, 5));
      const snsDown: AppContext = {
        ...quiet.ctx,
        alerts: { publish: () => Promise.reject(new Error('SNS is unavailable')) },
      };
      const pay = (amount = 1_000) =>
        createPayment(snsDown, {
          idempotencyKey: randomUUID(),
          request: parsePaymentRequest(order(amount)),
          subject: DEFAULT_SUBJECT,
          source: { ip: '127.0.0.1' },
        });
      quiet.faults?.inject({ error: 'TransactionConflictException', pk: 'LIMITWARN#', times: 1_000 });
      // Past 80% and to 100% of the day: the warnings fail to be claimed or sent, the payments go through.
      for (let i = 0; i < 5; i++) expect((await pay()).response.statusCode).toBe(201);
      expect(quiet.faults?.counts().TransactionConflictException).toBeGreaterThan(0);
      // The day is full: the refusal's alert fails too, and the customer still gets the limit's answer.
      await expect(pay()).rejects.toMatchObject({ code: 'DAILY_LIMIT_REACHED', status: 429 });
      // PayDunya refuses: the initiation-failure alert fails, the customer still gets PayDunya's refusal.
      await quiet.setFlags(DEFAULT_FLAGS);
      quiet.sim.faults.createFailure = { responseCode: '1001' };
      await expect(pay()).rejects.toMatchObject({ code: 'PAYMENT_PROVIDER_REFUSED', status: 502 });
    } finally {
      await quiet.stop();
    }
  });

  it('50 concurrent checkouts under emulated contention and random conflicts: all 201, none over the limit', async () => {
    const rush = await startHarness({
      dynamoFaults: { emulateContention: { holdMs: 3 }, seed: 7 },
    });
    try {
      await rush.setFlags(withLimit(10_000_000, 40));
      rush.faults?.inject({ error: 'TransactionConflictException', probability: 0.05 });
      rush.faults?.inject({ error: 'TransactionConflict', probability: 0.1 });
      const responses = await Promise.all(Array.from({ length: 50 }, () => rush.post(order(5_000))));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s !== 201 && s !== 429)).toEqual([]);
      expect(statuses.filter((s) => s === 201)).toHaveLength(40);
      expect(await rush.ctx.store.getDailyLimitUsage(today())).toEqual({
        reservedXof: 200_000,
        reservedCount: 40,
      });
    } finally {
      await rush.stop();
    }
  });
});
