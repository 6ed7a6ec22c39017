import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleAdmin } from '../../lambdas/admin/admin.handler';
import { METRICS, SERVICE_NAME } from '../../lambdas/shared/contract/metrics';
import { COMPLAINT_CATEGORIES, LIMITS, ROUTES } from '../../lambdas/shared/contract/routes';
import type { ApiEvent } from '../../lambdas/shared/platform/http';
import { REDACTED } from '../../lambdas/shared/platform/log-redaction';
import { bodyOf } from '../support/json';
import type { PowertoolsOutput } from '../support/powertools-output';
import { type Harness, startHarness, validOrder } from './harness';

/**
 * POST /payments/{orderId}/complaints through the real admin handler (the local API server, as `npm start` serves
 * it, and once as API Gateway's IAM-authorized proxy event), against DynamoDB Local, with the production telemetry
 * (Powertools Logger with its redacting formatter, EMF metrics) captured.
 */
let h: Harness;
let out: PowertoolsOutput;
beforeAll(async () => {
  h = await startHarness({ powertools: true, dynamoFaults: true });
  if (!h.output) throw new Error('the harness did not capture the Powertools output');
  out = h.output;
});
afterEach(async () => {
  h.faults?.clear();
  await h.sim.disbursementsSettled();
});
afterAll(async () => {
  await h?.stop();
});

const complain = (orderId: string, body: unknown, key: string = randomUUID()) =>
  h.internal('POST', `/payments/${orderId}/complaints`, body, { 'Idempotency-Key': key });
const stored = async (orderId: string) => {
  const found = await h.ctx.store.getOrderWithAudit(orderId);
  if (!found) throw new Error(`order ${orderId} not found`);
  return found;
};
/** ComplaintRecorded values on the series the alarm reads (`service` alone), and by category. */
const totals = () =>
  out
    .metricValues(METRICS.complaintRecorded)
    .filter((v) => JSON.stringify(v.dimensions) === JSON.stringify({ service: SERVICE_NAME }))
    .map((v) => v.value);
const byCategory = (category: string) =>
  out
    .metricValues(METRICS.complaintRecorded)
    .filter((v) => v.dimensions.service === SERVICE_NAME && v.dimensions.category === category)
    .map((v) => v.value);

describe('recording a complaint', () => {
  it('a complaint is recorded on the order and appended to its audit trail in the same write', async () => {
    const reference = `resa-${randomUUID().slice(0, 8)}`;
    const { orderId } = await h.createOrder(validOrder({ reference }));
    const before = await stored(orderId);
    const note = 'Customer says the ticket e-mail never arrived.';

    const response = await complain(orderId, { category: 'not_received', note: `  ${note}  ` });

    expect(response.status).toBe(201);
    expect(response.headers.get('Idempotent-Replayed')).toBeNull();
    const body = await bodyOf(response);
    expect(body).toEqual({
      orderId,
      complaintId: expect.stringMatching(/^CP[0-9A-Z]{26}$/),
      category: 'not_received',
      note,
      at: expect.any(String),
      by: 'local-operator',
    });
    const after = await stored(orderId);
    expect(after.order.version).toBe(before.order.version + 1);
    expect(after.order.status).toBe(before.order.status);
    expect(after.order.complaints?.[body.complaintId]).toMatchObject({ category: 'not_received', note });
    expect(after.audit.at(-1)).toMatchObject({
      version: after.order.version,
      actor: 'service',
      from: before.order.status,
      to: before.order.status,
      reason: 'complaint recorded: not_received',
      details: { complaintId: body.complaintId, category: 'not_received', by: 'local-operator' },
    });
    // Temba's services see the complaint whole; the customer sees that it was recorded, not support's note.
    const internal = await bodyOf(await h.internal('GET', `/reservations/${reference}/payments`));
    expect(internal.payments[0].complaints).toEqual([
      { complaintId: body.complaintId, category: 'not_received', note, at: body.at, by: 'local-operator' },
    ]);
    const customer = await bodyOf(await h.get(orderId));
    expect(customer.complaints).toEqual([
      { complaintId: body.complaintId, category: 'not_received', at: body.at },
    ]);
    expect(JSON.stringify(customer)).not.toContain(note);
  });

  it.each(COMPLAINT_CATEGORIES)('category %s is accepted', async (category) => {
    const { orderId } = await h.createOrder();
    const response = await complain(orderId, { category, note: 'as the customer described it' });
    expect(response.status).toBe(201);
    expect((await bodyOf(response)).category).toBe(category);
  });

  it('records the IAM principal API Gateway passes on as who recorded it (an IAM-authorized proxy event)', async () => {
    const { orderId } = await h.createOrder();
    const principal = 'arn:aws:sts::123456789012:assumed-role/temba-support-tool/session-1';
    const event = {
      resource: ROUTES.recordComplaint.path,
      path: `/payments/${orderId}/complaints`,
      httpMethod: 'POST',
      pathParameters: { orderId },
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ category: 'wrong_amount', note: 'charged 20 000 instead of 15 000' }),
      isBase64Encoded: false,
      requestContext: { requestId: randomUUID(), identity: { userArn: principal } },
    } as unknown as ApiEvent;
    const result = await handleAdmin(event, h.ctx);
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body)).toMatchObject({ orderId, category: 'wrong_amount', by: principal });
    const complaints = Object.values((await stored(orderId)).order.complaints ?? {});
    expect(complaints).toMatchObject([{ by: principal }]);
  });
});

describe('refused input changes nothing', () => {
  const { noteMinLength, noteMaxLength } = LIMITS.complaint;
  it.each([
    {
      what: 'an unknown category',
      body: { category: 'lost', note: 'whatever they said' },
      field: 'category',
      message: /^must be one of "not_received"/,
    },
    {
      what: 'no category',
      body: { note: 'no category given' },
      field: 'category',
      message: /^must be one of/,
    },
    { what: 'no note', body: { category: 'other' }, field: 'note', message: /^must be a string/ },
    {
      what: 'a blank note',
      body: { category: 'other', note: '   ' },
      field: 'note',
      message: new RegExp(`at least ${noteMinLength} characters`),
    },
    {
      what: 'a note over the limit',
      body: { category: 'other', note: 'x'.repeat(noteMaxLength + 1) },
      field: 'note',
      message: new RegExp(`at most ${noteMaxLength} characters`),
    },
    {
      what: 'a note that is not text',
      body: { category: 'other', note: 42 },
      field: 'note',
      message: /^must be a string/,
    },
    {
      what: 'an unknown field',
      body: { category: 'other', note: 'fine', severity: 'high' },
      field: 'severity',
      message: /not a known field/,
    },
  ])('$what is refused 400 naming $field, and nothing changes', async ({ body, field, message }) => {
    const { orderId } = await h.createOrder();
    const before = await stored(orderId);
    const response = await complain(orderId, body);
    expect(response.status).toBe(400);
    const { error } = await bodyOf(response);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.fields).toContainEqual({ path: field, message: expect.stringMatching(message) });
    expect((await stored(orderId)).order.version).toBe(before.order.version);
  });

  it('an unknown category is refused with the categories it may be', async () => {
    const { orderId } = await h.createOrder();
    const { error } = await bodyOf(await complain(orderId, { category: 'fraud', note: 'stolen phone' }));
    expect(error.fields).toEqual([{ path: 'category', message: expect.stringContaining('"unauthorized"') }]);
  });

  it('a missing or malformed Idempotency-Key is refused 400 naming it', async () => {
    const { orderId } = await h.createOrder();
    const body = { category: 'other', note: 'customer called' };
    const missing = await h.internal('POST', `/payments/${orderId}/complaints`, body);
    expect(missing.status).toBe(400);
    expect((await bodyOf(missing)).error.fields).toEqual([
      { path: 'Idempotency-Key', message: 'is required' },
    ]);
    expect((await complain(orderId, body, 'short')).status).toBe(400);
    expect((await stored(orderId)).order.complaints).toBeUndefined();
  });

  it('an unknown order is 404 and writes nothing', async () => {
    const items = await h.itemCount();
    for (const orderId of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'not-an-order-id']) {
      const response = await complain(orderId, { category: 'not_received', note: 'no ticket' });
      expect(response.status).toBe(404);
      expect((await bodyOf(response)).error.code).toBe('NOT_FOUND');
    }
    expect(await h.itemCount()).toBe(items);
  });
});

describe('retries count once', () => {
  it('a retried request with the same Idempotency-Key records and counts the complaint once', async () => {
    const { orderId } = await h.createOrder();
    out.clear();
    const key = randomUUID();
    const body = { category: 'charged_twice', note: 'two debits on the wallet statement' };
    const first = await bodyOf(await complain(orderId, body, key));
    const again = await complain(orderId, body, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await bodyOf(again)).toEqual(first);
    // A support tool retrying in a burst (its first answers lost): still one.
    const burst = await Promise.all(Array.from({ length: 5 }, () => complain(orderId, body, key)));
    expect(burst.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const order = (await stored(orderId)).order;
    expect(Object.keys(order.complaints ?? {})).toEqual([first.complaintId]);
    out.flush();
    expect(totals()).toEqual([1]);
  });

  it('a complaint write whose answer is lost is recorded, audited and counted once: the store finds its own write', async () => {
    const { orderId } = await h.createOrder();
    out.clear();
    h.faults?.inject({ error: 'AnswerLost', operation: 'UpdateItem', pk: `ORDER#${orderId}`, times: 1 });
    const answer = await complain(orderId, { category: 'wrong_amount', note: 'paid 16000 for 15000' });
    expect(answer.status).toBe(201);
    expect(h.faults?.counts().AnswerLost).toBeGreaterThan(0);
    const { order, audit } = await stored(orderId);
    expect(Object.keys(order.complaints ?? {})).toEqual([(await bodyOf(answer)).complaintId]);
    expect(order.complaintCategories).toEqual(['wrong_amount']);
    expect(audit.filter((e) => e.reason.startsWith('complaint recorded'))).toHaveLength(1);
    out.flush();
    expect(totals()).toEqual([1]);
  });

  it('conflicts and throttling past every retry answer 503 with Retry-After and record nothing; the same key then records it once', async () => {
    const { orderId } = await h.createOrder();
    const key = randomUUID();
    const body = { category: 'not_received', note: 'no ticket in the app' };
    h.faults?.inject({
      error: 'TransactionConflictException',
      operation: 'UpdateItem',
      pk: `ORDER#${orderId}`,
      times: 3,
    });
    h.faults?.inject({
      error: 'ThrottlingException',
      operation: 'UpdateItem',
      pk: `ORDER#${orderId}`,
      times: 1_000,
    });
    const busy = await complain(orderId, body, key);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).not.toBeNull();
    expect((await stored(orderId)).order.complaints).toBeUndefined();
    h.faults?.clear();
    const retried = await complain(orderId, body, key);
    expect(retried.status).toBe(201);
    expect(Object.keys((await stored(orderId)).order.complaints ?? {})).toHaveLength(1);
  });

  it('five different complaints sent at once are all recorded (each write retried on the order version)', async () => {
    const { orderId } = await h.createOrder();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => complain(orderId, { category: 'other', note: `call number ${i}` })),
    );
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const { order, audit } = await stored(orderId);
    expect(Object.keys(order.complaints ?? {})).toHaveLength(5);
    expect(audit.filter((e) => e.reason.startsWith('complaint recorded'))).toHaveLength(5);
  });

  it('the same key with another body is 409 and records nothing more', async () => {
    const { orderId } = await h.createOrder();
    const key = randomUUID();
    await complain(orderId, { category: 'other', note: 'first words' }, key);
    const reused = await complain(orderId, { category: 'other', note: 'other words' }, key);
    expect(reused.status).toBe(409);
    expect((await bodyOf(reused)).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(Object.keys((await stored(orderId)).order.complaints ?? {})).toHaveLength(1);
  });

  it(`an order keeps at most ${LIMITS.complaint.maxPerOrder} complaints: the next is 409, nothing written`, async () => {
    const { orderId } = await h.createOrder();
    for (let i = 0; i < LIMITS.complaint.maxPerOrder; i++) {
      expect((await complain(orderId, { category: 'other', note: `call ${i}` })).status).toBe(201);
    }
    const version = (await stored(orderId)).order.version;
    const refused = await complain(orderId, { category: 'other', note: 'one more' });
    expect(refused.status).toBe(409);
    expect((await bodyOf(refused)).error.code).toBe('TOO_MANY_COMPLAINTS');
    expect((await stored(orderId)).order.version).toBe(version);
  });
});

describe('fraud labels', () => {
  it('an unauthorized complaint labels the payment as fraud, with its source; a later one keeps the first label', async () => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'completed');
    await vi.waitFor(async () => expect((await stored(orderId)).order.status).toBe('COMPLETED'));

    const first = await bodyOf(
      await complain(orderId, { category: 'unauthorized', note: 'my phone was stolen on Friday' }),
    );
    const label = {
      source: 'complaint',
      at: first.at,
      by: 'local-operator',
      ref: first.complaintId,
    };
    expect(first.fraudLabel).toEqual(label);
    const { order, audit } = await stored(orderId);
    expect(order.fraudLabel).toEqual(label);
    expect(order.status).toBe('COMPLETED');
    expect(audit.at(-1)?.reason).toBe('complaint recorded: unauthorized, payment labelled as fraud');

    await complain(orderId, { category: 'unauthorized', note: 'the bank confirms' });
    expect((await stored(orderId)).order.fraudLabel).toEqual(label);
  });

  it('other categories label nothing', async () => {
    const { orderId } = await h.createOrder();
    for (const category of COMPLAINT_CATEGORIES.filter((c) => c !== 'unauthorized'))
      await complain(orderId, { category, note: 'customer called' });
    expect((await stored(orderId)).order.fraudLabel).toBeUndefined();
  });

  it('a review rejection labels the payment as fraud (source review-rejected); an approval does not', async () => {
    const large = (amount: number) =>
      validOrder({ amount, items: [{ name: 'Carre Or', quantity: 1, unit_price: amount }] });
    const [rejected, approved] = [await h.createOrder(large(150_000)), await h.createOrder(large(150_000))];
    for (const { orderId, token } of [rejected, approved]) {
      await h.sim.settle(token, 'completed');
      await vi.waitFor(async () => expect((await stored(orderId)).order.review?.status).toBe('PENDING'));
    }
    const decide = (orderId: string, decision: string) =>
      h.internal('POST', `/admin/orders/${orderId}/review`, { decision, reason: 'checked with the bank' });
    expect((await decide(rejected.orderId, 'reject')).status).toBe(200);
    expect((await decide(approved.orderId, 'approve')).status).toBe(200);
    expect((await stored(rejected.orderId)).order.fraudLabel).toEqual({
      source: 'review-rejected',
      at: expect.any(String),
      by: 'local-operator',
    });
    expect((await stored(approved.orderId)).order.fraudLabel).toBeUndefined();
  });
});

describe('counted, and never logged', () => {
  it('the metric is emitted once per complaint, in total and with its category', async () => {
    const { orderId } = await h.createOrder();
    out.clear();
    await complain(orderId, { category: 'wrong_amount', note: 'asked 15 000, paid 16 500' });
    await complain(orderId, { category: 'unauthorized', note: 'did not buy this' });
    await complain(orderId, { category: 'wrong_amount', note: 'second call about it' });
    out.flush();
    expect(totals()).toEqual([1, 1, 1]);
    expect(byCategory('wrong_amount')).toEqual([1, 1]);
    expect(byCategory('unauthorized')).toEqual([1]);
    expect(byCategory('other')).toEqual([]);
    // Refused requests count nothing.
    out.clear();
    await complain(orderId, { category: 'nonsense', note: 'x' });
    out.flush();
    expect(totals()).toEqual([]);
  });

  it('the note never appears in a log line or an alert, whatever happens to the request', async () => {
    const marker = `NOTE-${randomUUID()}`;
    const note = `${marker}: Awa says her brother used her Orange Money without asking`;
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'completed');
    const key = randomUUID();
    await complain(orderId, { category: 'unauthorized', note }, key);
    await complain(orderId, { category: 'unauthorized', note }, key); // replay
    await complain(orderId, { category: 'other', note }, key); // key reused: 409
    await complain(orderId, { category: 'nonsense', note }); // 400
    await complain('01ARZ3NDEKTSV4RRFFQ69G5FAV', { category: 'other', note }); // 404
    // The redacting formatter's safety net: a `note` handed to the logger by mistake is replaced.
    h.ctx.telemetry.warn('a careless log line', { orderId, note });
    out.flush();

    expect(out.logs().some((line) => line.message === 'complaint recorded')).toBe(true);
    expect(out.allLines().filter((line) => line.includes(marker))).toEqual([]);
    expect(out.logs().find((line) => line.message === 'a careless log line')?.note).toBe(REDACTED);
    expect(JSON.stringify(await h.alerts())).not.toContain(marker);
  });
});
