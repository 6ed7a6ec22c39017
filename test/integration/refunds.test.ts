import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import type { AppContext } from '../../lambdas/shared/domain/context';
import type { DailyReport } from '../../lambdas/shared/domain/daily-report';
import type { PaymentStore } from '../../lambdas/shared/domain/ports';
import { reconcilePending, runDailyReport } from '../../lambdas/shared/domain/reconcile';
import { bodyOf, type Json } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

/**
 * Refunds through PayDunya's disbursement API, against the simulator and DynamoDB Local: money goes back at most
 * once, whatever is repeated, lost or interrupted.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ dynamoFaults: true });
});
afterEach(async () => {
  h.sim.faults.reset();
  h.faults?.clear();
  await h.setFlags(DEFAULT_FLAGS);
  await h.sim.disbursementsSettled();
});
afterAll(async () => {
  await h?.stop();
});

const RECONCILE = { olderThanMinutes: 0, invoiceExpiryHours: 24, concurrency: 5 };
const minutesLater = (ctx: AppContext, minutes: number): AppContext => ({
  ...ctx,
  clock: { now: () => new Date(Date.now() + minutes * 60_000) },
});
const payment = async (orderId: string): Promise<Json> => bodyOf(await h.get(orderId));
const alertsFor = async (orderId: string, type: string) =>
  (await h.alerts()).filter((a) => a.orderId === orderId && a.type === type);
const disbursementsOf = (refundId: string) => h.sim.disbursements().filter((d) => d.disburse_id === refundId);

const paidOrder = async (overrides: Record<string, unknown> = {}, method?: string, payerPhone?: string) => {
  const created = await h.createOrder(overrides);
  await h.sim.settle(created.token, 'completed', {
    ...(method ? { method } : {}),
    ...(payerPhone ? { phone: payerPhone } : {}),
  });
  await vi.waitFor(async () => expect((await payment(created.orderId)).status).toBe('COMPLETED'));
  return created;
};

const fulfil = (orderId: string, body: unknown) =>
  h.internal('POST', `/payments/${orderId}/fulfilment`, body);
const refund = (orderId: string, body: unknown, key: string = randomUUID()) =>
  h.internal('POST', `/payments/${orderId}/refunds`, body, { 'Idempotency-Key': key });

/** Waits for PayDunya's callbacks and the refunds they settle. */
const settled = async (orderId: string, status: string) => {
  await h.sim.disbursementsSettled();
  await vi.waitFor(async () => expect((await payment(orderId)).refunds.at(-1)?.status).toBe(status), {
    timeout: 5_000,
  });
  return payment(orderId);
};

describe('fulfilment acknowledgement', () => {
  it('failed refunds the customer in full, automatically: one disbursement to their wallet, order REFUNDED', async () => {
    const { orderId } = await paidOrder();
    const response = await fulfil(orderId, { outcome: 'failed', reason: 'sold out' });
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body.fulfilment).toMatchObject({ outcome: 'failed', reason: 'sold out' });
    expect(body.refund).toMatchObject({ amount: 15_000, trigger: 'fulfilment-failed' });
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after).toMatchObject({ status: 'REFUNDED', refundedAmount: 15_000 });
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([
      {
        amount: 15_000,
        account_alias: '70123456',
        withdraw_mode: 'orange-money-burkina',
        submits: 1,
        status: 'success',
      },
    ]);
  });

  it('failed sent five times at once makes one refund and one disbursement', async () => {
    const { orderId } = await paidOrder();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => fulfil(orderId, { outcome: 'failed', reason: 'venue cancelled' })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const refundIds = new Set((await Promise.all(answers.map(bodyOf))).map((b: Json) => b.refund?.refundId));
    expect(refundIds.size).toBe(1);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after.refunds).toHaveLength(1);
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 1, paidOutXof: 15_000 }]);
  });

  it('the same outcome twice answers the same; the other outcome is 409; an unpaid order is 409', async () => {
    const { orderId } = await paidOrder();
    const first = await bodyOf(await fulfil(orderId, { outcome: 'delivered' }));
    const again = await fulfil(orderId, { outcome: 'delivered' });
    expect(again.status).toBe(200);
    expect((await bodyOf(again)).fulfilment).toEqual(first.fulfilment);
    const contradiction = await fulfil(orderId, { outcome: 'failed', reason: 'oops' });
    expect(contradiction.status).toBe(409);
    expect((await bodyOf(contradiction)).error.code).toBe('FULFILMENT_ALREADY_RECORDED');
    expect((await payment(orderId)).refunds).toEqual([]);

    const { orderId: unpaid } = await h.createOrder();
    const refused = await fulfil(unpaid, { outcome: 'delivered' });
    expect(refused.status).toBe(409);
    expect((await bodyOf(refused)).error.code).toBe('NOT_PAID');
  });

  it.each([
    [{ outcome: 'maybe' }, 'outcome'],
    [{ outcome: 'failed', reason: '' }, 'reason'],
    [{ outcome: 'delivered', extra: true }, 'extra'],
  ])('a bad acknowledgement %j is a 400 naming %s and changes nothing', async (body, field) => {
    const { orderId } = await paidOrder();
    const response = await fulfil(orderId, body);
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error.fields.map((f: Json) => f.path)).toContain(field);
    expect((await payment(orderId)).fulfilment).toBeUndefined();
  });

  it('a paid order not acknowledged in time is counted and warned about once a run; an acknowledged one is not', async () => {
    const { orderId } = await paidOrder();
    const { orderId: delivered } = await paidOrder();
    await fulfil(delivered, { outcome: 'delivered' });
    const summary = await reconcilePending(minutesLater(h.ctx, 11), {
      ...RECONCILE,
      fulfilmentAckMinutes: 10,
    });
    expect(summary.fulfilmentOverdue).toBeGreaterThanOrEqual(1);
    const overdue = (await h.alerts()).filter((a) => a.type === 'fulfilment-overdue');
    expect(overdue).toHaveLength(1);
    expect(h.telemetry.counted(METRICS.fulfilmentOverdue)).toBeGreaterThanOrEqual(1);
    expect((await payment(orderId)).refunds).toEqual([]);
  });
});

describe('refund route', () => {
  it('refunds part of a payment, then the rest; a refund over what is left is 409 and changes nothing', async () => {
    const { orderId } = await paidOrder();
    const first = await refund(orderId, { amount: 10_000, reason: 'one ticket returned' });
    expect(first.status).toBe(202);
    expect(await bodyOf(first)).toMatchObject({ amount: 10_000, reason: 'one ticket returned' });
    await settled(orderId, 'SUCCEEDED');
    const over = await refund(orderId, { amount: 6_000, reason: 'parking too' });
    expect(over.status).toBe(409);
    const { error } = await bodyOf(over);
    expect(error.code).toBe('REFUND_EXCEEDS_PAYMENT');
    expect(error.message).toContain('At most 5000 XOF can still be refunded');
    expect((await payment(orderId)).refunds).toHaveLength(1);
    const rest = await refund(orderId, { reason: 'the rest' });
    expect(await bodyOf(rest)).toMatchObject({ amount: 5_000 });
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after).toMatchObject({ status: 'REFUNDED', refundedAmount: 15_000 });
    const nothing = await refund(orderId, { reason: 'again' });
    expect(nothing.status).toBe(409);
    expect((await bodyOf(nothing)).error.code).toBe('NOTHING_LEFT_TO_REFUND');
  });

  it('two partial refunds at once over the paid amount: one is accepted, the other refused', async () => {
    const { orderId } = await paidOrder();
    const answers = await Promise.all([
      refund(orderId, { amount: 9_000, reason: 'first' }),
      refund(orderId, { amount: 9_000, reason: 'second' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after.refunds).toHaveLength(1);
    expect(after.refundedAmount).toBe(9_000);
  });

  it('the same Idempotency-Key and body answers the same refund; another body with it is 409', async () => {
    const { orderId } = await paidOrder();
    const key = randomUUID();
    const first = await bodyOf(await refund(orderId, { amount: 1_000, reason: 'goodwill' }, key));
    const replay = await refund(orderId, { amount: 1_000, reason: 'goodwill' }, key);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await bodyOf(replay)).refundId).toBe(first.refundId);
    const other = await refund(orderId, { amount: 2_000, reason: 'goodwill' }, key);
    expect(other.status).toBe(409);
    expect((await payment(orderId)).refunds).toHaveLength(1);
  });

  it('the same refund request sent five times at once with one key makes one refund', async () => {
    const { orderId } = await paidOrder();
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => refund(orderId, { amount: 3_000, reason: 'retrying client' }, key)),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    const ids = new Set((await Promise.all(answers.map(bodyOf))).map((b: Json) => b.refundId));
    expect(ids.size).toBe(1);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after.refunds).toHaveLength(1);
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 1, paidOutXof: 3_000 }]);
  });

  it('refuses bad input with the field named, and an unpaid or unknown order, writing nothing', async () => {
    const { orderId } = await paidOrder();
    const noKey = await h.internal('POST', `/payments/${orderId}/refunds`, { reason: 'why not' });
    expect(noKey.status).toBe(400);
    expect((await bodyOf(noKey)).error.fields[0].path).toBe('Idempotency-Key');
    for (const [body, field] of [
      [{ amount: 0, reason: 'zero' }, 'amount'],
      [{ amount: 1.5, reason: 'half' }, 'amount'],
      [{ amount: 100 }, 'reason'],
    ] as const) {
      const response = await refund(orderId, body);
      expect(response.status).toBe(400);
      expect((await bodyOf(response)).error.fields.map((f: Json) => f.path)).toContain(field);
    }
    expect((await payment(orderId)).refunds).toEqual([]);
    const { orderId: unpaid } = await h.createOrder();
    expect((await refund(unpaid, { reason: 'not paid yet' })).status).toBe(409);
    expect((await refund('01ARZ3NDEKTSV4RRFFQ69G5FAV', { reason: 'nobody' })).status).toBe(404);
  });
});

describe('money leaves at most once', () => {
  it('a submit whose answer is lost makes one disbursement and a SUCCEEDED refund, settled by check-status', async () => {
    const { orderId } = await paidOrder();
    h.sim.faults.disburseLoseAnswer = true;
    expect((await refund(orderId, { reason: 'answer lost' })).status).toBe(202);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 1, paidOutXof: 15_000 }]);
    await reconcilePending(h.ctx, RECONCILE);
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 1 }]);
  });

  it('a crash after the disbursement token is stored resumes without a second invoice or submit', async () => {
    const { orderId } = await paidOrder();
    const crashing: AppContext = {
      ...h.ctx,
      store: crashOn(h.ctx.store, 'refund submitted to PayDunya'),
    };
    await h.setFlags(DEFAULT_FLAGS);
    const { requestRefund } = await import('../../lambdas/shared/domain/refunds');
    const { refund: made } = await requestRefund(crashing, {
      orderId,
      idempotencyKey: randomUUID(),
      reason: 'crash test',
      requestedBy: 'test',
    });
    expect(made.status).toBe('REQUESTED');
    expect(disbursementsOf(made.refundId)).toMatchObject([{ status: 'created', submits: 0 }]);

    await reconcilePending(h.ctx, RECONCILE);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(disbursementsOf(made.refundId)).toMatchObject([{ submits: 1, status: 'success' }]);
    expect(after.refundedAmount).toBe(15_000);
  });

  it('five processors resuming the same refund at once (route, callbacks, reconcile runs) submit it once', async () => {
    const { orderId } = await paidOrder();
    const { requestRefund, advanceRefund } = await import('../../lambdas/shared/domain/refunds');
    const { refund: made } = await requestRefund(
      { ...h.ctx, store: crashOn(h.ctx.store, 'refund submitted to PayDunya') },
      { orderId, idempotencyKey: randomUUID(), reason: 'race', requestedBy: 'test' },
    );
    await Promise.all(
      Array.from({ length: 5 }, () => advanceRefund(h.ctx, orderId, made.refundId, 'reconcile')),
    );
    await settled(orderId, 'SUCCEEDED');
    expect(disbursementsOf(made.refundId)).toMatchObject([{ submits: 1, paidOutXof: 15_000 }]);
  });

  it('a crash between get-invoice and storing its token leaves an unsubmitted invoice; one payout all the same', async () => {
    const { orderId } = await paidOrder();
    const crashing: AppContext = {
      ...h.ctx,
      store: crashOn(h.ctx.store, 'PayDunya disbursement invoice created'),
    };
    const { requestRefund } = await import('../../lambdas/shared/domain/refunds');
    const { refund: made } = await requestRefund(crashing, {
      orderId,
      idempotencyKey: randomUUID(),
      reason: 'crash before token',
      requestedBy: 'test',
    });
    await reconcilePending(h.ctx, RECONCILE);
    await settled(orderId, 'SUCCEEDED');
    const invoices = disbursementsOf(made.refundId);
    expect(invoices).toHaveLength(2);
    expect(invoices.map((d) => d.submits).sort()).toEqual([0, 1]);
    expect(invoices.reduce((sum, d) => sum + d.paidOutXof, 0)).toBe(15_000);
  });

  it('a crash after SUBMITTED is written and before submit is never submitted again: a stuck alert after 30 minutes', async () => {
    const { orderId } = await paidOrder();
    const crashing: AppContext = {
      ...h.ctx,
      disbursements: {
        ...h.ctx.disbursements,
        submitDisbursement: () => Promise.reject(new Error('process died')),
      },
    };
    const { requestRefund } = await import('../../lambdas/shared/domain/refunds');
    const { refund: made } = await requestRefund(crashing, {
      orderId,
      idempotencyKey: randomUUID(),
      reason: 'crash after lock',
      requestedBy: 'test',
    });
    expect(made.status).toBe('SUBMITTED');
    await reconcilePending(h.ctx, RECONCILE);
    await reconcilePending(minutesLater(h.ctx, 31), RECONCILE);
    expect(disbursementsOf(made.refundId)).toMatchObject([{ submits: 0, status: 'created' }]);
    expect((await payment(orderId)).refunds[0].status).toBe('SUBMITTED');
    expect(await alertsFor(orderId, 'refund-stuck')).toHaveLength(1);
  });

  it('insufficient PayDunya balance fails the refund with a critical alert; nothing is paid', async () => {
    const { orderId } = await paidOrder();
    h.sim.faults.disburseInsufficientBalance = true;
    expect((await refund(orderId, { reason: 'no money' })).status).toBe(202);
    const after = await payment(orderId);
    expect(after.refunds[0]).toMatchObject({ status: 'FAILED' });
    expect(after.refundedAmount).toBe(0);
    const stored = await h.ctx.store.getOrder(orderId);
    expect(stored?.refunds?.[after.refunds[0].refundId]?.outcomeCode).toBe('insufficient_balance');
    expect(await alertsFor(orderId, 'refund-insufficient-balance')).toHaveLength(1);
    expect(await alertsFor(orderId, 'refund-failed')).toHaveLength(1);
    expect(h.telemetry.counted(METRICS.disbursementBalanceLow)).toBeGreaterThanOrEqual(1);
    // A failed refund gives its amount back: the refund can be asked again once the balance is topped up.
    expect((await refund(orderId, { reason: 'topped up' })).status).toBe(202);
    await settled(orderId, 'SUCCEEDED');
  });

  it('a submit PayDunya answers as refused but carried out is settled by check-status: SUCCEEDED, never re-opened', async () => {
    const { orderId } = await paidOrder();
    const { GatewayError } = await import('../../lambdas/shared/domain/errors');
    const { requestRefund } = await import('../../lambdas/shared/domain/refunds');
    const lying: AppContext = {
      ...h.ctx,
      disbursements: {
        ...h.ctx.disbursements,
        submitDisbursement: async (...args) => {
          await h.ctx.disbursements.submitDisbursement(...args);
          throw new GatewayError('refused', 'PayDunya submit: response_code 99 (Erreur)', '99');
        },
      },
    };
    const { refund: made } = await requestRefund(lying, {
      orderId,
      idempotencyKey: randomUUID(),
      reason: 'refused but paid',
      requestedBy: 'test',
    });
    expect(made.status).not.toBe('FAILED');
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after.refundedAmount).toBe(15_000);
    // Had the refusal been believed, the amount would be free again and a second refund would pay twice.
    expect((await refund(orderId, { reason: 'again' })).status).toBe(409);
    expect(disbursementsOf(made.refundId)).toMatchObject([{ submits: 1, paidOutXof: 15_000 }]);
  });

  it('a disbursement PayDunya ends failed fails the refund, with an alert', async () => {
    const { orderId } = await paidOrder();
    h.sim.faults.disburseFail = true;
    await refund(orderId, { reason: 'will fail' });
    const after = await settled(orderId, 'FAILED');
    expect(after.refundedAmount).toBe(0);
    expect(await alertsFor(orderId, 'refund-failed')).toHaveLength(1);
  });
});

describe('refunds on a contended table (DynamoDB conflicts and throttling injected: the emulator never sends them)', () => {
  it('conflicts and throttling on every refund write (order steps, the day cap) still make one payout', async () => {
    const { orderId } = await paidOrder();
    const day = new Date().toISOString().slice(0, 10);
    h.faults?.inject({
      error: 'TransactionConflictException',
      operation: 'UpdateItem',
      pk: `ORDER#${orderId}`,
      times: 6,
    });
    h.faults?.inject({
      error: 'ThrottlingException',
      operation: 'UpdateItem',
      pk: `ORDER#${orderId}`,
      times: 2,
    });
    h.faults?.inject({
      error: 'TransactionConflictException',
      operation: 'UpdateItem',
      pk: `REFUNDCAP#${day}`,
      times: 2,
    });
    const ack = await fulfil(orderId, { outcome: 'failed', reason: 'sold out' });
    expect(ack.status).toBe(200);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after).toMatchObject({ status: 'REFUNDED', refundedAmount: 15_000 });
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 1, paidOutXof: 15_000 }]);
    expect(h.faults?.log.filter((entry) => entry.pks.some((pk) => pk.startsWith('REFUNDCAP#'))).length).toBe(
      2,
    );
  });

  it('an order write whose answer was lost is found landed, not written twice: one refund, one payout', async () => {
    const { orderId } = await paidOrder();
    h.faults?.inject({ error: 'AnswerLost', operation: 'UpdateItem', pk: `ORDER#${orderId}`, times: 3 });
    expect((await refund(orderId, { reason: 'answers lost' })).status).toBe(202);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after.refunds).toHaveLength(1);
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 1 }]);
  });
});

describe('refunds a person must make', () => {
  it('a card payment goes MANUAL with an alert, and nothing is sent to PayDunya', async () => {
    const { orderId } = await paidOrder({}, 'card');
    expect((await refund(orderId, { reason: 'card refund' })).status).toBe(202);
    const after = await payment(orderId);
    expect(after.refunds[0]).toMatchObject({ status: 'MANUAL' });
    expect(after.refunds[0].outcome).toContain('card');
    expect(disbursementsOf(after.refunds[0].refundId)).toEqual([]);
    expect(await alertsFor(orderId, 'refund-manual')).toHaveLength(1);
  });

  it('a payment from another wallet than the checkout number goes MANUAL: money never goes to the wrong number', async () => {
    const { orderId } = await paidOrder({}, undefined, '76000000');
    await fulfil(orderId, { outcome: 'failed', reason: 'sold out' });
    const after = await payment(orderId);
    expect(after.refunds[0]).toMatchObject({ status: 'MANUAL' });
    expect(after.refunds[0].outcome).toContain('another wallet');
    expect(disbursementsOf(after.refunds[0].refundId)).toEqual([]);
  });

  it('the same wallet in another format (22670123456) is the same wallet: refunded automatically', async () => {
    const { orderId } = await paidOrder({}, undefined, '226 70 12 34 56');
    await fulfil(orderId, { outcome: 'failed', reason: 'sold out' });
    expect((await settled(orderId, 'SUCCEEDED')).refundedAmount).toBe(15_000);
  });

  it('refunds switched off (refunds_enabled): MANUAL', async () => {
    const { orderId } = await paidOrder();
    await h.setFlags({ ...DEFAULT_FLAGS, refunds_enabled: { enabled: false, daily_cap_xof: 1_000_000 } });
    await fulfil(orderId, { outcome: 'failed', reason: 'sold out' });
    const after = await payment(orderId);
    expect(after.refunds[0]).toMatchObject({ status: 'MANUAL' });
    expect(after.refunds[0].outcome).toContain('switched off');
    expect(disbursementsOf(after.refunds[0].refundId)).toEqual([]);
  });

  it('refunds switched off after the invoice was made and before the submit: MANUAL, never submitted', async () => {
    const { orderId } = await paidOrder();
    const { requestRefund, advanceRefund } = await import('../../lambdas/shared/domain/refunds');
    const { refund: made } = await requestRefund(
      { ...h.ctx, store: crashOn(h.ctx.store, 'refund submitted to PayDunya') },
      { orderId, idempotencyKey: randomUUID(), reason: 'switched off midway', requestedBy: 'test' },
    );
    await h.setFlags({ ...DEFAULT_FLAGS, refunds_enabled: { enabled: false, daily_cap_xof: 1_000_000 } });
    await advanceRefund(h.ctx, orderId, made.refundId, 'reconcile');
    expect((await payment(orderId)).refunds[0]).toMatchObject({ status: 'MANUAL' });
    expect(disbursementsOf(made.refundId)).toMatchObject([{ submits: 0, paidOutXof: 0 }]);
  });

  it("over the day's refund cap: MANUAL, and the unsubmitted invoice moves no money", async () => {
    const { orderId } = await paidOrder();
    await h.setFlags({ ...DEFAULT_FLAGS, refunds_enabled: { enabled: true, daily_cap_xof: 1_000 } });
    await refund(orderId, { reason: 'over cap' });
    const after = await payment(orderId);
    expect(after.refunds[0]).toMatchObject({ status: 'MANUAL' });
    expect(after.refunds[0].outcome).toContain('cap');
    expect(disbursementsOf(after.refunds[0].refundId)).toMatchObject([{ submits: 0, paidOutXof: 0 }]);
  });
});

describe('refunds in reports, reconcile and callbacks', () => {
  it("the report's refund figures equal the refund records", async () => {
    await paidOrder().then(({ orderId }) => fulfil(orderId, { outcome: 'failed', reason: 'sold out' }));
    await paidOrder().then(({ orderId }) => refund(orderId, { amount: 4_000, reason: 'partial' }));
    await paidOrder({}, 'card').then(({ orderId }) => refund(orderId, { reason: 'card' }));
    await h.sim.disbursementsSettled();
    await reconcilePending(h.ctx, RECONCILE);
    const day = new Date().toISOString().slice(0, 10);
    const report = (await runDailyReport(h.ctx, day, { recheckHours: 48, concurrency: 5 })) as DailyReport;
    const refunds = (await h.orders())
      .filter((o) => o.bookedDay === day)
      .flatMap((o) => Object.values((o.refunds ?? {}) as Record<string, Json>));
    const tally = (statuses: string[]) => {
      const matching = refunds.filter((r) => statuses.includes(r.status));
      return { count: matching.length, amountXof: matching.reduce((sum, r) => sum + r.amount, 0) };
    };
    expect(report.refunds).toEqual({
      succeeded: tally(['SUCCEEDED']),
      inProgress: tally(['REQUESTED', 'SUBMITTED']),
      manual: tally(['MANUAL']),
      failed: tally(['FAILED']),
    });
    expect(report.refunds.succeeded.count).toBeGreaterThanOrEqual(2);
    expect(report.netXof).toBe(report.paid.amountXof - report.refunds.succeeded.amountXof);
  });

  it('a late payment ticketing never acknowledged is refunded automatically after an hour', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await reconcilePending(minutesLater(h.ctx, 25 * 60), RECONCILE); // the invoice expires unpaid
    expect((await payment(orderId)).status).toBe('EXPIRED');
    await h.sim.settle(token, 'completed');
    await reconcilePending(h.ctx, { ...RECONCILE }).then(() =>
      import('../../lambdas/shared/domain/reconcile').then(({ recheckUnpaid }) =>
        recheckUnpaid(h.ctx, 48, 5),
      ),
    );
    expect(await payment(orderId)).toMatchObject({ status: 'COMPLETED' });
    await reconcilePending(minutesLater(h.ctx, 61), RECONCILE);
    const after = await settled(orderId, 'SUCCEEDED');
    expect(after.refunds[0]).toMatchObject({ trigger: 'late-payment-undelivered', amount: 15_000 });
    expect(after.status).toBe('REFUNDED');
  });

  it('the disbursement callback is only a trigger: a forged one is 401, an empty probe 200, nothing changes', async () => {
    const { orderId } = await paidOrder();
    const url = `${h.api.url}/webhooks/paydunya/disbursements?o=${orderId}&r=RF01ARZ3NDEKTSV4RRFFQ69G5FAV&sig=bad`;
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: 'x', status: 'success' }),
    });
    expect(forged.status).toBe(401);
    const probe = await fetch(url, { method: 'POST' });
    expect(probe.status).toBe(200);
    expect((await payment(orderId)).refunds).toEqual([]);
  });
});

describe('reference and metadata', () => {
  it('are echoed by GET /payments/{orderId}, and ticketing finds the payments of a reservation', async () => {
    const reference = `RES-${randomUUID().slice(0, 8)}`;
    const first = await h.createOrder({ reference, metadata: { event: 'fespaco-2027', seat: 'A12' } });
    const second = await h.createOrder({ reference });
    expect(await payment(first.orderId)).toMatchObject({
      reference,
      metadata: { event: 'fespaco-2027', seat: 'A12' },
    });
    const found = await bodyOf(await h.internal('GET', `/reservations/${reference}/payments`));
    expect(found.payments.map((p: Json) => p.orderId)).toEqual([second.orderId, first.orderId]);
    const none = await bodyOf(await h.internal('GET', '/reservations/NOPE/payments'));
    expect(none.payments).toEqual([]);
  });

  it.each([
    [{ reference: 'has space' }, 'reference'],
    [{ reference: 'x'.repeat(65) }, 'reference'],
    [{ metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
    [{ metadata: { ['k'.repeat(41)]: 'v' } }, 'metadata'],
    [{ metadata: { note: 'v'.repeat(201) } }, 'metadata.note'],
    [{ metadata: { contact: 'awa@example.bf' } }, 'metadata.contact'],
    [{ metadata: { contact: '+22670123456' } }, 'metadata.contact'],
    [{ metadata: { count: 3 } }, 'metadata.count'],
  ])('a checkout with %j is a 400 naming %s, and writes nothing', async (extra, field) => {
    const before = await h.itemCount();
    const response = await h.post(validOrder(extra));
    expect(response.status).toBe(400);
    const paths: string[] = (await bodyOf(response)).error.fields.map((f: Json) => f.path);
    expect(paths.some((path) => path.startsWith(field))).toBe(true);
    expect(await h.itemCount()).toBe(before);
  });
});

/** A store that "crashes" (throws) on the order write whose audit reason starts with `reason`. */
function crashOn(store: PaymentStore, reason: string): PaymentStore {
  return {
    ...store,
    transition: (request) =>
      request.audit.reason.startsWith(reason)
        ? Promise.reject(new Error('process died'))
        : store.transition(request),
  };
}
