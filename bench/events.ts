import { randomInt, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { CALLBACK_QUERY, ROUTES } from '../lambdas/shared/contract/routes';
import type { ApiEvent } from '../lambdas/shared/platform/http';
import { buildEnvelope } from '../local/paydunya-simulator/envelope';
import { encodeIpnBody } from '../local/paydunya-simulator/ipn';
import type { SimInvoice } from '../local/paydunya-simulator/simulator';

/**
 * A customer's order as the Temba web app sends it; a new customer each time, as in real traffic: a new phone here,
 * a new account (token subject) from the caller.
 */
export const orderBody = () => ({
  amount: 15000,
  currency: 'XOF',
  customer_email: 'awa.ouedraogo@example.bf',
  customer_phone: `+2267${String(randomInt(0, 10_000_000)).padStart(7, '0')}`,
  customer_name: 'Awa Ouedraogo',
  items: [
    { name: 'Concert - Pass VIP', quantity: 1, unit_price: 10000 },
    { name: 'Parking', quantity: 2, unit_price: 2500 },
  ],
});

/** What API Gateway's REST proxy integration hands the function (the fields the handlers read, and the rest). */
const apiEvent = (fields: Partial<ApiEvent> & Pick<ApiEvent, 'resource' | 'path' | 'httpMethod'>): ApiEvent =>
  ({
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    ...fields,
    requestContext: {
      requestId: randomUUID(),
      httpMethod: fields.httpMethod,
      path: fields.path,
      resourcePath: fields.resource,
      stage: 'v1',
      identity: { sourceIp: '196.28.245.10' },
    },
  }) as unknown as ApiEvent;

/** A signed-in customer's `Authorization` header: their bearer token (an ES256 JWT, ~0.5 KB). */
const authorization = (token: string) => ({ authorization: `Bearer ${token}` });

/** POST /payments by the customer whose token is `token` (the Temba web app sends it with every call). */
export const createEvent = (token: string, body: unknown = orderBody()): ApiEvent => {
  const text = JSON.stringify(body);
  return apiEvent({
    resource: ROUTES.createPayment.path,
    path: ROUTES.createPayment.path,
    httpMethod: 'POST',
    headers: {
      ...authorization(token),
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      'content-length': String(Buffer.byteLength(text)),
      'user-agent': 'Mozilla/5.0 (Linux; Android 13) Temba/1.0',
    },
    body: text,
  });
};

/**
 * PayDunya's IPN for a settled invoice, exactly as the simulator would post it (form-encoded `data[...]`, the
 * master key's SHA-512 as hash), to the callback URL the invoice carries (its `o` and `sig` query parameters).
 */
export const ipnEvent = (invoice: SimInvoice, hash: string): ApiEvent => {
  const callback = new URL(invoice.actions.callback_url);
  const query: Record<string, string> = {};
  for (const name of [CALLBACK_QUERY.orderId, CALLBACK_QUERY.signature]) {
    const value = callback.searchParams.get(name);
    if (value !== null) query[name] = value;
  }
  return apiEvent({
    resource: ROUTES.paydunyaWebhook.path,
    path: ROUTES.paydunyaWebhook.path,
    httpMethod: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'GuzzleHttp/7' },
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    body: encodeIpnBody(buildEnvelope(invoice, { hash })),
  });
};

/** GET /payments/{orderId} by the customer whose token is `token` (the order's owner: another's is a 404). */
export const statusEvent = (orderId: string, token: string): ApiEvent =>
  apiEvent({
    resource: ROUTES.getPayment.path,
    path: `/payments/${orderId}`,
    httpMethod: 'GET',
    headers: authorization(token),
    pathParameters: { orderId },
  });

export const lambdaContext = (functionName: string, memoryMb: number): Context => ({
  functionName,
  functionVersion: '1',
  invokedFunctionArn: `arn:aws:lambda:eu-west-3:123456789012:function:${functionName}:live`,
  memoryLimitInMB: String(memoryMb),
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 20_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
