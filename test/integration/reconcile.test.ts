import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import type { AppContext } from '../../lambdas/shared/domain/context';
import { recheckUnpaid, reconcilePending } from '../../lambdas/shared/domain/reconcile';
import { bodyOf, type Json } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.sim.faults.reset());
afterAll(async () => {
  await h?.stop();
});

const OPTIONS = { olderThanMinutes: 0, invoiceExpiryHours: 24, concurrency: 5 };
/** The same context seen from a later time: reconcile judges age and expiry by its clock. */
const later = (hours: number): AppContext => ({
  ...h.ctx,
  clock: { now: () => new Date(Date.now() + hours * 3_600_000) },
});
const payment = async (orderId: string): Promise<Json> => bodyOf(await h.get(orderId));
const alertsFor = async (orderId: string, type: string) =>
  (await h.alerts()).filter((a) => a.orderId === orderId && a.type === type);

describe('reconcile: PENDING orders', () => {
  it('completes a payment whose IPN never arrived, through the same state machine', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    expect((await payment(orderId)).status).toBe('PENDING');

    const summary = await reconcilePending(h.ctx, OPTIONS);
    expect(summary.settled.COMPLETED).toBeGreaterThanOrEqual(1);
    const after = await payment(orderId);
    expect(after.status).toBe('COMPLETED');
    expect(after.events.at(-1)).toMatchObject({ from: 'PENDING', to: 'COMPLETED', actor: 'reconcile' });
  });

  it('leaves orders younger than the threshold alone', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    await reconcilePending(h.ctx, { ...OPTIONS, olderThanMinutes: 15 });
    expect((await payment(orderId)).status).toBe('PENDING');
  });

  it('ends CANCELLED an order PayDunya reports cancelled', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'cancelled');
    await reconcilePending(h.ctx, OPTIONS);
    expect((await payment(orderId)).status).toBe('CANCELLED');
  });

  it('ends EXPIRED an unpaid order past the invoice lifetime', async () => {
    const { orderId } = await h.createOrder();
    await reconcilePending(later(1), OPTIONS);
    expect((await payment(orderId)).status).toBe('PENDING');
    await reconcilePending(later(25), OPTIONS);
    const after = await payment(orderId);
    expect(after.status).toBe('EXPIRED');
    expect(after.events.at(-1)).toMatchObject({
      to: 'EXPIRED',
      actor: 'reconcile',
      reason: 'invoice expired unpaid',
    });
  });

  it('ends EXPIRED an order past its lifetime that PayDunya no longer knows', async () => {
    const { orderId } = await h.createOrder();
    h.sim.faults.confirmFailure = { responseCode: '1001', responseText: 'Invoice not found' };
    await reconcilePending(later(25), OPTIONS);
    expect((await payment(orderId)).status).toBe('EXPIRED');
  });

  it('never expires an old order on a refusal that is not "not found" (wrong keys say nothing about the invoice)', async () => {
    const { orderId } = await h.createOrder();
    h.sim.faults.confirmFailure = {
      responseCode: '1001',
      responseText: 'Invalid Masterkey or Private Key or Token',
    };
    const summary = await reconcilePending(later(25), OPTIONS);
    expect((await payment(orderId)).status).toBe('PENDING');
    expect(summary.errors).toBeGreaterThanOrEqual(1);
  });

  it('an amount mismatch becomes an audit event and a critical alert, once, and the order is not paid', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    h.sim.faults.confirmAmountDelta = -1000;
    await h.sim.settle(token, 'completed');
    await reconcilePending(h.ctx, OPTIONS);
    await reconcilePending(h.ctx, OPTIONS);
    const after = await payment(orderId);
    expect(after.status).toBe('PENDING');
    expect(after.events.filter((e: Json) => e.reason.startsWith('discrepancy'))).toHaveLength(1);
    expect(await alertsFor(orderId, 'reconcile-discrepancy')).toHaveLength(1);
    expect((await alertsFor(orderId, 'reconcile-discrepancy'))[0]?.severity).toBe('critical');
  });
});

describe('reconcile: answers it cannot act on, and orders it cannot handle', () => {
  it('never ends an order on a status it does not understand: a discrepancy, once, even past the invoice lifetime', async () => {
    const { orderId } = await h.createOrder();
    h.sim.faults.confirmStatusOverride = 'partially_refunded';
    const first = await reconcilePending(later(25), OPTIONS);
    await reconcilePending(later(26), OPTIONS);
    const after = await payment(orderId);
    expect(after.status).toBe('PENDING');
    expect(first.discrepancies).toBeGreaterThanOrEqual(1);
    expect(after.events.filter((e: Json) => e.reason.includes('partially_refunded'))).toHaveLength(1);
    expect(await alertsFor(orderId, 'reconcile-discrepancy')).toHaveLength(1);
  });

  it('an order that cannot be handled is counted and named, and the others are still reconciled', async () => {
    const broken = await h.createOrder();
    const fine = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(broken.token, 'completed');
    await h.sim.settle(fine.token, 'completed');
    const failing: AppContext = {
      ...h.ctx,
      store: {
        ...h.ctx.store,
        getOrder: (id) =>
          id === broken.orderId ? Promise.reject(new Error('item unreadable')) : h.ctx.store.getOrder(id),
      },
    };
    const summary = await reconcilePending(failing, OPTIONS);
    expect(summary.failures).toContainEqual({ orderId: broken.orderId, reason: 'Error: item unreadable' });
    expect(summary.errors).toBeGreaterThanOrEqual(1);
    expect((await payment(fine.orderId)).status).toBe('COMPLETED');
    expect((await payment(broken.orderId)).status).toBe('PENDING');
  });
});

describe('late payments', () => {
  it('a customer who pays an invoice we had expired is recorded as a late payment: COMPLETED, audited, alerted', async () => {
    const { orderId, token } = await h.createOrder();
    await reconcilePending(later(25), OPTIONS);
    expect((await payment(orderId)).status).toBe('EXPIRED');
    expect((await h.sim.settle(token, 'completed')).ipnStatuses).toEqual([200]);
    const after = await payment(orderId);
    expect(after.status).toBe('COMPLETED');
    expect(after.events.at(-1)).toMatchObject({ from: 'EXPIRED', to: 'COMPLETED', actor: 'webhook' });
    expect(after.events.at(-1).reason).toContain('late payment');
    expect(await h.ctx.store.getOrder(orderId)).toMatchObject({ late: true });
    expect(await alertsFor(orderId, 'late-payment')).toHaveLength(1);
    // A re-delivery changes nothing more.
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect((await payment(orderId)).events).toHaveLength(after.events.length);
  });
});

describe('reconcile: orders we settled unpaid', () => {
  it('PayDunya completing what we marked failed is a recorded discrepancy and a critical alert, never a silent fix', async () => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'failed');
    expect((await payment(orderId)).status).toBe('FAILED');
    h.sim.faults.confirmStatusOverride = 'completed';
    await recheckUnpaid(h.ctx, 48, 5);
    await recheckUnpaid(h.ctx, 48, 5);
    const after = await payment(orderId);
    expect(after.status).toBe('FAILED');
    expect(after.events.at(-1)).toMatchObject({ from: 'FAILED', to: 'FAILED', actor: 'reconcile' });
    expect(after.events.at(-1).reason).toContain('completed');
    expect(await alertsFor(orderId, 'reconcile-discrepancy')).toHaveLength(1);
  });

  it('our terminal state differing from PayDunya (cancelled vs failed) is a discrepancy too', async () => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'cancelled');
    h.sim.faults.confirmStatusOverride = 'failed';
    await recheckUnpaid(h.ctx, 48, 5);
    expect((await payment(orderId)).status).toBe('CANCELLED');
    expect(await alertsFor(orderId, 'reconcile-discrepancy')).toHaveLength(1);
  });

  it('an order we expired that PayDunya calls cancelled is no discrepancy', async () => {
    const { orderId } = await h.createOrder();
    await reconcilePending(later(25), OPTIONS);
    h.sim.faults.confirmStatusOverride = 'cancelled';
    await recheckUnpaid(later(25), 48, 5);
    expect(await alertsFor(orderId, 'reconcile-discrepancy')).toHaveLength(0);
  });
});

describe('daily limits release', () => {
  it('an order that ends unpaid gives its reservation back', async () => {
    await h.setFlags(DEFAULT_FLAGS);
    const day = new Date().toISOString().slice(0, 10);
    const before = await h.ctx.store.getDailyLimitUsage(day);
    const { token } = await h.createOrder();
    expect((await h.ctx.store.getDailyLimitUsage(day)).reservedXof).toBe(before.reservedXof + 15000);
    await h.sim.settle(token, 'failed');
    expect(await h.ctx.store.getDailyLimitUsage(day)).toEqual(before);
  });
});

// Last: PayDunya failing opens the circuit breaker of this warm context.
describe('reconcile: PayDunya down', () => {
  it('a run with PayDunya unreachable changes nothing and counts errors', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    h.sim.faults.confirmFailure = { httpStatus: 500 };
    const summary = await reconcilePending(h.ctx, OPTIONS);
    expect(summary.errors).toBeGreaterThanOrEqual(1);
    expect((await payment(orderId)).status).toBe('PENDING');
  });
});

describe('reconcile: orders stuck in CREATED', () => {
  let stuck: Harness;
  let failPending = false;
  beforeAll(async () => {
    stuck = await startHarness({
      // The PENDING write fails once PayDunya has created the invoice: the order is left CREATED.
      wrapStore: (store) => ({
        ...store,
        transition: async (request) => {
          if (failPending && request.to === 'PENDING') throw new Error('DynamoDB unavailable');
          return store.transition(request);
        },
      }),
    });
  });
  afterAll(async () => stuck?.stop());

  it('closes an order that never reached PENDING as INITIATION_FAILED and frees its Idempotency-Key', async () => {
    const key = randomUUID();
    const body = validOrder();
    failPending = true;
    expect((await stuck.post(body, key)).status).toBe(500);
    failPending = false;
    expect((await stuck.post(body, key)).status).toBe(409);

    // Not while its request may still be running...
    expect((await reconcilePending(stuck.ctx, OPTIONS)).settled.INITIATION_FAILED).toBeUndefined();
    // ...but once it is certainly over (the Lambda would have timed out long before).
    const inTwoMinutes = { ...stuck.ctx, clock: { now: () => new Date(Date.now() + 120_000) } };
    const summary = await reconcilePending(inTwoMinutes, OPTIONS);
    expect(summary.settled.INITIATION_FAILED).toBe(1);
    const alert = (await stuck.alerts()).find((a) => a.type === 'stale-created-order');
    const closed = await bodyOf(await stuck.get(alert?.orderId ?? ''));
    expect(closed.status).toBe('INITIATION_FAILED');
    expect(closed.events.at(-1)).toMatchObject({
      from: 'CREATED',
      to: 'INITIATION_FAILED',
      actor: 'reconcile',
    });

    expect((await stuck.post(body, key)).status).toBe(201);
  });

  it('never closes an order whose checkout is still being created, even when asked for orders of any age', async () => {
    stuck.sim.faults.createDelayMs = 1_500;
    try {
      const pending = stuck.post(validOrder());
      await new Promise((resolve) => setTimeout(resolve, 500));
      const summary = await reconcilePending(stuck.ctx, OPTIONS);
      expect(summary.settled.INITIATION_FAILED).toBeUndefined();
      const response = await pending;
      expect(response.status).toBe(201);
      expect((await bodyOf(response)).status).toBe('PENDING');
    } finally {
      stuck.sim.faults.reset();
    }
  });
});
