import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleConfirm, handleCreate, handleSoftpay } from './api-routes.js';
import { type CheckoutVerb, handleCheckoutAction, handleCheckoutPage } from './checkout-routes.js';
import type { ApiCalls, ModeKeys, SimContext } from './context.js';
import { handleDisburseCheck, handleDisburseCreate, handleDisburseSubmit } from './disburse-routes.js';
import { type DisbursementCalls, Disbursements, type SimDisbursement } from './disbursements.js';
import { sha512Hex } from './envelope.js';
import { applyFaultPatch, SimulatorFaults } from './faults.js';
import { HttpError, parseJson, readBody, sendJson } from './http-util.js';
import { InvoiceStore, type Mode, type Payer, type SettleOutcome, type SimInvoice } from './invoice-store.js';
import { Settlement, type SettleResult } from './settlement.js';

export type { ApiCalls } from './context.js';
export type {
  DisburseCallbackDelivery,
  DisbursementCalls,
  DisbursementStatus,
  SimDisbursement,
} from './disbursements.js';
export type { FailureAnswer, FaultPatch, FaultTarget, FaultValues } from './faults.js';
export type {
  InvoiceStatus,
  IpnDelivery,
  Mode,
  SettleOutcome,
  SimInvoice,
  SimPayment,
} from './invoice-store.js';
export type { SettleResult } from './settlement.js';
export { SimulatorFaults };

export interface SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** One master key serves both modes (API.md §1). */
  masterKey: string;
  keys: { test: ModeKeys; live?: ModeKeys };
  /** Base of the checkout URLs handed to browsers; default `http://127.0.0.1:<port>`. */
  publicBaseUrl?: string;
  log?: (line: string) => void;
}

export interface Simulator {
  readonly url: string;
  apiBase(mode: Mode): string;
  readonly faults: SimulatorFaults;
  /** A copy: mutating it does not change the simulator's state. */
  invoice(token: string): SimInvoice | undefined;
  /** How many invoices were created, in all, and for one order (its custom_data.order_id). */
  invoiceCount(orderId?: string): number;
  /** Create and confirm calls received so far (a copy), faulted ones included: "was PayDunya called at all?". */
  calls(): ApiCalls;
  /** What clicking Pay/Cancel/Fail does, minus the redirect. Rejects for an unknown or already settled invoice. */
  settle(token: string, outcome: SettleOutcome, payer?: Payer): Promise<SettleResult>;
  /** Posts a settled invoice's IPN again (a replay); the HTTP status the callback answered, if any. */
  resendIpn(token: string): Promise<number | undefined>;
  /** Every disbursement (PUSH) request, oldest first (copies), with `submits` and `paidOutXof`. */
  disbursements(): SimDisbursement[];
  /** Disbursement get-invoice, submit-invoice and check-status calls received (a copy), faulted ones included. */
  disbursementCalls(): DisbursementCalls;
  /** Resolves once every submitted disbursement has ended and its callback was attempted. */
  disbursementsSettled(): Promise<void>;
  stop(): Promise<void>;
}

const API_ROUTE = /^\/(sandbox-api|api)\/v1(\/.*)$/;
const CHECKOUT_ROUTE = /^\/(sandbox-checkout|checkout)\/invoice\/([^/]+)(?:\/(pay|cancel|fail))?$/;
const CONFIRM_ROUTE = /^\/checkout-invoice\/confirm\/([^/]*)$/;
type DisburseCall = keyof DisbursementCalls;
const DISBURSE_ROUTES: Readonly<Record<string, DisburseCall>> = {
  '/disburse/get-invoice': 'create',
  '/disburse/submit-invoice': 'submit',
  '/disburse/check-status': 'check',
};
const DISBURSE_HANDLERS = {
  create: handleDisburseCreate,
  submit: handleDisburseSubmit,
  check: handleDisburseCheck,
} as const;

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  if (!options.masterKey) throw new Error('startSimulator: masterKey is required');
  const log = options.log ?? (() => {});
  const stopping = new AbortController();
  let ctx: SimContext | undefined;

  const server = createServer((req, res) => {
    if (!ctx) return sendJson(res, 503, { error: 'Starting' });
    const context = ctx;
    route(context, req, res).catch((err: unknown) => answerError(context, res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: this is a test double and must never be reachable from the network.
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const publicBaseUrl = (options.publicBaseUrl ?? url).replace(/\/+$/, '');
  const faults = new SimulatorFaults();
  const store = new InvoiceStore(publicBaseUrl);
  const hash = sha512Hex(options.masterKey);
  const settlement = new Settlement({ store, faults, hash, stopSignal: stopping.signal, log });
  const calls: ApiCalls = { create: 0, confirm: 0 };
  const disbursements = new Disbursements({ faults, hash, stopSignal: stopping.signal, log });
  const disburseCalls: DisbursementCalls = { create: 0, submit: 0, check: 0 };
  ctx = {
    masterKey: options.masterKey,
    keys: { test: options.keys.test, live: options.keys.live },
    hash,
    publicBaseUrl,
    store,
    faults,
    settlement,
    stopSignal: stopping.signal,
    log,
    calls,
    disbursements,
    disburseCalls,
  };
  log(`PayDunya simulator listening on ${url}`);

  let stopped: Promise<void> | undefined;
  return {
    url,
    apiBase: (mode) => `${url}${mode === 'test' ? '/sandbox-api/v1' : '/api/v1'}`,
    faults,
    invoice: (token) => {
      const invoice = store.get(token);
      return invoice ? structuredClone(invoice) : undefined;
    },
    invoiceCount: (orderId) => (orderId === undefined ? store.size : store.forOrder(orderId).length),
    calls: () => ({ ...calls }),
    settle: (token, outcome, payer) => settlement.settle(token, outcome, payer),
    resendIpn: (token) => settlement.resend(token),
    disbursements: () => disbursements.list(),
    disbursementCalls: () => ({ ...disburseCalls }),
    disbursementsSettled: () => disbursements.settled(),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        stopping.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

async function route(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://simulator.invalid').pathname;

  const api = API_ROUTE.exec(path);
  if (api) {
    const mode: Mode = api[1] === 'sandbox-api' ? 'test' : 'live';
    const rest = api[2] ?? '';
    const confirm = CONFIRM_ROUTE.exec(rest);
    const disburse = Object.hasOwn(DISBURSE_ROUTES, rest) ? DISBURSE_ROUTES[rest] : undefined;
    if (rest === '/checkout-invoice/create') ctx.calls.create++;
    if (confirm) ctx.calls.confirm++;
    if (disburse) ctx.disburseCalls[disburse]++;
    if (closedBecauseDown(ctx, req, path)) return;
    if (rest === '/checkout-invoice/create') {
      return only('POST', method, () => handleCreate(ctx, mode, req, res));
    }
    if (confirm) return only('GET', method, () => handleConfirm(ctx, mode, decode(confirm[1]), req, res));
    if (disburse) return only('POST', method, () => DISBURSE_HANDLERS[disburse](ctx, mode, req, res));
    // SoftPay's fictitious customers exist only in the sandbox (API.md §6).
    if (mode === 'test' && rest === '/softpay/checkout/make-payment') {
      return only('POST', method, () => handleSoftpay(ctx, req, res));
    }
  }

  const checkout = CHECKOUT_ROUTE.exec(path);
  if (checkout && closedBecauseDown(ctx, req, path)) return;
  if (checkout) {
    const mode: Mode = checkout[1] === 'sandbox-checkout' ? 'test' : 'live';
    const token = decode(checkout[2]);
    const verb = checkout[3] as CheckoutVerb | undefined;
    if (verb) return only('POST', method, () => handleCheckoutAction(ctx, mode, token, verb, req, res));
    return only('GET', method, () => handleCheckoutPage(ctx, mode, token, res));
  }

  if (path === '/__sim/faults') {
    if (method === 'GET') return sendJson(res, 200, ctx.faults);
    return only('POST', method, async () => {
      const json = parseJson(await readBody(req));
      if (!json.ok) throw new HttpError(400, 'Body is not valid JSON');
      const applied = applyFaultPatch(ctx.faults, json.value);
      if (!applied.ok) throw new HttpError(400, applied.error);
      ctx.log(`faults updated: ${JSON.stringify(ctx.faults)}`);
      sendJson(res, 200, ctx.faults);
    });
  }
  if (path === '/__sim/disbursements') {
    return only('GET', method, () => sendJson(res, 200, { disbursements: ctx.disbursements.list() }));
  }
  if (path === '/__sim/faults/reset') {
    return only('POST', method, () => {
      ctx.faults.reset();
      ctx.log('faults reset');
      sendJson(res, 200, ctx.faults);
    });
  }
  throw new HttpError(404, 'Not found');
}

/** The `down` fault: the connection is closed without an answer, before anything is read. */
function closedBecauseDown(ctx: SimContext, req: IncomingMessage, path: string): boolean {
  if (!ctx.faults.down) return false;
  ctx.log(`${path}: connection closed (fault down)`);
  req.socket.destroy();
  return true;
}

async function only(expected: string, method: string, handler: () => void | Promise<void>): Promise<void> {
  if (method !== expected) throw new HttpError(405, 'Method not allowed');
  await handler();
}

function decode(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    throw new HttpError(404, 'Not found');
  }
}

/** Bad input must never take the server down nor leak a stack trace. */
function answerError(ctx: SimContext, res: ServerResponse, err: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.message });
    return;
  }
  if (ctx.stopSignal.aborted) {
    res.destroy();
    return;
  }
  ctx.log(`internal error: ${err instanceof Error ? err.message : String(err)}`);
  sendJson(res, 500, { error: 'Internal simulator error' });
}
