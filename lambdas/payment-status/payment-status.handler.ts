import { ROUTES } from '../shared/contract/routes';
import { getPayment } from '../shared/domain/get-payment';
import { listPayments, parseListQuery } from '../shared/domain/list-payments';
import { buildStatusContext, type StatusContext } from '../shared/platform/aws-context';
import {
  type ApiEvent,
  type ApiResult,
  errorResponse,
  header,
  json,
  requestIdOf,
} from '../shared/platform/http';
import { lambdaHandler } from '../shared/platform/lambda';

/**
 * A signed-in customer's payments: GET /payments (their own, newest first, paginated) and GET /payments/{orderId}
 * (the order, its audit trail and refunds, contact data masked; another account's order is a 404).
 */
export const handleGetPayment = async (event: ApiEvent, ctx: StatusContext): Promise<ApiResult> => {
  const requestId = requestIdOf(event);
  try {
    const { subject } = await ctx.auth.authenticate(header(event, 'authorization'));
    if (event.resource === ROUTES.listPayments.path) {
      const page = parseListQuery(event.queryStringParameters ?? {});
      return json(200, await listPayments(ctx, subject, page), requestId);
    }
    return json(200, await getPayment(ctx, event.pathParameters?.orderId ?? '', subject), requestId);
  } catch (error) {
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

export const handler = lambdaHandler(buildStatusContext, handleGetPayment);
