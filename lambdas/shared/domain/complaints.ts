import { METRICS } from '../contract/metrics';
import { LIMITS } from '../contract/routes';
import { canonicalJson } from './canonical-json';
import type { AppContext } from './context';
import { sha256Hex } from './crypto';
import { reissueReportIfBuilt } from './daily-report';
import { ConflictError, IdempotencyConflictError, NotFoundError, StoreBusyError } from './errors';
import { newOrderId, ORDER_ID_PATTERN } from './ids';
import type { Complaint, ComplaintCategory, FraudLabel, Order } from './order';

export const COMPLAINT_ID_PATTERN = /^CP[0-9A-HJKMNP-TV-Z]{26}$/;

/** Reads and conditional writes tried before giving up under contention (StoreBusyError: 503, retry later). */
const MAX_WRITE_ATTEMPTS = 5;

/** `alerts`: a complaint on an order of a day already reported re-issues that report (the on-call is told). */
export type ComplaintDeps = Pick<AppContext, 'store' | 'telemetry' | 'clock' | 'alerts'>;

export interface ComplaintInput {
  readonly orderId: string;
  readonly idempotencyKey: string;
  readonly category: ComplaintCategory;
  /** Trimmed, LIMITS.complaint bounds checked by the handler's schema. May hold the customer's words. */
  readonly note: string;
  /** The IAM principal of the support tool. */
  readonly by: string;
}

/** A complaint as Temba's services see it (the note included: they are IAM principals). */
export const complaintView = (complaint: Complaint) => ({
  complaintId: complaint.complaintId,
  category: complaint.category,
  note: complaint.note,
  at: complaint.at,
  by: complaint.by,
});

const answer = (order: Order, complaint: Complaint, replayed: boolean) => ({
  orderId: order.orderId,
  ...complaintView(complaint),
  ...(order.fraudLabel ? { fraudLabel: order.fraudLabel } : {}),
  replayed,
});

/**
 * POST /payments/{orderId}/complaints: support records a customer's complaint on the order.
 *
 * Input: the order, an Idempotency-Key, a category and a note. Output: the complaint as recorded (and the order's
 * fraud label, if any), `replayed` when the key had already recorded it.
 * Steps: read the order (unknown: 404, nothing written); a complaint already recorded with this key answers it
 * again (another body with the key: 409); past LIMITS.complaint.maxPerOrder: 409; otherwise ONE conditional write
 * of the order item on its version keeps the complaint in the order's `complaints`, appends the audit event
 * (category and id, never the note: the trail is shown to the customer) and, for `unauthorized`, labels the
 * payment as fraud unless it already is. A lost race re-reads and tries again; then the complaint is counted
 * (ComplaintRecorded, by category; FraudLabelled when it labelled the payment), once per complaint whatever is
 * retried. A complaint counts in the complaint rate of the day its order was booked on (docs/fraud-kpis.md): if that
 * day's report was already made, it is re-issued as a new revision (best effort, as for review decisions).
 * Any order may be complained about, paid or not: a customer charged for an order we show as failed is exactly
 * what support must be able to record.
 */
export const recordComplaint = async (ctx: ComplaintDeps, input: ComplaintInput) => {
  const keyHash = sha256Hex(input.idempotencyKey);
  const requestHash = sha256Hex(canonicalJson({ category: input.category, note: input.note }));
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const order = ORDER_ID_PATTERN.test(input.orderId) ? await ctx.store.getOrder(input.orderId) : undefined;
    if (!order) throw new NotFoundError(`No payment with id "${input.orderId.slice(0, 40)}".`);
    const known = Object.values(order.complaints ?? {});
    const earlier = known.find((complaint) => complaint.idempotencyKeyHash === keyHash);
    if (earlier) {
      if (earlier.requestHash !== requestHash) {
        throw new IdempotencyConflictError(
          'This Idempotency-Key was already used for another complaint. Use a new key for a new complaint.',
          'IDEMPOTENCY_KEY_REUSED',
        );
      }
      return answer(order, earlier, true);
    }
    if (known.length >= LIMITS.complaint.maxPerOrder) {
      throw new ConflictError(
        `Payment ${order.orderId} already has ${known.length} complaints, the most one payment keeps: add to an existing one in the support tool, or escalate.`,
        'TOO_MANY_COMPLAINTS',
      );
    }
    const at = ctx.clock.now().toISOString();
    const complaint: Complaint = {
      complaintId: `CP${newOrderId(new Date(at))}`,
      category: input.category,
      note: input.note,
      at,
      by: input.by,
      idempotencyKeyHash: keyHash,
      requestHash,
    };
    const label: FraudLabel | undefined =
      input.category === 'unauthorized' && !order.fraudLabel
        ? { source: 'complaint', at, by: input.by, ref: complaint.complaintId }
        : undefined;
    const result = await ctx.store.transition({
      order,
      to: order.status,
      at,
      set: {
        complaints: { ...order.complaints, [complaint.complaintId]: complaint },
        complaintCategories: [...(order.complaintCategories ?? []), input.category],
        ...(label ? { fraudLabel: label } : {}),
      },
      audit: {
        actor: 'service',
        reason: `complaint recorded: ${input.category}${label ? ', payment labelled as fraud' : ''}`,
        details: { complaintId: complaint.complaintId, category: input.category, by: input.by },
      },
    });
    if (result !== 'applied') continue;
    ctx.telemetry.count(METRICS.complaintRecorded, 1, { category: input.category });
    if (label) {
      ctx.telemetry.count(METRICS.fraudLabelled, 1, {
        source: label.source,
        flagged: order.risk ? 'yes' : 'no',
      });
    }
    ctx.telemetry.info('complaint recorded', {
      orderId: order.orderId,
      complaintId: complaint.complaintId,
      category: input.category,
      fraudLabelled: label !== undefined,
    });
    const recorded: Order = {
      ...order,
      complaints: { ...order.complaints, [complaint.complaintId]: complaint },
      complaintCategories: [...(order.complaintCategories ?? []), input.category],
      ...(label ? { fraudLabel: label } : {}),
    };
    if (order.bookedDay) {
      await reissueReportIfBuilt(ctx, order.bookedDay, `a complaint on order ${order.orderId}`, [recorded]);
    }
    return answer(recorded, complaint, false);
  }
  throw new StoreBusyError(`record complaint on ${input.orderId}`, 'conflict');
};
