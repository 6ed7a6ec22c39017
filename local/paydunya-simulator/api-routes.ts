import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { renderGatewayErrorPage } from './checkout-page.js';
import type { SimContext } from './context.js';
import { parseCreateRequest } from './create-request.js';
import { buildEnvelope } from './envelope.js';
import type { FaultTarget } from './faults.js';
import { headerValue, parseJson, readBody, send, sendJson } from './http-util.js';
import type { Mode } from './invoice-store.js';

// PayDunya documents no error codes; 1001 is what integrators report for bad keys and unknown tokens (API.md §3, §9).
export const INVALID_KEYS = {
  response_code: '1001',
  response_text: 'Invalid Masterkey or Private Key or Token',
};
const NOT_FOUND = { response_code: '1001', response_text: 'Invoice not found' };
// "99" is the other code seen in the wild; used for validation errors.
export const VALIDATION_CODE = '99';

export function checkoutBase(ctx: SimContext, mode: Mode): string {
  return `${ctx.publicBaseUrl}/${mode === 'test' ? 'sandbox-checkout' : 'checkout'}/invoice`;
}

export async function handleCreate(ctx: SimContext, mode: Mode, req: IncomingMessage, res: ServerResponse) {
  if (await answeredByFault(ctx, 'create', req, res)) return;
  const raw = await readBody(req);
  if (!authorized(ctx, mode, req)) return sendJson(res, 200, INVALID_KEYS);
  const json = parseJson(raw);
  const parsed = json.ok
    ? parseCreateRequest(json.value)
    : { ok: false as const, error: 'body is not valid JSON' };
  if (!parsed.ok) {
    return sendJson(res, 200, {
      response_code: VALIDATION_CODE,
      response_text: `Invalid request: ${parsed.error}`,
    });
  }
  const invoice = ctx.store.create(mode, parsed.value);
  ctx.log(`create ${invoice.token} (${mode}) ${invoice.total_amount} XOF for ${invoice.store.name}`);
  sendJson(res, 200, {
    response_code: '00',
    response_text: `${checkoutBase(ctx, mode)}/${invoice.token}`,
    description: 'Checkout Invoice Created',
    token: invoice.token,
  });
}

export async function handleConfirm(
  ctx: SimContext,
  mode: Mode,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  if (await answeredByFault(ctx, 'confirm', req, res)) return;
  if (!authorized(ctx, mode, req)) return sendJson(res, 200, INVALID_KEYS);
  const invoice = ctx.store.get(token, mode);
  // A 4xx that still carries the JSON envelope (API.md §10): clients must read the body, not only the status.
  if (!invoice) return sendJson(res, 404, NOT_FOUND);
  const { confirmStatusOverride, confirmAmountDelta } = ctx.faults;
  sendJson(
    res,
    200,
    buildEnvelope(invoice, {
      hash: ctx.hash,
      status: confirmStatusOverride ?? undefined,
      amountDelta: confirmAmountDelta,
    }),
  );
}

// The doc's own note calls the phone field phone_number, its example phone_phone (API.md §6): take either.
const softpaySchema = z.object({
  phone_phone: z.string().max(50).optional(),
  phone_number: z.string().max(50).optional(),
  customer_email: z.string().max(200).optional(),
  password: z.string().max(200).optional(),
  invoice_token: z.string().max(100).optional(),
});

/** Sandbox SoftPay: a fictitious customer pays a pending invoice without the checkout page. */
export async function handleSoftpay(ctx: SimContext, req: IncomingMessage, res: ServerResponse) {
  const json = parseJson(await readBody(req));
  const parsed = json.ok ? softpaySchema.safeParse(json.value) : undefined;
  if (!parsed?.success) return sendJson(res, 400, { success: false, message: 'Requête invalide.' });
  const { phone_phone, phone_number, customer_email, password, invoice_token } = parsed.data;
  const phone = phone_phone || phone_number;
  if (!phone || !customer_email || !password) {
    return sendJson(res, 200, { success: false, message: 'Identifiants du client fictif invalides.' });
  }
  const invoice = invoice_token ? ctx.store.get(invoice_token, 'test') : undefined;
  if (!invoice) return sendJson(res, 200, { success: false, message: 'Facture introuvable.' });
  if (invoice.status !== 'pending') {
    return sendJson(res, 200, {
      success: false,
      message: "Cette facture n'est plus en attente de paiement.",
    });
  }
  await ctx.settlement.settle(invoice.token, 'completed', { phone, email: customer_email });
  sendJson(res, 200, { success: true, message: 'Paiement effectué avec succès.' });
}

/** Compares digests so neither content nor length of a key leaks through timing. */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function authorized(ctx: SimContext, mode: Mode, req: IncomingMessage): boolean {
  const keys = ctx.keys[mode];
  if (!keys) return false;
  // Evaluate all three so the answer time does not depend on which one is wrong.
  const results = [
    sameSecret(headerValue(req, 'PAYDUNYA-MASTER-KEY'), ctx.masterKey),
    sameSecret(headerValue(req, 'PAYDUNYA-PRIVATE-KEY'), keys.privateKey),
    sameSecret(headerValue(req, 'PAYDUNYA-TOKEN'), keys.token),
  ];
  return results.every(Boolean);
}

/** Applies the wire-level faults of one call; true when the fault already answered (or killed) the request. */
async function answeredByFault(
  ctx: SimContext,
  target: FaultTarget,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const f = ctx.faults;
  const delayMs = target === 'create' ? f.createDelayMs : f.confirmDelayMs;
  const failure = target === 'create' ? f.createFailure : f.confirmFailure;
  const faulty = delayMs > 0 || failure || f.connectionReset === target || f.malformedJson === target;
  const remaining = target === 'create' ? f.createFaultsRemaining : f.confirmFaultsRemaining;
  if (!faulty || remaining === 0) return false;
  if (remaining !== null) {
    if (target === 'create') f.createFaultsRemaining = remaining - 1;
    else f.confirmFaultsRemaining = remaining - 1;
  }
  // Rejects when the simulator stops, so a slow answer never holds stop() up.
  if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.stopSignal });
  if (f.connectionReset === target) {
    ctx.log(`${target}: connection reset (fault)`);
    req.socket.destroy();
    return true;
  }
  if (failure) {
    const status = failure.httpStatus ?? 200;
    if (status >= 500) send(res, status, 'text/html; charset=utf-8', renderGatewayErrorPage(status));
    else {
      sendJson(res, status, {
        response_code: failure.responseCode ?? VALIDATION_CODE,
        response_text: failure.responseText ?? 'Simulated failure',
      });
    }
    return true;
  }
  if (f.malformedJson === target) {
    // A truncated body, as when a proxy cuts the answer short.
    send(res, 200, 'application/json', '{"response_code":"00","response_text":"Trans');
    return true;
  }
  return false;
}
