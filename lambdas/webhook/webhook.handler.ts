import { METRICS } from '../shared/contract/metrics';
import { CALLBACK_QUERY, LIMITS, ROUTES } from '../shared/contract/routes';
import { handleDisbursementCallback } from '../shared/domain/disbursement-callback';
import { handleIpn } from '../shared/domain/handle-ipn';
import { parseIpn } from '../shared/paydunya/ipn';
import { buildWebhookContext, type WebhookContext } from '../shared/platform/aws-context';
import { noteCorrelation } from '../shared/platform/correlation';
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

/**
 * POST /webhooks/paydunya/disbursements: a trigger to settle a submitted refund with check-status. 200 unless the
 * URL's signature is not ours (401).
 */
const handleDisbursementWebhook = async (event: ApiEvent, ctx: WebhookContext): Promise<ApiResult> => {
  const requestId = requestIdOf(event);
  try {
    const query = event.queryStringParameters ?? {};
    const result = await handleDisbursementCallback(ctx, {
      orderId: query[CALLBACK_QUERY.orderId],
      refundId: query[CALLBACK_QUERY.refundId],
      signature: query[CALLBACK_QUERY.signature],
      hasBody: rawBody(event).trim().length > 0,
    });
    return json(200, { received: true, ...result }, requestId);
  } catch (error) {
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

/**
 * POST /webhooks/paydunya. 200 means "handled, do not resend" (including bodies we ignore); 401 means not
 * authentic; 503 means it could not be recorded yet, so a retry (or reconcile) will finish the job.
 */
export const handleWebhook = async (event: ApiEvent, ctx: WebhookContext): Promise<ApiResult> => {
  if (event.resource === ROUTES.disbursementWebhook.path) return handleDisbursementWebhook(event, ctx);
  const requestId = requestIdOf(event);
  try {
    // An oversized body is no IPN; acknowledging it keeps the contract "unreadable body → 200, nothing changes".
    const notice =
      bodyBytes(event) > LIMITS.maxBodyBytes
        ? undefined
        : parseIpn(rawBody(event), header(event, 'content-type'));
    // The invoice token correlates this request's log lines with the order's other requests.
    noteCorrelation({ token: notice?.token });
    const query = event.queryStringParameters ?? {};
    const result = await handleIpn(ctx, {
      notice,
      callbackOrderId: query[CALLBACK_QUERY.orderId],
      callbackSignature: query[CALLBACK_QUERY.signature],
    });
    if (result.kind === 'retry-later') {
      ctx.telemetry.count(METRICS.webhookFailed);
      return json(
        503,
        {
          error: {
            code: 'TRY_AGAIN_LATER',
            message: 'The notification could not be recorded yet; please resend it.',
            requestId,
          },
        },
        requestId,
        { 'Retry-After': '30' },
      );
    }
    return json(200, { received: true, outcome: result.outcome }, requestId);
  } catch (error) {
    if (!(error instanceof Error && 'status' in error)) {
      ctx.telemetry.count(METRICS.webhookFailed);
    }
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

export const handler = lambdaHandler(buildWebhookContext, handleWebhook);
