import * as z from 'zod';
import { COMPLAINT_CATEGORIES, LIMITS, ROUTES } from '../shared/contract/routes';
import { recordComplaint } from '../shared/domain/complaints';
import { NotFoundError, UnsupportedMediaTypeError, ValidationError } from '../shared/domain/errors';
import { recordFulfilment } from '../shared/domain/fulfilment';
import { getPayment } from '../shared/domain/get-payment';
import { referenceSchema, toFieldIssues } from '../shared/domain/payment-request.schema';
import { requestRefund } from '../shared/domain/refunds';
import { decideReview } from '../shared/domain/review';
import { type AdminContext, buildAdminContext } from '../shared/platform/aws-context';
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

const reason = (min: number, what: string) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(min, { error: `must say ${what}, in at least ${min} characters` })
    .max(500, { error: 'must be at most 500 characters' });

export const reviewBodySchema = z.strictObject({
  decision: z.enum(['approve', 'reject'], { error: 'must be "approve" or "reject"' }),
  reason: reason(3, 'why'),
});

export const fulfilmentBodySchema = z.strictObject({
  outcome: z.enum(['delivered', 'failed'], { error: 'must be "delivered" or "failed"' }),
  reason: reason(1, 'why').optional(),
});

export const refundBodySchema = z.strictObject({
  amount: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number of XOF' })
    .positive({ error: 'must be at least 1 XOF' })
    .optional(),
  reason: reason(3, 'why the customer is refunded'),
});

const { noteMinLength, noteMaxLength } = LIMITS.complaint;
export const complaintBodySchema = z.strictObject({
  category: z.enum(COMPLAINT_CATEGORIES, {
    error: `must be one of ${COMPLAINT_CATEGORIES.map((c) => `"${c}"`).join(', ')}`,
  }),
  // Required: a category alone does not tell whoever reads the audit later what happened. Bounded: a summary of
  // the customer's words, kept in the order item (the conversation itself stays in the support tool).
  note: z
    .string({ error: 'must be a string' })
    .trim()
    .min(noteMinLength, {
      error: `must say what the customer reported, in at least ${noteMinLength} characters`,
    })
    .max(noteMaxLength, { error: `must be at most ${noteMaxLength} characters` }),
});

/** Who is acting: the SigV4-verified IAM principal API Gateway passes on. */
const callerOf = (event: ApiEvent): string =>
  event.requestContext?.identity?.userArn ?? event.requestContext?.identity?.caller ?? 'unknown-principal';

const parseBody = <T>(event: ApiEvent, schema: z.ZodType<T>, what: string): T => {
  if (!/^application\/json\s*(;|$)/i.test(header(event, 'content-type') ?? '')) {
    throw new UnsupportedMediaTypeError(`Send the ${what} as JSON with "Content-Type: application/json".`);
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody(event));
  } catch {
    throw new ValidationError('The request body is not valid JSON.', [], 'INVALID_JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new ValidationError(`The ${what} is invalid; see fields.`, toFieldIssues(parsed.error));
  return parsed.data;
};

const idempotencyKeyOf = (event: ApiEvent, what: string): string => {
  const key = header(event, 'idempotency-key');
  if (!key || !LIMITS.idempotencyKeyPattern.test(key)) {
    throw new ValidationError(`${what} needs an Idempotency-Key header: 8 to 128 of A-Z a-z 0-9 _ -.`, [
      { path: 'Idempotency-Key', message: key ? 'must be 8 to 128 of A-Z a-z 0-9 _ -' : 'is required' },
    ]);
  }
  return key;
};

const orderIdOf = (event: ApiEvent): string => event.pathParameters?.orderId ?? '';

/** GET /reservations/{reference}/payments: the payments made for one of Temba's reservations, newest first. */
const paymentsOfReservation = async (ctx: AdminContext, reference: string) => {
  const parsed = referenceSchema.safeParse(reference);
  if (!parsed.success) {
    throw new ValidationError('The reference is invalid.', [
      { path: 'reference', message: 'must be 1 to 64 of A-Z, a-z, 0-9, "_" and "-"' },
    ]);
  }
  const payments = [];
  for await (const { orderId } of ctx.store.listByReference(parsed.data)) {
    payments.push(await getPayment(ctx, orderId));
  }
  return { reference: parsed.data, payments: payments.reverse() };
};

/**
 * The internal routes, IAM-authorized at API Gateway (Temba's services and operators): reports, review decisions,
 * fulfilment acknowledgements, refunds, customer complaints, and the payments of a reservation.
 */
export const handleAdmin = async (event: ApiEvent, ctx: AdminContext): Promise<ApiResult> => {
  const requestId = requestIdOf(event);
  try {
    switch (event.resource) {
      case ROUTES.adminReport.path: {
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
      case ROUTES.adminReview.path: {
        const body = parseBody(event, reviewBodySchema, 'review decision');
        const result = await decideReview(ctx, {
          orderId: orderIdOf(event),
          ...body,
          decidedBy: callerOf(event),
        });
        return json(200, result, requestId);
      }
      case ROUTES.recordFulfilment.path: {
        const body = parseBody(event, fulfilmentBodySchema, 'fulfilment acknowledgement');
        const { replayed: _, ...result } = await recordFulfilment(ctx, {
          orderId: orderIdOf(event),
          outcome: body.outcome,
          ...(body.reason ? { reason: body.reason } : {}),
          by: callerOf(event),
        });
        return json(200, result, requestId);
      }
      case ROUTES.requestRefund.path: {
        const idempotencyKey = idempotencyKeyOf(event, 'A refund');
        const body = parseBody(event, refundBodySchema, 'refund request');
        const result = await requestRefund(ctx, {
          orderId: orderIdOf(event),
          idempotencyKey,
          ...(body.amount !== undefined ? { amount: body.amount } : {}),
          reason: body.reason,
          requestedBy: callerOf(event),
        });
        return json(
          202,
          { orderId: orderIdOf(event), ...result.refund, refundedAmount: result.refundedAmount },
          requestId,
          result.replayed ? { 'Idempotent-Replayed': 'true' } : {},
        );
      }
      case ROUTES.recordComplaint.path: {
        const idempotencyKey = idempotencyKeyOf(event, 'A complaint');
        const body = parseBody(event, complaintBodySchema, 'complaint');
        const { replayed, ...result } = await recordComplaint(ctx, {
          orderId: orderIdOf(event),
          idempotencyKey,
          category: body.category,
          note: body.note,
          by: callerOf(event),
        });
        return json(201, result, requestId, replayed ? { 'Idempotent-Replayed': 'true' } : {});
      }
      case ROUTES.findByReference.path:
        return json(200, await paymentsOfReservation(ctx, event.pathParameters?.reference ?? ''), requestId);
      default:
        throw new NotFoundError('No such route.');
    }
  } catch (error) {
    return errorResponse(error, requestId, ctx.telemetry);
  }
};

export const handler = lambdaHandler(buildAdminContext, handleAdmin);
