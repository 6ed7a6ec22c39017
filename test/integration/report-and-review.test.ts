import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import type { FraudRules } from '../../lambdas/shared/contract/fraud';
import { COMPLAINT_CATEGORIES } from '../../lambdas/shared/contract/routes';
import type { DailyReport } from '../../lambdas/shared/domain/daily-report';
import { runDailyReport } from '../../lambdas/shared/domain/reconcile';
import { bodyOf, type Json } from '../support/json';
import { type Harness, SCREENING_OFF, startHarness, validOrder } from './harness';

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
  /**
   * Two screening rules that send checkouts to review on the checkout's own facts (so the day is reproducible
   * whatever the counters hold): a disposable e-mail domain, and six tickets or more.
   */
  const KPI_RULES: FraudRules = {
    ...SCREENING_OFF,
    disposable_email: { enabled: true, action: 'review', extra_domains: [] },
    tickets_per_order: { enabled: true, action: 'review', tickets: 6 },
  };
  const complain = (orderId: string, category: string) =>
    h.internal(
      'POST',
      `/payments/${orderId}/complaints`,
      { category, note: 'Support summary of the call.' },
      { 'Idempotency-Key': randomUUID() },
    );
  const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  const expectShare = (actual: number | null, expected: number | null) => {
    if (expected === null) expect(actual).toBeNull();
    else expect(actual).toBeCloseTo(expected, 4);
  };

  /** docs/fraud-kpis.md, counted the slow way from the stored orders booked on the day. */
  const expectKpisEqualOrders = (report: DailyReport, orders: Json[]) => {
    const isPaid = (o: Json) => ['COMPLETED', 'REFUNDED'].includes(o.status);
    const complained = (o: Json) => Object.keys(o.complaints ?? {}).length > 0;
    const paid = orders.filter(isPaid);
    const flagged = paid.filter((o) => o.risk);
    const labelled = paid.filter((o) => o.fraudLabel);
    const both = flagged.filter((o) => o.fraudLabel);
    const byCategory: Record<string, number> = {};
    for (const complaint of orders.flatMap((o) => Object.values(o.complaints ?? {}) as Json[]))
      byCategory[complaint.category] = (byCategory[complaint.category] ?? 0) + 1;
    const reviewsByRule: Record<string, number> = {};
    for (const rule of orders.flatMap((o) => o.risk?.rules ?? []))
      reviewsByRule[rule] = (reviewsByRule[rule] ?? 0) + 1;

    const { rate, ...complaints } = report.complaints;
    expect(complaints).toEqual({
      paidOrders: paid.filter(complained).length,
      unpaidOrders: orders.filter((o) => !isPaid(o) && complained(o)).length,
      byCategory,
    });
    expectShare(rate, share(paid.filter(complained).length, paid.length));
    const { precision, recall, ...fraud } = report.fraud;
    expect(fraud).toEqual({
      // This day blocks nothing: its checkouts are all let through (blocks: fraud-screening.test.ts).
      blocked: 0,
      blocksByRule: {},
      sentToReview: orders.filter((o) => o.risk).length,
      reviewsByRule,
      flagged: flagged.length,
      labelled: labelled.length,
      labelledBySource: {
        complaint: labelled.filter((o) => o.fraudLabel.source === 'complaint').length,
        'review-rejected': labelled.filter((o) => o.fraudLabel.source === 'review-rejected').length,
      },
      flaggedAndLabelled: both.length,
    });
    expectShare(precision, share(both.length, flagged.length));
    expectShare(recall, share(both.length, labelled.length));
  };

  it('equals a brute-force count over a generated day of orders, complaints and fraud labels', async () => {
    await h.setFraudRules(KPI_RULES);
    try {
      const outcomes = ['pay', 'pay', 'pay', 'cancel', 'fail', 'pending', 'initiation-failure'] as const;
      const paidIds: { orderId: string; i: number }[] = [];
      const unpaidIds: string[] = [];
      for (let i = 0; i < 35; i++) {
        const outcome = outcomes[i % outcomes.length];
        // Every fifth checkout from a disposable address, every fourth with six tickets: some both, some large
        // enough for the amount's own review (not screening's).
        const tickets = i % 4 === 2 ? 6 : 1;
        const unit = 1_000 + ((i * 7_919) % 90) * 1_000;
        const body = validOrder({
          amount: unit * tickets,
          items: [{ name: 'Ticket', quantity: tickets, unit_price: unit }],
          ...(i % 5 === 1 ? { customer_email: `buyer${i}@yopmail.com` } : {}),
        });
        if (outcome === 'initiation-failure') {
          h.sim.faults.createFailure = { responseCode: '1001' };
          expect((await h.post(body)).status).toBe(502);
          h.sim.faults.reset();
          continue;
        }
        const { orderId, token } = await h.createOrder(body);
        if (outcome === 'pay') await h.sim.settle(token, 'completed');
        if (outcome === 'cancel') await h.sim.settle(token, 'cancelled');
        if (outcome === 'fail') await h.sim.settle(token, 'failed');
        if (outcome === 'pay') paidIds.push({ orderId, i });
        if (outcome === 'cancel' || outcome === 'fail') unpaidIds.push(orderId);
      }

      // The outcomes that label payments: operators reject some reviews (screening's and the amount's), approve
      // others; support records complaints of every category, `unauthorized` ones among them, on paid and unpaid
      // orders alike.
      let rejected = 0;
      for (const [n, { orderId, i }] of paidIds.entries()) {
        const order = await h.ctx.store.getOrder(orderId);
        if (order?.review?.status === 'PENDING' && n % 3 !== 2) {
          const decision = n % 3 === 0 ? 'reject' : 'approve';
          expect((await review(orderId, { decision, reason: `generated day #${i}` })).status).toBe(200);
          if (decision === 'reject') rejected++;
        }
        if (i % 3 === 0) {
          const category = COMPLAINT_CATEGORIES[i % COMPLAINT_CATEGORIES.length] as string;
          expect((await complain(orderId, category)).status).toBe(201);
        }
      }
      for (const orderId of unpaidIds.slice(0, 2))
        expect((await complain(orderId, 'unauthorized')).status).toBe(201);
      // Rejections refund through PayDunya: let them end before the day is counted.
      await h.sim.disbursementsSettled();
      await vi.waitFor(
        async () => {
          const refunding = (await h.orders()).filter((o) =>
            Object.values(o.refunds ?? {}).some((r) =>
              ['REQUESTED', 'SUBMITTED'].includes((r as Json).status),
            ),
          );
          expect(refunding).toEqual([]);
        },
        { timeout: 15_000 },
      );
      expect(rejected).toBeGreaterThan(0);

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
      expectKpisEqualOrders(report, orders);
      // The generated day has hits, false alarms and misses, and both rules: no figure is trivially 0 or 100 %.
      expect(Object.keys(report.fraud.reviewsByRule).sort()).toEqual([
        'disposable_email',
        'tickets_per_order',
      ]);
      expect(report.fraud.flaggedAndLabelled).toBeGreaterThan(0);
      expect(report.fraud.flagged).toBeGreaterThan(report.fraud.flaggedAndLabelled);
      expect(report.fraud.labelled).toBeGreaterThan(report.fraud.flaggedAndLabelled);
      expect(report.complaints.paidOrders).toBeGreaterThan(0);
      expect(report.complaints.unpaidOrders).toBe(2);

      const served = await fetch(`${h.api.url}/admin/reports/${today()}`);
      expect(served.status).toBe(200);
      expect(await bodyOf(served)).toEqual(JSON.parse(JSON.stringify(report)));
      const published = (await h.alerts()).filter((a) => a.type === 'daily-report');
      expect(published).toContainEqual(expect.objectContaining({ severity: 'warning' }));
      expect(published.at(-1)?.summary).toContain(
        `Complaint rate ${((report.complaints.rate ?? 0) * 100).toFixed(1)}% (${report.complaints.paidOrders} of ${paid.length} paid orders`,
      );
      expect(published.at(-1)?.summary).toContain('blocked 0 checkouts, which leave no order');

      // A complaint recorded later counts in the day of its order: that day's report is re-issued with it.
      // The index rows the report is built from carry the complaints' categories, never support's notes.
      const rows: Record<string, unknown>[] = [];
      for await (const row of h.ctx.store.listBooked(today())) rows.push(row as Record<string, unknown>);
      expect(rows.some((row) => Array.isArray(row.complaintCategories))).toBe(true);
      expect(rows.filter((row) => 'complaints' in row || JSON.stringify(row).includes('"note"'))).toEqual([]);

      const quiet = paid.find((o) => !o.complaints);
      if (!quiet) throw new Error('the generated day has no paid order without a complaint');
      expect((await complain(quiet.orderId, 'not_received')).status).toBe(201);
      const reissued = (await h.ctx.store.getReport(today())) as { revision: number; report: DailyReport };
      expect(reissued.revision).toBe(report.revision + 1);
      expect(reissued.report.complaints.paidOrders).toBe(report.complaints.paidOrders + 1);
      expectKpisEqualOrders(
        reissued.report,
        (await h.orders()).filter((o) => o.bookedDay === today()),
      );
      expect(
        (await h.alerts()).filter(
          (a) =>
            a.type === 'daily-report-revised' &&
            a.summary.includes(`after a complaint on order ${quiet.orderId}`) &&
            a.summary.includes(
              `paid orders complained about ${report.complaints.paidOrders} → ${report.complaints.paidOrders + 1}`,
            ),
        ),
      ).toHaveLength(1);
    } finally {
      await h.setFraudRules(SCREENING_OFF);
    }
  }, 120_000);

  it('GET /admin/reports/{date} is 404 for a day without a report and 400 for a malformed date', async () => {
    expect((await fetch(`${h.api.url}/admin/reports/2001-01-01`)).status).toBe(404);
    expect((await fetch(`${h.api.url}/admin/reports/yesterday`)).status).toBe(400);
  });
});
