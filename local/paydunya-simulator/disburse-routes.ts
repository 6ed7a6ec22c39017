import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { authorized, INVALID_KEYS, VALIDATION_CODE } from './api-routes.js';
import type { SimContext } from './context.js';
import type { DisbursementInput } from './disbursements.js';
import { parseJson, readBody, sendJson } from './http-util.js';
import type { Mode } from './invoice-store.js';

/**
 * PayDunya's disbursement (PUSH) API, API.md §6: get-invoice (moves no money), submit-invoice (moves it),
 * check-status. Refusals are HTTP 200 with a non-"00" response_code, as for create.
 */

/** PayDunya reportedly pays out no less than this (API.md §6, [3P]). */
export const MIN_DISBURSE_XOF = 200;

/**
 * The withdraw modes the simulator accepts: D-PUSH's official list (`paydunya`, Senegal, Bénin, CI, Togo, Mali),
 * the Burkina slugs integrators use, and the checkout channel spellings of API.md §3 for the same wallets.
 */
export const WITHDRAW_MODES: ReadonlySet<string> = new Set([
  'paydunya',
  'orange-money-senegal',
  'free-money-senegal',
  'expresso-senegal',
  'expresso-sn',
  'wave-senegal',
  'wizall-senegal',
  'mtn-benin',
  'moov-benin',
  'orange-money-ci',
  'wave-ci',
  'mtn-ci',
  'moov-ci',
  't-money-togo',
  'moov-togo',
  'orange-money-mali',
  'moov-ml',
  'orange-money-burkina',
  'moov-burkina-faso',
]);

const NOT_FOUND = { response_code: '1001', response_text: 'Disbursement invoice not found' };
// Nothing documented; "1001" is PayDunya's usual refusal code, the text is what integrators report.
const INSUFFICIENT_BALANCE = {
  response_code: '1001',
  response_text: 'Solde insuffisant / Insufficient balance',
};

// PHP clients send numbers where strings are expected (and the reverse): take both, judge the value.
const textish = z.union([z.string(), z.number().transform(String)]);

const getInvoiceSchema = z.object({
  account_alias: textish.optional(),
  amount: z.union([z.number(), z.string()]).optional(),
  withdraw_mode: z.string().optional(),
  callback_url: z.string().optional(),
  disburse_id: textish.optional(),
});

const tokenSchema = z.object({
  disburse_invoice: z.string().min(1).max(100),
  disburse_id: textish.optional(),
});

function refuse(res: ServerResponse, text: string): void {
  sendJson(res, 200, { response_code: VALIDATION_CODE, response_text: `Invalid request: ${text}` });
}

/** Every problem of a get-invoice body, so a refusal says all of what is wrong at once. */
export function parseGetInvoice(
  input: unknown,
): { ok: true; value: DisbursementInput } | { ok: false; error: string } {
  const parsed = getInvoiceSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };
  const { account_alias, amount, withdraw_mode, callback_url, disburse_id } = parsed.data;
  const errors: string[] = [];
  const alias = account_alias?.trim() ?? '';
  if (!/^\d{8}$/.test(alias)) {
    errors.push("account_alias must be the payee's 8-digit phone number, without the country code");
  }
  const xof = typeof amount === 'string' && /^\s*\d+\s*$/.test(amount) ? Number(amount) : amount;
  if (typeof xof !== 'number' || !Number.isSafeInteger(xof)) {
    errors.push('amount must be a whole number of XOF');
  } else if (xof < MIN_DISBURSE_XOF) {
    errors.push(`amount must be at least ${MIN_DISBURSE_XOF} XOF`);
  }
  if (!withdraw_mode || !WITHDRAW_MODES.has(withdraw_mode)) {
    errors.push(`withdraw_mode ${JSON.stringify(withdraw_mode ?? '')} is not a known withdraw mode`);
  }
  if (!isHttpUrl(callback_url)) errors.push('callback_url must be a valid http(s) URL');
  if (disburse_id !== undefined && disburse_id.length > 100) {
    errors.push('disburse_id must be at most 100 characters');
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return {
    ok: true,
    value: {
      account_alias: alias,
      amount: xof as number,
      withdraw_mode: withdraw_mode as string,
      callback_url: callback_url as string,
      disburse_id: disburse_id ?? null,
    },
  };
}

function isHttpUrl(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Reads the body, checks the keys and parses JSON; undefined when it has already answered. */
async function readAuthorized(
  ctx: SimContext,
  mode: Mode,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ value: unknown } | undefined> {
  const raw = await readBody(req);
  if (!authorized(ctx, mode, req)) {
    sendJson(res, 200, INVALID_KEYS);
    return undefined;
  }
  const json = parseJson(raw);
  if (!json.ok) {
    refuse(res, 'body is not valid JSON');
    return undefined;
  }
  return { value: json.value };
}

export async function handleDisburseCreate(
  ctx: SimContext,
  mode: Mode,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readAuthorized(ctx, mode, req, res);
  if (!body) return;
  const parsed = parseGetInvoice(body.value);
  if (!parsed.ok) return refuse(res, parsed.error);
  const disbursement = ctx.disbursements.create(mode, parsed.value);
  ctx.log(
    `disburse get-invoice ${disbursement.disburse_token} (${mode}) ${disbursement.amount} XOF ` +
      `to ${disbursement.withdraw_mode}`,
  );
  sendJson(res, 200, {
    response_code: '00',
    response_text: 'Disbursement invoice created',
    disburse_token: disbursement.disburse_token,
  });
}

/** The disbursement a submit or check-status names; undefined once the refusal has been answered. */
async function disbursementAsked(ctx: SimContext, mode: Mode, req: IncomingMessage, res: ServerResponse) {
  const body = await readAuthorized(ctx, mode, req, res);
  if (!body) return undefined;
  const parsed = tokenSchema.safeParse(body.value);
  if (!parsed.success) {
    refuse(res, 'disburse_invoice is required');
    return undefined;
  }
  const disbursement = ctx.disbursements.get(parsed.data.disburse_invoice, mode);
  if (!disbursement) sendJson(res, 200, NOT_FOUND);
  return disbursement;
}

export async function handleDisburseSubmit(
  ctx: SimContext,
  mode: Mode,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const disbursement = await disbursementAsked(ctx, mode, req, res);
  if (!disbursement) return;
  const { faults } = ctx;
  if (faults.disburseInsufficientBalance) {
    faults.disburseInsufficientBalance = false;
    ctx.log(`disburse submit ${disbursement.disburse_token}: refused, insufficient balance (fault)`);
    return sendJson(res, 200, INSUFFICIENT_BALANCE);
  }
  // Accepted and paid out even if this token was submitted before: see Disbursements.
  ctx.disbursements.submit(disbursement);
  if (faults.disburseLoseAnswer) {
    faults.disburseLoseAnswer = false;
    ctx.log(`disburse submit ${disbursement.disburse_token}: carried out, answer lost (fault)`);
    req.socket.destroy();
    return;
  }
  sendJson(res, 200, {
    response_code: '00',
    response_text: 'Disbursement submitted',
    description: `${disbursement.amount} XOF to ${disbursement.account_alias} (${disbursement.withdraw_mode}) is being processed`,
    transaction_id: disbursement.transaction_id,
    status: 'pending',
  });
}

export async function handleDisburseCheck(
  ctx: SimContext,
  mode: Mode,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const disbursement = await disbursementAsked(ctx, mode, req, res);
  if (!disbursement) return;
  sendJson(res, 200, {
    response_code: '00',
    response_text: 'Transaction Found',
    status: disbursement.status,
    amount: disbursement.amount,
    transaction_id: disbursement.transaction_id,
    withdraw_mode: disbursement.withdraw_mode,
    updated_at: disbursement.updated_at,
  });
}
