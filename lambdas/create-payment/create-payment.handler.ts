import { LIMITS } from '../shared/contract/routes';
import type { AppContext } from '../shared/domain/context';
import { createPayment } from '../shared/domain/create-payment';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../shared/domain/errors';
import { parsePaymentRequest } from '../shared/domain/payment-request.schema';
import type { CheckoutSource } from '../shared/domain/screen-checkout';
import { buildCreatePaymentContext } from '../shared/platform/aws-context';
import { noteSensitive } from '../shared/platform/correlation';
import {
  type ApiEvent,
  type ApiResult,
  bodyBytes,
  errorResponse,
  header,
  json,
  rawBody,
  requestIdOf,
} from '../shared/platform/http';
import { lambdaHandler } from '../shared/platform/lambda';

const isJson = (contentType: string | undefined): boolean =>
  /^application\/json\s*(;|$)/i.test((contentType ?? '').trim());

const idempotencyKeyOf = (event: ApiEvent): string => {
  const key = header(event, 'idempotency-key')?.trim();
  const path = 'headers.Idempotency-Key';
  if (!key) {
    throw new ValidationError(
      'The Idempotency-Key header is required: send a new random value (a UUID) for each new payment, and the same value when you retry it.',
      [{ path, message: 'is required' }],
      'IDEMPOTENCY_KEY_MISSING',
    );
  }
  if (!LIMITS.idempotencyKeyPattern.test(key)) {
    throw new ValidationError(
      'The Idempotency-Key header is malformed.',
      [{ path, message: 'must be 8 to 128 characters of letters, digits, "-" or "_" (a UUID works)' }],
      'IDEMPOTENCY_KEY_INVALID',
    );
  }
  return key;
};

/**
 * Where the request came from, for fraud screening: API Gateway's source IP, and a country when the edge adds one
 * (CloudFront's viewer-country header, or the header a WAF geo rule inserts). A malformed country is ignored.
 */
const sourceOf = (event: ApiEvent): CheckoutSource => {
  const country = (header(event, 'cloudfront-viewer-country') ?? header(event, 'x-amzn-waf-viewer-country'))
    ?.trim()
    .toUpperCase();
  return {
    ip: event.requestContext?.identity?.sourceIp ?? 'unknown',
    ...(country && /^[A-Z]{2}$/.test(country) ? { country } : {}),
  };
};

/**
 * POST /payments: a signed-in customer only (nothing is read, written or called before the token is verified), then
 * size, type, key and body are checked before anything is written, then the payment is created.
 */
export const handleCreatePayment = async (event: ApiEvent, ctx: AppContext): Promise<ApiResult> => {
  const requestId = requestIdOf(event);
  try {
    const { subject } = await ctx.auth.authenticate(header(event, 'authorization'));
    if (bodyBytes(event) > LIMITS.maxBodyBytes) {
      throw new PayloadTooLargeError(`The request body must be at most ${LIMITS.maxBodyBytes} bytes.`);
    }
    if (!isJson(header(event, 'content-type'))) {
      throw new UnsupportedMediaTypeError('Send the payment as JSON with "Content-Type: application/json".');
    }
    const idempotencyKey = idempotencyKeyOf(event);
    let body: unknown;
    try {
      body = JSON.parse(rawBody(event));
    } catch {
      throw new ValidationError('The request body is not valid JSON.', [], 'INVALID_JSON');
    }
    const request = parsePaymentRequest(body);
    // Whatever this request logs from here on, the customer's own details are redacted from it verbatim.
    noteSensitive([request.customer_name, request.customer_email, request.customer_phone]);
    const result = await createPayment(ctx, { idempotencyKey, request, subject, source: sourceOf(event) });
    return json(
      result.response.statusCode,
      result.response.body,
      requestId,
      result.replayed ? { 'Idempotent-Replayed': 'true' } : {},
    );
  } catch (error) {
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

export const handler = lambdaHandler(buildCreatePaymentContext, handleCreatePayment);
