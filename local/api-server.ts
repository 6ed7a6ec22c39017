import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from '../lambdas/admin/admin.handler';
import { handleCreatePayment } from '../lambdas/create-payment/create-payment.handler';
import { handleGetPayment } from '../lambdas/payment-status/payment-status.handler';
import { ROUTES, type RouteName } from '../lambdas/shared/contract/routes';
import type { AppContext } from '../lambdas/shared/domain/context';
import { withCorrelation } from '../lambdas/shared/platform/correlation';
import { type ApiEvent, type ApiResult, json } from '../lambdas/shared/platform/http';
import { handleWebhook } from '../lambdas/webhook/webhook.handler';

// API Gateway REST refuses payloads over 10 MB before any Lambda runs; the emulation stops reading at 1 MiB.
const MAX_READ_BYTES = 1024 * 1024;

type Handler = (event: ApiEvent, ctx: AppContext) => Promise<ApiResult>;

interface Route {
  readonly method: string;
  readonly resource: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly handler: Handler;
}

const route = (definition: { method: string; path: string }, handler: Handler): Route => {
  const params: string[] = [];
  const pattern = new RegExp(
    `^${definition.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      params.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { method: definition.method, resource: definition.path, pattern, params, handler };
};

/** The handler of each function: every route of the contract is served, by the function that serves it on AWS. */
const HANDLERS: Readonly<Record<(typeof ROUTES)[RouteName]['fn'], Handler>> = {
  'create-payment': handleCreatePayment,
  'payment-status': handleGetPayment,
  webhook: handleWebhook,
  admin: handleAdmin,
};

const ROUTE_TABLE: readonly Route[] = Object.values(ROUTES).map((definition) =>
  route(definition, HANDLERS[definition.fn]),
);

const readBody = (request: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_READ_BYTES) {
        resolve('too-large');
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const toEvent = (
  request: IncomingMessage,
  url: URL,
  matched: Route,
  match: RegExpExecArray,
  body: Buffer,
): ApiEvent => {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    multiValueHeaders[name] = values;
    headers[name] = values[values.length - 1] ?? '';
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const pathParameters: Record<string, string> = {};
  matched.params.forEach((name, index) => {
    pathParameters[name] = decodeURIComponent(match[index + 1] ?? '');
  });
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: matched.resource,
    path: url.pathname,
    httpMethod: matched.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: matched.params.length > 0 ? pathParameters : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      httpMethod: matched.method,
      path: url.pathname,
      resourcePath: matched.resource,
      stage: 'local',
      // Internal routes are IAM-authorized on AWS; locally the operator is whoever can reach loopback.
      identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userArn: 'local-operator' },
    },
  } as unknown as ApiEvent;
};

const send = (response: ServerResponse, result: ApiResult): void => {
  response.writeHead(result.statusCode, result.headers as Record<string, string>);
  response.end(result.body);
};

/** The pages PayDunya sends the browser back to; in production they belong to Temba's web app. */
const returnPage = (url: URL): ApiResult => {
  const token = (url.searchParams.get('token') ?? '').replace(/[^A-Za-z0-9_-]/g, '');
  const cancelled = url.pathname.endsWith('/cancel');
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Temba checkout</title></head><body>
<h1>${cancelled ? 'Payment cancelled' : 'Back from PayDunya'}</h1>
<p>Invoice token: <code>${token || '(none)'}</code></p>
<p>The order's status is at <code>GET /payments/{orderId}</code>.</p></body></html>`;
  return {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'",
      'Cache-Control': 'no-store',
    },
    body,
  };
};

/** The API's OpenAPI document (docs/openapi.json, made by `npm run openapi`), read when first asked for. */
let openApiJson: string | undefined;
const openApiDocument = (): ApiResult => {
  openApiJson ??= readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8');
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' },
    body: openApiJson,
  };
};

export interface ApiServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** API Gateway's REST proxy integration, emulated on loopback: the real handlers get the events Lambda would. */
export const startApiServer = async (
  ctx: AppContext,
  port: number,
  options: { readonly afterRequest?: () => void } = {},
): Promise<ApiServer> => {
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const requestId = randomUUID();
    try {
      if (
        request.method === 'GET' &&
        (url.pathname === '/checkout/return' || url.pathname === '/checkout/cancel')
      ) {
        return send(response, returnPage(url));
      }
      if (request.method === 'GET' && url.pathname === '/openapi.json')
        return send(response, openApiDocument());
      const candidates = ROUTE_TABLE.map((r) => ({ r, match: r.pattern.exec(url.pathname) })).filter(
        (c) => c.match,
      );
      const found = candidates.find((c) => c.r.method === request.method);
      if (!found?.match) {
        const status = candidates.length > 0 ? 405 : 404;
        return send(
          response,
          json(
            status,
            {
              error: {
                code: status === 405 ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND',
                message: status === 405 ? `${request.method} is not allowed here.` : 'No such route.',
                requestId,
              },
            },
            requestId,
          ),
        );
      }
      const body = await readBody(request);
      if (body === 'too-large') {
        return send(
          response,
          json(
            413,
            { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large.', requestId } },
            requestId,
          ),
        );
      }
      try {
        const event = toEvent(request, url, found.r, found.match, body);
        // As on Lambda: each request logs under its own correlation scope (request id, then order id, token).
        const requestId = event.requestContext.requestId;
        send(response, await withCorrelation({ requestId }, () => found.r.handler(event, ctx)));
      } finally {
        options.afterRequest?.();
      }
    } catch (error) {
      console.error('local API server error', error);
      if (!response.headersSent) {
        send(
          response,
          json(
            500,
            { error: { code: 'INTERNAL_ERROR', message: 'Local server error.', requestId } },
            requestId,
          ),
        );
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
