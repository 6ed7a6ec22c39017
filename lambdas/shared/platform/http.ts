import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AppError, StoreBusyError } from '../domain/errors';
import type { Telemetry } from '../domain/ports';
import { classifyWriteError } from '../store/write-retry';

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

// A JSON API is never framed, sniffed, cached or loaded over plain HTTP.
const SECURITY_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

export const requestIdOf = (event: ApiEvent): string => event.requestContext?.requestId ?? 'unknown';

export const header = (event: ApiEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
};

/** The body as API Gateway delivered it, base64-decoded when it says so. */
export const rawBody = (event: ApiEvent): string => {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

export const bodyBytes = (event: ApiEvent): number => {
  if (!event.body) return 0;
  return event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').length
    : Buffer.byteLength(event.body, 'utf8');
};

export const json = (
  statusCode: number,
  body: unknown,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): ApiResult => ({
  statusCode,
  headers: { ...SECURITY_HEADERS, 'X-Request-Id': requestId, ...headers },
  body: JSON.stringify(body),
});

/**
 * The one place errors become responses. Typed errors keep their status and message; anything else is a
 * generic 500 carrying the request id, logged in full but never serialised.
 */
export const errorResponse = (error: unknown, requestId: string, telemetry: Telemetry): ApiResult => {
  if (error instanceof AppError) {
    const headers: Record<string, string> = { ...error.headers };
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
    return json(
      error.status,
      {
        error: {
          code: error.code,
          message: error.message,
          ...(error.fields && error.fields.length > 0 ? { fields: error.fields } : {}),
          requestId,
        },
      },
      requestId,
      headers,
    );
  }
  // A read (or a write outside the store's retry) that met DynamoDB's throttling, a conflict or a lost answer
  // decided nothing: the caller may come back, as for StoreBusyError, never a 500.
  const failure = classifyWriteError(error);
  if (failure === 'throttled' || failure === 'conflict' || failure === 'unknown') {
    telemetry.warn('the database did not answer in time; the caller is told to retry', {
      requestId,
      kind: failure,
      error: error instanceof Error ? error.name : String(error),
    });
    return errorResponse(new StoreBusyError('request', failure), requestId, telemetry);
  }
  telemetry.error('unhandled error', {
    requestId,
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return json(
    500,
    {
      error: {
        code: 'INTERNAL_ERROR',
        message: 'Something went wrong on our side. Please retry later and quote the request id.',
        requestId,
      },
    },
    requestId,
  );
};

/**
 * CORS for the browser checkout: the allowed origin is echoed back, never `*`, and caches are told the answer
 * depends on the Origin header. API Gateway answers the preflight; this covers the actual response.
 */
export const withCors = (
  event: ApiEvent,
  result: ApiResult,
  allowedOrigins: readonly string[],
): ApiResult => {
  const origin = header(event, 'origin');
  if (!origin || !allowedOrigins.includes(origin)) return result;
  return {
    ...result,
    headers: {
      ...result.headers,
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': 'X-Request-Id, Retry-After, Idempotent-Replayed, WWW-Authenticate',
      Vary: 'Origin',
    },
  };
};
