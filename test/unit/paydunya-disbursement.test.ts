import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PaydunyaKeys } from '../../lambdas/shared/contract/secrets';
import { GatewayError } from '../../lambdas/shared/domain/errors';
import type { DisbursementRequest } from '../../lambdas/shared/domain/ports';
import { createKeepAliveFetch, type KeepAliveFetch } from '../../lambdas/shared/paydunya/keep-alive-fetch';
import { createPaydunyaClient, type PaydunyaGateway } from '../../lambdas/shared/paydunya/paydunya.client';
import { type IpnReceiver, startIpnReceiver } from '../../local/paydunya-simulator/ipn-receiver.js';
import {
  type SimDisbursement,
  type Simulator,
  startSimulator,
} from '../../local/paydunya-simulator/simulator.js';

const MASTER_KEY = 'disburse-master-key';
const TEST_KEYS = { privateKey: 'test_private_d', token: 'test_token_d' };
const LIVE_KEYS = { privateKey: 'live_private_d', token: 'live_token_d' };
const KEYS: PaydunyaKeys = {
  master_key: MASTER_KEY,
  test_private_key: TEST_KEYS.privateKey,
  test_token: TEST_KEYS.token,
  live_private_key: LIVE_KEYS.privateKey,
  live_token: LIVE_KEYS.token,
};
const HASH = createHash('sha512').update(MASTER_KEY).digest('hex');

type JsonObject = Record<string, unknown>;

/** What the caller learns from a call that is expected to fail. */
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('PayDunya disbursements (PUSH): client against the simulator', () => {
  let sim: Simulator;
  let receiver: IpnReceiver;
  let transport: KeepAliveFetch;
  let gateway: PaydunyaGateway;
  const extraSims: Simulator[] = [];

  beforeAll(async () => {
    receiver = await startIpnReceiver();
    sim = await startSimulator({ masterKey: MASTER_KEY, keys: { test: TEST_KEYS, live: LIVE_KEYS } });
    transport = createKeepAliveFetch();
    gateway = createPaydunyaClient({
      baseUrls: { test: sim.apiBase('test'), live: sim.apiBase('live') },
      timeoutMs: 2_000,
      fetch: transport,
      sleep: async () => undefined,
    });
  });
  afterEach(async () => {
    await sim.disbursementsSettled();
    sim.faults.reset();
    receiver.clear();
    await Promise.all(extraSims.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    transport.close();
    await sim.stop();
    await receiver.stop();
  });

  const request = (overrides: Partial<DisbursementRequest> = {}): DisbursementRequest => ({
    accountAlias: '70123456',
    amount: 5000,
    withdrawMode: 'orange-money-burkina',
    callbackUrl: `${receiver.url}/disburse-ipn`,
    disburseId: `refund-${Math.random().toString(36).slice(2, 10)}`,
    ...overrides,
  });
  const disbursement = (token: string): SimDisbursement | undefined =>
    sim.disbursements().find((d) => d.disburse_token === token);
  const headers = {
    'Content-Type': 'application/json',
    'PAYDUNYA-MASTER-KEY': MASTER_KEY,
    'PAYDUNYA-PRIVATE-KEY': TEST_KEYS.privateKey,
    'PAYDUNYA-TOKEN': TEST_KEYS.token,
  };
  const post = async (path: string, body: unknown): Promise<JsonObject> => {
    const res = await fetch(`${sim.apiBase('test')}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as JsonObject;
  };
  const callbacks = () => receiver.received.map((r) => JSON.parse(r.body) as JsonObject);

  it('a payout travels get-invoice → submit → check-status, ends success, and its callback reaches the local receiver', async () => {
    const req = request();
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    expect(token).toMatch(/^test_/);
    // get-invoice moves no money.
    expect(disbursement(token)).toMatchObject({
      disburse_id: req.disburseId,
      account_alias: '70123456',
      amount: 5000,
      withdraw_mode: 'orange-money-burkina',
      status: 'created',
      submits: 0,
      paidOutXof: 0,
      mode: 'test',
    });
    await expect(gateway.checkDisbursement('test', KEYS, token)).resolves.toMatchObject({
      status: 'created',
      amount: 5000,
    });

    const submitted = await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    expect(submitted).toMatchObject({ status: 'pending', rawStatus: 'pending' });
    expect(submitted.transactionId).toEqual(expect.any(String));

    await sim.disbursementsSettled();
    await expect(gateway.checkDisbursement('test', KEYS, token)).resolves.toEqual({
      status: 'success',
      rawStatus: 'success',
      amount: 5000,
      transactionId: submitted.transactionId,
    });
    expect(disbursement(token)).toMatchObject({ status: 'success', submits: 1, paidOutXof: 5000 });

    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.url).toBe('/disburse-ipn');
    expect(receiver.received[0]?.headers['content-type']).toContain('application/json');
    expect(callbacks()[0]).toEqual({
      token,
      amount: 5000,
      status: 'success',
      updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      withdraw_mode: 'orange-money-burkina',
      disburse_tx_id: expect.any(String),
      transaction_id: submitted.transactionId,
      hash: HASH,
    });
    expect(disbursement(token)?.callbacksSent).toEqual([
      expect.objectContaining({ outcome: 'delivered', status: 'success', httpStatus: 200 }),
    ]);
  });

  it('a lost submit answer (disburseLoseAnswer) is unavailable and never retried, yet check-status says success and submits is 1', async () => {
    const req = request();
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    const before = sim.disbursementCalls();
    sim.faults.disburseLoseAnswer = true;
    const error = await failure(gateway.submitDisbursement('test', KEYS, token, req.disburseId));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect(sim.disbursementCalls().submit - before.submit).toBe(1);
    // The fault clears itself once used.
    expect(sim.faults.disburseLoseAnswer).toBe(false);

    await sim.disbursementsSettled();
    await expect(gateway.checkDisbursement('test', KEYS, token)).resolves.toMatchObject({
      status: 'success',
    });
    expect(disbursement(token)).toMatchObject({ status: 'success', submits: 1, paidOutXof: 5000 });
  });

  it('a submit that reaches a down PayDunya is unavailable, sent once, and pays nothing', async () => {
    const req = request();
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    const before = sim.disbursementCalls();
    sim.faults.down = true;
    await expect(gateway.submitDisbursement('test', KEYS, token, req.disburseId)).rejects.toMatchObject({
      kind: 'unavailable',
    });
    expect(sim.disbursementCalls().submit - before.submit).toBe(1);
    sim.faults.down = false;
    expect(disbursement(token)).toMatchObject({ status: 'created', submits: 0, paidOutXof: 0 });
  });

  it('disburseFail makes the next disbursement end failed: check-status, the callback and paidOutXof say so', async () => {
    const req = request();
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    sim.faults.disburseFail = true;
    await expect(gateway.submitDisbursement('test', KEYS, token, req.disburseId)).resolves.toMatchObject({
      status: 'pending',
    });
    expect(sim.faults.disburseFail).toBe(false);
    await sim.disbursementsSettled();
    await expect(gateway.checkDisbursement('test', KEYS, token)).resolves.toMatchObject({
      status: 'failed',
      rawStatus: 'failed',
    });
    expect(callbacks().map((c) => c.status)).toEqual(['failed']);
    expect(disbursement(token)).toMatchObject({ status: 'failed', submits: 1, paidOutXof: 0 });
  });

  it('disburseInsufficientBalance refuses the next submit with insufficientBalance, pays nothing, and then clears', async () => {
    const req = request();
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    sim.faults.disburseInsufficientBalance = true;
    const error = await failure(gateway.submitDisbursement('test', KEYS, token, req.disburseId));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      kind: 'refused',
      insufficientBalance: true,
      notFound: false,
      responseCode: '1001',
      message: expect.stringContaining('Insufficient balance'),
    });
    expect(disbursement(token)).toMatchObject({ status: 'created', submits: 0, paidOutXof: 0 });
    expect(sim.faults.disburseInsufficientBalance).toBe(false);
    await sim.disbursementsSettled();
    expect(receiver.received).toHaveLength(0);
    // Once the account is funded again, the same invoice can be submitted.
    await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    expect(disbursement(token)).toMatchObject({ submits: 1, paidOutXof: 5000 });
  });

  it('disburseDelayMs keeps a submitted disbursement pending until it has passed', async () => {
    const req = request();
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    sim.faults.disburseDelayMs = 200;
    await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    await expect(gateway.checkDisbursement('test', KEYS, token)).resolves.toMatchObject({
      status: 'pending',
    });
    expect(receiver.received).toHaveLength(0);
    await sim.disbursementsSettled();
    await expect(gateway.checkDisbursement('test', KEYS, token)).resolves.toMatchObject({
      status: 'success',
    });
    expect(receiver.received).toHaveLength(1);
  });

  it('a double submit by a careless caller is accepted, counted twice and pays twice, so backend tests can catch it', async () => {
    const req = request({ amount: 2500 });
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    const first = await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    const second = await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    expect(second.transactionId).not.toBe(first.transactionId);
    await sim.disbursementsSettled();
    expect(disbursement(token)).toMatchObject({ status: 'success', submits: 2, paidOutXof: 5000 });
    expect(callbacks().map((c) => c.token)).toEqual([token, token]);
  });

  it('get-invoice refuses a bad alias, an amount under 200, an unknown withdraw_mode or a bad callback URL, and records nothing', async () => {
    const cases: [string, Partial<DisbursementRequest>, string][] = [
      ['alias with the country code', { accountAlias: '22670123456' }, 'account_alias'],
      ['alias with a +', { accountAlias: '+22670123456' }, 'account_alias'],
      ['alias too short', { accountAlias: '7012345' }, 'account_alias'],
      ['alias with letters', { accountAlias: '7012345a' }, 'account_alias'],
      ['amount under 200', { amount: 199 }, 'at least 200'],
      ['amount zero', { amount: 0 }, 'at least 200'],
      ['amount not whole', { amount: 250.5 }, 'whole number'],
      ['unknown withdraw_mode', { withdrawMode: 'orange-money-france' }, 'withdraw_mode'],
      ['SoftPay slug as withdraw_mode', { withdrawMode: 'moov-burkina' }, 'withdraw_mode'],
      ['callback not a URL', { callbackUrl: 'not a url' }, 'callback_url'],
      ['callback not http(s)', { callbackUrl: 'ftp://127.0.0.1/ipn' }, 'callback_url'],
    ];
    const count = sim.disbursements().length;
    for (const [what, overrides, text] of cases) {
      const error = await failure(gateway.createDisbursement('test', KEYS, request(overrides)));
      expect(error, what).toBeInstanceOf(GatewayError);
      expect(error, what).toMatchObject({
        kind: 'refused',
        responseCode: '99',
        message: expect.stringContaining(text),
      });
    }
    expect(sim.disbursements()).toHaveLength(count);
  });

  it('get-invoice accepts 200 XOF, every Burkina slug and the official withdraw modes of other countries', async () => {
    for (const withdrawMode of [
      'orange-money-burkina',
      'moov-burkina-faso',
      'paydunya',
      'orange-money-senegal',
      'wave-senegal',
      'mtn-benin',
      'moov-benin',
      'orange-money-ci',
      'wave-ci',
      't-money-togo',
      'orange-money-mali',
    ]) {
      await expect(
        gateway.createDisbursement('test', KEYS, request({ amount: 200, withdrawMode })),
        withdrawMode,
      ).resolves.toEqual({ token: expect.any(String) });
    }
  });

  it('the refusal answers are HTTP 200 with a non-"00" code and a text saying what is wrong', async () => {
    const answer = await post('/disburse/get-invoice', {
      account_alias: '226701',
      amount: 100,
      withdraw_mode: 'x',
      callback_url: 'nope',
    });
    expect(answer.response_code).not.toBe('00');
    expect(answer.response_text).toEqual(expect.stringContaining('account_alias'));
    expect(answer.response_text).toEqual(expect.stringContaining('at least 200'));
    expect(answer.response_text).toEqual(expect.stringContaining('withdraw_mode'));
    expect(answer.response_text).toEqual(expect.stringContaining('callback_url'));
    expect(await post('/disburse/submit-invoice', { disburse_invoice: 'test_dNOPE' })).toMatchObject({
      response_code: '1001',
      response_text: expect.stringContaining('not found'),
    });
    expect(await post('/disburse/check-status', { disburse_invoice: 'test_dNOPE' })).toMatchObject({
      response_code: '1001',
      response_text: expect.stringContaining('not found'),
    });
  });

  it('check-status and submit of an unknown token are refused as notFound; wrong keys are refused but not notFound', async () => {
    await expect(gateway.checkDisbursement('test', KEYS, 'test_dUNKNOWN')).rejects.toMatchObject({
      kind: 'refused',
      notFound: true,
    });
    await expect(gateway.submitDisbursement('test', KEYS, 'test_dUNKNOWN', 'r-1')).rejects.toMatchObject({
      kind: 'refused',
      notFound: true,
    });
    const wrongKeys = { ...KEYS, test_token: 'wrong' };
    await expect(gateway.createDisbursement('test', wrongKeys, request())).rejects.toMatchObject({
      kind: 'refused',
      responseCode: '1001',
      notFound: false,
      insufficientBalance: false,
    });
  });

  it('tokens are per mode: a sandbox disbursement is unknown on the live API', async () => {
    const { token } = await gateway.createDisbursement('test', KEYS, request());
    await expect(gateway.checkDisbursement('live', KEYS, token)).rejects.toMatchObject({ notFound: true });
    const live = await gateway.createDisbursement('live', KEYS, request());
    expect(disbursement(live.token)?.mode).toBe('live');
  });

  it('GET /__sim/disbursements lists every disbursement with its submits and payouts', async () => {
    const req = request({ amount: 1200, withdrawMode: 'moov-burkina-faso' });
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    const res = await fetch(`${sim.url}/__sim/disbursements`);
    expect(res.status).toBe(200);
    const { disbursements } = (await res.json()) as { disbursements: JsonObject[] };
    expect(disbursements.length).toBe(sim.disbursements().length);
    expect(disbursements.find((d) => d.disburse_token === token)).toMatchObject({
      disburse_token: token,
      disburse_id: req.disburseId,
      account_alias: '70123456',
      amount: 1200,
      withdraw_mode: 'moov-burkina-faso',
      status: expect.stringMatching(/^(pending|success)$/),
      submits: 1,
      paidOutXof: 1200,
      mode: 'test',
      callback_url: req.callbackUrl,
      createdAt: expect.any(String),
    });
    expect((await fetch(`${sim.url}/__sim/disbursements`, { method: 'POST' })).status).toBe(405);
  });

  it('disbursements() hands out copies: changing one does not change the simulator', async () => {
    const { token } = await gateway.createDisbursement('test', KEYS, request());
    const copy = disbursement(token);
    if (copy) copy.submits = 99;
    expect(disbursement(token)?.submits).toBe(0);
  });

  it('a callback to a host that is not loopback is never sent, only recorded', async () => {
    const req = request({ callbackUrl: 'https://example.com/disburse-ipn' });
    const { token } = await gateway.createDisbursement('test', KEYS, req);
    await gateway.submitDisbursement('test', KEYS, token, req.disburseId);
    await sim.disbursementsSettled();
    expect(disbursement(token)?.callbacksSent).toEqual([
      expect.objectContaining({ outcome: 'refused', status: 'success' }),
    ]);
  });

  it('stop() returns promptly while a disbursement is pending or its callback is being delivered', async () => {
    const other = await startSimulator({ masterKey: MASTER_KEY, keys: { test: TEST_KEYS } });
    extraSims.push(other);
    const otherGateway = createPaydunyaClient({
      baseUrls: { test: other.apiBase('test'), live: other.apiBase('live') },
      timeoutMs: 2_000,
      fetch: transport,
    });
    const pending = request();
    const { token } = await otherGateway.createDisbursement('test', KEYS, pending);
    other.faults.disburseDelayMs = 60_000;
    await otherGateway.submitDisbursement('test', KEYS, token, pending.disburseId);
    // A second one whose callback goes to a receiver that never answers.
    const hanging = await startHangingReceiver();
    try {
      const slow = request({ callbackUrl: hanging.url });
      const second = await otherGateway.createDisbursement('test', KEYS, slow);
      other.faults.disburseDelayMs = 0;
      await otherGateway.submitDisbursement('test', KEYS, second.token, slow.disburseId);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await other.stop();
      await other.disbursementsSettled();
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await hanging.stop();
    }
  });
});

/** A callback endpoint that reads the request and never answers. */
async function startHangingReceiver(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req) => {
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/disburse-ipn`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
