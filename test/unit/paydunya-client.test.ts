import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PaydunyaKeys } from '../../lambdas/shared/contract/secrets';
import { GatewayError } from '../../lambdas/shared/domain/errors';
import type { InvoiceRequest } from '../../lambdas/shared/domain/ports';
import { createKeepAliveFetch, type KeepAliveFetch } from '../../lambdas/shared/paydunya/keep-alive-fetch';
import {
  createPaydunyaClient,
  type PaydunyaClientOptions,
} from '../../lambdas/shared/paydunya/paydunya.client';
import { createPaydunyaCircuit } from '../../lambdas/shared/platform/circuit-breaker';
import { freePort } from '../../local/free-port';
import { startSimulator } from '../../local/paydunya-simulator/simulator';
import { RecordingTelemetry } from '../support/recording-telemetry';

const KEYS: PaydunyaKeys = { master_key: 'master', test_private_key: 'test_private_x', test_token: 'tok' };
const CONFIRM = readFileSync(new URL('../fixtures/paydunya/confirm-completed.json', import.meta.url), 'utf8');
const TOKEN = (JSON.parse(CONFIRM) as { invoice: { token: string } }).invoice.token;
const CREATED = JSON.stringify({
  response_code: '00',
  response_text: 'http://127.0.0.1/sandbox-checkout/invoice/test_abc123',
  description: 'Checkout Invoice Created',
  token: 'test_abc123',
});
const INVOICE: InvoiceRequest = {
  orderId: '01J9Z8X7Y6',
  amount: 15000,
  items: [{ name: 'Ticket', quantity: 1, unit_price: 15000 }],
  description: 'Temba order',
  store: { name: 'Temba' },
  customer: { email: 'awa@example.bf', phone: '+22670123456' },
  callbackUrl: 'http://127.0.0.1/webhooks/paydunya',
  returnUrl: 'http://127.0.0.1/return',
  cancelUrl: 'http://127.0.0.1/cancel',
};

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A stand-in PayDunya whose behaviour each test sets, counting requests and TCP connections. */
let server: Server;
let base = '';
let handler: Handler = (_req, res) => res.end(CONFIRM);
let requests = 0;
let connections = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => handler(req, res, requests));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const transports: KeepAliveFetch[] = [];
afterEach(() => {
  handler = (_req, res) => res.end(CONFIRM);
  requests = 0;
  connections = 0;
  for (const transport of transports.splice(0)) transport.close();
  server.closeAllConnections();
});

const json =
  (body: string, status = 200) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  };

const client = (options: Partial<PaydunyaClientOptions> = {}) => {
  const transport = createKeepAliveFetch();
  transports.push(transport);
  const sleeps: number[] = [];
  const gateway = createPaydunyaClient({
    baseUrls: { test: base, live: base },
    timeoutMs: 1_000,
    fetch: transport,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { gateway, transport, sleeps };
};

describe('PayDunya client: connections', () => {
  it('reuses one kept-alive connection for sequential calls', async () => {
    const { gateway, transport } = client();
    for (let i = 0; i < 20; i++) await gateway.confirm('test', KEYS, TOKEN);
    expect(requests).toBe(20);
    expect(connections).toBe(1);
    expect(transport.stats()).toEqual({ requests: 20, connectionsOpened: 1, reusedConnections: 19 });
  });

  it('opens at most one connection per concurrent call and reuses them for the next burst', async () => {
    const { gateway, transport } = client();
    await Promise.all(Array.from({ length: 5 }, () => gateway.confirm('test', KEYS, TOKEN)));
    const opened = connections;
    expect(opened).toBeLessThanOrEqual(5);
    await Promise.all(Array.from({ length: 5 }, () => gateway.confirm('test', KEYS, TOKEN)));
    expect(connections).toBe(opened);
    expect(transport.stats().reusedConnections).toBeGreaterThanOrEqual(5);
  });

  it('closes a connection idle longer than the idle timeout, and the next call opens a new one', async () => {
    const transport = createKeepAliveFetch({ idleTimeoutMs: 100 });
    transports.push(transport);
    const { gateway } = client({ fetch: transport });
    await gateway.confirm('test', KEYS, TOKEN);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await gateway.confirm('test', KEYS, TOKEN);
    expect(transport.stats()).toEqual({ requests: 2, connectionsOpened: 2, reusedConnections: 0 });
  });

  it('an answer slower than the idle timeout still arrives (the idle timer only closes idle connections)', async () => {
    const transport = createKeepAliveFetch({ idleTimeoutMs: 50 });
    transports.push(transport);
    handler = (_req, res) => setTimeout(() => res.end(CONFIRM), 200);
    const { gateway } = client({ fetch: transport });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({ status: 'completed' });
  });

  it('times out a slow call, and never puts its connection back in the pool', async () => {
    handler = (_req, res) => setTimeout(() => res.end(CONFIRM), 400);
    const { gateway, transport } = client({ timeoutMs: 100, confirmRetry: { maxAttempts: 1 } });
    const started = Date.now();
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'PayDunya confirm: timed out',
    });
    expect(Date.now() - started).toBeLessThan(350);
    handler = json(CONFIRM);
    await gateway.confirm('test', KEYS, TOKEN);
    expect(transport.stats().connectionsOpened).toBe(2);
  });

  it('a refused connection is unavailable', async () => {
    const port = await freePort();
    const { gateway } = client({ baseUrls: { test: `http://127.0.0.1:${port}`, live: base } });
    await expect(gateway.createInvoice('test', KEYS, INVOICE)).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'PayDunya create: unreachable',
    });
  });

  it('never follows a redirect', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { Location: 'http://169.254.169.254/' });
      res.end();
    };
    const { gateway } = client();
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toMatchObject({ kind: 'refused' });
    expect(requests).toBe(1);
  });
});

describe('PayDunya client: create is never retried', () => {
  it.each<[string, Handler]>([
    ['HTTP 500', json('<html>500</html>', 500)],
    ['a reset connection', (req) => req.socket.destroy()],
    ['an answer slower than the timeout', (_req, res) => setTimeout(() => res.end(CREATED), 300)],
    ['malformed JSON', json('{"response_code":"00","resp')],
    ['HTTP 429', json('{}', 429)],
  ])('%s: one request only, and the error is unavailable', async (_, failure) => {
    handler = failure;
    const { gateway, sleeps } = client({ timeoutMs: 100 });
    await expect(gateway.createInvoice('test', KEYS, INVOICE)).rejects.toMatchObject({ kind: 'unavailable' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('a successful create sends the invoice once and returns its token', async () => {
    handler = json(CREATED);
    const { gateway } = client();
    await expect(gateway.createInvoice('test', KEYS, INVOICE)).resolves.toEqual({
      token: 'test_abc123',
      checkoutUrl: 'http://127.0.0.1/sandbox-checkout/invoice/test_abc123',
    });
    expect(requests).toBe(1);
  });
});

describe('PayDunya client: confirm retries', () => {
  it('retries a 500 with exponential backoff and full jitter, then succeeds', async () => {
    handler = (req, res, n) => (n <= 2 ? json('oops', 500)(req, res) : json(CONFIRM)(req, res));
    const { gateway, sleeps } = client({ random: () => 0.5 });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({ status: 'completed' });
    expect(requests).toBe(3);
    // 0.5 × 200 ms, then 0.5 × 400 ms.
    expect(sleeps).toEqual([100, 200]);
  });

  it('the waits are random below min(cap, base × 2^n)', async () => {
    handler = json('oops', 503);
    const { gateway, sleeps } = client({
      random: () => 0.999,
      confirmRetry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500, budgetMs: 60_000 },
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toThrow('(after 5 attempts)');
    expect(sleeps).toEqual([99, 199, 399, 499]);
    expect(requests).toBe(5);
  });

  it('retries resets, timeouts and unreadable answers too', async () => {
    const failures: Handler[] = [
      (req) => req.socket.destroy(),
      (_req, res) => setTimeout(() => res.end(CONFIRM), 300),
      json('{"response_code":"00","resp'),
    ];
    handler = (req, res, n) => (failures[n - 1] ?? json(CONFIRM))(req, res, n);
    const { gateway } = client({
      timeoutMs: 100,
      confirmRetry: { maxAttempts: 4, budgetMs: 5_000 },
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({ status: 'completed' });
    expect(requests).toBe(4);
  });

  it('gives up after the maximum number of attempts', async () => {
    handler = json('oops', 500);
    const { gateway } = client();
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'PayDunya confirm: HTTP 500 (after 3 attempts)',
    });
    expect(requests).toBe(3);
  });

  it('never retries a refusal: PayDunya answered', async () => {
    handler = json('{"response_code":"1001","response_text":"Invoice not found"}');
    const { gateway } = client();
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toMatchObject({
      kind: 'refused',
      responseCode: '1001',
    });
    expect(requests).toBe(1);
  });

  it('stops when the budget would be spent, and cuts the last attempt to what is left', async () => {
    handler = (_req, res) => setTimeout(() => res.end(CONFIRM), 1_000);
    const { gateway } = client({
      timeoutMs: 100,
      random: () => 0,
      confirmRetry: { maxAttempts: 10, budgetMs: 250 },
    });
    const started = Date.now();
    // 100 ms, 100 ms, then the 50 ms that are left; nothing is started with less than a quarter timeout left.
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toThrow('timed out (after 3 attempts)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    // Without the budget, 10 attempts of 100 ms would take over a second.
    expect(Date.now() - started).toBeLessThan(900);
    expect(requests).toBe(3);
  });
});

describe('PayDunya client: circuit breaker', () => {
  const circuit = (consecutiveFailures: number) =>
    createPaydunyaCircuit({
      telemetry: new RecordingTelemetry(),
      alerts: { publish: async () => undefined },
      settings: { consecutiveFailures },
    });

  it('stops retrying confirm as soon as the breaker opens', async () => {
    handler = json('oops', 500);
    const guard = circuit(2);
    const { gateway } = client({ guard });
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toThrow('HTTP 500 (after 2 attempts)');
    expect(requests).toBe(2);
    expect(guard.state()).toBe('open');
    expect(gateway.availability()).toEqual({ available: false, retryAfterSeconds: 30 });
  });

  it('with the breaker open, neither create nor confirm reaches PayDunya', async () => {
    handler = json('oops', 500);
    const guard = circuit(1);
    const { gateway } = client({ guard });
    await expect(gateway.createInvoice('test', KEYS, INVOICE)).rejects.toThrow('HTTP 500');
    expect(requests).toBe(1);
    await expect(gateway.createInvoice('test', KEYS, INVOICE)).rejects.toThrow('circuit breaker is open');
    await expect(gateway.confirm('test', KEYS, TOKEN)).rejects.toThrow('circuit breaker is open');
    expect(requests).toBe(1);
  });

  it('without a breaker the gateway is always available', () => {
    expect(client().gateway.availability()).toEqual({ available: true });
  });
});

describe('PayDunya client: the confirm parser is as lenient as PayDunya (API.md §4, §10)', () => {
  type Answer = Record<string, unknown> & { invoice: Record<string, unknown> };
  /** The completed fixture, changed by `edit`, as the next confirm answer. */
  const answerWith = (edit: (answer: Answer) => void) => {
    const answer = JSON.parse(CONFIRM) as Answer;
    edit(answer);
    handler = json(JSON.stringify(answer));
  };

  it('a confirm answer with customer: [] is accepted as no customer data', async () => {
    answerWith((answer) => {
      answer.customer = [];
    });
    const confirmed = await client().gateway.confirm('test', KEYS, TOKEN);
    expect(confirmed).toMatchObject({ token: TOKEN, status: 'completed', totalAmount: 15000 });
    expect(confirmed.paymentMethod).toBeUndefined();
  });

  it('a confirm answer without invoice.token is accepted with the token asked for, and a present token is kept', async () => {
    const { gateway } = client();
    answerWith((answer) => {
      delete answer.invoice.token;
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({
      token: TOKEN,
      status: 'completed',
    });
    answerWith((answer) => {
      answer.invoice.token = null;
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({ token: TOKEN });
    // Another invoice's answer: the domain compares the token with the order's and reports the mismatch.
    answerWith((answer) => {
      answer.invoice.token = 'test_SomeoneElse';
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({ token: 'test_SomeoneElse' });
  });

  it('a 4xx answer is read first: its response_code and text are kept, and only "invoice not found" or HTTP 404 is notFound', async () => {
    const cases: [string, Handler, Record<string, unknown>][] = [
      [
        '404 invoice not found',
        json('{"response_code":"1001","response_text":"Invoice not found"}', 404),
        {
          kind: 'refused',
          responseCode: '1001',
          notFound: true,
          message: expect.stringContaining('Invoice not found'),
        },
      ],
      [
        '400 with the text in another case and spacing',
        json('{"response_code":"1001","response_text":"INVOICE  NOT FOUND"}', 400),
        { kind: 'refused', responseCode: '1001', notFound: true },
      ],
      ['404 without a body', json('', 404), { kind: 'refused', responseCode: undefined, notFound: true }],
      [
        '401 wrong keys',
        json('{"response_code":"1001","response_text":"Invalid Masterkey"}', 401),
        {
          kind: 'refused',
          responseCode: '1001',
          notFound: false,
          message: expect.stringContaining('Invalid Masterkey'),
        },
      ],
      [
        '422 with another body',
        json('{"message":"Invalid or expired OTP code!"}', 422),
        { kind: 'refused', notFound: false },
      ],
      [
        '200 invoice not found',
        json('{"response_code":"1001","response_text":"invoice not found"}'),
        { kind: 'refused', responseCode: '1001', notFound: true },
      ],
      [
        '200 wrong keys',
        json('{"response_code":"1001","response_text":"Invalid Masterkey or Private Key or Token"}'),
        { kind: 'refused', responseCode: '1001', notFound: false },
      ],
      [
        '503',
        json('{"response_code":"1001","response_text":"Invoice not found"}', 503),
        { kind: 'unavailable', notFound: false },
      ],
    ];
    const { gateway } = client({ confirmRetry: { maxAttempts: 1 } });
    for (const [what, answer, expected] of cases) {
      handler = answer;
      requests = 0;
      const error: unknown = await gateway.confirm('test', KEYS, TOKEN).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(GatewayError);
      expect(error, what).toMatchObject(expected);
      expect(requests, what).toBe(1);
    }
  });

  it('the simulator answers an unknown token with a 4xx envelope, which the client reports as notFound', async () => {
    const sim = await startSimulator({
      masterKey: 'master',
      keys: { test: { privateKey: 'test_private_x', token: 'tok' } },
    });
    try {
      const raw = await fetch(`${sim.apiBase('test')}/checkout-invoice/confirm/test_UNKNOWN000`, {
        headers: {
          'PAYDUNYA-MASTER-KEY': 'master',
          'PAYDUNYA-PRIVATE-KEY': 'test_private_x',
          'PAYDUNYA-TOKEN': 'tok',
        },
      });
      expect(raw.status).toBe(404);
      expect(await raw.json()).toEqual({ response_code: '1001', response_text: 'Invoice not found' });
      const { gateway } = client({ baseUrls: { test: sim.apiBase('test'), live: sim.apiBase('live') } });
      await expect(gateway.confirm('test', KEYS, 'test_UNKNOWN000')).rejects.toMatchObject({
        kind: 'refused',
        responseCode: '1001',
        notFound: true,
      });
    } finally {
      await sim.stop();
    }
  });

  it('lenient where API.md says so: amounts as strings or numbers, payment_method with _ or -, no fail_reason, odd optional fields read as absent', async () => {
    const { gateway } = client();
    answerWith((answer) => {
      answer.invoice.total_amount = 15000;
      answer.customer = { name: 'Awa', payment_method: 'Wave_Senegal' };
      delete answer.fail_reason;
      answer.receipt_url = null;
      answer.provider_reference = 7781;
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({
      totalAmount: 15000,
      paymentMethod: 'wave-senegal',
      failReason: undefined,
      receiptUrl: undefined,
      providerReference: '7781',
    });
    // A method nobody listed is kept; a value that is not even a slug is unknown, and neither fails the answer.
    answerWith((answer) => {
      answer.customer = { payment_method: 'new-wallet-bf' };
    });
    await expect(gateway.confirm('test', KEYS, TOKEN)).resolves.toMatchObject({
      paymentMethod: 'new-wallet-bf',
    });
    answerWith((answer) => {
      answer.invoice.total_amount = '15000';
      answer.customer = { payment_method: { id: 3 } };
      answer.fail_reason = null;
      answer.receipt_url = { pdf: 'x' };
      answer.provider_reference = null;
      answer.mode = 1;
    });
    const confirmed = await gateway.confirm('test', KEYS, TOKEN);
    expect(confirmed).toMatchObject({
      token: TOKEN,
      status: 'completed',
      totalAmount: 15000,
      orderId: '01J9Z8X7Y6',
    });
    expect(confirmed).toMatchObject({
      paymentMethod: undefined,
      failReason: undefined,
      receiptUrl: undefined,
      providerReference: undefined,
      mode: undefined,
    });
  });
});
