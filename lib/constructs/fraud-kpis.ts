import { Duration } from 'aws-cdk-lib';
import {
  type Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { FRAUD_RULE } from '../../lambdas/shared/contract/fraud';
import {
  METRIC_NAMESPACE,
  METRICS,
  type MetricName,
  SERVICE_NAME,
} from '../../lambdas/shared/contract/metrics';
import { serviceMetric } from './payments-monitoring';

export interface FraudKpisProps {
  /** The stage's dashboard: the fraud and complaint KPIs get their rows. */
  readonly dashboard: Dashboard;
}

/** Screening's decisions, as FraudScreened's `decision` dimension says them. */
export const SCREENING_DECISIONS = ['allow', 'review', 'block'] as const;
/** What labels a payment as fraud, as FraudLabelled's `source` dimension says it. */
export const FRAUD_LABEL_SOURCES = ['complaint', 'review-rejected'] as const;

/** The dashboard's titles, for the infra test and docs/fraud-kpis.md. */
export const FRAUD_KPI_WIDGETS = {
  kpis: 'Fraud and complaint KPIs over the time range (live; the daily report has the figures of record)',
  decisions: 'Fraud screening decisions (per hour)',
  blockedByRule: 'Checkouts blocked, by rule (per hour)',
  reviewedByRule: 'Checkouts sent to review, by rule (per hour)',
  labels: 'Fraud labels, by source and screening (per hour)',
  methods: 'Payments completed, by payment method (per hour)',
  countries: 'Checkouts by country, where the request carries one (per hour)',
} as const;

const sum = (ids: readonly string[]) => ids.map((id) => `FILL(${id},0)`).join('+');

/**
 * The go-live plan's "honest KPIs" on the stage's dashboard (issue 15; definitions in docs/fraud-kpis.md):
 *
 * - live shares over the dashboard's time range, counted when things are recorded: complaint rate, review and block
 *   rates, and precision and recall against the fraud labels recorded in the range. Each is no value (n/a), never
 *   100 %, when its denominator is 0. The daily report's figures, per booked day and revised as labels arrive, are
 *   the ones of record;
 * - screening's decisions, and the rules that fired on blocked and on reviewed checkouts (one line per FRAUD_RULE:
 *   blocked checkouts leave no order, so this is the only place their rules are counted);
 * - fraud labels by source and by whether screening had sent the checkout to review;
 * - completed payments by payment method (a SEARCH over PaymentCompleted's `method` dimension: methods are
 *   PayDunya's names, not ours to list).
 *
 * - checkouts by country where the request carries one (CheckoutCountry, counted by screening; README says why few
 *   do today).
 *
 * Complaints by category have their row already (CustomerComplaints).
 */
export class FraudKpis extends Construct {
  constructor(scope: Construct, id: string, props: FraudKpisProps) {
    super(scope, id);
    const hour = Duration.hours(1);
    const count = (name: MetricName, breakdown: Readonly<Record<string, string>>, label: string) =>
      serviceMetric(name, hour, Stats.SUM, breakdown).with({ label });

    props.dashboard.addWidgets(
      new TextWidget({
        markdown: [
          '## Fraud screening and complaints',
          'Definitions: `docs/fraud-kpis.md`. Live shares count what was recorded in the time range; the daily report counts the orders booked on a day, revised as complaints and labels arrive, and is the figure of record.',
          'Complaint rate = complaints recorded ÷ payments completed. Precision = fraud labels on orders screening sent to review ÷ review decisions on such orders. Recall = fraud labels on orders screening sent to review ÷ all fraud labels. Blocked checkouts have no order and no outcome: they are in neither. No value means n/a (nothing to divide by).',
        ].join('\n\n'),
        width: 24,
        height: 4,
      }),
    );
    props.dashboard.addWidgets(
      new SingleValueWidget({
        title: FRAUD_KPI_WIDGETS.kpis,
        width: 24,
        height: 4,
        setPeriodToTimeRange: true,
        metrics: this.liveShares(hour),
      }),
    );
    props.dashboard.addWidgets(
      new GraphWidget({
        title: FRAUD_KPI_WIDGETS.decisions,
        width: 8,
        left: SCREENING_DECISIONS.map((decision) => count(METRICS.fraudScreened, { decision }, decision)),
        // Checkouts screened blind (their counters could not be read): screening was lenient for them.
        right: [count(METRICS.fraudCountersUnread, {}, 'screened without counters')],
      }),
      new GraphWidget({
        title: FRAUD_KPI_WIDGETS.blockedByRule,
        width: 8,
        left: Object.values(FRAUD_RULE).map((rule) =>
          count(METRICS.fraudRuleFired, { rule, decision: 'block' }, rule),
        ),
      }),
      new GraphWidget({
        title: FRAUD_KPI_WIDGETS.reviewedByRule,
        width: 8,
        left: Object.values(FRAUD_RULE).map((rule) =>
          count(METRICS.fraudRuleFired, { rule, decision: 'review' }, rule),
        ),
      }),
    );
    props.dashboard.addWidgets(
      new GraphWidget({
        title: FRAUD_KPI_WIDGETS.labels,
        width: 12,
        left: FRAUD_LABEL_SOURCES.flatMap((source) =>
          (['yes', 'no'] as const).map((flagged) =>
            count(
              METRICS.fraudLabelled,
              { source, flagged },
              `${source}, ${flagged === 'yes' ? 'sent to review by screening' : 'not flagged'}`,
            ),
          ),
        ),
      }),
      new GraphWidget({
        title: FRAUD_KPI_WIDGETS.methods,
        width: 12,
        left: [
          new MathExpression({
            label: '',
            period: hour,
            expression: `SEARCH('{${METRIC_NAMESPACE},method,service} MetricName="${METRICS.paymentCompleted}" service="${SERVICE_NAME}"', 'Sum', ${hour.toSeconds()})`,
            usingMetrics: {},
          }),
        ],
      }),
      new GraphWidget({
        title: FRAUD_KPI_WIDGETS.countries,
        width: 12,
        left: [
          new MathExpression({
            label: '',
            period: hour,
            expression: `SEARCH('{${METRIC_NAMESPACE},country,service} MetricName="${METRICS.checkoutCountry}" service="${SERVICE_NAME}"', 'Sum', ${hour.toSeconds()})`,
            usingMetrics: {},
          }),
        ],
      }),
    );
  }

  /** The single-value shares, each a percentage or no value when its denominator is 0. */
  private liveShares(period: Duration): IMetric[] {
    const share = (label: string, parts: Record<string, Metric>, of: Record<string, Metric>) =>
      new MathExpression({
        label,
        period,
        expression: `IF((${sum(Object.keys(of))}) > 0, 100*(${sum(Object.keys(parts))})/(${sum(Object.keys(of))}))`,
        usingMetrics: { ...parts, ...of },
      });
    const m = (name: MetricName, breakdown: Readonly<Record<string, string>> = {}) =>
      serviceMetric(name, period, Stats.SUM, breakdown);
    const screened = {
      sa: m(METRICS.fraudScreened, { decision: 'allow' }),
      sr: m(METRICS.fraudScreened, { decision: 'review' }),
      sb: m(METRICS.fraudScreened, { decision: 'block' }),
    };
    const flaggedLabels = {
      lc: m(METRICS.fraudLabelled, { source: 'complaint', flagged: 'yes' }),
      lr: m(METRICS.fraudLabelled, { source: 'review-rejected', flagged: 'yes' }),
    };
    return [
      share('Complaint rate (%)', { c: m(METRICS.complaintRecorded) }, { p: m(METRICS.paymentCompleted) }),
      share('Sent to review (% of screened checkouts)', { sr: screened.sr }, screened),
      share('Blocked (% of screened checkouts)', { sb: screened.sb }, screened),
      share('Precision (%)', flaggedLabels, {
        da: m(METRICS.reviewDecided, { decision: 'approve', flagged: 'yes' }),
        dr: m(METRICS.reviewDecided, { decision: 'reject', flagged: 'yes' }),
      }),
      share('Recall (%)', flaggedLabels, {
        ...flaggedLabels,
        nc: m(METRICS.fraudLabelled, { source: 'complaint', flagged: 'no' }),
        nr: m(METRICS.fraudLabelled, { source: 'review-rejected', flagged: 'no' }),
      }),
    ];
  }
}
