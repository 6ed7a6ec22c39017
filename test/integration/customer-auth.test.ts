import { createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/shared/contract/routes';
import { UNKNOWN_KID_COOLDOWN_MS } from '../../lambdas/shared/platform/jwt-authenticator';
import { LOCAL_AUDIENCE, rotateIssuerKey } from '../../local/local-issuer';
import { bodyOf, type Json } from '../support/json';
import { DEFAULT_SUBJECT, type Harness, startHarness, validOrder } from './harness';

/**
 * Only signed-in customers pay, and each sees only their own payments: every way a token can be wrong is a 401
 * with a `WWW-Authenticate: Bearer` challenge that writes nothing and calls no one.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ powertools: true });
});
afterAll(async () => {
  await h?.stop();
});

interface IssuerKeyFile {
  keys: { kid: string; privateJwk: JWK; publicJwk: JWK }[];
}
const issuerKey = async () => {
  const { keys } = JSON.parse(await readFile(h.issuer.keysFile, 'utf8')) as IssuerKeyFile;
  const key = keys[keys.length - 1];
  if (!key) throw new Error('no issuer key');
  return key;
};
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token signed with the issuer's own key, with whatever claims and header a case needs. */
const signed = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
  const key = await issuerKey();
  return new SignJWT({
    sub: 'mallory',
    aud: LOCAL_AUDIENCE,
    iss: h.issuer.issuer,
    exp: now() + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...header })
    .sign(await importJWK(key.privateJwk, 'ES256'));
};

const BAD_TOKENS: [string, () => Promise<string | undefined>][] = [
  ['no Authorization header', async () => undefined],
  ['a malformed header (not Bearer)', async () => 'Basic bWFsbG9yeTpwYXNz'],
  ['a bearer value that is no JWT', async () => 'Bearer not-a-jwt'],
  [
    'an expired token',
    async () => `Bearer ${await h.issuer.token({ sub: 'mallory', expiresInSeconds: -120 })}`,
  ],
  ['a token not yet valid (nbf in 10 minutes)', async () => `Bearer ${await signed({ nbf: now() + 600 })}`],
  [
    'a token signed by another key under the issuer kid',
    async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ sub: 'mallory', aud: LOCAL_AUDIENCE, iss: h.issuer.issuer })
        .setProtectedHeader({ alg: 'ES256', kid: (await issuerKey()).kid })
        .setExpirationTime('10m')
        .sign(privateKey);
      return `Bearer ${token}`;
    },
  ],
  [
    'alg: none',
    async () => {
      const payload = { sub: 'mallory', aud: LOCAL_AUDIENCE, iss: h.issuer.issuer, exp: now() + 600 };
      return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    },
  ],
  [
    'HS256 signed with the public key as the secret',
    async () => {
      const key = await issuerKey();
      const header = b64({ alg: 'HS256', typ: 'JWT', kid: key.kid });
      const payload = b64({ sub: 'mallory', aud: LOCAL_AUDIENCE, iss: h.issuer.issuer, exp: now() + 600 });
      const signature = createHmac('sha256', JSON.stringify(key.publicJwk))
        .update(`${header}.${payload}`)
        .digest('base64url');
      return `Bearer ${header}.${payload}.${signature}`;
    },
  ],
  ['the wrong issuer', async () => `Bearer ${await signed({ iss: 'https://evil.example' })}`],
  [
    'the wrong audience',
    async () => `Bearer ${await h.issuer.token({ sub: 'mallory', audience: 'another-app' })}`,
  ],
  [
    'an unknown kid',
    async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ sub: 'mallory', aud: LOCAL_AUDIENCE, iss: h.issuer.issuer })
        .setProtectedHeader({ alg: 'ES256', kid: 'not-a-published-kid' })
        .setExpirationTime('10m')
        .sign(privateKey);
      return `Bearer ${token}`;
    },
  ],
  ['no subject', async () => `Bearer ${await signed({ sub: undefined })}`],
  [
    'an anonymous sign-in (Supabase is_anonymous)',
    async () => `Bearer ${await signed({ is_anonymous: true })}`,
  ],
];

describe('refusals: 401 with a Bearer challenge, nothing written, no one called', () => {
  it.each(BAD_TOKENS)('POST /payments with %s', async (_case, make) => {
    const authorization = await make();
    const before = await h.itemCount();
    const calls = h.sim.calls().create;
    const response = await fetch(`${h.api.url}/payments`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': randomUUID(),
        ...(authorization ? { Authorization: authorization } : {}),
      },
      body: JSON.stringify(validOrder()),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="temba-payments"/);
    const { error } = await bodyOf(response);
    expect(error.code).toBe(authorization ? 'INVALID_TOKEN' : 'AUTHENTICATION_REQUIRED');
    expect(error.message).toContain('Sign in');
    expect(await h.itemCount()).toBe(before);
    expect(h.sim.calls().create).toBe(calls);
  });

  it('the token is never logged, not even when it is refused', async () => {
    const token = await h.issuer.token({ sub: 'mallory', audience: 'another-app' });
    await fetch(`${h.api.url}/payments`, { headers: { Authorization: `Bearer ${token}` } });
    const good = await h.token();
    await h.post(validOrder());
    h.output?.flush();
    const printed = JSON.stringify(h.output?.lines() ?? []) + JSON.stringify(h.telemetry.logs);
    expect(printed).not.toContain(token.split('.')[2]);
    expect(printed).not.toContain(good.split('.')[2]);
    expect(printed).toContain('token not accepted');
  });

  it('every customer route refuses a request without a token (a route added without the check fails here)', async () => {
    const customerRoutes = Object.values(ROUTES).filter((route) => route.auth === 'customer');
    expect(customerRoutes.length).toBeGreaterThanOrEqual(3);
    for (const route of customerRoutes) {
      const path = route.path.replace('{orderId}', '01ARZ3NDEKTSV4RRFFQ69G5FAV');
      const response = await fetch(`${h.api.url}${path}`, {
        method: route.method,
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
        ...(route.method === 'POST' ? { body: JSON.stringify(validOrder()) } : {}),
      });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
    }
  });
});

describe('orders belong to their owner', () => {
  it("another account's order is a 404, exactly like an order that does not exist", async () => {
    const { orderId } = await h.createOrder();
    expect((await h.get(orderId)).status).toBe(200);
    const theirs = await h.get(orderId, 'someone-else');
    const missing = await h.get('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'someone-else');
    expect(theirs.status).toBe(404);
    const strip = (body: Json) => ({ ...body.error, requestId: undefined, message: undefined });
    expect(strip(await bodyOf(theirs))).toEqual(strip(await bodyOf(missing)));
  });

  it("the same Idempotency-Key from another account is not a replay of the first account's checkout", async () => {
    const key = randomUUID();
    const body = validOrder({ amount: 2_500, items: [{ name: 'Pass', quantity: 1, unit_price: 2_500 }] });
    const first = await bodyOf(await h.post(body, key));
    const other = await h.post(body, key, { Authorization: `Bearer ${await h.token('another-account')}` });
    expect(other.status).toBe(201);
    expect((await bodyOf(other)).orderId).not.toBe(first.orderId);
  });

  it("GET /payments lists only the caller's payments, newest first, a page at a time", async () => {
    const owner = `lister-${randomUUID().slice(0, 8)}`;
    const headers = { Authorization: `Bearer ${await h.token(owner)}` };
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await h.post(validOrder(), randomUUID(), headers);
      mine.push((await bodyOf(response)).orderId);
    }
    await h.createOrder(); // DEFAULT_SUBJECT's, never in the owner's list
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await bodyOf(await fetch(`${h.api.url}/payments${query}`, { headers }));
      expect(page.payments.length).toBeLessThanOrEqual(2);
      seen.push(...page.payments.map((p: Json) => p.orderId));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...mine].reverse());
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('a bad page size or a cursor it did not give is a 400 naming the field', async () => {
    const headers = { Authorization: `Bearer ${await h.token()}` };
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=51', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ]) {
      const response = await fetch(`${h.api.url}/payments${query}`, { headers });
      expect(response.status, query).toBe(400);
      expect((await bodyOf(response)).error.fields[0].path).toBe(field);
    }
  });

  it('the order records its owner for the byOwner index; a crafted cursor cannot reach another account', async () => {
    const { orderId } = await h.createOrder();
    expect((await h.ctx.store.getOrder(orderId))?.owner).toBe(DEFAULT_SUBJECT);
    const stolen = Buffer.from(`${new Date().toISOString()}|${orderId}`).toString('base64url');
    const page = await bodyOf(
      await fetch(`${h.api.url}/payments?cursor=${stolen}`, {
        headers: { Authorization: `Bearer ${await h.token('thief')}` },
      }),
    );
    expect(page.payments).toEqual([]);
  });
});

describe('signing keys', () => {
  it('a rotated key is fetched once, then cached', { timeout: 20_000 }, async () => {
    await h.post(validOrder()); // the current key is known
    const before = h.issuer.jwksRequests();
    await rotateIssuerKey(h.issuer.keysFile);
    // Unknown kids are looked up at most once per cooldown (the unknown-kid refusal above just fetched).
    await new Promise((resolve) => setTimeout(resolve, UNKNOWN_KID_COOLDOWN_MS + 100));
    const rotated = await h.issuer.token({ sub: 'rotation-1' });
    const first = await fetch(`${h.api.url}/payments`, { headers: { Authorization: `Bearer ${rotated}` } });
    expect(first.status).toBe(200);
    expect(h.issuer.jwksRequests()).toBe(before + 1);
    for (let i = 0; i < 5; i++) {
      const token = await h.issuer.token({ sub: `rotation-${i + 2}` });
      expect(
        (await fetch(`${h.api.url}/payments`, { headers: { Authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
    }
    expect(h.issuer.jwksRequests()).toBe(before + 1);
    // Tokens signed before the rotation still verify: the old key stays published.
    expect((await h.post(validOrder())).status).toBe(201);
  });
});
