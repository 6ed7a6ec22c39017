import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'qs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../local/paydunya-simulator/envelope.js';
import { encodeIpnBody, refuseNonLoopback } from '../../local/paydunya-simulator/ipn.js';
import { type IpnReceiver, startIpnReceiver } from '../../local/paydunya-simulator/ipn-receiver.js';
import { type SimInvoice, type Simulator, startSimulator } from '../../local/paydunya-simulator/simulator.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/paydunya', import.meta.url));
// The fixtures' master key, so hashes can be compared with them literally.
const MASTER_KEY = 'fixture-master-key-0000';
const TEST_KEYS = { privateKey: 'test_private_abc', token: 'test_token_abc' };
const LIVE_KEYS = { privateKey: 'live_private_xyz', token: 'live_token_xyz' };
const HASH = createHash('sha512').update(MASTER_KEY).digest('hex');

type JsonObject = Record<string, unknown>;

function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8')) as JsonObject;
}
function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES}/${name}`, 'utf8').trim();
}

/** Replaces every leaf by its type, keeping key order, so shapes can be compared without values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  }
  return typeof value;
}

/** Form encoding cannot carry an empty array (PHP's http_build_query drops it too), so compare without them. */
function withoutEmptyArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyArrays);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
        .map(([k, v]) => [k, withoutEmptyArrays(v)]),
    );
  }
  return value;
}

function objectAt(value: unknown, ...path: string[]): JsonObject {
  let current = value;
  for (const key of path) current = (current as JsonObject)[key];
  return current as JsonObject;
}

function headers(mode: 'test' | 'live' = 'test', keys = mode === 'test' ? TEST_KEYS : LIVE_KEYS) {
  return {
    'Content-Type': 'application/json',
    'PAYDUNYA-MASTER-KEY': MASTER_KEY,
    'PAYDUNYA-PRIVATE-KEY': keys.privateKey,
    'PAYDUNYA-TOKEN': keys.token,
  };
}

function fixtureLikeBody(callbackUrl: string): JsonObject {
  return {
    invoice: {
      items: {
        item_0: {
          name: 'Concert - Pass VIP',
          quantity: 1,
          unit_price: 10000,
          total_price: 10000,
          description: '',
        },
        item_1: { name: 'Parking', quantity: 2, unit_price: 2500, total_price: 5000, description: '' },
      },
      total_amount: 15000,
      description: 'Temba order 01J9Z8X7Y6',
      channels: ['orange-money-burkina'],
    },
    store: { name: 'Temba Events', tagline: 'Billets et plus' },
    custom_data: { order_id: '01J9Z8X7Y6' },
    actions: {
      cancel_url: 'https://temba.app/checkout/cancel',
      callback_url: callbackUrl,
      return_url: 'https://temba.app/checkout/return',
    },
  };
}

describe('PayDunya simulator', () => {
  let sim: Simulator;
  let receiver: IpnReceiver;
  const logs: string[] = [];
  const extraSims: Simulator[] = [];

  beforeAll(async () => {
    receiver = await startIpnReceiver();
    sim = await startSimulator({
      masterKey: MASTER_KEY,
      keys: { test: TEST_KEYS, live: LIVE_KEYS },
      log: (line) => logs.push(line),
    });
  });
  afterEach(async () => {
    sim.faults.reset();
    receiver.clear();
    logs.length = 0;
    await Promise.all(extraSims.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await sim.stop();
    await receiver.stop();
  });

  const callbackUrl = () => `${receiver.url}/webhooks/paydunya?o=01J9Z8X7Y6&sig=abc`;

  async function create(body: unknown = fixtureLikeBody(callbackUrl()), mode: 'test' | 'live' = 'test') {
    const res = await fetch(`${sim.apiBase(mode)}/checkout-invoice/create`, {
      method: 'POST',
      headers: headers(mode),
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as JsonObject };
  }
  async function createToken(body?: unknown, mode: 'test' | 'live' = 'test'): Promise<string> {
    const { json } = await create(body, mode);
    expect(json.response_code).toBe('00');
    return String(json.token);
  }
  async function confirm(token: string, mode: 'test' | 'live' = 'test') {
    const res = await fetch(`${sim.apiBase(mode)}/checkout-invoice/confirm/${token}`, {
      headers: headers(mode),
    });
    return { status: res.status, json: (await res.json()) as JsonObject };
  }
  function click(token: string, verb: 'pay' | 'cancel' | 'fail', mode: 'test' | 'live' = 'test') {
    const base = mode === 'test' ? 'sandbox-checkout' : 'checkout';
    return fetch(`${sim.url}/${base}/invoice/${token}/${verb}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
  }
  function ipnData(index = 0): JsonObject {
    const request = receiver.received[index];
    expect(request).toBeDefined();
    return objectAt(parse(request?.body ?? ''), 'data');
  }

  describe('create', () => {
    it('returns a test_ token and the sandbox checkout URL when the keys are right', async () => {
      const { status, json } = await create();
      expect(status).toBe(200);
      expect(json).toEqual({
        response_code: '00',
        response_text: `${sim.url}/sandbox-checkout/invoice/${String(json.token)}`,
        description: 'Checkout Invoice Created',
        token: expect.stringMatching(/^test_[A-Za-z0-9]{10}$/),
      });
      expect(sim.invoice(String(json.token))).toMatchObject({
        status: 'pending',
        total_amount: 15000,
        mode: 'test',
        custom_data: { order_id: '01J9Z8X7Y6' },
        expire_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      });
    });

    it('issues unprefixed tokens and /checkout/invoice URLs on the live base', async () => {
      const { json } = await create(undefined, 'live');
      expect(json.token).toMatch(/^[A-Za-z0-9]{10,}$/);
      expect(json.response_text).toBe(`${sim.url}/checkout/invoice/${String(json.token)}`);
    });

    it('answers 1001 on HTTP 200 when any key is wrong or missing', async () => {
      const url = `${sim.apiBase('test')}/checkout-invoice/create`;
      const body = JSON.stringify(fixtureLikeBody(callbackUrl()));
      const variants = [
        { ...headers(), 'PAYDUNYA-MASTER-KEY': 'nope' },
        { ...headers(), 'PAYDUNYA-PRIVATE-KEY': LIVE_KEYS.privateKey },
        { ...headers(), 'PAYDUNYA-TOKEN': '' },
        { 'Content-Type': 'application/json' },
        // Test keys on the live base are wrong keys.
        null,
      ];
      for (const h of variants) {
        const res = await fetch(h ? url : `${sim.apiBase('live')}/checkout-invoice/create`, {
          method: 'POST',
          headers: h ?? headers('test'),
          body,
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
          response_code: '1001',
          response_text: 'Invalid Masterkey or Private Key or Token',
        });
      }
    });

    it('treats the live base as wrong keys when no live keys are configured', async () => {
      const testOnly = await startSimulator({ masterKey: MASTER_KEY, keys: { test: TEST_KEYS } });
      extraSims.push(testOnly);
      const res = await fetch(`${testOnly.apiBase('live')}/checkout-invoice/create`, {
        method: 'POST',
        headers: headers('live'),
        body: JSON.stringify(fixtureLikeBody(callbackUrl())),
      });
      expect(((await res.json()) as JsonObject).response_code).toBe('1001');
    });

    it.each([
      ['a body that is not JSON', '{nope', 'JSON'],
      ['a JSON array', '[]', 'body'],
      ['no invoice', { store: { name: 'S' } }, 'invoice'],
      ['a zero total', { invoice: { total_amount: 0 }, store: { name: 'S' } }, 'invoice.total_amount'],
      ['a negative total', { invoice: { total_amount: -5 }, store: { name: 'S' } }, 'invoice.total_amount'],
      ['a decimal total', { invoice: { total_amount: 1.5 }, store: { name: 'S' } }, 'invoice.total_amount'],
      [
        'a non-numeric total',
        { invoice: { total_amount: '12a' }, store: { name: 'S' } },
        'invoice.total_amount',
      ],
      ['no total', { invoice: {}, store: { name: 'S' } }, 'invoice.total_amount'],
      ['no store', { invoice: { total_amount: 100 } }, 'store'],
      ['an empty store name', { invoice: { total_amount: 100 }, store: { name: '  ' } }, 'store.name'],
      [
        'items of the wrong type',
        { invoice: { total_amount: 100, items: 'x' }, store: { name: 'S' } },
        'items',
      ],
    ])('refuses %s with a non-00 code naming the field', async (_label, body, field) => {
      const { status, json } = await create(body);
      expect(status).toBe(200);
      expect(json.response_code).not.toBe('00');
      expect(json.token).toBeUndefined();
      expect(String(json.response_text)).toContain(field);
    });

    it('accepts items as an array, item_1.. keys and a numeric-string total', async () => {
      const asArray = await createToken({
        invoice: { total_amount: '7000', items: [{ name: 'A', quantity: 2, unit_price: 3500 }] },
        store: { name: 'S' },
      });
      expect(sim.invoice(asArray)?.total_amount).toBe(7000);
      expect(objectAt((await confirm(asArray)).json, 'invoice', 'items')).toEqual({
        item_0: { name: 'A', quantity: '2', unit_price: '3500', total_price: '7000', description: '' },
      });
      const fromOne = await createToken({
        invoice: { total_amount: 10, items: { item_1: { name: 'B', quantity: '1', unit_price: '10' } } },
        store: { name: 'S' },
      });
      expect(Object.keys(objectAt((await confirm(fromOne)).json, 'invoice', 'items'))).toEqual(['item_1']);
    });
  });

  describe('confirm', () => {
    it('answers a pending invoice with exactly the keys, order and string types of the pending fixture', async () => {
      const token = await createToken();
      const { status, json } = await confirm(token);
      expect(status).toBe(200);
      expect(shape(json)).toEqual(shape(fixture('confirm-pending.json')));
      expect(JSON.stringify(shape(json))).toBe(JSON.stringify(shape(fixture('confirm-pending.json'))));
      expect(json).toMatchObject({ response_code: '00', response_text: 'Transaction Found', hash: HASH });
      expect(json.hash).toBe(fixture('confirm-pending.json').hash);
      expect(objectAt(json, 'invoice')).toMatchObject({ token, total_amount: '15000', taxes: [] });
      expect(json).toMatchObject({ mode: 'test', status: 'pending', fail_reason: '' });
    });

    it.each([
      ['pay', 'completed'],
      ['cancel', 'cancelled'],
      ['fail', 'failed'],
    ] as const)('after %s matches the confirm-%s fixture shape', async (verb, status) => {
      const token = await createToken();
      await click(token, verb);
      const { json } = await confirm(token);
      expect(JSON.stringify(shape(json))).toBe(JSON.stringify(shape(fixture(`confirm-${status}.json`))));
      expect(json.status).toBe(status);
      if (status === 'failed') expect(json.fail_reason).toBe('Insufficient balance');
      if (status === 'completed') {
        expect(objectAt(json, 'customer').payment_method).toBe('orange-money-burkina');
        expect(json.receipt_url).toBe(`${sim.url}/sandbox-checkout/receipt/pdf/${token}.pdf`);
      }
    });

    it('answers 1001 Invoice not found for an unknown token, and for a test token on the live base', async () => {
      expect((await confirm('test_UNKNOWN000')).json).toEqual({
        response_code: '1001',
        response_text: 'Invoice not found',
      });
      const token = await createToken();
      expect((await confirm(token, 'live')).json.response_text).toBe('Invoice not found');
    });

    it('answers 1001 on wrong keys', async () => {
      const token = await createToken();
      const res = await fetch(`${sim.apiBase('test')}/checkout-invoice/confirm/${token}`, {
        headers: { ...headers(), 'PAYDUNYA-TOKEN': 'wrong' },
      });
      expect(((await res.json()) as JsonObject).response_code).toBe('1001');
    });
  });

  describe('checkout page', () => {
    it('shows the store, each item, the XOF total and buttons labelled exactly Pay, Cancel and Fail', async () => {
      const token = await createToken();
      const res = await fetch(`${sim.url}/sandbox-checkout/invoice/${token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain('https://temba.app');
      const html = await res.text();
      for (const text of ['Temba Events', 'Billets et plus', 'Concert - Pass VIP', 'Parking']) {
        expect(html).toContain(text);
      }
      expect(html).toContain('10 000 XOF');
      expect(html).toContain('2 500 XOF');
      expect(html).toContain('5 000 XOF');
      expect(html).toContain('15 000 XOF');
      expect([...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1])).toEqual([
        'Pay',
        'Cancel',
        'Fail',
      ]);
      for (const verb of ['pay', 'cancel', 'fail']) {
        expect(html).toContain(`<form method="post" action="/sandbox-checkout/invoice/${token}/${verb}">`);
      }
      expect(html).not.toMatch(/<script|<link|<img|https?:\/\/(?!temba)/);
    });

    it('escapes every merchant-supplied value', async () => {
      const evil = '<script>alert("x")</script>';
      const token = await createToken({
        invoice: {
          total_amount: 100,
          description: evil,
          items: [{ name: evil, quantity: evil, unit_price: 1 }],
        },
        store: { name: evil, tagline: `"'><img src=x>` },
      });
      const html = await (await fetch(`${sim.url}/sandbox-checkout/invoice/${token}`)).text();
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('<img');
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    });

    it('answers 404 for an unknown token and for a sandbox token on the live checkout path', async () => {
      expect((await fetch(`${sim.url}/sandbox-checkout/invoice/test_nothere000`)).status).toBe(404);
      const token = await createToken();
      expect((await fetch(`${sim.url}/checkout/invoice/${token}`)).status).toBe(404);
    });

    it('shows a settled invoice with its status and no buttons', async () => {
      const token = await createToken();
      await sim.settle(token, 'cancelled');
      const html = await (await fetch(`${sim.url}/sandbox-checkout/invoice/${token}`)).text();
      expect(html).toContain('cancelled');
      expect(html).not.toContain('<button');
    });
  });

  describe('settling from the checkout page', () => {
    it('Pay sends a form-encoded IPN equal to the confirm answer, then 303s to return_url?token=', async () => {
      const token = await createToken();
      const res = await click(token, 'pay');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`https://temba.app/checkout/return?token=${token}`);

      expect(receiver.received).toHaveLength(1);
      const ipn = receiver.received[0];
      expect(ipn?.method).toBe('POST');
      expect(ipn?.url).toBe('/webhooks/paydunya?o=01J9Z8X7Y6&sig=abc');
      expect(ipn?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(
        ipn?.body.startsWith('data%5Bresponse_code%5D=00&data%5Bresponse_text%5D=Transaction%20Found'),
      ).toBe(true);
      const data = ipnData();
      expect(data.hash).toBe(HASH);
      expect(data.status).toBe('completed');
      expect(objectAt(data, 'invoice').total_amount).toBe('15000');
      expect(objectAt(data, 'invoice', 'items', 'item_1')).toMatchObject({
        quantity: '2',
        unit_price: '2500',
      });

      const { json } = await confirm(token);
      expect(data).toEqual(withoutEmptyArrays(json));
      expect(sim.invoice(token)?.ipnsSent).toEqual([
        { at: expect.any(String), replay: false, outcome: 'delivered', status: 200 },
      ]);
    });

    it('Cancel posts a cancelled IPN and 303s to cancel_url?token=', async () => {
      const token = await createToken();
      const res = await click(token, 'cancel');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`https://temba.app/checkout/cancel?token=${token}`);
      expect(ipnData()).toMatchObject({ status: 'cancelled', fail_reason: '' });
      expect(ipnData().customer).toBeUndefined();
    });

    it('Fail posts a failed IPN with a fail_reason and 303s to return_url?token=', async () => {
      const token = await createToken();
      const res = await click(token, 'fail');
      expect(res.headers.get('location')).toBe(`https://temba.app/checkout/return?token=${token}`);
      expect(ipnData()).toMatchObject({ status: 'failed', fail_reason: 'Insufficient balance' });
    });

    it('appends the token with & when return_url already has a query, keeping any fragment last', async () => {
      const body = fixtureLikeBody(callbackUrl());
      body.actions = { return_url: 'https://temba.app/r?lang=fr#done', callback_url: callbackUrl() };
      const token = await createToken(body);
      const res = await click(token, 'pay');
      expect(res.headers.get('location')).toBe(`https://temba.app/r?lang=fr&token=${token}#done`);
    });

    it('shows a result page instead of redirecting when the invoice has no cancel_url', async () => {
      const body = fixtureLikeBody(callbackUrl());
      body.actions = { callback_url: callbackUrl() };
      const token = await createToken(body);
      const res = await click(token, 'cancel');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('cancelled');
    });

    it('refuses to settle an invoice twice (409 page, rejected settle()) and sends no second IPN', async () => {
      const token = await createToken();
      await click(token, 'pay');
      expect((await click(token, 'fail')).status).toBe(409);
      await expect(sim.settle(token, 'cancelled')).rejects.toThrow(/already completed/);
      expect(sim.invoice(token)?.status).toBe('completed');
      expect(receiver.received).toHaveLength(1);
    });

    it('answers 404 for actions on unknown invoices and 405 for GET on an action', async () => {
      expect((await click('test_nothere000', 'pay')).status).toBe(404);
      const token = await createToken();
      expect((await fetch(`${sim.url}/sandbox-checkout/invoice/${token}/pay`)).status).toBe(405);
      expect(sim.invoice(token)?.status).toBe('pending');
    });
  });

  describe('programmatic API', () => {
    it('settle() does what the Pay button does and reports the callback statuses', async () => {
      const token = await createToken();
      receiver.respondWith(500);
      expect(await sim.settle(token, 'completed')).toEqual({ status: 'completed', ipnStatuses: [500] });
      expect(ipnData().status).toBe('completed');
    });

    it('resendIpn() replays the very same body and returns the status the callback answered', async () => {
      const token = await createToken();
      await sim.settle(token, 'completed');
      receiver.respondWith(202);
      expect(await sim.resendIpn(token)).toBe(202);
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
      expect(sim.invoice(token)?.ipnsSent.map((d) => d.replay)).toEqual([false, true]);
    });

    it('invoice() returns a copy that cannot alter the simulator state', async () => {
      const token = await createToken();
      const view = sim.invoice(token) as SimInvoice;
      view.status = 'completed';
      view.total_amount = 1;
      expect(sim.invoice(token)).toMatchObject({ status: 'pending', total_amount: 15000 });
      expect(sim.invoice('test_unknown00')).toBeUndefined();
    });
  });

  describe('SoftPay sandbox', () => {
    const payUrl = () => `${sim.apiBase('test')}/softpay/checkout/make-payment`;
    const pay = async (body: unknown) => {
      const res = await fetch(payUrl(), { method: 'POST', headers: headers(), body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as JsonObject };
    };

    it('completes a pending invoice for a fictitious customer and sends the IPN', async () => {
      const token = await createToken();
      const body = {
        phone_phone: '70000001',
        customer_email: 'x@y.bf',
        password: 'pw',
        invoice_token: token,
      };
      expect((await pay(body)).json).toEqual({ success: true, message: 'Paiement effectué avec succès.' });
      expect(objectAt(ipnData(), 'customer')).toMatchObject({ phone: '70000001', email: 'x@y.bf' });
      expect((await pay(body)).json.success).toBe(false);
    });

    it('answers success:false for an unknown token or missing credentials, and 404 on the live base', async () => {
      const token = await createToken();
      expect(
        (await pay({ phone_number: '1', customer_email: 'e', password: 'p', invoice_token: 'test_x' })).json
          .success,
      ).toBe(false);
      expect((await pay({ invoice_token: token })).json.success).toBe(false);
      expect(sim.invoice(token)?.status).toBe('pending');
      const live = await fetch(`${sim.apiBase('live')}/softpay/checkout/make-payment`, { method: 'POST' });
      expect(live.status).toBe(404);
    });
  });

  describe('IPN safety', () => {
    it.each([
      'https://api.example.test/webhooks/paydunya',
      'http://10.0.0.1/ipn',
      'http://127.0.0.1.nip.io/ipn',
      'http://[::ffff:127.0.0.1]/ipn',
      'ftp://127.0.0.1/ipn',
      'not a url',
    ])('refuses to post an IPN to %s, records it and logs a line', async (target) => {
      const body = fixtureLikeBody(target);
      const token = await createToken(body);
      expect(await sim.settle(token, 'completed')).toEqual({ status: 'completed', ipnStatuses: [] });
      expect(sim.invoice(token)?.ipnsSent).toEqual([
        { at: expect.any(String), replay: false, outcome: 'refused', error: expect.any(String) },
      ]);
      expect(logs.some((line) => line.includes('NOT sent'))).toBe(true);
      expect(receiver.received).toHaveLength(0);
    });

    it('refuses 0.0.0.0 even though it would reach this machine (nothing arrives at the receiver)', async () => {
      const port = new URL(receiver.url).port;
      const token = await createToken(fixtureLikeBody(`http://0.0.0.0:${port}/ipn`));
      await sim.settle(token, 'completed');
      expect(receiver.received).toHaveLength(0);
    });

    it('accepts only 127.0.0.1, localhost and ::1', () => {
      expect(refuseNonLoopback('http://127.0.0.1:1/x')).toBeNull();
      expect(refuseNonLoopback('http://localhost:1/x')).toBeNull();
      expect(refuseNonLoopback('http://[::1]:1/x')).toBeNull();
      expect(refuseNonLoopback('http://localhost.evil.test/x')).not.toBeNull();
    });

    it('never follows a redirect from the callback', async () => {
      const token = await createToken();
      receiver.respondWith(302, { Location: `${receiver.url}/elsewhere` });
      expect((await sim.settle(token, 'completed')).ipnStatuses).toEqual([302]);
      expect(receiver.received.map((r) => r.url)).toEqual(['/webhooks/paydunya?o=01J9Z8X7Y6&sig=abc']);
    });

    it('keeps the settlement when the callback is unreachable', async () => {
      const token = await createToken(fixtureLikeBody('http://127.0.0.1:1/closed'));
      expect(await sim.settle(token, 'completed')).toEqual({ status: 'completed', ipnStatuses: [] });
      expect(sim.invoice(token)?.ipnsSent[0]?.outcome).toBe('error');
      expect((await confirm(token)).json.status).toBe('completed');
    });
  });

  describe('robustness', () => {
    it('answers unknown routes with 404 JSON and bad input without crashing', async () => {
      const res = await fetch(`${sim.url}/nope`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'Not found' });
      expect((await fetch(`${sim.url}/sandbox-checkout/invoice/%E0%A4%A`)).status).toBe(404);
      const huge = await fetch(`${sim.apiBase('test')}/checkout-invoice/create`, {
        method: 'POST',
        headers: headers(),
        body: 'x'.repeat(300 * 1024),
      }).catch(() => undefined);
      expect([413, undefined]).toContain(huge?.status);
      expect((await create()).json.response_code).toBe('00');
    });
  });
});

describe('IPN encoding', () => {
  const fixtureInvoice = (status: 'completed' | 'cancelled' | 'failed'): SimInvoice => {
    const confirmFixture = fixture('confirm-completed.json');
    const invoice = objectAt(confirmFixture, 'invoice');
    const items = invoice.items as SimInvoice['items'];
    const customer = objectAt(confirmFixture, 'customer') as unknown as SimInvoice['customer'] & {
      payment_method: string;
    };
    return {
      token: String(invoice.token),
      mode: 'test',
      status,
      total_amount: 15000,
      description: String(invoice.description),
      items,
      taxes: {},
      channels: [],
      customer,
      store: { name: 'Temba', tagline: '', postal_address: '', phone: '', logo_url: '', website_url: '' },
      custom_data: { order_id: '01J9Z8X7Y6' },
      actions: objectAt(confirmFixture, 'actions') as unknown as SimInvoice['actions'],
      expire_date: String(invoice.expire_date),
      created_at: '',
      settled_at: '',
      fail_reason: status === 'failed' ? 'Insufficient balance' : '',
      payment:
        status === 'completed'
          ? {
              customer,
              receipt_url: String(confirmFixture.receipt_url),
              receipt_identifier: String(confirmFixture.receipt_identifier),
              provider_reference: String(confirmFixture.provider_reference),
            }
          : null,
      ipnsSent: [],
    };
  };

  it.each(['completed', 'cancelled', 'failed'] as const)(
    'reproduces ipn-%s.form.txt byte for byte, and its qs.parse structure',
    (status) => {
      const envelope = buildEnvelope(fixtureInvoice(status), { hash: HASH });
      expect(envelope).toEqual(fixture(`confirm-${status}.json`));
      const body = encodeIpnBody(envelope);
      const expected = fixtureText(`ipn-${status}.form.txt`);
      expect(parse(body)).toEqual(parse(expected));
      expect(body).toBe(expected);
    },
  );
});
