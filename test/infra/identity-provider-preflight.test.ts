import { ACMClient } from '@aws-sdk/client-acm';
import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CustomerAuthConfig, customerAuthSchema } from '../../lambdas/shared/contract/auth';
import { loadStageConfig } from '../../lib/config';
import { formatChecklist, identityProviderChecks, runPreflight } from '../../scripts/ops/preflight';
import { stageResources } from '../../scripts/ops/stage-resources';

/**
 * `npm run preflight`'s identity provider lines (issue 13): the stage's discovery document and JWKS, fetched through
 * a stub. No test here reaches the network: a URL the stub does not know fails like an unreachable host.
 */

const ISSUER = 'https://abcdefghijklmnopqrst.supabase.co/auth/v1';
const AUTH: CustomerAuthConfig = customerAuthSchema.parse({
  issuer: ISSUER,
  jwksUri: `${ISSUER}/.well-known/jwks.json`,
  audience: ['authenticated'],
  algorithms: ['ES256', 'RS256'],
});
const DISCOVERY_URL = `${ISSUER}/.well-known/openid-configuration`;

/** A stub `fetch` serving fixed JSON bodies by URL; everything else is a network failure. Records what was asked. */
const stubFetch = (documents: Record<string, { status?: number; body: unknown }>) => {
  const asked: string[] = [];
  const impl = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    asked.push(url);
    const document = documents[url];
    if (!document) throw new TypeError(`fetch failed (stub: ${url} is unreachable)`);
    return new Response(JSON.stringify(document.body), {
      status: document.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return { impl, asked };
};

let es256: JWK;
let rs256: JWK;
beforeAll(async () => {
  const ec = await generateKeyPair('ES256', { extractable: true });
  es256 = { ...(await exportJWK(ec.publicKey)), kid: 'ec-key-1', alg: 'ES256', use: 'sig' };
  const rsa = await generateKeyPair('RS256', { extractable: true });
  // Cognito-style: `alg` present; a key without `alg` is matched by its type instead.
  rs256 = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-key-1', use: 'sig' };
});

const discovery = (issuer = ISSUER, jwksUri = AUTH.jwksUri) => ({
  body: { issuer, jwks_uri: jwksUri, id_token_signing_alg_values_supported: ['ES256', 'RS256'] },
});

describe('preflight: the identity provider of the customer routes', () => {
  it('passes when the discovery document names the configured issuer and JWKS, and a key fits an allowed algorithm', async () => {
    const { impl, asked } = stubFetch({
      [DISCOVERY_URL]: discovery(),
      [AUTH.jwksUri]: { body: { keys: [es256] } },
    });
    const results = await identityProviderChecks(impl, AUTH);
    expect(results).toEqual([
      {
        name: `Identity provider answers as the configured issuer (${ISSUER})`,
        ok: true,
        detail: `${DISCOVERY_URL} names this issuer and ${AUTH.jwksUri}`,
      },
      {
        name: 'Identity provider publishes a key for ES256 or RS256',
        ok: true,
        detail: '1 key(s); usable: ES256 ec-key-1',
      },
    ]);
    expect(asked.sort()).toEqual([DISCOVERY_URL, AUTH.jwksUri].sort());
  });

  it('recognises an RSA key without `alg` by its type (RS256)', async () => {
    const { impl } = stubFetch({ [DISCOVERY_URL]: discovery(), [AUTH.jwksUri]: { body: { keys: [rs256] } } });
    const [, keys] = await identityProviderChecks(impl, AUTH);
    expect(keys).toMatchObject({ ok: true, detail: '1 key(s); usable: RS256 rsa-key-1' });
  });

  it('fails when the discovery document names another issuer: every token would be refused', async () => {
    const other = 'https://zyxwvutsrqponmlkjihg.supabase.co/auth/v1';
    const { impl } = stubFetch({
      [DISCOVERY_URL]: discovery(other),
      [AUTH.jwksUri]: { body: { keys: [es256] } },
    });
    const [issuer, keys] = await identityProviderChecks(impl, AUTH);
    expect(issuer).toMatchObject({ ok: false, detail: expect.stringContaining(`names issuer "${other}"`) });
    expect(keys?.ok).toBe(true);
  });

  it('fails when the provider publishes its keys elsewhere than the config fetches them from', async () => {
    const { impl } = stubFetch({
      [DISCOVERY_URL]: discovery(ISSUER, `${ISSUER}/keys`),
      [AUTH.jwksUri]: { body: { keys: [es256] } },
    });
    const [issuer] = await identityProviderChecks(impl, AUTH);
    expect(issuer).toMatchObject({
      ok: false,
      detail: `the provider publishes its keys at ${ISSUER}/keys, the config fetches them from ${AUTH.jwksUri}`,
    });
  });

  it('fails when the JWKS holds no key (a Supabase project still on its HS256 secret)', async () => {
    const { impl } = stubFetch({ [DISCOVERY_URL]: discovery(), [AUTH.jwksUri]: { body: { keys: [] } } });
    const [issuer, keys] = await identityProviderChecks(impl, AUTH);
    expect(issuer?.ok).toBe(true);
    expect(keys).toMatchObject({ ok: false, detail: expect.stringContaining('holds no key') });
  });

  it('fails when no key fits an allowed algorithm (only an RSA key for an ES256-only config; an encryption key)', async () => {
    const esOnly = { ...AUTH, algorithms: ['ES256' as const] };
    const { impl } = stubFetch({
      [DISCOVERY_URL]: discovery(),
      [AUTH.jwksUri]: { body: { keys: [rs256, { ...es256, use: 'enc' }] } },
    });
    const [, keys] = await identityProviderChecks(impl, esOnly);
    expect(keys).toEqual({
      name: 'Identity provider publishes a key for ES256',
      ok: false,
      detail: '2 key(s) (RSA, ES256), none for ES256',
    });
  });

  it('fails when the JWKS is unreachable, answers an error, or is not a JWKS', async () => {
    const unreachable = stubFetch({ [DISCOVERY_URL]: discovery() });
    const [, down] = await identityProviderChecks(unreachable.impl, AUTH);
    expect(down).toMatchObject({ ok: false, detail: expect.stringContaining('JWKS unreachable: TypeError') });

    const erroring = stubFetch({ [DISCOVERY_URL]: discovery(), [AUTH.jwksUri]: { status: 503, body: {} } });
    const [, error] = await identityProviderChecks(erroring.impl, AUTH);
    expect(error).toMatchObject({ ok: false, detail: expect.stringContaining('answered 503') });

    const notJwks = stubFetch({ [DISCOVERY_URL]: discovery(), [AUTH.jwksUri]: { body: { key: es256 } } });
    const [, shape] = await identityProviderChecks(notJwks.impl, AUTH);
    expect(shape).toMatchObject({ ok: false, detail: expect.stringContaining('not a JWKS') });
  });

  it('fails when the discovery document cannot be fetched', async () => {
    const { impl } = stubFetch({ [AUTH.jwksUri]: { body: { keys: [es256] } } });
    const [issuer, keys] = await identityProviderChecks(impl, AUTH);
    expect(issuer).toMatchObject({
      ok: false,
      detail: expect.stringContaining('discovery document unavailable'),
    });
    expect(keys?.ok).toBe(true);
  });

  it("fails on the stages' placeholders without fetching anything", async () => {
    const { impl, asked } = stubFetch({});
    const results = await identityProviderChecks(impl, loadStageConfig('prod').auth);
    expect(results.map((result) => result.ok)).toEqual([false, false]);
    expect(results[0]?.detail).toContain('is a placeholder: set the stage');
    expect(asked).toEqual([]);
  });

  describe('in the checklist', () => {
    const mocks = [
      mockClient(SecretsManagerClient),
      mockClient(AppConfigDataClient),
      mockClient(DynamoDBClient),
      mockClient(BackupClient),
      mockClient(CloudWatchClient),
      mockClient(SNSClient),
      mockClient(WAFV2Client),
      mockClient(CodeDeployClient),
      mockClient(CloudFormationClient),
      mockClient(ACMClient),
      mockClient(Route53Client),
    ];
    afterAll(() => {
      for (const mock of mocks) mock.restore();
    });
    const region = 'eu-west-3';
    // Every AWS call answers nothing (the AWS lines fail): only the identity provider lines matter here.
    const clients = {
      secrets: new SecretsManagerClient({ region }),
      appConfigData: new AppConfigDataClient({ region }),
      dynamodb: new DynamoDBClient({ region }),
      backup: new BackupClient({ region }),
      cloudwatch: new CloudWatchClient({ region }),
      sns: new SNSClient({ region }),
      waf: new WAFV2Client({ region }),
      codedeploy: new CodeDeployClient({ region }),
      cloudformation: new CloudFormationClient({ region }),
      acm: new ACMClient({ region }),
      route53: new Route53Client({ region }),
    };
    const resources = { ...stageResources(loadStageConfig('prod')), customerAuth: AUTH };
    const options = { expectedAlarms: [], now: new Date('2026-11-26T09:00:00Z') };

    it('runs with the other checks when preflight is given fetch, and prints its lines', async () => {
      const { impl } = stubFetch({
        [DISCOVERY_URL]: discovery(),
        [AUTH.jwksUri]: { body: { keys: [es256] } },
      });
      const results = await runPreflight({ ...clients, fetch: impl }, resources, options);
      const printed = formatChecklist('prod', results);
      expect(printed).toContain(`[PASS] Identity provider answers as the configured issuer (${ISSUER})`);
      expect(printed).toContain('[PASS] Identity provider publishes a key for ES256 or RS256');
    });

    it('prints no identity provider line without fetch', async () => {
      const results = await runPreflight(clients, resources, options);
      expect(results.map((result) => result.name).join('\n')).not.toContain('Identity provider');
    });
  });
});
