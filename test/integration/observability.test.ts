import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import qs from 'qs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  METRIC_NAMESPACE,
  METRICS,
  type MetricName,
  SERVICE_NAME,
} from '../../lambdas/shared/contract/metrics';
import { THRESHOLDS } from '../../lambdas/shared/contract/thresholds';
import { signCallback } from '../../lambdas/shared/domain/crypto';
import { reconcilePending } from '../../lambdas/shared/domain/reconcile';
import { bodyOf } from '../support/json';
import type { EmfValue, PowertoolsOutput } from '../support/powertools-output';
import { type Harness, MASTER_KEY, startHarness, validOrder } from './harness';

/**
 * Whole payment flows through the real handlers, with the production telemetry: the Powertools Logger (with its
 * redacting formatter) and Powertools Metrics (EMF, flushed after each request as on Lambda). What they print is
 * captured and parsed: the metrics each flow emits, and what no log line may ever contain.
 */

let h: Harness;
let out: PowertoolsOutput;
let signingSecret = '';

beforeAll(async () => {
  h = await startHarness({ powertools: true });
  if (!h.output) throw new Error('the harness did not capture the Powertools output');
  out = h.output;
  signingSecret = await h.ctx.secrets.signingSecret();
});
afterEach(() => h.sim.faults.reset());
afterAll(async () => {
  await h?.stop();
});

const SERVICE_ONLY = { service: SERVICE_NAME };
const METHOD = 'orange-money-burkina';

/** Values of one metric on the series the alarms read: the `service` dimension alone. */
const totals = (name: MetricName): number[] =>
  out
    .metricValues(name)
    .filter((v) => JSON.stringify(v.dimensions) === JSON.stringify(SERVICE_ONLY))
    .map((v) => v.value);
/** Values of one metric broken down by one extra dimension. */
const breakdown = (name: MetricName, key: string, value: string): number[] =>
  out
    .metricValues(name)
    .filter(
      (v) =>
        Object.keys(v.dimensions).length === 2 &&
        v.dimensions.service === SERVICE_NAME &&
        v.dimensions[key] === value,
    )
    .map((v) => v.value);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const emitted = () => new Set(out.metricValues().map((v: EmfValue) => v.name));
const logLine = (message: string) => out.logs().find((line) => line.message === message);

const sha512 = (value: string) => createHash('sha512').update(value).digest('hex');
const forgedIpn = (token: string, orderId: string) => {
  const fixture = qs.parse(
    readFileSync(new URL('../fixtures/paydunya/ipn-completed.form.txt', import.meta.url), 'utf8'),
  ) as { data: Record<string, unknown> & { invoice: Record<string, unknown> } };
  return qs.stringify({
    data: {
      ...fixture.data,
      hash: sha512('guessed-master-key'),
      invoice: { ...fixture.data.invoice, token, total_amount: '15000' },
      custom_data: { order_id: orderId },
      // What a real IPN carries about the customer (API.md §5): it must never reach a log line.
      customer: { name: 'Awa Ouedraogo', phone: '+22670123456', email: 'awa.ouedraogo@example.bf' },
    },
  });
};

describe('metrics: the EMF each flow prints', () => {
  it('create: PaymentCreated 1 on the service series, in the Temba/Payments namespace', async () => {
    out.clear();
    await h.createOrder();
    expect(totals(METRICS.paymentCreated)).toEqual([1]);
    expect(out.metricValues(METRICS.paymentCreated)[0]?.namespace).toBe(METRIC_NAMESPACE);
    expect(emitted().has(METRICS.paymentCompleted)).toBe(false);
  });

  it('pay: WebhookReceived, PaymentCompleted, PaymentAmount and PaymentDuration, each as a total and by method', async () => {
    const { token } = await h.createOrder();
    out.clear();
    await h.sim.settle(token, 'completed');
    out.flush();
    expect(totals(METRICS.webhookReceived)).toEqual([1]);
    expect(totals(METRICS.paymentCompleted)).toEqual([1]);
    expect(breakdown(METRICS.paymentCompleted, 'method', METHOD)).toEqual([1]);
    expect(totals(METRICS.paymentAmount)).toEqual([15000]);
    expect(breakdown(METRICS.paymentAmount, 'method', METHOD)).toEqual([15000]);
    const [duration] = totals(METRICS.paymentDuration);
    // The go-live KPI: created to completed in under 30 seconds.
    expect(duration).toBeGreaterThanOrEqual(0);
    expect(duration).toBeLessThan(30_000);
    expect(out.metricValues(METRICS.paymentDuration)[0]?.unit).toBe('Milliseconds');
    expect(breakdown(METRICS.paymentDuration, 'method', METHOD)).toEqual([duration]);
  });

  it('cancel: PaymentCancelled 1, and neither completed nor failed', async () => {
    const { token } = await h.createOrder();
    out.clear();
    await h.sim.settle(token, 'cancelled');
    expect(sum(totals(METRICS.paymentCancelled))).toBe(1);
    expect(emitted().has(METRICS.paymentCompleted)).toBe(false);
    expect(emitted().has(METRICS.paymentFailed)).toBe(false);
  });

  it('fail: PaymentFailed 1 on the service series', async () => {
    const { token } = await h.createOrder();
    out.clear();
    await h.sim.settle(token, 'failed');
    expect(sum(totals(METRICS.paymentFailed))).toBe(1);
    expect(emitted().has(METRICS.paymentCompleted)).toBe(false);
  });

  it('forged webhook: 401, WebhookRejected 1 as a total and by reason=hash, nothing completed', async () => {
    const { orderId, token } = await h.createOrder();
    out.clear();
    const response = await fetch(
      `${h.api.url}/webhooks/paydunya?${new URLSearchParams({ o: orderId, sig: signCallback(signingSecret, orderId) })}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: forgedIpn(token, orderId),
      },
    );
    expect(response.status).toBe(401);
    expect(totals(METRICS.webhookReceived)).toEqual([1]);
    expect(totals(METRICS.webhookRejected)).toEqual([1]);
    expect(breakdown(METRICS.webhookRejected, 'reason', 'hash')).toEqual([1]);
    expect(emitted().has(METRICS.paymentCompleted)).toBe(false);
  });

  it('fraud (confirm reports a tampered amount): FraudSuspected 1, nothing completed', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.confirmAmountDelta = -14_000;
    out.clear();
    await h.sim.settle(token, 'completed');
    expect(totals(METRICS.fraudSuspected)).toEqual([1]);
    expect(emitted().has(METRICS.paymentCompleted)).toBe(false);
    expect((await bodyOf(await h.get(orderId))).status).toBe('PENDING');
  });

  it('reconcile discrepancy: ReconcileDiscrepancy as many as the run found, and the ReconcileRun heartbeat', async () => {
    const { token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    h.sim.faults.confirmAmountDelta = 1;
    out.clear();
    const summary = await reconcilePending(h.ctx, {
      olderThanMinutes: 0,
      invoiceExpiryHours: THRESHOLDS.reconcile.invoiceExpiryHours,
      concurrency: THRESHOLDS.reconcile.concurrency,
    });
    out.flush();
    expect(summary.discrepancies).toBeGreaterThanOrEqual(1);
    expect(sum(totals(METRICS.reconcileDiscrepancy))).toBe(summary.discrepancies);
    expect(totals(METRICS.reconcileRun)).toEqual([1]);
  });

  it('PayDunya refusing the invoice: PaymentInitiationFailed 1, nothing created', async () => {
    h.sim.faults.createFailure = {
      httpStatus: 200,
      responseCode: '1001',
      // PayDunya echoing the customer's details back in its error text.
      responseText: 'Numero +226 70 12 34 56 invalide pour awa.ouedraogo@example.bf (Awa Ouedraogo)',
    };
    out.clear();
    const response = await h.post(validOrder());
    expect(response.status).toBe(502);
    expect(totals(METRICS.paymentInitiationFailed)).toEqual([1]);
    expect(emitted().has(METRICS.paymentCreated)).toBe(false);
  });
});

describe('logs: JSON, correlated, and without contact data or keys', () => {
  it('a paid order logs with its request id, order id and invoice token as keys', async () => {
    out.clear();
    const { orderId, token } = await h.createOrder();
    const created = logLine('payment created');
    expect(created).toMatchObject({
      level: 'INFO',
      service: SERVICE_NAME,
      orderId,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    out.clear();
    await h.sim.settle(token, 'completed');
    expect(logLine('order transition applied')).toMatchObject({
      orderId,
      token,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      from: 'PENDING',
      to: 'COMPLETED',
    });
    expect(created?.requestId).not.toBe(logLine('order transition applied')?.requestId);
  });

  it('GET /payments/{orderId} answers masked data and logs nothing about the customer', async () => {
    const { orderId } = await h.createOrder();
    const response = await h.get(orderId);
    expect(response.status).toBe(200);
    expect((await bodyOf(response)).customer).toEqual({ email: 'a***@example.bf', phone: '+226******56' });
  });

  it('contact data that reached the logger (PayDunya echoing it in an error) was redacted in the line', () => {
    const failure = out
      .allLines()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.message === 'PayDunya invoice creation failed');
    expect(failure).toMatchObject({ level: 'WARN', orderId: expect.any(String) });
    expect(failure?.reason).toEqual(expect.stringContaining('[phone]'));
    expect(failure?.reason).toEqual(expect.stringContaining('[email]'));
  });

  it("no line printed by any flow above contains the customer's phone (any format), e-mail, name or any key", async () => {
    const keys = await h.ctx.secrets.paydunyaKeys();
    const forbidden = [
      '+22670123456',
      '22670123456',
      '70123456',
      '70 12 34 56',
      'awa.ouedraogo',
      '@example.bf',
      'Awa Ouedraogo',
      keys.master_key,
      MASTER_KEY,
      sha512(MASTER_KEY),
      keys.test_private_key,
      keys.test_token,
      signingSecret,
    ];
    const lines = out.allLines();
    // The flows above did log: this is not the emptiness of a silent logger.
    expect(out.allLines().length).toBeGreaterThan(30);
    const messages = new Set(
      lines.flatMap((line) => {
        const parsed = JSON.parse(line) as { message?: unknown };
        return typeof parsed.message === 'string' ? [parsed.message] : [];
      }),
    );
    for (const expected of [
      'payment created',
      'order transition applied',
      'webhook rejected',
      'confirm answer does not match the order',
      'reconcile discrepancy',
      'PayDunya invoice creation failed',
    ]) {
      expect(messages).toContain(expected);
    }
    for (const line of lines) {
      // Every line is one JSON document (a log line or an EMF document).
      expect(() => JSON.parse(line)).not.toThrow();
      for (const secret of forbidden) expect(line).not.toContain(secret);
    }
  });
});
