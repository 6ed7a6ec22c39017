import * as z from 'zod';

/**
 * Shape of the PayDunya keys secret. One master key serves both modes (API.md §1); the private key and the
 * token differ per mode. Live keys may be absent outside prod.
 */
export const paydunyaKeysSchema = z.object({
  master_key: z.string().min(1),
  test_private_key: z.string().min(1),
  test_token: z.string().min(1),
  live_private_key: z.string().min(1).optional(),
  live_token: z.string().min(1).optional(),
});
export type PaydunyaKeys = z.infer<typeof paydunyaKeysSchema>;

/** Placeholder written by the first deploy; preflight refuses it and the code never sends it to PayDunya. */
export const PLACEHOLDER_PREFIX = 'REPLACE_ME';

/** The generated signing secret: HMAC root for callback signatures and the phone lookup hash. */
export const signingSecretSchema = z.string().min(32);
