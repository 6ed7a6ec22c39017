import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { AUTH_REALM, type CustomerAuthConfig } from '../contract/auth';
import { AuthenticationError } from '../domain/errors';
import type { CustomerAuthenticator, Telemetry } from '../domain/ports';

// Three base64url parts; anything else is refused before any key is looked at.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/**
 * The JWKS is fetched again for an unknown `kid` at most this often: a flood of forged kids costs the provider one
 * request per container every 5 s. Providers publish a new key before they sign with it, so a key seen for the first
 * time within 5 s of the last fetch (refused once, 401) is the rare price of that bound.
 */
export const UNKNOWN_KID_COOLDOWN_MS = 5_000;

/** What went wrong, in words for the logs (never the token itself). */
const reasonOf = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key with that kid';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWKSTimeout) return 'JWKS timed out';
  if (error instanceof errors.JOSEError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
};

/**
 * Customer tokens verified with `jose` against the stage's identity provider (contract/auth.ts): signature by a key
 * of its JWKS (cached for `jwksCacheSeconds`, fetched again at once for an unknown `kid`, at most every 30 s),
 * allowed asymmetric algorithms only (so `none` and an HS256 token "signed" with the public key are refused),
 * issuer, audience (in `aud` or `client_id`), `exp` and `nbf` with the configured clock skew, and a `sub`.
 */
export const createJwtAuthenticator = (
  config: CustomerAuthConfig,
  telemetry: Pick<Telemetry, 'warn'>,
): CustomerAuthenticator => {
  const jwks = createRemoteJWKSet(new URL(config.jwksUri), {
    cacheMaxAge: config.jwksCacheSeconds * 1000,
    cooldownDuration: UNKNOWN_KID_COOLDOWN_MS,
    timeoutDuration: 3_000,
  });
  const refuse = (reason: string, kind: 'missing' | 'invalid'): never => {
    telemetry.warn('customer request refused: token not accepted', { reason });
    throw new AuthenticationError(reason, AUTH_REALM, kind);
  };
  return {
    async authenticate(authorization) {
      if (!authorization?.trim()) return refuse('no Authorization header', 'missing');
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      const token = match?.[1];
      if (!token || !JWT_SHAPE.test(token)) return refuse('not a bearer JWT', 'invalid');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: config.issuer,
          algorithms: config.algorithms,
          clockTolerance: config.clockSkewSeconds,
          requiredClaims: ['sub', 'exp'],
          ...(config.audienceClaim === 'aud' ? { audience: config.audience } : {}),
        }));
      } catch (error) {
        return refuse(reasonOf(error), 'invalid');
      }
      if (config.audienceClaim === 'client_id' && !config.audience.includes(String(payload.client_id))) {
        return refuse('client_id not an allowed audience', 'invalid');
      }
      // Supabase's anonymous sign-ins carry the same audience as real accounts: a customer who pays has an account.
      if (payload.is_anonymous === true) return refuse('anonymous sign-in', 'invalid');
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
        return refuse('no usable sub', 'invalid');
      }
      return { subject: payload.sub };
    },
  };
};
