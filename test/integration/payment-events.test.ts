import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  detailSchemaFor,
  EVENTS,
  type PaymentEvent,
  type RefundEventDetail,
} from '../../lambdas/shared/contract/events';
import { reconcilePending } from '../../lambdas/shared/domain/reconcile';
import { bodyOf } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

/**
 * Payment events from the table's stream, through the same publisher code as on AWS (local mode's stream poller
 * stands in for the event source mapping, a loopback receiver for ticketing).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ events: true, dynamoFaults: true });
});
afterEach(() => {
  h.sim.faults.reset();
  h.faults?.clear();
});
afterAll(async () => {
  await h?.stop();
});

const receiver = () => {
  if (!h.events) throw new Error('harness started without events');
  return h.events;
};
const of = (orderId: string) => (events: PaymentEvent[]) =>
  events.filter((e) => e.detail.orderId === orderId);
const settleWait = async (orderId: string, type: string, count = 1) =>
  of(orderId)(
    await receiver().waitFor(
      (all) => of(orderId)(all).filter((e) => e['detail-type'] === type).length >= count,
    ),
  );
/** Lets the poller go round a few more times, so that an event that should not exist has had every chance to. */
const quiet = () => new Promise((resolve) => setTimeout(resolve, 600));

describe('payment events', () => {
  it('a completed payment publishes exactly one payment.completed, with reference and metadata', async () => {
    const reference = `RES-${randomUUID().slice(0, 8)}`;
    const { orderId, token } = await h.createOrder({ reference, metadata: { event: 'fespaco' } });
    await h.sim.settle(token, 'completed');
    const [event] = await settleWait(orderId, 'payment.completed');
    await quiet();
    expect(of(orderId)(receiver().received())).toHaveLength(1);
    expect(event).toMatchObject({
      source: EVENTS.source,
      'detail-type': 'payment.completed',
      detail: {
        schemaVersion: 1,
        orderId,
        reference,
        metadata: { event: 'fespaco' },
        status: 'COMPLETED',
        amount: 15_000,
        currency: 'XOF',
        paymentMethod: 'orange-money-burkina',
      },
    });
    expect(detailSchemaFor('payment.completed').safeParse(event?.detail).success).toBe(true);
  });

  it.each([
    ['failed', 'payment.failed', 'FAILED'],
    ['cancelled', 'payment.cancelled', 'CANCELLED'],
  ] as const)('a %s payment publishes %s', async (outcome, type, status) => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, outcome);
    const [event] = await settleWait(orderId, type);
    expect(event?.detail).toMatchObject({ status, reference: null, metadata: {}, paymentMethod: null });
  });

  it('an invoice that expires publishes payment.expired; paid late, payment.completed says late: true', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await reconcilePending(
      { ...h.ctx, clock: { now: () => new Date(Date.now() + 25 * 3_600_000) } },
      { olderThanMinutes: 0, invoiceExpiryHours: 24, concurrency: 5 },
    );
    await settleWait(orderId, 'payment.expired');
    h.sim.faults.dropIpn = false;
    await h.sim.settle(token, 'completed');
    const events = await settleWait(orderId, 'payment.completed');
    expect(events.find((e) => e['detail-type'] === 'payment.completed')?.detail).toMatchObject({
      late: true,
    });
  });

  it('is never published for a change that did not commit: a stale write and a write that kept conflicting', async () => {
    const { orderId } = await h.createOrder();
    const order = await h.ctx.store.getOrder(orderId);
    if (!order) throw new Error('order missing');
    const stale = await h.ctx.store.transition({
      order: { ...order, version: order.version + 5 },
      to: 'FAILED',
      at: new Date().toISOString(),
      audit: { actor: 'reconcile', reason: 'stale write' },
    });
    expect(stale).toBe('stale');
    h.faults?.inject({
      error: 'TransactionConflictException',
      operation: 'UpdateItem',
      pk: `ORDER#${orderId}`,
      probability: 1,
    });
    await expect(
      h.ctx.store.transition({
        order,
        to: 'CANCELLED',
        at: new Date().toISOString(),
        audit: { actor: 'reconcile', reason: 'conflicted write' },
      }),
    ).rejects.toMatchObject({ code: 'TEMPORARILY_BUSY' });
    h.faults?.clear();
    await quiet();
    expect(of(orderId)(receiver().received())).toEqual([]);
    expect((await h.ctx.store.getOrder(orderId))?.status).toBe('PENDING');
  });

  it('a conflict retried to success publishes once: the one write that committed', async () => {
    const { orderId, token } = await h.createOrder();
    h.faults?.inject({
      error: 'TransactionConflictException',
      operation: 'UpdateItem',
      pk: `ORDER#${orderId}`,
      times: 2,
    });
    await h.sim.settle(token, 'completed');
    await settleWait(orderId, 'payment.completed');
    await quiet();
    expect(of(orderId)(receiver().received())).toHaveLength(1);
  });

  it('a delivery ticketing did not acknowledge is redelivered with the same eventId', async () => {
    const { orderId, token } = await h.createOrder();
    receiver().failNext(2); // both tries of the first delivery: the stream record is delivered again
    await h.sim.settle(token, 'completed');
    const events = await settleWait(orderId, 'payment.completed', 3);
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(1);
  });

  it('the journey: pay → payment.completed → fulfilment failed → refund → refund.succeeded', async () => {
    const reference = `RES-${randomUUID().slice(0, 8)}`;
    const { orderId, token } = await h.createOrder({ reference });
    await h.sim.settle(token, 'completed');
    await settleWait(orderId, 'payment.completed');
    const ack = await h.internal('POST', `/payments/${orderId}/fulfilment`, {
      outcome: 'failed',
      reason: 'sold out',
    });
    expect(ack.status).toBe(200);
    await h.sim.disbursementsSettled();
    const events = await settleWait(orderId, 'refund.succeeded');
    const refund = events.find((e) => e['detail-type'] === 'refund.succeeded');
    expect(refund?.detail).toMatchObject({
      orderId,
      reference,
      status: 'REFUNDED',
      refundAmount: 15_000,
      refundedAmount: 15_000,
      trigger: 'fulfilment-failed',
    } satisfies Partial<RefundEventDetail>);
    expect(detailSchemaFor('refund.succeeded').safeParse(refund?.detail).success).toBe(true);
    expect((await bodyOf(await h.get(orderId))).status).toBe('REFUNDED');
  });

  it('a refund a person must make publishes refund.manual_required with a code, not free text', async () => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'completed', { method: 'card' });
    await settleWait(orderId, 'payment.completed');
    await h.internal(
      'POST',
      `/payments/${orderId}/refunds`,
      { reason: 'Awa Ouedraogo asked, call +22670123456' },
      { 'Idempotency-Key': randomUUID() },
    );
    const events = await settleWait(orderId, 'refund.manual_required');
    expect(events.find((e) => e['detail-type'] === 'refund.manual_required')?.detail).toMatchObject({
      outcome: 'card_payment',
      trigger: 'request',
    });
  });

  it('no event ever carries the customer e-mail, phone or name, masked or not', async () => {
    const text = JSON.stringify(receiver().received());
    expect(receiver().received().length).toBeGreaterThan(5);
    const order = validOrder();
    for (const needle of [
      order.customer_email,
      order.customer_phone,
      order.customer_phone.slice(4),
      order.customer_name,
      'Ouedraogo',
      '@example',
      'customer',
      'phone',
      'email',
    ]) {
      expect(text).not.toContain(needle);
    }
    for (const event of receiver().received()) {
      expect(detailSchemaFor(event['detail-type']).safeParse(event.detail).success).toBe(true);
    }
  });
});
