import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import { bodyOf, type Json } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ paydunyaTimeoutMs: 500 });
});
afterEach(async () => {
  h.sim.faults.reset();
  await h.setFlags(DEFAULT_FLAGS);
});
afterAll(async () => {
  await h?.stop();
});

const item = { name: 'Ticket', quantity: 1, unit_price: 5000 };
const order = (overrides: Record<string, unknown>) =>
  validOrder({ amount: 5000, items: [item], customer_name: undefined, ...overrides });

/** One row per validation rule: the body, and the field the error must name. */
const BAD_BODIES: [rule: string, body: Record<string, unknown>, path: string][] = [
  ['amount is not an integer', order({ amount: 5000.5 }), 'amount'],
  ['amount is a string', order({ amount: '5000' }), 'amount'],
  ['amount below 100 XOF', order({ amount: 99, items: [{ ...item, unit_price: 99 }] }), 'amount'],
  [
    'amount above 10,000,000 XOF',
    order({ amount: 10_000_100, items: [{ ...item, quantity: 1, unit_price: 10_000_100 }] }),
    'amount',
  ],
  ['amount missing', order({ amount: undefined }), 'amount'],
  ['currency other than XOF', order({ currency: 'EUR' }), 'currency'],
  ['email malformed', order({ customer_email: 'not-an-email' }), 'customer_email'],
  ['phone without +226', order({ customer_phone: '+22170123456' }), 'customer_phone'],
  ['phone with 7 digits', order({ customer_phone: '+2267012345' }), 'customer_phone'],
  ['no items', order({ items: [] }), 'items'],
  ['51 items', order({ amount: 5100, items: Array(51).fill({ ...item, unit_price: 100 }) }), 'items'],
  ['item quantity 0', order({ items: [{ ...item, quantity: 0 }] }), 'items[0].quantity'],
  ['item quantity 51', order({ amount: 255000, items: [{ ...item, quantity: 51 }] }), 'items[0].quantity'],
  ['item quantity fractional', order({ items: [{ ...item, quantity: 1.5 }] }), 'items[0].quantity'],
  [
    'unit_price below 100',
    order({ amount: 100, items: [{ ...item, quantity: 2, unit_price: 50 }] }),
    'items[0].unit_price',
  ],
  ['unit_price not an integer', order({ items: [{ ...item, unit_price: 4999.5 }] }), 'items[0].unit_price'],
  ['item name empty', order({ items: [{ ...item, name: '' }] }), 'items[0].name'],
  ['item name over 100 characters', order({ items: [{ ...item, name: 'x'.repeat(101) }] }), 'items[0].name'],
  ['amount differs from the sum of the items', order({ amount: 6000 }), 'amount'],
  ['unknown top-level field', order({ coupon: 'FREE' }), 'coupon'],
  ['unknown item field', order({ items: [{ ...item, discount: 10 }] }), 'items[0].discount'],
  ['customer_name empty', order({ customer_name: '' }), 'customer_name'],
  ['description with control characters', order({ description: 'a\u0000b' }), 'description'],
];

describe('POST /payments: validation', () => {
  it.each(BAD_BODIES)('rejects when %s: 400 naming the field, nothing written', async (_, body, path) => {
    const before = await h.itemCount();
    const invoicesBefore = h.sim.invoiceCount();
    const response = await h.post(body);
    expect(response.status).toBe(400);
    const error = (await bodyOf(response)).error;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toEqual(expect.any(String));
    expect(error.fields).toContainEqual({ path, message: expect.any(String) });
    expect(await h.itemCount()).toBe(before);
    expect(h.sim.invoiceCount()).toBe(invoicesBefore);
  });

  it('a body that is not JSON gets 400 INVALID_JSON', async () => {
    const response = await h.post('{"amount": 5000,');
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error.code).toBe('INVALID_JSON');
  });

  it('another content type gets 415', async () => {
    const response = await fetch(`${h.api.url}/payments`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Idempotency-Key': randomUUID(),
        Authorization: `Bearer ${await h.token()}`,
      },
      body: 'amount=5000',
    });
    expect(response.status).toBe(415);
    expect((await bodyOf(response)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over 64 KiB gets 413', async () => {
    const before = await h.itemCount();
    const response = await h.post(order({ description: 'x'.repeat(70 * 1024) }));
    expect(response.status).toBe(413);
    expect(await h.itemCount()).toBe(before);
  });

  it('a request without Idempotency-Key gets 400 naming the header', async () => {
    const response = await fetch(`${h.api.url}/payments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await h.token()}` },
      body: JSON.stringify(order({})),
    });
    expect(response.status).toBe(400);
    const error = (await bodyOf(response)).error;
    expect(error.code).toBe('IDEMPOTENCY_KEY_MISSING');
    expect(error.fields).toEqual([{ path: 'headers.Idempotency-Key', message: 'is required' }]);
  });

  it('a malformed Idempotency-Key gets 400', async () => {
    const response = await h.post(order({}), 'short');
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error.code).toBe('IDEMPOTENCY_KEY_INVALID');
  });
});

describe('POST /payments: Idempotency-Key', () => {
  it('the same key and body get the first response again, and PayDunya is asked once', async () => {
    const key = randomUUID();
    const first = await h.post(order({}), key);
    expect(first.status).toBe(201);
    const firstBody = await bodyOf(first);
    // Same content, other field order: still the same request.
    const reordered = Object.fromEntries(Object.entries(order({})).reverse());
    const second = await h.post(reordered, key);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await bodyOf(second)).toEqual(firstBody);
    expect(h.sim.invoiceCount(firstBody.orderId)).toBe(1);
  });

  it('the same key with another body gets 409 and creates nothing', async () => {
    const key = randomUUID();
    expect((await h.post(order({}), key)).status).toBe(201);
    const before = await h.itemCount();
    const response = await h.post(order({ customer_email: 'someone.else@example.bf' }), key);
    expect(response.status).toBe(409);
    expect((await bodyOf(response)).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await h.itemCount()).toBe(before);
  });

  it('10 concurrent requests with one key make exactly one order and one PayDunya invoice', async () => {
    const key = randomUUID();
    const invoicesBefore = h.sim.invoiceCount();
    const responses = await Promise.all(Array.from({ length: 10 }, () => h.post(order({}), key)));
    const bodies: Json[] = await Promise.all(responses.map(bodyOf));
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    // The others either replay the answer or are told the first is still in flight; none is an error.
    for (const [index, response] of responses.entries()) {
      expect([201, 409]).toContain(response.status);
      if (response.status === 409) expect(bodies[index].error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    const orderIds = new Set(bodies.filter((b) => b.orderId).map((b) => b.orderId));
    expect(orderIds.size).toBe(1);
    expect(h.sim.invoiceCount()).toBe(invoicesBefore + 1);
  });
});

describe('POST /payments: PayDunya create failing', () => {
  it.each([
    [
      'refuses (response_code 1001)',
      502,
      { createFailure: { responseCode: '1001', responseText: 'Invalid Masterkey' } },
    ],
    ['answers HTTP 500', 503, { createFailure: { httpStatus: 500 } }],
    ['answers malformed JSON', 503, { malformedJson: 'create' as const }],
    ['resets the connection', 503, { connectionReset: 'create' as const }],
    ['is slower than the timeout', 503, { createDelayMs: 1_500 }],
  ])(
    'when PayDunya %s: the order ends INITIATION_FAILED and the caller gets %i',
    async (_, status, fault) => {
      Object.assign(h.sim.faults, fault);
      const key = randomUUID();
      const response = await h.post(order({}), key);
      expect(response.status).toBe(status);
      const error = (await bodyOf(response)).error;
      expect(error.message).toContain('No payment was taken');
      if (status === 503) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);

      // The key is released, so the customer can retry once PayDunya is back.
      h.sim.faults.reset();
      const retry = await h.post(order({}), key);
      expect(retry.status).toBe(201);
      expect(await h.alerts()).toContainEqual(expect.objectContaining({ type: 'payment-initiation-failed' }));
    },
  );

  it('the failed attempt stays on record as INITIATION_FAILED with its audit trail', async () => {
    h.sim.faults.createFailure = { responseCode: '1001' };
    expect((await h.post(order({}))).status).toBe(502);
    const alert = (await h.alerts()).filter((a) => a.type === 'payment-initiation-failed').at(-1);
    const payment = await bodyOf(await h.get(alert?.orderId ?? ''));
    expect(payment.status).toBe('INITIATION_FAILED');
    expect(payment.events.map((e: Json) => [e.from, e.to])).toEqual([
      [null, 'CREATED'],
      ['CREATED', 'INITIATION_FAILED'],
    ]);
  });
});

describe('POST /payments: flags', () => {
  it('payments_enabled=false answers 503 "paused" at once, writes nothing and calls no one', async () => {
    await h.setFlags({ ...DEFAULT_FLAGS, payments_enabled: { enabled: false } });
    const before = await h.itemCount();
    const invoices = h.sim.invoiceCount();
    const response = await h.post(order({}));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await bodyOf(response)).error).toMatchObject({
      code: 'PAYMENTS_PAUSED',
      message: expect.stringContaining('paused'),
    });
    expect(await h.itemCount()).toBe(before);
    expect(h.sim.invoiceCount()).toBe(invoices);
  });
});
