import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import type { OrderStatus } from '../../lambdas/shared/domain/order';
import { DEFAULT_CIRCUIT_BREAKER } from '../../lambdas/shared/platform/circuit-breaker';
import type { FaultPatch } from '../../local/paydunya-simulator/simulator';
import { bodyOf, type Json } from '../support/json';
import { type Harness, startHarness, validOrder } from './harness';

/**
 * PayDunya failing in every way the simulator can, against the real handlers, DynamoDB Local and the production
 * circuit breaker settings. The breaker runs on a clock the tests step forward, so a cool-down takes no time.
 */
const TIMEOUT_MS = 600;
let clock = Date.now();
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ paydunyaTimeoutMs: TIMEOUT_MS, circuitClock: () => clock });
});
afterEach(async () => {
  h.sim.faults.reset();
  await h.setFlags(DEFAULT_FLAGS);
  // Every test starts with a closed breaker and an empty window: step past both, and let a probe close it.
  clock += DEFAULT_CIRCUIT_BREAKER.windowMs + DEFAULT_CIRCUIT_BREAKER.coolDownMs;
  if (h.circuit.state() === 'half-open') await h.createOrder();
  expect(h.circuit.state()).toBe('closed');
});
afterAll(async () => {
  await h?.stop();
});

const payment = async (orderId: string) => (await bodyOf(await h.get(orderId))) as Json;
const trail = async (orderId: string) =>
  ((await payment(orderId)).events as { from: string | null; to: string }[]).map((e) => e.to);

/** Orders booked today in a status, to find the one a failed create wrote (its 5xx carries no order id). */
const idsIn = async (status: OrderStatus): Promise<Set<string>> => {
  const ids = new Set<string>();
  for await (const order of h.ctx.store.listBooked(new Date().toISOString().slice(0, 10))) {
    if (order.status === status) ids.add(order.orderId);
  }
  return ids;
};
const newIn = async (status: OrderStatus, before: Set<string>) =>
  [...(await idsIn(status))].filter((id) => !before.has(id));

const UNAVAILABLE_CREATE: [string, FaultPatch][] = [
  ['answers slower than the timeout', { createDelayMs: TIMEOUT_MS + 400 }],
  ['answers HTTP 500', { createFailure: { httpStatus: 500 } }],
  ['answers malformed JSON', { malformedJson: 'create' }],
  ['resets the connection', { connectionReset: 'create' }],
  ['is down (closes every connection)', { down: true }],
];

describe('PayDunya create failing', () => {
  it.each(UNAVAILABLE_CREATE)(
    'when PayDunya %s: 503 with Retry-After, one call (no retry), the order INITIATION_FAILED, and the retry under the same key makes a new order with one invoice',
    async (_, fault) => {
      Object.assign(h.sim.faults, fault);
      const failedBefore = await idsIn('INITIATION_FAILED');
      const calls = h.sim.calls().create;
      const key = randomUUID();

      const response = await h.post(validOrder(), key);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect((await bodyOf(response)).error).toMatchObject({
        code: 'PAYMENT_PROVIDER_UNAVAILABLE',
        message: expect.stringContaining('No payment was taken'),
      });
      expect(h.sim.calls().create).toBe(calls + 1);
      const [failed, ...others] = await newIn('INITIATION_FAILED', failedBefore);
      expect(others).toEqual([]);
      if (!failed) throw new Error('no INITIATION_FAILED order was written');
      expect(await trail(failed)).toEqual(['CREATED', 'INITIATION_FAILED']);
      // One failure is no outage.
      expect(h.circuit.state()).toBe('closed');

      h.sim.faults.reset();
      const retry = await h.post(validOrder(), key);
      expect(retry.status).toBe(201);
      const { orderId } = await bodyOf(retry);
      expect(orderId).not.toBe(failed);
      expect(h.sim.invoiceCount(orderId)).toBe(1);
      // A slow PayDunya may still have made the first invoice: it belongs to the failed order, which has no
      // token and can never be paid, so the customer only ever sees one checkout.
      expect(h.sim.invoiceCount(failed)).toBeLessThanOrEqual(1);
      expect((await payment(failed)).status).toBe('INITIATION_FAILED');
    },
  );

  it('when PayDunya refuses with an error response_code: 502, INITIATION_FAILED, and the breaker does not count it', async () => {
    h.sim.faults.createFailure = { responseCode: '1001', responseText: 'Invalid Masterkey' };
    const failedBefore = await idsIn('INITIATION_FAILED');
    for (let i = 0; i < DEFAULT_CIRCUIT_BREAKER.consecutiveFailures + 1; i++) {
      const response = await h.post(validOrder());
      expect(response.status).toBe(502);
      expect((await bodyOf(response)).error.code).toBe('PAYMENT_PROVIDER_REFUSED');
    }
    expect(await newIn('INITIATION_FAILED', failedBefore)).toHaveLength(6);
    // PayDunya answered every time: a refusal is not an outage.
    expect(h.circuit.state()).toBe('closed');
  });

  it('when PayDunya is slow but within the timeout: 201, PENDING', async () => {
    h.sim.faults.createDelayMs = Math.floor(TIMEOUT_MS / 3);
    const response = await h.post(validOrder());
    expect(response.status).toBe(201);
    expect((await payment((await bodyOf(response)).orderId)).status).toBe('PENDING');
  });
});

/** The fault, and how many confirm attempts it gets (fewest, most). */
const UNAVAILABLE_CONFIRM: [string, FaultPatch, [number, number]][] = [
  ['answers HTTP 500', { confirmFailure: { httpStatus: 500 } }, [3, 3]],
  ['answers HTTP 503', { confirmFailure: { httpStatus: 503 } }, [3, 3]],
  ['answers malformed JSON', { malformedJson: 'confirm' }, [3, 3]],
  ['resets the connection', { connectionReset: 'confirm' }, [3, 3]],
  ['is down (closes every connection)', { down: true }, [3, 3]],
  // The first attempt uses 600 ms of the 900 ms budget; a second one only if the jittered wait leaves enough.
  ['answers slower than the timeout', { confirmDelayMs: TIMEOUT_MS + 400 }, [1, 2]],
];

describe('PayDunya confirm failing while an IPN arrives', () => {
  it.each(UNAVAILABLE_CONFIRM)(
    'when confirm %s: the IPN gets 503, the order stays PENDING, and the redelivery completes it exactly once',
    async (_, fault, [fewest, most]) => {
      const { orderId, token } = await h.createOrder();
      Object.assign(h.sim.faults, fault);
      const calls = h.sim.calls().confirm;

      const delivered = await h.sim.settle(token, 'completed');
      expect(delivered.ipnStatuses).toEqual([503]);
      expect(h.sim.calls().confirm - calls).toBeGreaterThanOrEqual(fewest);
      expect(h.sim.calls().confirm - calls).toBeLessThanOrEqual(most);
      expect((await payment(orderId)).status).toBe('PENDING');
      expect(h.circuit.state()).toBe('closed');

      h.sim.faults.reset();
      expect(await h.sim.resendIpn(token)).toBe(200);
      expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
      expect(await h.sim.resendIpn(token)).toBe(200);
      expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
    },
  );

  it('when confirm refuses (response_code 1001): 503 after one call, no retry, and the breaker does not count it', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.confirmFailure = { responseCode: '1001', responseText: 'Invoice not found' };
    const calls = h.sim.calls().confirm;
    for (let i = 0; i < DEFAULT_CIRCUIT_BREAKER.consecutiveFailures; i++) {
      const delivered =
        i === 0 ? (await h.sim.settle(token, 'completed')).ipnStatuses[0] : await h.sim.resendIpn(token);
      expect(delivered).toBe(503);
    }
    expect(h.sim.calls().confirm - calls).toBe(DEFAULT_CIRCUIT_BREAKER.consecutiveFailures);
    expect(h.circuit.state()).toBe('closed');
    expect((await payment(orderId)).status).toBe('PENDING');
  });

  it('a confirm that fails twice and then answers is retried with backoff: the first IPN completes the order', async () => {
    const { orderId, token } = await h.createOrder();
    Object.assign(h.sim.faults, { confirmFailure: { httpStatus: 500 }, confirmFaultsRemaining: 2 });
    const calls = h.sim.calls().confirm;
    const delivered = await h.sim.settle(token, 'completed');
    expect(delivered.ipnStatuses).toEqual([200]);
    expect(h.sim.calls().confirm - calls).toBe(3);
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
  });

  it('a confirm slower than usual but within the timeout completes the order', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.confirmDelayMs = Math.floor(TIMEOUT_MS / 3);
    expect((await h.sim.settle(token, 'completed')).ipnStatuses).toEqual([200]);
    expect((await payment(orderId)).status).toBe('COMPLETED');
  });
});

describe('circuit breaker: graceful degradation', () => {
  /** PayDunya goes down and five customers try to pay: the breaker opens on the fifth failure. */
  const openTheBreaker = async () => {
    h.sim.faults.down = true;
    for (let i = 0; i < DEFAULT_CIRCUIT_BREAKER.consecutiveFailures; i++) {
      expect((await h.post(validOrder())).status).toBe(503);
    }
    expect(h.circuit.state()).toBe('open');
  };

  it('opens after 5 failures in a row: CircuitOpen is counted, the state metric reads open, and a critical alert goes out', async () => {
    const opened = h.telemetry.counted(METRICS.circuitOpen);
    await openTheBreaker();
    expect(h.telemetry.counted(METRICS.circuitOpen)).toBe(opened + 1);
    expect(h.telemetry.measures.filter((m) => m.name === METRICS.circuitState).at(-1)?.value).toBe(2);
    expect(await h.alerts()).toContainEqual(
      expect.objectContaining({
        type: 'circuit-open',
        severity: 'critical',
        summary: expect.stringContaining('5 failures in a row'),
      }),
    );
  });

  it('while open, POST /payments answers 503 with Retry-After and a readable message, without calling PayDunya or writing anything', async () => {
    await openTheBreaker();
    const calls = h.sim.calls().create;
    const items = await h.itemCount();
    clock += 12_000;
    const response = await h.post(validOrder());
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('18');
    expect((await bodyOf(response)).error).toEqual({
      code: 'PAYMENT_PROVIDER_UNAVAILABLE',
      message: expect.stringMatching(/not answering.*nothing was charged.*try again/),
      requestId: expect.any(String),
    });
    expect(h.sim.calls().create).toBe(calls);
    expect(await h.itemCount()).toBe(items);
  });

  it('while open, GET /payments keeps working and an IPN gets 503 without a confirm call; the order waits and completes once PayDunya is back', async () => {
    const { orderId, token } = await h.createOrder();
    h.sim.faults.dropIpn = true;
    await h.sim.settle(token, 'completed');
    await openTheBreaker();

    const status = await h.get(orderId);
    expect(status.status).toBe(200);
    expect((await bodyOf(status)).status).toBe('PENDING');

    const confirms = h.sim.calls().confirm;
    h.sim.faults.down = false;
    expect(await h.sim.resendIpn(token)).toBe(503);
    expect(h.sim.calls().confirm).toBe(confirms);
    expect((await payment(orderId)).status).toBe('PENDING');

    // After the cool-down the IPN's confirm is the probe: it succeeds, the breaker closes, the order completes.
    clock += DEFAULT_CIRCUIT_BREAKER.coolDownMs;
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect(h.circuit.state()).toBe('closed');
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
  });

  it('while open, a replay of an answered Idempotency-Key still gets its 201: no PayDunya call is needed', async () => {
    const key = randomUUID();
    const first = await h.post(validOrder(), key);
    expect(first.status).toBe(201);
    await openTheBreaker();
    const replay = await h.post(validOrder(), key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await bodyOf(replay)).toEqual(await bodyOf(first));
  });

  it('while open, payments_enabled=false still answers "paused" first', async () => {
    await openTheBreaker();
    await h.setFlags({ ...DEFAULT_FLAGS, payments_enabled: { enabled: false } });
    const response = await h.post(validOrder());
    expect(response.status).toBe(503);
    expect((await bodyOf(response)).error.code).toBe('PAYMENTS_PAUSED');
  });

  it('after the cool-down one probe goes through: if PayDunya is still down it opens again for a full cool-down', async () => {
    await openTheBreaker();
    clock += DEFAULT_CIRCUIT_BREAKER.coolDownMs;
    expect(h.circuit.state()).toBe('half-open');
    const calls = h.sim.calls().create;
    const failedBefore = await idsIn('INITIATION_FAILED');

    const probe = await h.post(validOrder());
    expect(probe.status).toBe(503);
    expect(h.sim.calls().create).toBe(calls + 1);
    expect(await newIn('INITIATION_FAILED', failedBefore)).toHaveLength(1);
    expect(h.circuit.state()).toBe('open');

    const refused = await h.post(validOrder());
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(h.sim.calls().create).toBe(calls + 1);
  });

  it('after the cool-down, a successful probe closes it and payments flow again', async () => {
    await openTheBreaker();
    h.sim.faults.down = false;
    clock += DEFAULT_CIRCUIT_BREAKER.coolDownMs;
    const probe = await h.post(validOrder());
    expect(probe.status).toBe(201);
    expect(h.circuit.state()).toBe('closed');
    expect(h.telemetry.measures.filter((m) => m.name === METRICS.circuitState).at(-1)?.value).toBe(0);
    expect((await h.post(validOrder())).status).toBe(201);
  });

  it('failing confirms open it too (one breaker per instance): then POST /payments is refused at once', async () => {
    const orders = [await h.createOrder(), await h.createOrder()];
    h.sim.faults.confirmFailure = { httpStatus: 500 };
    // Two IPNs, three confirm attempts each: the fifth failure opens the breaker and stops the retries.
    for (const { token } of orders) {
      expect((await h.sim.settle(token, 'completed')).ipnStatuses).toEqual([503]);
    }
    expect(h.circuit.state()).toBe('open');
    const calls = h.sim.calls();
    const response = await h.post(validOrder());
    expect(response.status).toBe(503);
    expect(h.sim.calls()).toEqual(calls);
    for (const { orderId } of orders) expect((await payment(orderId)).status).toBe('PENDING');
  });
});
