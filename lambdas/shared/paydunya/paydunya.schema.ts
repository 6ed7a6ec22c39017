import * as z from 'zod';

/** Amounts arrive as strings ("15000") in PayDunya's examples and as numbers in some integrations (API.md §4). */
const integerAmount = z
  .union([z.number(), z.string().regex(/^\s*\d+(\.0+)?\s*$/)])
  .transform((v) => Number(v));

/** Tokens go into a URL path (confirm/{token}): only allow what PayDunya issues. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const envelopeSchema = z.object({
  response_code: z.string(),
  response_text: z.string().optional(),
});

export const createSuccessSchema = z.object({
  response_code: z.literal('00'),
  response_text: z.string().url(),
  description: z.string().optional(),
  token: z.string().regex(TOKEN_PATTERN),
});

export const confirmSchema = z.object({
  response_code: z.literal('00'),
  status: z.string(),
  invoice: z.object({ token: z.string(), total_amount: integerAmount }).passthrough(),
  custom_data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  mode: z.string().optional(),
  fail_reason: z.string().nullish(),
  customer: z.object({ payment_method: z.string().nullish() }).passthrough().nullish(),
  receipt_url: z.string().nullish(),
  provider_reference: z.string().nullish(),
});
export type ConfirmAnswer = z.infer<typeof confirmSchema>;
