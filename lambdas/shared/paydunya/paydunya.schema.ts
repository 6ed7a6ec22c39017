import * as z from 'zod';

/** Amounts arrive as strings ("15000") in PayDunya's examples and as numbers in some integrations (API.md §4). */
const integerAmount = z
  .union([z.number(), z.string().regex(/^\s*\d+(\.0+)?\s*$/)])
  .transform((v) => Number(v));

/** Tokens go into a URL path (confirm/{token}): only allow what PayDunya issues. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Identifiers PHP may emit as numbers when they look like one. */
const text = z.union([z.string(), z.number().transform(String)]);

/**
 * A field the answer can do without: an odd shape (null, a number where text was expected, PHP's `[]`) is read
 * as absent rather than failing the whole answer, since nothing decisive hangs on it (API.md §10).
 */
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

export const envelopeSchema = z.object({
  response_code: text,
  response_text: optional(z.string()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const createSuccessSchema = z.object({
  response_code: z.literal('00'),
  response_text: z.string().url(),
  description: z.string().optional(),
  token: z.string().regex(TOKEN_PATTERN),
});

export const confirmSchema = z.object({
  response_code: z.literal('00'),
  status: z.string(),
  invoice: z
    .object({
      // None of PayDunya's own clients reads it (API.md §10), so it may be missing; a token that IS there is kept
      // whatever it says, for the caller to compare with the one it asked for. Hence no catch here.
      token: text.nullish(),
      total_amount: integerAmount,
    })
    .passthrough(),
  // Any other shape leaves the order id unknown, which the caller reports as a mismatch.
  custom_data: optional(z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())])),
  mode: optional(z.string()),
  // Card payments only; mobile-money failures may carry none (API.md §10).
  fail_reason: optional(z.string()),
  // PHP serialises an empty associative array as `[]`: that, like any non-object, means "no customer data".
  customer: optional(z.object({ payment_method: optional(z.string()), phone: optional(text) }).passthrough()),
  // Stored and shown as a link: anything but an http(s) URL is no receipt.
  receipt_url: optional(z.url({ protocol: /^https?$/ })),
  provider_reference: optional(text),
});
export type ConfirmAnswer = z.infer<typeof confirmSchema>;

/**
 * get-invoice (API.md §6): integrators read `disburse_token`, some fall back to `token`. Both are kept as given:
 * the client picks one and checks it against TOKEN_PATTERN, so a malformed token is refused, never replaced.
 */
export const disburseCreateSchema = z.object({
  response_code: z.literal('00'),
  disburse_token: text.nullish(),
  token: text.nullish(),
});

/** submit-invoice: roughly `{ response_code, response_text, description, transaction_id, status? }` [3P]. */
export const disburseSubmitSchema = z.object({
  response_code: z.literal('00'),
  status: optional(z.string()),
  transaction_id: optional(text),
});

/**
 * check-status: `{ response_code, status, amount, transaction_id, withdraw_mode, updated_at }` [3P]. The status is
 * what decisions hang on, so it is required; the amount is read as absent if it is not an integer.
 */
export const disburseStatusSchema = z.object({
  response_code: z.literal('00'),
  status: z.string(),
  amount: optional(integerAmount),
  transaction_id: optional(text),
  withdraw_mode: optional(z.string()),
  updated_at: optional(text),
});
export type DisburseStatusAnswer = z.infer<typeof disburseStatusSchema>;
