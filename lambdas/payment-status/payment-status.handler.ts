import { getPayment } from '../shared/domain/get-payment';
import { buildStatusContext, type StatusContext } from '../shared/platform/aws-context';
import { type ApiEvent, type ApiResult, errorResponse, json, requestIdOf } from '../shared/platform/http';
import { lambdaHandler } from '../shared/platform/lambda';

/** GET /payments/{orderId}: the order, its audit trail, and the customer's contact data masked. */
export const handleGetPayment = async (event: ApiEvent, ctx: StatusContext): Promise<ApiResult> => {
  const requestId = requestIdOf(event);
  try {
    const payment = await getPayment(ctx, event.pathParameters?.orderId ?? '');
    return json(200, payment, requestId);
  } catch (error) {
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

export const handler = lambdaHandler(buildStatusContext, handleGetPayment);
