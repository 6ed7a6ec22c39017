import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PaydunyaKeys } from '../../lambdas/shared/contract/secrets';
import { GatewayError } from '../../lambdas/shared/domain/errors';
import type { DisbursementRequest, InvoiceRequest } from '../../lambdas/shared/domain/ports';
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
/** What each request carried, in order. */
let received: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const n = requests;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res, n);
    });
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
  received = [];
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

describe('PayDunya client: disbursements (PUSH)', () => {
  const DISBURSE: DisbursementRequest = {
    accountAlias: '70123456',
    amount: 5000,
    withdrawMode: 'orange-money-burkina',
    callbackUrl: 'http://127.0.0.1/webhooks/disburse',
    disburseId: 'refund-1',
  };
  const D_TOKEN = 'test_dAbc123';
  const STATUS = (status: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      response_code: '00',
      status,
      amount: '5000',
      transaction_id: 'DT1234',
      withdraw_mode: 'orange-money-burkina',
      updated_at: '2025-01-01 10:00:00',
      ...extra,
    });
  it('get-invoice posts the request once, with the keys, and returns disburse_token (or token as a fallback)', async () => {
    const { gateway } = client();
    handler = json('{"response_code":"00","response_text":"ok","disburse_token":"test_dFirst"}');
    await expect(gateway.createDisbursement('test', KEYS, DISBURSE)).resolves.toEqual({
      token: 'test_dFirst',
    });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/disburse/get-invoice' });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      account_alias: '70123456',
      amount: 5000,
      withdraw_mode: 'orange-money-burkina',
      callback_url: 'http://127.0.0.1/webhooks/disburse',
      disburse_id: 'refund-1',
    });
    expect(received[0]?.headers).toMatchObject({
      'paydunya-master-key': 'master',
      'paydunya-private-key': 'test_private_x',
      'paydunya-token': 'tok',
    });
    handler = json('{"response_code":"00","token":"test_dFallback"}');
    await expect(gateway.createDisbursement('test', KEYS, DISBURSE)).resolves.toEqual({
      token: 'test_dFallback',
    });
    expect(requests).toBe(2);
  });

  it('get-invoice: a success without a usable token is refused', async () => {
    const { gateway } = client();
    for (const answer of [
      '{"response_code":"00","response_text":"ok"}',
      '{"response_code":"00","disburse_token":"../../etc"}',
      '{"response_code":"00","disburse_token":null,"token":null}',
    ]) {
      handler = json(answer);
      await expect(gateway.createDisbursement('test', KEYS, DISBURSE), answer).rejects.toMatchObject({
        kind: 'refused',
        message: 'PayDunya disburse get-invoice: success answer without a usable token',
      });
    }
  });

  it.each<[string, Handler]>([
    ['HTTP 500', json('<html>500</html>', 500)],
    ['a reset connection', (req) => req.socket.destroy()],
    ['an answer slower than the timeout', (_req, res) => setTimeout(() => res.end(STATUS('pending')), 300)],
    ['malformed JSON', json('{"response_code":"00","resp')],
    ['HTTP 429', json('{}', 429)],
    ['JSON without response_code', json('{"status":"pending"}')],
  ])('get-invoice is tried once: %s', async (_, failure) => {
    handler = failure;
    const { gateway, sleeps } = client({ timeoutMs: 100 });
    await expect(gateway.createDisbursement('test', KEYS, DISBURSE)).rejects.toBeInstanceOf(GatewayError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it.each<[string, Handler]>([
    ['HTTP 500', json('<html>500</html>', 500)],
    ['HTTP 503', json('{"response_code":"00"}', 503)],
    ['a reset connection', (req) => req.socket.destroy()],
    ['an answer slower than the timeout', (_req, res) => setTimeout(() => res.end(STATUS('pending')), 300)],
    ['malformed JSON', json('{"response_code":"00","resp')],
    ['HTTP 429', json('{}', 429)],
    ['a 200 without a response_code', json('{"status":"pending"}')],
  ])('submit is never retried: %s is unavailable (outcome unknown) after one request', async (_, failure) => {
    handler = failure;
    const { gateway, sleeps } = client({ timeoutMs: 100, random: () => 0 });
    const error: unknown = await gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('disburse submit-invoice'),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('submit posts { disburse_invoice, disburse_id } to submit-invoice and reads the accepted state', async () => {
    handler = json(
      '{"response_code":"00","response_text":"ok","description":"d","transaction_id":778,"status":"PENDING"}',
    );
    const { gateway } = client();
    await expect(gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1')).resolves.toEqual({
      status: 'pending',
      rawStatus: 'PENDING',
      transactionId: '778',
    });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/disburse/submit-invoice' });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      disburse_invoice: D_TOKEN,
      disburse_id: 'refund-1',
    });
  });

  it('an accepted submit without a status is pending; one that says success is success', async () => {
    const { gateway } = client();
    handler = json('{"response_code":"00","response_text":"ok"}');
    await expect(gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1')).resolves.toEqual({
      status: 'pending',
      rawStatus: '',
      transactionId: undefined,
    });
    handler = json('{"response_code":"00","status":"success","transaction_id":"T1"}');
    await expect(gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1')).resolves.toMatchObject({
      status: 'success',
      transactionId: 'T1',
    });
  });

  it('a refused submit is refused, with insufficientBalance only when the text speaks of balance or solde', async () => {
    const cases: [string, number, boolean][] = [
      ['Solde insuffisant', 200, true],
      ['Insufficient balance', 200, true],
      ['Votre SOLDE est insuffisant pour ce retrait', 200, true],
      ['INSUFFISANT', 200, true],
      ['Balance too low', 422, true],
      ['Invalid Masterkey or Private Key or Token', 200, false],
      ['Disbursement invoice not found', 200, false],
    ];
    const { gateway } = client();
    for (const [text, status, insufficientBalance] of cases) {
      handler = json(JSON.stringify({ response_code: '1001', response_text: text }), status);
      requests = 0;
      await expect(gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1'), text).rejects.toMatchObject(
        {
          kind: 'refused',
          responseCode: '1001',
          insufficientBalance,
        },
      );
      expect(requests, text).toBe(1);
    }
  });

  it('check-status posts { disburse_invoice } and maps the status lower-cased, keeping the raw one', async () => {
    const { gateway } = client();
    const cases: [string, string][] = [
      ['created', 'created'],
      ['pending', 'pending'],
      ['success', 'success'],
      ['SUCCESS', 'success'],
      [' Failed ', 'failed'],
      ['completed', 'unknown'],
      ['processing', 'unknown'],
    ];
    for (const [raw, status] of cases) {
      handler = json(STATUS(raw));
      await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN), raw).resolves.toEqual({
        status,
        rawStatus: raw,
        amount: 5000,
        transactionId: 'DT1234',
      });
    }
    expect(received[0]).toMatchObject({ method: 'POST', url: '/disburse/check-status' });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ disburse_invoice: D_TOKEN });
  });

  it('check-status reads the amount as an integer from a string or a number, and an odd one as absent', async () => {
    const { gateway } = client();
    handler = json(STATUS('success', { amount: 5000 }));
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).resolves.toMatchObject({ amount: 5000 });
    handler = json(STATUS('success', { amount: '5000.00' }));
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).resolves.toMatchObject({ amount: 5000 });
    handler = json(STATUS('success', { amount: 'cinq mille', transaction_id: null }));
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).resolves.toEqual({
      status: 'success',
      rawStatus: 'success',
      amount: undefined,
      transactionId: undefined,
    });
  });

  it('check-status without a status is refused as a bad shape', async () => {
    handler = json('{"response_code":"00","amount":5000}');
    await expect(client().gateway.checkDisbursement('test', KEYS, D_TOKEN)).rejects.toMatchObject({
      kind: 'refused',
      message: 'PayDunya disburse check-status: the answer does not have the expected shape',
    });
  });

  it('check-status is retried on 503 like confirm: backoff with full jitter, then success', async () => {
    handler = (req, res, n) => (n <= 2 ? json('oops', 503)(req, res) : json(STATUS('success'))(req, res));
    const { gateway, sleeps } = client({ random: () => 0.5 });
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).resolves.toMatchObject({
      status: 'success',
    });
    expect(requests).toBe(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('check-status gives up after the maximum number of attempts, and never retries a refusal', async () => {
    handler = json('oops', 503);
    const { gateway } = client();
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'PayDunya disburse check-status: HTTP 503 (after 3 attempts)',
    });
    expect(requests).toBe(3);
    requests = 0;
    handler = json('{"response_code":"1001","response_text":"Disbursement invoice not found"}');
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).rejects.toMatchObject({
      kind: 'refused',
      notFound: true,
    });
    expect(requests).toBe(1);
  });

  it('a malformed token is refused before anything is sent', async () => {
    const { gateway } = client();
    for (const token of ['', '../confirm', 'a'.repeat(65), 'tok en']) {
      await expect(gateway.submitDisbursement('test', KEYS, token, 'refund-1')).rejects.toMatchObject({
        kind: 'refused',
        message: 'PayDunya disburse submit-invoice: malformed token',
      });
      await expect(gateway.checkDisbursement('test', KEYS, token)).rejects.toMatchObject({
        kind: 'refused',
        message: 'PayDunya disburse check-status: malformed token',
      });
    }
    expect(requests).toBe(0);
  });

  it('every disbursement call goes through the circuit breaker: once open, none reaches PayDunya', async () => {
    handler = json('oops', 500);
    const guard = createPaydunyaCircuit({
      telemetry: new RecordingTelemetry(),
      alerts: { publish: async () => undefined },
      settings: { consecutiveFailures: 1 },
    });
    const { gateway } = client({ guard });
    await expect(gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1')).rejects.toThrow('HTTP 500');
    expect(requests).toBe(1);
    await expect(gateway.createDisbursement('test', KEYS, DISBURSE)).rejects.toThrow(
      'circuit breaker is open',
    );
    await expect(gateway.submitDisbursement('test', KEYS, D_TOKEN, 'refund-1')).rejects.toThrow(
      'circuit breaker is open',
    );
    await expect(gateway.checkDisbursement('test', KEYS, D_TOKEN)).rejects.toThrow('circuit breaker is open');
    expect(requests).toBe(1);
  });
});
