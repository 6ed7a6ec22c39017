import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import type { AppContext } from '../../lambdas/shared/domain/context';
import type { DailyReport } from '../../lambdas/shared/domain/daily-report';
import { recheckUnpaid, reconcilePending, runDailyReport } from '../../lambdas/shared/domain/reconcile';
import { decideReview } from '../../lambdas/shared/domain/review';
import type { Json } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

/**
 * Money is booked on the UTC day it moved; a report already made is re-issued as a new revision when an event
 * changes an order booked on its day. The clock of the context these tests hand to reconcile, the report and
 * review stands for "later"; the orders themselves are created and settled over HTTP, now.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // Refunds wait for a person here, so each rejection changes the report once, at once (refunds have their own tests).
  await h.setFlags({
    ...DEFAULT_FLAGS,
    manual_review: { enabled: true, threshold_xof: 50_000 },
    refunds_enabled: { enabled: false, daily_cap_xof: 0 },
  });
});
afterAll(async () => h?.stop());

const DAY_MS = 86_400_000;
const dayD = new Date().toISOString().slice(0, 10);
const dayAfter = (day: string, days = 1) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const dayE = dayAfter(dayD);
/** The context as seen at `hh:mm` UTC on `day`. */
const at = (day: string, time: string): AppContext => ({
  ...h.ctx,
  clock: { now: () => new Date(`${day}T${time}:00.000Z`) },
});
const REPORT = { recheckHours: 48, concurrency: 1 };
const RECONCILE = { olderThanMinutes: 0, invoiceExpiryHours: 48, concurrency: 1 };
const order = (amount: number) =>
  validOrder({ amount, items: [{ name: 'Ticket', quantity: 1, unit_price: amount }] });

const storedReport = async (day: string) =>
  (await h.ctx.store.getReport(day)) as { revision: number; report: DailyReport } | undefined;
const revisedAlerts = async (day: string) =>
  (await h.alerts()).filter((a) => a.type === 'daily-report-revised' && a.summary.includes(`for ${day}`));

const expectReportEqualsOrders = async (day: string) => {
  const report = (await storedReport(day))?.report;
  const orders = (await h.orders()).filter((o) => o.bookedDay === day);
  const byStatus: Record<string, { count: number; amountXof: number }> = {};
  for (const o of orders) {
    const entry = byStatus[o.status] ?? { count: 0, amountXof: 0 };
    byStatus[o.status] = { count: entry.count + 1, amountXof: entry.amountXof + o.amount };
  }
  const paid = orders.filter((o) => ['COMPLETED', 'REFUNDED'].includes(o.status));
  const sum = (list: Json[]) => list.reduce((total, o) => total + o.amount, 0);
  expect(report?.byStatus).toEqual(byStatus);
  expect(report?.paid).toEqual({ count: paid.length, amountXof: sum(paid) });
  expect(report?.latePayments).toEqual({
    count: paid.filter((o) => o.late).length,
    amountXof: sum(paid.filter((o) => o.late)),
  });
  expect(report?.discrepancies).toBe(orders.filter((o) => o.discrepancy).length);
  expect(report?.awaitingReview).toBe(paid.filter((o) => o.review?.status === 'PENDING').length);
  const methods = Object.values(report?.byPaymentMethod ?? {});
  expect({
    count: methods.reduce((total, m) => total + m.count, 0),
    amountXof: methods.reduce((total, m) => total + m.amountXof, 0),
  }).toEqual(report?.paid);
};

describe('daily report: booked on the day the money moved, re-issued when a later event changes that day', () => {
  const ids: Record<
    'paid' | 'cancelled' | 'failed' | 'reviewed' | 'afterMidnight',
    { orderId: string; token: string }
  > = {} as never;

  beforeAll(async () => {
    ids.paid = await h.createOrder(order(15_000));
    await h.sim.settle(ids.paid.token, 'completed');
    ids.cancelled = await h.createOrder(order(16_000));
    await h.sim.settle(ids.cancelled.token, 'cancelled');
    ids.failed = await h.createOrder(order(17_000));
    await h.sim.settle(ids.failed.token, 'failed');
    ids.reviewed = await h.createOrder(order(60_000));
    await h.sim.settle(ids.reviewed.token, 'completed');
    // Paid at PayDunya now, but its IPN never comes: we learn of it after midnight.
    ids.afterMidnight = await h.createOrder(order(18_000));
    h.sim.faults.dropIpn = true;
    await h.sim.settle(ids.afterMidnight.token, 'completed');
    h.sim.faults.reset();
  });

  it('the first report of a day is revision 1, and making it again with the same figures changes nothing', async () => {
    const first = await runDailyReport(at(dayE, '00:30'), dayD, REPORT);
    expect(first.revision).toBe(1);
    expect(first.paid).toEqual({ count: 2, amountXof: 75_000 });
    expect(first.awaitingReview).toBe(1);
    const again = await runDailyReport(at(dayE, '00:35'), dayD, REPORT);
    expect(again.revision).toBe(1);
    expect((await storedReport(dayD))?.revision).toBe(1);
    expect(await revisedAlerts(dayD)).toEqual([]);
    await expectReportEqualsOrders(dayD);
  });

  it('a payment confirmed after midnight belongs to the day it completed, and leaves the day before alone', async () => {
    const summary = await reconcilePending(at(dayE, '00:40'), RECONCILE);
    expect(summary.settled.COMPLETED).toBe(1);
    expect((await h.ctx.store.getOrder(ids.afterMidnight.orderId))?.bookedDay).toBe(dayE);
    expect((await storedReport(dayD))?.revision).toBe(1);
  });

  it('a review rejection after the report re-issues its day, and the message says what changed', async () => {
    await decideReview(at(dayE, '09:00'), {
      orderId: ids.reviewed.orderId,
      decision: 'reject',
      reason: 'stolen card report',
      decidedBy: 'ops',
    });
    const stored = await storedReport(dayD);
    expect(stored?.revision).toBe(2);
    expect(stored?.report.awaitingReview).toBe(0);
    const [alert] = await revisedAlerts(dayD);
    expect(alert?.summary).toContain('revision 2');
    expect(alert?.summary).toContain('awaiting review 1 → 0');
    expect(alert?.summary).toContain('awaiting review 1 → 0');
    await expectReportEqualsOrders(dayD);
  });

  it('the 48-hour recheck: a late payment moves its order to the day it was paid, a discrepancy stays on its day; both re-issue the day', async () => {
    // PayDunya now says completed for everything: the cancelled order was paid late, the failed one is a discrepancy.
    h.sim.faults.confirmStatusOverride = 'completed';
    try {
      await recheckUnpaid(at(dayE, '10:00'), 48, 1);
    } finally {
      h.sim.faults.reset();
    }
    const late = await h.ctx.store.getOrder(ids.cancelled.orderId);
    expect(late).toMatchObject({ status: 'COMPLETED', late: true, bookedDay: dayE });
    expect(await h.ctx.store.getOrder(ids.failed.orderId)).toMatchObject({
      status: 'FAILED',
      bookedDay: dayD,
    });
    expect((await h.ctx.store.getOrder(ids.failed.orderId))?.discrepancy).toBeDefined();
    const stored = await storedReport(dayD);
    expect(stored?.revision).toBe(4);
    expect(stored?.report.byStatus.CANCELLED).toBeUndefined();
    expect(stored?.report.discrepancies).toBe(1);
    const summaries = (await revisedAlerts(dayD)).map((a) => a.summary).join('\n');
    expect(summaries).toContain('CANCELLED 1 → 0 (16000 → 0 XOF)');
    expect(summaries).toContain('discrepancies 0 → 1');
    expect((await h.alerts()).map((a) => a.type)).toContain('late-payment');
    await expectReportEqualsOrders(dayD);
  });

  it("the next day's report holds the payment confirmed after midnight and the late payment, and equals its orders", async () => {
    const report = await runDailyReport(at(dayAfter(dayD, 2), '00:30'), dayE, REPORT);
    expect(report.paid).toEqual({ count: 2, amountXof: 34_000 });
    expect(report.latePayments).toEqual({ count: 1, amountXof: 16_000 });
    await expectReportEqualsOrders(dayE);
    await expectReportEqualsOrders(dayD);
  });
});
