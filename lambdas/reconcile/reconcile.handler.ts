import * as z from 'zod';
import { ENV } from '../shared/contract/env';
import { THRESHOLDS } from '../shared/contract/thresholds';
import { type ReconcileDeps, reconcilePending, runDailyReport } from '../shared/domain/reconcile';
import { buildReconcileContext } from '../shared/platform/aws-context';
import { scheduledHandler } from '../shared/platform/lambda';

/**
 * The schedules' input (set by the CDK schedule targets): `{ "task": "reconcile" }` every 15 minutes, and
 * `{ "task": "daily-report" }` once a day for the day before (or `"day": "YYYY-MM-DD"` to redo one).
 */
export const scheduleInputSchema = z.discriminatedUnion('task', [
  z.object({ task: z.literal('reconcile'), olderThanMinutes: z.number().int().min(1).optional() }),
  z.object({
    task: z.literal('daily-report'),
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
  }),
]);
export type ScheduleInput = z.infer<typeof scheduleInputSchema>;

/** The stage's checkout window (ENV.checkoutWindowMinutes), or the default. */
const checkoutWindowMinutes = () =>
  z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .parse(process.env[ENV.checkoutWindowMinutes] ?? THRESHOLDS.checkout.windowMinutes);

const yesterday = (now: Date) => new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);

/** The stage's acknowledgement window (ENV.fulfilmentAckMinutes), or the default. */
const fulfilmentAckMinutes = () =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .parse(process.env[ENV.fulfilmentAckMinutes] ?? THRESHOLDS.fulfilment.ackMinutes);

export const handleSchedule = async (event: unknown, ctx: ReconcileDeps) => {
  const input = scheduleInputSchema.parse(event);
  const { reconcile } = THRESHOLDS;
  if (input.task === 'reconcile') {
    return reconcilePending(ctx, {
      olderThanMinutes: input.olderThanMinutes ?? reconcile.pendingOlderThanMinutes,
      invoiceExpiryHours: reconcile.invoiceExpiryHours,
      concurrency: reconcile.concurrency,
      checkoutWindowMinutes: checkoutWindowMinutes(),
      fulfilmentAckMinutes: fulfilmentAckMinutes(),
    });
  }
  return runDailyReport(ctx, input.day ?? yesterday(ctx.clock.now()), {
    recheckHours: reconcile.recheckSettledHours,
    concurrency: reconcile.concurrency,
  });
};

export const handler = scheduledHandler(buildReconcileContext, handleSchedule);
