import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRAUD_RULE } from '../../lambdas/shared/contract/fraud';
import { COMPLAINT_CATEGORIES } from '../../lambdas/shared/contract/routes';
import { buildReport, describeChange, kpiSummaryOf } from '../../lambdas/shared/domain/daily-report';
import { type Complaint, ORDER_STATUSES } from '../../lambdas/shared/domain/order';
import type { BookedOrder } from '../../lambdas/shared/domain/ports';

/**
 * The complaint and fraud KPIs of the daily report (docs/fraud-kpis.md) against a brute-force count over generated
 * days of orders: every status, screening's reviews with any rules, complaints of every category, both labels.
 */
const GENERATED_AT = '2026-03-02T06:00:00.000Z';
const RULES = Object.values(FRAUD_RULE);

const complaintArb = fc.record({
  complaintId: fc.stringMatching(/^CP[0-9A-Z]{26}$/),
  category: fc.constantFrom(...COMPLAINT_CATEGORIES),
  note: fc.constant('Customer called support.'),
  at: fc.constant('2026-03-03T10:00:00.000Z'),
  by: fc.constant('support-tool'),
  idempotencyKeyHash: fc.constant('k'),
  requestHash: fc.constant('r'),
}) satisfies fc.Arbitrary<Complaint>;

const orderArb = (index: number): fc.Arbitrary<BookedOrder> =>
  fc
    .record(
      {
        status: fc.constantFrom(...ORDER_STATUSES.filter((s) => s !== 'CREATED' && s !== 'PENDING')),
        amount: fc.integer({ min: 200, max: 500_000 }),
        risk: fc.uniqueArray(fc.constantFrom(...RULES), { minLength: 1, maxLength: 3 }),
        complaints: fc.array(complaintArb, { maxLength: 3 }),
        fraudLabel: fc.constantFrom('complaint', 'review-rejected'),
      },
      { requiredKeys: ['status', 'amount'] },
    )
    .map(({ status, amount, risk, complaints, fraudLabel }) => ({
      orderId: `O${String(index).padStart(25, '0')}`,
      status,
      amount,
      ...(risk ? { risk: { decision: 'review' as const, rules: risk } } : {}),
      ...(complaints && complaints.length > 0
        ? { complaintCategories: complaints.map((c) => c.category) }
        : {}),
      ...(fraudLabel ? { fraudLabel: { source: fraudLabel, at: GENERATED_AT, by: 'someone' } } : {}),
    }));

const dayArb = fc
  .integer({ min: 0, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => orderArb(i))));

/** Blocked checkouts of the day (no order): each with the one to three rules that blocked it. */
const blocksArb = fc.array(
  fc.record({ rules: fc.uniqueArray(fc.constantFrom(...RULES), { minLength: 1, maxLength: 3 }) }),
  { maxLength: 20 },
);

/** The definitions of docs/fraud-kpis.md, written out again the slow way. */
const bruteForce = (orders: readonly BookedOrder[], blocks: readonly { rules: readonly string[] }[] = []) => {
  const paid = orders.filter((o) => o.status === 'COMPLETED' || o.status === 'REFUNDED');
  const unpaid = orders.filter((o) => !paid.includes(o));
  const hasComplaint = (o: BookedOrder) => (o.complaintCategories ?? []).length > 0;
  const flagged = paid.filter((o) => o.risk !== undefined);
  const labelled = paid.filter((o) => o.fraudLabel !== undefined);
  const both = flagged.filter((o) => labelled.includes(o));
  const byCategory: Record<string, number> = {};
  for (const category of COMPLAINT_CATEGORIES) {
    const n = orders.flatMap((o) => o.complaintCategories ?? []).filter((c) => c === category).length;
    if (n > 0) byCategory[category] = n;
  }
  const reviewsByRule: Record<string, number> = {};
  for (const rule of RULES) {
    const n = orders.filter((o) => o.risk?.rules.includes(rule)).length;
    if (n > 0) reviewsByRule[rule] = n;
  }
  const blocksByRule: Record<string, number> = {};
  for (const rule of RULES) {
    const n = blocks.filter((b) => b.rules.includes(rule)).length;
    if (n > 0) blocksByRule[rule] = n;
  }
  const share = (a: number, b: number) => (b === 0 ? null : a / b);
  return {
    complaints: {
      paidOrders: paid.filter(hasComplaint).length,
      rate: share(paid.filter(hasComplaint).length, paid.length),
      unpaidOrders: unpaid.filter(hasComplaint).length,
      byCategory,
    },
    fraud: {
      blocked: blocks.length,
      blocksByRule,
      sentToReview: orders.filter((o) => o.risk).length,
      reviewsByRule,
      flagged: flagged.length,
      labelled: labelled.length,
      labelledBySource: {
        complaint: labelled.filter((o) => o.fraudLabel?.source === 'complaint').length,
        'review-rejected': labelled.filter((o) => o.fraudLabel?.source === 'review-rejected').length,
      },
      flaggedAndLabelled: both.length,
      precision: share(both.length, flagged.length),
      recall: share(both.length, labelled.length),
    },
  };
};

/** Shares are kept to 4 decimals: compare them so, and everything else exactly. */
const expectShares = (actual: number | null, expected: number | null) => {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual).toBeCloseTo(expected, 4);
};

describe('daily report: complaint and fraud KPIs', () => {
  it('equal a brute-force count over generated days of orders, complaints, labels and blocked checkouts', () => {
    fc.assert(
      fc.property(dayArb, blocksArb, (orders, blocks) => {
        const report = buildReport('2026-03-01', orders, GENERATED_AT, 1, blocks);
        const expected = bruteForce(orders, blocks);
        const { rate, ...complaintCounts } = report.complaints;
        const { rate: expectedRate, ...expectedComplaintCounts } = expected.complaints;
        expect(complaintCounts).toEqual(expectedComplaintCounts);
        expectShares(rate, expectedRate);
        const { precision, recall, ...fraudCounts } = report.fraud;
        const { precision: p, recall: r, ...expectedFraudCounts } = expected.fraud;
        expect(fraudCounts).toEqual(expectedFraudCounts);
        expectShares(precision, p);
        expectShares(recall, r);
        // The rate's denominator is the report's own paid count.
        expect(report.complaints.paidOrders).toBeLessThanOrEqual(report.paid.count);
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  const paid = (orderId: string, extra: Partial<BookedOrder> = {}): BookedOrder => ({
    orderId,
    status: 'COMPLETED',
    amount: 10_000,
    ...extra,
  });

  it('precision, recall and the complaint rate are null (n/a) on a zero denominator, never 100 %', () => {
    const empty = buildReport('2026-03-01', [], GENERATED_AT);
    expect(empty.complaints.rate).toBeNull();
    expect(empty.fraud.precision).toBeNull();
    expect(empty.fraud.recall).toBeNull();

    // Paid orders, none flagged, none labelled: still nothing to divide by for precision and recall.
    const quiet = buildReport('2026-03-01', [paid('A'), paid('B')], GENERATED_AT);
    expect(quiet.complaints.rate).toBe(0);
    expect(quiet.fraud.precision).toBeNull();
    expect(quiet.fraud.recall).toBeNull();
    expect(kpiSummaryOf(quiet)).toContain('precision n/a (0 of 0');
    expect(kpiSummaryOf(quiet)).toContain('recall n/a (0 of 0');

    // Flagged and unpaid, labelled and unpaid: outside both; the flag still counts as a review decision.
    const unpaid = buildReport(
      '2026-03-01',
      [
        { ...paid('C'), status: 'EXPIRED', risk: { decision: 'review', rules: ['disposable_email'] } },
        { ...paid('D'), status: 'FAILED', fraudLabel: { source: 'complaint', at: GENERATED_AT, by: 'x' } },
      ],
      GENERATED_AT,
    );
    expect(unpaid.fraud).toMatchObject({
      sentToReview: 1,
      reviewsByRule: { disposable_email: 1 },
      flagged: 0,
      labelled: 0,
      precision: null,
      recall: null,
    });
  });

  it('a miss lowers recall and a false alarm lowers precision', () => {
    const label = { source: 'review-rejected' as const, at: GENERATED_AT, by: 'ops' };
    const risk = { decision: 'review' as const, rules: ['customer_velocity', 'phone_velocity'] };
    const report = buildReport(
      '2026-03-01',
      [
        paid('hit', { risk, fraudLabel: label }),
        paid('false-alarm', { risk: { decision: 'review', rules: ['customer_velocity'] } }),
        paid('miss', { fraudLabel: { ...label, source: 'complaint' } }),
        paid('clean'),
      ],
      GENERATED_AT,
    );
    expect(report.fraud).toEqual({
      blocked: 0,
      blocksByRule: {},
      sentToReview: 2,
      reviewsByRule: { customer_velocity: 2, phone_velocity: 1 },
      flagged: 2,
      labelled: 2,
      labelledBySource: { complaint: 1, 'review-rejected': 1 },
      flaggedAndLabelled: 1,
      precision: 0.5,
      recall: 0.5,
    });
    expect(kpiSummaryOf(report)).toContain('customer_velocity 2, phone_velocity 1');
    expect(kpiSummaryOf(report)).toContain('precision 50.0% (1 of 2');
    expect(kpiSummaryOf(report)).toContain('blocked 0 checkouts, which leave no order');
  });

  it("blocked checkouts are counted by rule from their records, apart from precision and recall, and named in the report's text", () => {
    const report = buildReport('2026-03-01', [paid('A')], GENERATED_AT, 1, [
      { rules: [FRAUD_RULE.cardTesting] },
      { rules: [FRAUD_RULE.cardTesting, FRAUD_RULE.disposableEmail] },
    ]);
    expect(report.fraud.blocked).toBe(2);
    expect(report.fraud.blocksByRule).toEqual({ card_testing: 2, disposable_email: 1 });
    expect(report.fraud.precision).toBeNull();
    expect(report.fraud.recall).toBeNull();
    expect(kpiSummaryOf(report)).toContain('blocked 2 checkouts (card_testing 2, disposable_email 1)');
  });

  it('a later complaint is a change the re-issue names', () => {
    const complaint: Complaint = {
      complaintId: 'CP01',
      category: 'unauthorized',
      note: 'not me',
      at: GENERATED_AT,
      by: 'support',
      idempotencyKeyHash: 'k',
      requestHash: 'r',
    };
    const before = buildReport('2026-03-01', [paid('A'), paid('B')], GENERATED_AT);
    const after = buildReport(
      '2026-03-01',
      [
        paid('A', {
          complaintCategories: [complaint.category],
          fraudLabel: { source: 'complaint', at: GENERATED_AT, by: 'support', ref: 'CP01' },
        }),
        paid('B'),
      ],
      GENERATED_AT,
      2,
    );
    expect(describeChange(before, after)).toBe(
      'complaints 0 → 1; paid orders complained about 0 → 1; labelled as fraud 0 → 1; complaint rate 0.0% → 50.0%; fraud recall n/a → 0.0%',
    );
    // A report stored before these KPIs existed says so when it is revised.
    const { complaints: _c, fraud: _f, ...legacy } = before;
    expect(describeChange(legacy as typeof before, before)).toBe('complaint and fraud KPIs added');
  });
});
