import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, type Json } from '../support/json';
import { type Harness, startHarness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** What a browser does on the simulator's checkout page: open it, then press one of its buttons. */
const pressButton = async (checkoutUrl: string, label: 'Pay' | 'Cancel' | 'Fail') => {
  const page = await fetch(checkoutUrl);
  const html = await page.text();
  const form = new RegExp(`<form method="post" action="([^"]+)">\\s*<button[^>]*>${label}</button>`).exec(
    html,
  );
  if (!form?.[1]) throw new Error(`no ${label} button on the checkout page`);
  return fetch(new URL(form[1], checkoutUrl), { method: 'POST', redirect: 'manual' });
};

describe('checkout journeys through the real HTTP server', () => {
  it('creates a payment: 201 with orderId, PENDING, checkoutUrl and token', async () => {
    const response = await h.post({
      amount: 5000,
      currency: 'XOF',
      customer_email: 'a@example.bf',
      customer_phone: '+22670000001',
      items: [{ name: 'Ticket', quantity: 1, unit_price: 5000 }],
    });
    expect(response.status).toBe(201);
    const body = await bodyOf(response);
    expect(body).toEqual({
      orderId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      status: 'PENDING',
      checkoutUrl: expect.stringContaining(`/sandbox-checkout/invoice/${body.token}`),
      token: expect.stringMatching(/^test_/),
    });
  });

  it('the checkout page shows the store, the items, the XOF total and exactly Pay, Cancel and Fail', async () => {
    const { checkoutUrl } = await h.createOrder();
    const html = await (await fetch(checkoutUrl)).text();
    expect(html).toContain('Temba (local)');
    expect(html).toContain('Concert - Pass VIP');
    expect(html).toContain('Parking');
    expect(html).toMatch(/15[\s\u00a0\u202f]000 XOF/);
    const labels = [...html.matchAll(/<button[^>]*>([^<]+)<\/button>/g)].map((m) => m[1]);
    expect(labels).toEqual(['Pay', 'Cancel', 'Fail']);
  });

  it.each([
    ['Pay', 'COMPLETED', '/checkout/return'],
    ['Cancel', 'CANCELLED', '/checkout/cancel'],
    ['Fail', 'FAILED', '/checkout/return'],
  ] as const)(
    'pressing %s ends the order %s, with the audit trail of every transition',
    async (label, status, path) => {
      const { orderId, token, checkoutUrl } = await h.createOrder();
      const redirect = await pressButton(checkoutUrl, label);
      expect(redirect.status).toBe(303);
      const location = new URL(redirect.headers.get('location') ?? '');
      expect(location.pathname).toBe(path);
      expect(location.searchParams.get('token')).toBe(token);

      const payment = await bodyOf(await h.get(orderId));
      expect(payment.status).toBe(status);
      expect(payment.events.map((e: { to: string }) => e.to)).toEqual(['CREATED', 'PENDING', status]);
      expect(payment.events[2]).toMatchObject({ from: 'PENDING', actor: 'webhook' });
    },
  );

  it('a completed payment records the payment method PayDunya reports', async () => {
    const { orderId, token } = await h.createOrder();
    await h.sim.settle(token, 'completed');
    const payment = await bodyOf(await h.get(orderId));
    expect(payment).toMatchObject({ status: 'COMPLETED', paymentMethod: 'orange-money-burkina' });
    expect(payment.completedAt).toEqual(expect.any(String));
  });
});

describe('GET /payments/{orderId}', () => {
  it('shows status, amount, items, timestamps and events, with the phone and email masked', async () => {
    const { orderId } = await h.createOrder();
    const response = await h.get(orderId);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('70123456');
    expect(text).not.toContain('awa.ouedraogo@');
    expect(text).not.toContain('Awa Ouedraogo');
    const payment = JSON.parse(text) as Json;
    expect(payment).toMatchObject({
      orderId,
      status: 'PENDING',
      amount: 15000,
      currency: 'XOF',
      items: [
        { name: 'Concert - Pass VIP', quantity: 1, unit_price: 10000 },
        { name: 'Parking', quantity: 2, unit_price: 2500 },
      ],
      customer: { email: 'a***@example.bf', phone: '+226******56' },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(payment).not.toHaveProperty('customerEncrypted');
    expect(payment).not.toHaveProperty('phoneHash');
  });

  it('answers 404 with a clear error for an unknown order id, and for a malformed one', async () => {
    for (const id of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'not-an-id', '../../etc/passwd']) {
      const response = await h.get(id);
      expect(response.status).toBe(404);
      const body = await bodyOf(response);
      expect(body.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('No payment') });
    }
  });

  it('stores the customer contact data encrypted, never in plain text', async () => {
    const { orderId } = await h.createOrder({
      customer_phone: '+22671234567',
      customer_email: 'secret.person@example.bf',
    });
    const order = await h.ctx.store.getOrder(orderId);
    const raw = JSON.stringify(order);
    expect(raw).not.toContain('71234567');
    expect(raw).not.toContain('secret.person');
    expect(order?.customerEncrypted.ciphertext).toEqual(expect.any(String));
    expect(order?.phoneHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('every response', () => {
  it('carries a request id and the security headers', async () => {
    for (const response of [
      await h.post({}),
      await h.get('nope'),
      await h.createOrder().then((o) => h.get(o.orderId)),
    ]) {
      expect(response.headers.get('x-request-id')).toMatch(/.+/);
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });
});
