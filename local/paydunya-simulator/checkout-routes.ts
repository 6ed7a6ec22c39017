import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentSecurityPolicy, renderCheckoutPage, renderMessagePage } from './checkout-page.js';
import type { SimContext } from './context.js';
import { readBody, send } from './http-util.js';
import { type Mode, SettleError, type SettleOutcome, type SimInvoice } from './invoice-store.js';

export type CheckoutVerb = 'pay' | 'cancel' | 'fail';

const OUTCOME: Record<CheckoutVerb, SettleOutcome> = {
  pay: 'completed',
  cancel: 'cancelled',
  fail: 'failed',
};

export function checkoutPath(mode: Mode): string {
  return mode === 'test' ? '/sandbox-checkout/invoice' : '/checkout/invoice';
}

function sendHtml(res: ServerResponse, status: number, html: string, invoice?: SimInvoice): void {
  const targets = invoice ? [invoice.actions.return_url, invoice.actions.cancel_url] : [];
  send(res, status, 'text/html; charset=utf-8', html, {
    'Content-Security-Policy': contentSecurityPolicy(targets),
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
}

export function handleCheckoutPage(ctx: SimContext, mode: Mode, token: string, res: ServerResponse): void {
  const invoice = ctx.store.get(token, mode);
  if (invoice) sendHtml(res, 200, renderCheckoutPage(invoice, checkoutPath(mode)), invoice);
  else sendHtml(res, 404, renderMessagePage('Invoice not found', 'No such invoice.'));
}

/** What clicking a button does: settle, send the IPN, then send the browser back to the merchant. */
export async function handleCheckoutAction(
  ctx: SimContext,
  mode: Mode,
  token: string,
  verb: CheckoutVerb,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  await readBody(req);
  const invoice = ctx.store.get(token, mode);
  if (!invoice) return sendHtml(res, 404, renderMessagePage('Invoice not found', 'No such invoice.'));
  try {
    await ctx.settlement.settle(token, OUTCOME[verb]);
  } catch (err) {
    if (err instanceof SettleError && err.reason === 'already-settled') {
      return sendHtml(
        res,
        409,
        renderMessagePage('Invoice already settled', `This invoice is ${invoice.status}.`),
      );
    }
    throw err;
  }
  const target = verb === 'cancel' ? invoice.actions.cancel_url : invoice.actions.return_url;
  const location = target ? withToken(target, token) : undefined;
  if (location) {
    res.writeHead(303, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const title = `Payment ${invoice.status}`;
  sendHtml(
    res,
    200,
    renderMessagePage(title, `Invoice ${token} is ${invoice.status}. You can close this page.`),
  );
}

/**
 * PayDunya appends `?token=<invoice token>` to the return URL (API.md §3); done on the raw string so the
 * merchant's own query stays byte for byte. Returns undefined for anything a browser should not be sent to.
 */
export function withToken(target: string, token: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Header values must be visible ASCII; otherwise fall back to the parser's percent-encoded form.
  const raw = /^[\x21-\x7e]+$/.test(target) ? target : url.href;
  const hashAt = raw.indexOf('#');
  const base = hashAt === -1 ? raw : raw.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : raw.slice(hashAt);
  const separator = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&';
  return `${base}${separator}token=${encodeURIComponent(token)}${fragment}`;
}
