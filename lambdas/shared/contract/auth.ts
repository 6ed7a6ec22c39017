import * as z from 'zod';

/**
 * How customer tokens are verified, per stage: the typed stage config (lib/config) holds it, the CDK gives it to the
 * customer-facing functions as JSON in ENV.customerAuth, local mode points it at its own issuer. Works with any
 * OpenID provider that signs with an asymmetric key and publishes a JWKS, by configuration alone:
 *
 * - Supabase Auth: issuer `https://<project>.supabase.co/auth/v1`, jwksUri `<issuer>/.well-known/jwks.json`,
 *   audience `authenticated`, algorithms the project's signing key (ES256 or RS256);
 * - Amazon Cognito: issuer `https://cognito-idp.<region>.amazonaws.com/<user pool id>`, jwksUri
 *   `<issuer>/.well-known/jwks.json`, RS256; ID tokens carry the app client id in `aud`, access tokens in
 *   `client_id` (audienceClaim `client_id`).
 */
export const customerAuthSchema = z.strictObject({
  /** The `iss` every token must carry, exactly. */
  issuer: z.url({ protocol: /^https?$/ }),
  /** Where the provider publishes its public keys. */
  jwksUri: z.url({ protocol: /^https?$/ }),
  /** Accepted audiences: the token's audience claim must hold one of them. */
  audience: z.array(z.string().min(1)).min(1),
  /** The claim that holds the audience: `aud` (Supabase, Cognito ID tokens) or `client_id` (Cognito access tokens). */
  audienceClaim: z.enum(['aud', 'client_id']).default('aud'),
  /** Asymmetric only: a symmetric (HS*) or `none` token is refused whatever its key. */
  algorithms: z.array(z.enum(['RS256', 'ES256'])).min(1),
  /** Leeway on `exp` and `nbf` for clocks that drift. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(30),
  /** How long fetched keys are trusted before they are fetched again (an unknown `kid` fetches at once). */
  jwksCacheSeconds: z.number().int().min(60).max(86_400).default(600),
});

export type CustomerAuthConfig = z.infer<typeof customerAuthSchema>;

/** The realm named in `WWW-Authenticate` challenges. */
export const AUTH_REALM = 'temba-payments';
