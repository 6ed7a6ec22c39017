import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { type CustomerAuthConfig, customerAuthSchema } from '../lambdas/shared/contract/auth';

/**
 * Local mode's identity provider, standing in for Supabase Auth or Cognito: an ES256 key pair kept in
 * `.local/issuer-keys.json` (made on first use), its JWKS and OpenID discovery document served on loopback, and
 * tokens signed with it (`npm run token`). The API verifies them with the same code and settings shape as on AWS.
 */
export const LOCAL_AUDIENCE = 'temba-payments-local';

interface IssuerKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Keys, oldest first; tokens are signed with the newest, the JWKS publishes all of them (rotation). */
interface IssuerKeys {
  readonly keys: readonly IssuerKey[];
}

const newKey = async (): Promise<IssuerKey> => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
};

const readKeys = async (file: string): Promise<IssuerKeys | undefined> => {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as IssuerKeys;
  } catch {
    return undefined;
  }
};

const writeKeys = (file: string, keys: IssuerKeys) =>
  writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });

/** The issuer's keys, made on first use. */
export const issuerKeys = async (file: string): Promise<IssuerKeys> => {
  const existing = await readKeys(file);
  if (existing && existing.keys.length > 0) return existing;
  const created = { keys: [await newKey()] };
  await writeKeys(file, created);
  return created;
};

/** Adds a new signing key (the old ones stay published, so tokens they signed still verify). */
export const rotateIssuerKey = async (file: string): Promise<string> => {
  const key = await newKey();
  await writeKeys(file, { keys: [...(await issuerKeys(file)).keys, key] });
  return key.kid;
};

export const localIssuerUrl = (port: number): string => `http://127.0.0.1:${port}`;

/** The verification settings for the local issuer at `issuer`. */
export const localIssuerAuth = (issuer: string): CustomerAuthConfig =>
  customerAuthSchema.parse({
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    audience: [LOCAL_AUDIENCE],
    algorithms: ['ES256'],
  });

export interface TokenRequest {
  readonly sub: string;
  /** Seconds from now; negative gives a token that has already expired. */
  readonly expiresInSeconds?: number;
  readonly audience?: string;
}

/** A token from the local issuer: ES256, signed with its newest key. */
export const signLocalToken = async (
  keysFile: string,
  issuer: string,
  request: TokenRequest,
): Promise<string> => {
  const { keys } = await issuerKeys(keysFile);
  const key = keys[keys.length - 1] as IssuerKey;
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = request.expiresInSeconds ?? 3600;
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(request.sub)
    .setAudience(request.audience ?? LOCAL_AUDIENCE)
    .setIssuedAt(Math.min(now, now + expiresIn - 60))
    .setExpirationTime(now + expiresIn)
    .sign(await importJWK(key.privateJwk, 'ES256'));
};

export interface LocalIssuer {
  readonly issuer: string;
  /** Where its keys are (tests sign odd tokens with them). */
  readonly keysFile: string;
  /** The verification settings the API uses for it. */
  readonly config: CustomerAuthConfig;
  /** How many times its JWKS was fetched (a verifier caches it). */
  jwksRequests(): number;
  token(request: TokenRequest): Promise<string>;
  stop(): Promise<void>;
}

/** Serves `/.well-known/openid-configuration` and `/.well-known/jwks.json` on 127.0.0.1 (port 0: a free one). */
export const startLocalIssuer = async (options: { port: number; keysFile: string }): Promise<LocalIssuer> => {
  await issuerKeys(options.keysFile);
  let jwksRequests = 0;
  let issuer = '';
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET') return send(405, { error: 'method not allowed' });
    if (request.url === '/.well-known/openid-configuration') {
      return send(200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['ES256'],
        subject_types_supported: ['public'],
        response_types_supported: ['token'],
      });
    }
    if (request.url === '/.well-known/jwks.json') {
      jwksRequests++;
      // Read on every request, so a key rotated by another process (or a test) is published at once.
      void issuerKeys(options.keysFile).then(
        ({ keys }) => send(200, { keys: keys.map((key) => key.publicJwk) }),
        () => send(500, { error: 'keys unreadable' }),
      );
      return;
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  issuer = localIssuerUrl((server.address() as AddressInfo).port);
  const config = localIssuerAuth(issuer);
  return {
    issuer,
    keysFile: options.keysFile,
    config,
    jwksRequests: () => jwksRequests,
    token: (request) => signLocalToken(options.keysFile, issuer, request),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
