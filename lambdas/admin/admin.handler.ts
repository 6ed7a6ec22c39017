import * as z from 'zod';
import { ROUTES } from '../shared/contract/routes';
import type { ReportDeps } from '../shared/domain/daily-report';
import { NotFoundError, UnsupportedMediaTypeError, ValidationError } from '../shared/domain/errors';
import { toFieldIssues } from '../shared/domain/payment-request.schema';
import { decideReview } from '../shared/domain/review';
import { buildAdminContext } from '../shared/platform/aws-context';
import {
  type ApiEvent,
  type ApiResult,
  errorResponse,
  header,
  json,
  rawBody,
  requestIdOf,
} from '../shared/platform/http';
import { lambdaHandler } from '../shared/platform/lambda';

type AdminContext = ReportDeps;

const reviewBodySchema = z.strictObject({
  decision: z.enum(['approve', 'reject'], { error: 'must be "approve" or "reject"' }),
  reason: z
    .string({ error: 'must be a string' })
    .trim()
    .min(3, { error: 'must say why, in at least 3 characters' })
    .max(500, { error: 'must be at most 500 characters' }),
});

/** Who is acting: the SigV4-verified IAM principal API Gateway passes on. */
const callerOf = (event: ApiEvent): string =>
  event.requestContext?.identity?.userArn ?? event.requestContext?.identity?.caller ?? 'unknown-principal';

/**
 * Operator routes, IAM-authorized at API Gateway: GET /admin/reports/{date} and
 * POST /admin/orders/{orderId}/review `{ decision, reason }`.
 */
export const handleAdmin = async (event: ApiEvent, ctx: AdminContext): Promise<ApiResult> => {
  const requestId = requestIdOf(event);
  try {
    if (event.resource === ROUTES.adminReport.path) {
      const date = event.pathParameters?.date ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        throw new ValidationError('The date must be YYYY-MM-DD.', [
          { path: 'date', message: 'must be YYYY-MM-DD' },
        ]);
      }
      const report = (await ctx.store.getReport(date))?.report;
      if (!report) {
        throw new NotFoundError(
          `No report for ${date} yet: reports are made shortly after midnight UTC for the day before.`,
        );
      }
      return json(200, report, requestId);
    }
    if (!/^application\/json\s*(;|$)/i.test(header(event, 'content-type') ?? '')) {
      throw new UnsupportedMediaTypeError('Send the decision as JSON with "Content-Type: application/json".');
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody(event));
    } catch {
      throw new ValidationError('The request body is not valid JSON.', [], 'INVALID_JSON');
    }
    const parsed = reviewBodySchema.safeParse(body);
    if (!parsed.success)
      throw new ValidationError('The review decision is invalid; see fields.', toFieldIssues(parsed.error));
    const result = await decideReview(ctx, {
      orderId: event.pathParameters?.orderId ?? '',
      ...parsed.data,
      decidedBy: callerOf(event),
    });
    return json(200, result, requestId);
  } catch (error) {
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

export const handler = lambdaHandler(buildAdminContext, handleAdmin);
