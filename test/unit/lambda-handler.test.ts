import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/contract/env';
import type { ApiEvent } from '../../lambdas/shared/platform/http';

const saved = { ...process.env };
beforeAll(() => {
  // What the CDK function construct sets on payment-status; its context makes no AWS call when built.
  Object.assign(process.env, {
    [ENV.stage]: 'test',
    [ENV.tableName]: 'temba-payments-test',
    [ENV.corsAllowedOrigins]: 'https://temba.app, https://www.temba.app',
    // Never fetched: a request without a token is refused before any key is looked up.
    [ENV.customerAuth]: JSON.stringify({
      issuer: 'https://example-project.supabase.co/auth/v1',
      jwksUri: 'https://example-project.supabase.co/auth/v1/.well-known/jwks.json',
      audience: ['authenticated'],
      algorithms: ['ES256'],
    }),
    AWS_REGION: 'eu-west-3',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
});
afterAll(() => {
  process.env = saved;
});

const event = (origin: string) =>
  ({
    resource: '/payments/{orderId}',
    httpMethod: 'GET',
    headers: { Origin: origin },
    pathParameters: { orderId: 'not-an-order-id' },
    requestContext: { requestId: 'req-1' },
  }) as unknown as ApiEvent;

describe('the deployed entry point (lambdaHandler)', () => {
  it('answers an allowed browser origin with CORS headers, through the real handler (a 401 the page can read)', async () => {
    const { handler } = await import('../../lambdas/payment-status/payment-status.handler');
    const result = await handler(event('https://www.temba.app'), {} as Context);
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['WWW-Authenticate']).toBe('Bearer realm="temba-payments"');
    expect(result.headers?.['Access-Control-Allow-Origin']).toBe('https://www.temba.app');
    expect(result.headers?.['X-Request-Id']).toBe('req-1');
  });

  it('gives another origin no CORS headers', async () => {
    const { handler } = await import('../../lambdas/payment-status/payment-status.handler');
    const result = await handler(event('https://evil.example'), {} as Context);
    expect(result.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
