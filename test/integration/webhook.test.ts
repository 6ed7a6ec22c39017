import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import qs from 'qs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { signCallback } from '../../lambdas/shared/domain/crypto';
import { bodyOf } from '../support/json';
import { type Harness, MASTER_KEY, startHarness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.sim.faults.reset());
afterAll(async () => {
  await h?.stop();
});

const sha512 = (value: string) => createHash('sha512').update(value).digest('hex');

/** An IPN body shaped like the versioned fixture, re-pointed at one of our orders. */
const ipnBody = (fields: {
  token: string;
  orderId: string;
  status: string;
  amount: number;
  hash?: string;
}) => {
  const fixture = qs.parse(
    readFileSync(new URL('../fixtures/paydunya/ipn-completed.form.txt', import.meta.url), 'utf8'),
  ) as { data: Record<string, unknown> & { invoice: Record<string, unknown> } };
  const data = {
    ...fixture.data,
    hash: fields.hash ?? sha512(MASTER_KEY),
    status: fields.status,
    invoice: { ...fixture.data.invoice, token: fields.token, total_amount: String(fields.amount) },
    custom_data: { order_id: fields.orderId },
  };
  return qs.stringify({ data });
};

const postIpn = (
  body: string,
  query: Record<string, string> = {},
  contentType = 'application/x-www-form-urlencoded',
) =>
  fetch(`${h.api.url}/webhooks/paydunya?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body,
  });

const statusOf = async (orderId: string) =>
  (await bodyOf(await h.get(orderId))) as { status: string; events: unknown[] };

// The signing secret comes from the harness's secrets file, through the same adapter the code uses.
let signingSecret = '';
beforeAll(async () => {
  signingSecret = await h.ctx.secrets.signingSecret();
});
const signed = (orderId: string) => ({ o: orderId, sig: signCallback(signingSecret, orderId) });

describe('POST /webhooks/paydunya: authenticity', () => {
  it('a wrong data[hash] is refused with 401, changes nothing, is counted and raises a critical alert', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    const before = h.telemetry.counted(METRICS.webhookRejected, 'reason=hash');

    const response = await postIpn(
      ipnBody({ token, orderId, status: 'completed', amount: 15000, hash: sha512('guessed-master-key') }),
      signed(orderId),
    );
    expect(response.status).toBe(401);
    expect((await statusOf(orderId)).status).toBe('PENDING');
    expect(h.telemetry.counted(METRICS.webhookRejected, 'reason=hash')).toBe(before + 1);
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({ type: 'forged-webhook', severity: 'critical' }),
    );
  });

  it('a wrong callback signature is refused with 401 and changes nothing', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    const response = await postIpn(ipnBody({ token, orderId, status: 'completed', amount: 15000 }), {
      o: orderId,
      sig: 'a'.repeat(64),
    });
    expect(response.status).toBe(401);
    expect((await statusOf(orderId)).status).toBe('PENDING');
  });

  it('a signature for another order is refused with 401', async () => {
    const other = await h.createOrder();
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    const response = await postIpn(ipnBody({ token, orderId, status: 'completed', amount: 15000 }), {
      o: orderId,
      sig: signed(other.orderId).sig,
    });
    expect(response.status).toBe(401);
    expect((await statusOf(orderId)).status).toBe('PENDING');
  });

  it('a missing callback signature is accepted but counted (PayDunya may drop query strings)', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    const before = h.telemetry.counted(METRICS.webhookUnsigned);
    const response = await postIpn(ipnBody({ token, orderId, status: 'completed', amount: 15000 }));
    expect(response.status).toBe(200);
    expect((await statusOf(orderId)).status).toBe('COMPLETED');
    expect(h.telemetry.counted(METRICS.webhookUnsigned)).toBe(before + 1);
  });

  it.each([
    ['an empty body', ''],
    ['a body that is not form data', '%%%&&&==='],
    ['form data without data[...]', 'foo=bar&baz=1'],
    ['truncated JSON', '{"data": {"hash": '],
  ])('%s gets 200 and changes nothing', async (_, body) => {
    const before = await h.itemCount();
    const response = await postIpn(body);
    expect(response.status).toBe(200);
    expect((await bodyOf(response)).outcome).toBe('ignored');
    expect(await h.itemCount()).toBe(before);
  });

  it('accepts a JSON IPN too, defensively, and still trusts only confirm', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'failed');
    const data = qs.parse(ipnBody({ token, orderId, status: 'completed', amount: 15000 }));
    const response = await postIpn(JSON.stringify(data), signed(orderId), 'application/json');
    expect(response.status).toBe(200);
    expect((await statusOf(orderId)).status).toBe('FAILED');
  });
});

describe('POST /webhooks/paydunya: only PayDunya confirm is believed', () => {
  it('an IPN for an unknown token changes nothing', async () => {
    const before = await h.itemCount();
    const response = await postIpn(
      ipnBody({
        token: 'test_unknown123',
        orderId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
        status: 'completed',
        amount: 15000,
      }),
    );
    expect(response.status).toBe(200);
    expect((await bodyOf(response)).outcome).toBe('unknown-invoice');
    expect(await h.itemCount()).toBe(before);
  });

  it('an IPN saying completed while confirm still says pending leaves the order PENDING', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.confirmStatusOverride = 'pending';
    const result = await h.sim.settle(token, 'completed');
    expect(result.ipnStatuses).toEqual([200]);
    expect((await statusOf(orderId)).status).toBe('PENDING');
  });

  it('an amount tampered in confirm raises a fraud alert and the order is not COMPLETED', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.confirmAmountDelta = -14000;
    const before = h.telemetry.counted(METRICS.fraudSuspected);
    await h.sim.settle(token, 'completed');
    const payment = await statusOf(orderId);
    expect(payment.status).toBe('PENDING');
    expect(payment.events).toHaveLength(2);
    expect(h.telemetry.counted(METRICS.fraudSuspected)).toBe(before + 1);
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({ type: 'fraud-suspected', severity: 'critical', orderId }),
    );
  });

  it('an IPN whose own amount was tampered is applied from confirm, with a warning', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.ipnAmountDelta = 5;
    await h.sim.settle(token, 'completed');
    expect((await statusOf(orderId)).status).toBe('COMPLETED');
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({ type: 'ipn-amount-mismatch', orderId }),
    );
  });

  it("an IPN naming another order's token in custom_data cannot move the other order", async () => {
    const victim = await h.createOrder();
    const paid = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(paid.token, 'completed');
    // Correct hash (anyone who saw one IPN has it), the victim's order id, the paid invoice's token.
    const response = await postIpn(
      ipnBody({ token: paid.token, orderId: victim.orderId, status: 'completed', amount: 15000 }),
    );
    expect(response.status).toBe(200);
    expect((await statusOf(victim.orderId)).status).toBe('PENDING');
    expect((await statusOf(paid.orderId)).status).toBe('COMPLETED');
  });

  it('PayDunya confirm unreachable: 503 so the delivery is retried, and the order waits', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.confirmFailure = { httpStatus: 500 };
    const result = await h.sim.settle(token, 'completed');
    expect(result.ipnStatuses).toEqual([503]);
    expect((await statusOf(orderId)).status).toBe('PENDING');
    h.sim.faults.reset();
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect((await statusOf(orderId)).status).toBe('COMPLETED');
  });
});

describe('POST /webhooks/paydunya: exactly one transition', () => {
  it('a duplicate IPN makes one transition', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.ipnCopies = 2;
    const result = await h.sim.settle(token, 'completed');
    expect(result.ipnStatuses).toEqual([200, 200]);
    const payment = await statusOf(orderId);
    expect(payment.status).toBe('COMPLETED');
    expect(payment.events).toHaveLength(3);
  });

  it('20 concurrent identical IPNs make one transition and one audit event', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    const body = ipnBody({ token, orderId, status: 'completed', amount: 15000 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => postIpn(body, signed(orderId))));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const outcomes = await Promise.all(responses.map(async (r) => (await bodyOf(r)).outcome));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    const payment = await statusOf(orderId);
    expect(payment.status).toBe('COMPLETED');
    expect(payment.events).toHaveLength(3);
  });

  it('a late cancelled after completed changes nothing and raises an alert', async () => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'completed');
    h.sim.faults.confirmStatusOverride = 'cancelled';
    expect(await h.sim.resendIpn(token)).toBe(200);
    const payment = await statusOf(orderId);
    expect(payment.status).toBe('COMPLETED');
    expect(payment.events).toHaveLength(3);
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({ type: 'state-conflict', severity: 'critical', orderId }),
    );
  });
});
