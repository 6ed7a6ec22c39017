import { parse } from 'qs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyFaultsFromEnv } from '../../local/paydunya-simulator/faults.js';
import { type IpnReceiver, startIpnReceiver } from '../../local/paydunya-simulator/ipn-receiver.js';
import { type Simulator, SimulatorFaults, startSimulator } from '../../local/paydunya-simulator/simulator.js';

const MASTER_KEY = 'faults-master-key';
const TEST_KEYS = { privateKey: 'test_private_f', token: 'test_token_f' };
const HEADERS = {
  'Content-Type': 'application/json',
  'PAYDUNYA-MASTER-KEY': MASTER_KEY,
  'PAYDUNYA-PRIVATE-KEY': TEST_KEYS.privateKey,
  'PAYDUNYA-TOKEN': TEST_KEYS.token,
};

type JsonObject = Record<string, unknown>;

describe('PayDunya simulator faults', () => {
  let sim: Simulator;
  let receiver: IpnReceiver;
  const extraSims: Simulator[] = [];

  beforeAll(async () => {
    receiver = await startIpnReceiver();
    sim = await startSimulator({ masterKey: MASTER_KEY, keys: { test: TEST_KEYS } });
  });
  afterEach(async () => {
    sim.faults.reset();
    receiver.clear();
    await Promise.all(extraSims.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await sim.stop();
    await receiver.stop();
  });

  const createUrl = () => `${sim.apiBase('test')}/checkout-invoice/create`;
  const confirmUrl = (token: string) => `${sim.apiBase('test')}/checkout-invoice/confirm/${token}`;
  const body = () =>
    JSON.stringify({
      invoice: { total_amount: 15000, items: [{ name: 'Ticket', quantity: 1, unit_price: 15000 }] },
      store: { name: 'Temba' },
      custom_data: { order_id: 'o-1' },
      actions: { callback_url: `${receiver.url}/ipn`, return_url: 'http://127.0.0.1:1/return' },
    });
  const postCreate = () => fetch(createUrl(), { method: 'POST', headers: HEADERS, body: body() });
  const getConfirm = (token: string) => fetch(confirmUrl(token), { headers: HEADERS });

  async function createToken(): Promise<string> {
    const json = (await (await postCreate()).json()) as JsonObject;
    expect(json.response_code).toBe('00');
    return String(json.token);
  }
  async function confirmJson(token: string): Promise<JsonObject> {
    return (await (await getConfirm(token)).json()) as JsonObject;
  }
  function ipnData(index: number): JsonObject {
    const parsed = parse(receiver.received[index]?.body ?? '') as { data?: JsonObject };
    expect(parsed.data).toBeDefined();
    return parsed.data ?? {};
  }
  const totalOf = (data: JsonObject) => (data.invoice as JsonObject).total_amount;

  it('dropIpn settles without any IPN, so only confirm tells the outcome', async () => {
    const token = await createToken();
    sim.faults.dropIpn = true;
    expect(await sim.settle(token, 'completed')).toEqual({ status: 'completed', ipnStatuses: [] });
    expect(receiver.received).toHaveLength(0);
    expect(sim.invoice(token)?.ipnsSent.map((d) => d.outcome)).toEqual(['dropped']);
    expect((await confirmJson(token)).status).toBe('completed');
  });

  it('ipnCopies: 2 delivers the same IPN twice, one after the other', async () => {
    const token = await createToken();
    sim.faults.ipnCopies = 2;
    expect((await sim.settle(token, 'completed')).ipnStatuses).toEqual([200, 200]);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
  });

  it('ipnAmountDelta changes total_amount in the IPN only', async () => {
    const token = await createToken();
    sim.faults.ipnAmountDelta = 100;
    await sim.settle(token, 'completed');
    expect(totalOf(ipnData(0))).toBe('15100');
    expect(totalOf(await confirmJson(token))).toBe('15000');
  });

  it('confirmAmountDelta changes total_amount in confirm only', async () => {
    const token = await createToken();
    sim.faults.confirmAmountDelta = -1000;
    await sim.settle(token, 'completed');
    expect(totalOf(await confirmJson(token))).toBe('14000');
    expect(totalOf(ipnData(0))).toBe('15000');
  });

  it('confirmStatusOverride makes confirm report a status the IPN contradicts', async () => {
    const token = await createToken();
    sim.faults.confirmStatusOverride = 'pending';
    await sim.settle(token, 'completed');
    expect(ipnData(0).status).toBe('completed');
    const confirm = await confirmJson(token);
    expect(confirm.status).toBe('pending');
    expect(confirm.customer).toBeUndefined();
  });

  it('createFailure answers HTTP 200 with the given non-00 code and creates nothing', async () => {
    sim.faults.createFailure = { responseCode: '1002', responseText: 'Store not active' };
    const res = await postCreate();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_code: '1002', response_text: 'Store not active' });
  });

  it('createFailure with httpStatus 500 answers an HTML error page', async () => {
    sim.faults.createFailure = { httpStatus: 500 };
    const res = await postCreate();
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<html>');
  });

  it('confirmFailure answers confirm with the failure, HTML for a 503', async () => {
    const token = await createToken();
    sim.faults.confirmFailure = { responseCode: '1001', responseText: 'Invoice not found' };
    expect(await confirmJson(token)).toEqual({ response_code: '1001', response_text: 'Invoice not found' });
    sim.faults.confirmFailure = { httpStatus: 503 };
    const res = await getConfirm(token);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('createDelayMs and confirmDelayMs hold the answer back', async () => {
    sim.faults.createDelayMs = 250;
    let started = Date.now();
    const token = await createToken();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    sim.faults.createDelayMs = 0;
    sim.faults.confirmDelayMs = 250;
    started = Date.now();
    await confirmJson(token);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('malformedJson answers a body that does not parse as JSON', async () => {
    sim.faults.malformedJson = 'create';
    const created = await postCreate();
    expect(created.status).toBe(200);
    await expect(created.json()).rejects.toThrow();
    sim.faults.malformedJson = 'confirm';
    const token = await createToken();
    await expect((await getConfirm(token)).json()).rejects.toThrow();
  });

  it('connectionReset destroys the socket without an answer', async () => {
    sim.faults.connectionReset = 'create';
    await expect(postCreate()).rejects.toThrow();
    sim.faults.connectionReset = 'confirm';
    const token = await createToken();
    await expect(getConfirm(token)).rejects.toThrow();
  });

  it('reset() restores every default', () => {
    Object.assign(sim.faults, { dropIpn: true, ipnCopies: 3, confirmStatusOverride: 'failed' });
    sim.faults.createFailure = { httpStatus: 500 };
    sim.faults.reset();
    expect(JSON.parse(JSON.stringify(sim.faults))).toEqual({
      dropIpn: false,
      ipnCopies: 1,
      ipnAmountDelta: 0,
      confirmAmountDelta: 0,
      confirmStatusOverride: null,
      createFailure: null,
      confirmFailure: null,
      createDelayMs: 0,
      confirmDelayMs: 0,
      malformedJson: null,
      connectionReset: null,
      down: false,
      createFaultsRemaining: null,
      confirmFaultsRemaining: null,
      disburseLoseAnswer: false,
      disburseFail: false,
      disburseInsufficientBalance: false,
      disburseDelayMs: 0,
    });
  });

  it('down closes every API and checkout connection unanswered, and the control endpoint still works', async () => {
    const token = await createToken();
    const before = sim.calls();
    sim.faults.down = true;
    await expect(postCreate()).rejects.toThrow();
    await expect(getConfirm(token)).rejects.toThrow();
    await expect(fetch(`${sim.url}/sandbox-checkout/invoice/${token}`)).rejects.toThrow();
    // What reached the simulator is still counted: "PayDunya was called" is true even when it was down.
    expect(sim.calls()).toEqual({ create: before.create + 1, confirm: before.confirm + 1 });
    const res = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: '{"down":false}' });
    expect(res.status).toBe(200);
    expect((await confirmJson(token)).response_code).toBe('00');
  });

  it('confirmFaultsRemaining limits the wire faults to the next N confirm calls', async () => {
    const token = await createToken();
    sim.faults.confirmFailure = { httpStatus: 500 };
    sim.faults.confirmFaultsRemaining = 2;
    expect((await getConfirm(token)).status).toBe(500);
    expect((await getConfirm(token)).status).toBe(500);
    expect((await getConfirm(token)).status).toBe(200);
    expect(sim.faults.confirmFaultsRemaining).toBe(0);
    // Create is not affected by the confirm budget, nor does it use it up.
    expect((await postCreate()).status).toBe(200);
  });

  it('createFaultsRemaining limits the wire faults to the next N create calls', async () => {
    sim.faults.connectionReset = 'create';
    sim.faults.createFaultsRemaining = 1;
    await expect(postCreate()).rejects.toThrow();
    expect((await postCreate()).status).toBe(200);
  });

  it('calls() counts create and confirm calls, faulted ones included', async () => {
    const before = sim.calls();
    const token = await createToken();
    sim.faults.malformedJson = 'confirm';
    await getConfirm(token);
    expect(sim.calls()).toEqual({ create: before.create + 1, confirm: before.confirm + 1 });
  });

  describe('SIM_FAULTS (local mode)', () => {
    it('applies the JSON switches it is given', () => {
      const faults = new SimulatorFaults();
      const applied = applyFaultsFromEnv(faults, '{"createDelayMs":2000,"down":true}');
      expect(applied).toEqual({ createDelayMs: 2000, down: true });
      expect(faults.toJSON()).toMatchObject({ createDelayMs: 2000, down: true, dropIpn: false });
    });

    it('takes the disbursement switches too', () => {
      const faults = new SimulatorFaults();
      applyFaultsFromEnv(
        faults,
        '{"disburseLoseAnswer":true,"disburseFail":true,"disburseInsufficientBalance":true,"disburseDelayMs":1500}',
      );
      expect(faults.toJSON()).toMatchObject({
        disburseLoseAnswer: true,
        disburseFail: true,
        disburseInsufficientBalance: true,
        disburseDelayMs: 1500,
      });
      expect(() => applyFaultsFromEnv(new SimulatorFaults(), '{"disburseDelayMs":120001}')).toThrow(
        'SIM_FAULTS',
      );
    });

    it('an empty or missing value changes nothing', () => {
      const faults = new SimulatorFaults();
      expect(applyFaultsFromEnv(faults, undefined)).toEqual({});
      expect(applyFaultsFromEnv(faults, '  ')).toEqual({});
      expect(faults.toJSON()).toEqual(new SimulatorFaults().toJSON());
    });

    it.each([
      ['not JSON', '{down:true}', 'not valid JSON'],
      ['a typo in a switch name', '{"createDelay":2000}', 'SIM_FAULTS'],
      ['a wrong type', '{"down":"yes"}', 'SIM_FAULTS'],
    ])('refuses %s, so the start stops instead of running without the fault', (_label, value, message) => {
      expect(() => applyFaultsFromEnv(new SimulatorFaults(), value)).toThrow(message);
    });
  });

  describe('control endpoint', () => {
    const faultsUrl = () => `${sim.url}/__sim/faults`;
    const post = (url: string, payload: string) => fetch(url, { method: 'POST', body: payload });

    it('GET shows the current faults and POST applies a partial update', async () => {
      sim.faults.ipnCopies = 2;
      expect(((await (await fetch(faultsUrl())).json()) as JsonObject).ipnCopies).toBe(2);
      const res = await post(
        faultsUrl(),
        JSON.stringify({ dropIpn: true, confirmFailure: { httpStatus: 500 } }),
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        dropIpn: true,
        ipnCopies: 2,
        confirmFailure: { httpStatus: 500 },
      });
      expect(sim.faults.dropIpn).toBe(true);
    });

    it.each([
      ['not JSON', '{'],
      ['an unknown switch', '{"dropIPN":true}'],
      ['a wrong type', '{"ipnCopies":"2"}'],
      ['an out-of-range value', '{"ipnCopies":0}'],
      ['an unknown target', '{"malformedJson":"softpay"}'],
      ['a disbursement delay out of range', '{"disburseDelayMs":-1}'],
    ])('answers 400 to %s and changes nothing', async (_label, payload) => {
      const res = await post(faultsUrl(), payload);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String) });
      expect(sim.faults.toJSON()).toMatchObject({ dropIpn: false, ipnCopies: 1, malformedJson: null });
    });

    it('POST sets the disbursement switches, which the next submit then uses', async () => {
      const res = await post(
        faultsUrl(),
        JSON.stringify({ disburseInsufficientBalance: true, disburseDelayMs: 10 }),
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ disburseInsufficientBalance: true, disburseDelayMs: 10 });
      const api = sim.apiBase('test');
      const created = (await (
        await fetch(`${api}/disburse/get-invoice`, {
          method: 'POST',
          headers: HEADERS,
          body: JSON.stringify({
            account_alias: '70123456',
            amount: 1000,
            withdraw_mode: 'moov-burkina-faso',
            callback_url: `${receiver.url}/disburse`,
          }),
        })
      ).json()) as JsonObject;
      expect(created.response_code).toBe('00');
      const submit = () =>
        fetch(`${api}/disburse/submit-invoice`, {
          method: 'POST',
          headers: HEADERS,
          body: JSON.stringify({ disburse_invoice: created.disburse_token }),
        }).then((r) => r.json() as Promise<JsonObject>);
      expect(await submit()).toEqual({
        response_code: '1001',
        response_text: 'Solde insuffisant / Insufficient balance',
      });
      expect(await submit()).toMatchObject({ response_code: '00', status: 'pending' });
      await sim.disbursementsSettled();
      expect(sim.disbursements().find((d) => d.disburse_token === created.disburse_token)).toMatchObject({
        status: 'success',
        submits: 1,
        paidOutXof: 1000,
      });
    });

    it('POST /__sim/faults/reset resets', async () => {
      sim.faults.dropIpn = true;
      const res = await post(`${faultsUrl()}/reset`, '');
      expect(res.status).toBe(200);
      expect(sim.faults.dropIpn).toBe(false);
    });
  });

  it('stop() returns promptly even while an answer is being delayed', async () => {
    const other = await startSimulator({ masterKey: MASTER_KEY, keys: { test: TEST_KEYS } });
    extraSims.push(other);
    other.faults.createDelayMs = 60_000;
    const pending = fetch(`${other.apiBase('test')}/checkout-invoice/create`, {
      method: 'POST',
      headers: HEADERS,
      body: body(),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });
});
