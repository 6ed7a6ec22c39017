import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import { runDailyReport } from '../../lambdas/shared/domain/reconcile';
import { bodyOf, type Json } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.setFlags({ ...DEFAULT_FLAGS, manual_review: { enabled: true, threshold_xof: 50_000 } });
});
afterAll(async () => h?.stop());

const today = () => new Date().toISOString().slice(0, 10);
const order = (amount: number) =>
  validOrder({ amount, items: [{ name: 'Ticket', quantity: 1, unit_price: amount }] });

const review = (orderId: string, body: unknown) =>
  fetch(`${h.api.url}/admin/orders/${orderId}/review`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('manual review of large payments', () => {
  it('a paid order above the threshold awaits review, and the on-call is told', async () => {
    const { orderId, token } = await h.createOrder(order(60_000));
    await h.sim.settle(token, 'completed');
    const stored = await h.ctx.store.getOrder(orderId);
    expect(stored?.review).toEqual({ status: 'PENDING', thresholdXof: 50_000 });
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({ type: 'manual-review-required', severity: 'warning', orderId }),
    );
  });

  it('a paid order at or under the threshold is not held for review', async () => {
    const { orderId, token } = await h.createOrder(order(50_000));
    await h.sim.settle(token, 'completed');
    expect((await h.ctx.store.getOrder(orderId))?.review).toBeUndefined();
  });

  it('approve keeps the order COMPLETED and audits who decided and why', async () => {
    const { orderId, token } = await h.createOrder(order(70_000));
    await h.sim.settle(token, 'completed');
    const response = await review(orderId, { decision: 'approve', reason: 'customer known, ID checked' });
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({ orderId, status: 'COMPLETED', review: 'APPROVED' });
    const payment = await bodyOf(await h.get(orderId));
    expect(payment.status).toBe('COMPLETED');
    expect(payment.events.at(-1)).toMatchObject({
      from: 'COMPLETED',
      to: 'COMPLETED',
      actor: 'admin',
      reason: 'review approved: customer known, ID checked',
    });
    expect((await h.ctx.store.getOrder(orderId))?.review).toMatchObject({
      status: 'APPROVED',
      decidedBy: 'local-operator',
    });
  });

  it('reject refunds the whole payment through PayDunya, audited; a second decision is refused', async () => {
    const { orderId, token } = await h.createOrder(order(80_000));
    await h.sim.settle(token, 'completed');
    const response = await review(orderId, { decision: 'reject', reason: 'card flagged by the bank' });
    expect(response.status).toBe(200);
    expect((await bodyOf(response)).refund).toMatchObject({ amount: 80_000, trigger: 'review-rejected' });
    await h.sim.disbursementsSettled();
    await vi.waitFor(async () => expect((await bodyOf(await h.get(orderId))).status).toBe('REFUNDED'));
    const payment = await bodyOf(await h.get(orderId));
    expect(payment.refundedAmount).toBe(80_000);
    expect(payment.events.find((e: Json) => e.reason.startsWith('review rejected'))).toMatchObject({
      from: 'COMPLETED',
      to: 'COMPLETED',
      actor: 'admin',
    });
    expect(h.sim.disbursements().filter((d) => d.disburse_id === payment.refunds[0].refundId)).toMatchObject([
      { amount: 80_000, submits: 1, status: 'success', account_alias: '70123456' },
    ]);
    const again = await review(orderId, { decision: 'approve', reason: 'changed my mind' });
    expect(again.status).toBe(409);
  });

  it('a late duplicate IPN for a refunded order is a duplicate, not a critical conflict', async () => {
    const { orderId, token } = await h.createOrder(order(85_000));
    await h.sim.settle(token, 'completed');
    expect((await review(orderId, { decision: 'reject', reason: 'stolen card report' })).status).toBe(200);
    await h.sim.disbursementsSettled();
    await vi.waitFor(async () => expect((await bodyOf(await h.get(orderId))).status).toBe('REFUNDED'));
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect((await bodyOf(await h.get(orderId))).status).toBe('REFUNDED');
    const conflicts = (await h.alerts()).filter((a) => a.orderId === orderId && a.type === 'state-conflict');
    expect(conflicts).toEqual([]);
  });

  it.each([
    [{ decision: 'maybe', reason: 'because' }, 'decision'],
    [{ decision: 'approve' }, 'reason'],
    [{ decision: 'approve', reason: 'ok', extra: 1 }, 'reason'],
  ])('a bad decision body %j is a 400 naming %s, and changes nothing', async (body, path) => {
    const { orderId, token } = await h.createOrder(order(90_000));
    await h.sim.settle(token, 'completed');
    const response = await review(orderId, body);
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error.fields.map((f: Json) => f.path)).toContain(path);
    expect((await h.ctx.store.getOrder(orderId))?.review?.status).toBe('PENDING');
  });

  it('a decision on an order that is not awaiting review is a 409; an unknown order a 404', async () => {
    const { orderId } = await h.createOrder(order(1_000));
    expect((await review(orderId, { decision: 'approve', reason: 'fine' })).status).toBe(409);
    expect((await review('01ARZ3NDEKTSV4RRFFQ69G5FAV', { decision: 'approve', reason: 'fine' })).status).toBe(
      404,
    );
  });
});

describe('daily reconciliation report', () => {
  it('equals a brute-force count over a generated day of orders', async () => {
    const outcomes = ['pay', 'pay', 'pay', 'cancel', 'fail', 'pending', 'initiation-failure'] as const;
    for (let i = 0; i < 35; i++) {
      const outcome = outcomes[i % outcomes.length];
      const amount = 1_000 + ((i * 7_919) % 90) * 1_000;
      if (outcome === 'initiation-failure') {
        h.sim.faults.createFailure = { responseCode: '1001' };
        expect((await h.post(order(amount))).status).toBe(502);
        h.sim.faults.reset();
        continue;
      }
      const { token } = await h.createOrder(order(amount));
      if (outcome === 'pay') await h.sim.settle(token, 'completed');
      if (outcome === 'cancel') await h.sim.settle(token, 'cancelled');
      if (outcome === 'fail') await h.sim.settle(token, 'failed');
    }

    const report = await runDailyReport(h.ctx, today(), { recheckHours: 48, concurrency: 5 });

    // Booked on the day the money moved or the order ended; still-pending orders belong to no day yet.
    const orders = (await h.orders()).filter((o) => o.bookedDay === today());
    const byStatus: Record<string, { count: number; amountXof: number }> = {};
    for (const o of orders) {
      const entry = byStatus[o.status] ?? { count: 0, amountXof: 0 };
      byStatus[o.status] = { count: entry.count + 1, amountXof: entry.amountXof + o.amount };
    }
    const paid = orders.filter((o) => ['COMPLETED', 'REFUNDED'].includes(o.status));
    // The same definition as the success-rate alarms: customers cancelling (or letting the invoice expire) is
    // their choice, not a failed payment.
    const attempts =
      paid.length + orders.filter((o) => ['FAILED', 'INITIATION_FAILED'].includes(o.status)).length;
    const paidXof = paid.reduce((sum, o) => sum + o.amount, 0);
    expect(report.byStatus).toEqual(byStatus);
    expect(report.orders).toBe(orders.length);
    expect(report.amountXof).toBe(orders.reduce((sum, o) => sum + o.amount, 0));
    expect(report.paid).toEqual({ count: paid.length, amountXof: paidXof });
    expect(report.successRate).toBeCloseTo(paid.length / attempts, 4);
    expect(report.averageValueXof).toBe(Math.round(paidXof / paid.length));
    expect(report.awaitingReview).toBe(orders.filter((o) => o.review?.status === 'PENDING').length);
    expect(report.byPaymentMethod).toEqual({
      'orange-money-burkina': { count: paid.length, amountXof: paidXof },
    });

    const served = await fetch(`${h.api.url}/admin/reports/${today()}`);
    expect(served.status).toBe(200);
    expect(await bodyOf(served)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({ type: 'daily-report', severity: 'warning' }),
    );
  });

  it('GET /admin/reports/{date} is 404 for a day without a report and 400 for a malformed date', async () => {
    expect((await fetch(`${h.api.url}/admin/reports/2001-01-01`)).status).toBe(404);
    expect((await fetch(`${h.api.url}/admin/reports/yesterday`)).status).toBe(400);
  });
});
