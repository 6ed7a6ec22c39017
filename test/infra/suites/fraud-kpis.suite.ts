import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import { FRAUD_RULE } from '../../../lambdas/shared/contract/fraud';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../../lambdas/shared/contract/metrics';
import {
  FRAUD_KPI_WIDGETS,
  FRAUD_LABEL_SOURCES,
  SCREENING_DECISIONS,
} from '../../../lib/constructs/fraud-kpis';
import type { SynthesizedStage } from '../support/synth-stage';
import { onlyResource } from '../support/template';

interface MetricWidget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly setPeriodToTimeRange?: boolean;
    readonly metrics?: readonly (readonly unknown[])[];
  };
}

/**
 * Issue 15, "honest KPIs" on the dashboard: the live shares (complaint rate, review and block rates, precision and
 * recall), screening's decisions, the rules behind blocks and reviews, fraud labels, payment methods. The body is
 * read as the widgets it is (tokens such as the region stand in as a placeholder), so each assertion names the
 * widget it is about.
 */
export const fraudKpisSuite = (get: () => SynthesizedStage): void => {
  const widgets = (): MetricWidget[] => {
    const body = onlyResource(get().application, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody as
      | string
      | { 'Fn::Join': [string, unknown[]] };
    const text =
      typeof body === 'string'
        ? body
        : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    return (JSON.parse(text) as { widgets: MetricWidget[] }).widgets;
  };
  const widget = (title: string): MetricWidget => {
    const found = widgets().filter((w) => w.properties.title === title);
    if (found.length !== 1) throw new Error(`expected one widget titled "${title}", found ${found.length}`);
    return found[0] as MetricWidget;
  };
  /** A metric line as the dashboard JSON writes it: namespace, name, then dimension name/value pairs by name. */
  const line = (name: string, dimensions: Record<string, string>) => [
    METRIC_NAMESPACE,
    name,
    ...Object.entries({ service: SERVICE_NAME, ...dimensions })
      .sort(([a], [b]) => a.localeCompare(b))
      .flat(),
  ];
  const lines = (title: string) =>
    (widget(title).properties.metrics ?? []).map((metric) =>
      metric.filter((part) => typeof part === 'string'),
    );
  const expressions = (title: string) =>
    (widget(title).properties.metrics ?? []).flatMap((metric) =>
      metric.flatMap((part) =>
        typeof part === 'object' && part !== null && 'expression' in part
          ? [part as { expression: string; label?: string }]
          : [],
      ),
    );

  it('states where the definitions are and that blocked checkouts are in neither precision nor recall', () => {
    const text = widgets()
      .map((w) => w.properties.markdown ?? '')
      .join('\n');
    expect(text).toContain('docs/fraud-kpis.md');
    expect(text).toContain('Blocked checkouts have no order and no outcome');
    expect(text).toContain('n/a');
  });

  it('shows complaint rate, review and block rates, precision and recall over the time range, n/a on nothing', () => {
    const kpis = widget(FRAUD_KPI_WIDGETS.kpis);
    expect(kpis.type).toBe('metric');
    expect(kpis.properties.setPeriodToTimeRange).toBe(true);
    const shares = expressions(FRAUD_KPI_WIDGETS.kpis);
    expect(shares.map((share) => share.label)).toEqual([
      'Complaint rate (%)',
      'Sent to review (% of screened checkouts)',
      'Blocked (% of screened checkouts)',
      'Precision (%)',
      'Recall (%)',
    ]);
    // Two-argument IF: no value when the denominator is 0, never 100 % of nothing.
    for (const share of shares) expect(share.expression).toMatch(/^IF\(\(.+\) > 0, 100\*\(.+\)\/\(.+\)\)$/);
    const used = lines(FRAUD_KPI_WIDGETS.kpis);
    for (const metric of [
      line(METRICS.complaintRecorded, {}),
      line(METRICS.paymentCompleted, {}),
      ...SCREENING_DECISIONS.map((decision) => line(METRICS.fraudScreened, { decision })),
      ...(['approve', 'reject'] as const).map((decision) =>
        line(METRICS.reviewDecided, { decision, flagged: 'yes' }),
      ),
      ...FRAUD_LABEL_SOURCES.flatMap((source) =>
        (['yes', 'no'] as const).map((flagged) => line(METRICS.fraudLabelled, { source, flagged })),
      ),
    ])
      expect(used).toContainEqual(metric);
  });

  it('charts screening decisions, and one line per rule for blocked and for reviewed checkouts', () => {
    expect(lines(FRAUD_KPI_WIDGETS.decisions)).toEqual([
      ...SCREENING_DECISIONS.map((decision) => line(METRICS.fraudScreened, { decision })),
      line(METRICS.fraudCountersUnread, {}),
    ]);
    for (const [title, decision] of [
      [FRAUD_KPI_WIDGETS.blockedByRule, 'block'],
      [FRAUD_KPI_WIDGETS.reviewedByRule, 'review'],
    ] as const) {
      expect(lines(title)).toEqual(
        Object.values(FRAUD_RULE).map((rule) => line(METRICS.fraudRuleFired, { rule, decision })),
      );
    }
  });

  it('charts fraud labels by source and by whether screening had flagged the order', () => {
    expect(lines(FRAUD_KPI_WIDGETS.labels)).toEqual(
      FRAUD_LABEL_SOURCES.flatMap((source) =>
        (['yes', 'no'] as const).map((flagged) => line(METRICS.fraudLabelled, { source, flagged })),
      ),
    );
  });

  it("charts completed payments by method with a SEARCH over PaymentCompleted's method dimension", () => {
    expect(expressions(FRAUD_KPI_WIDGETS.methods).map((e) => e.expression)).toEqual([
      `SEARCH('{${METRIC_NAMESPACE},method,service} MetricName="${METRICS.paymentCompleted}" service="${SERVICE_NAME}"', 'Sum', 3600)`,
    ]);
  });

  it("charts checkouts by country with a SEARCH over CheckoutCountry's country dimension", () => {
    expect(expressions(FRAUD_KPI_WIDGETS.countries).map((e) => e.expression)).toEqual([
      `SEARCH('{${METRIC_NAMESPACE},country,service} MetricName="${METRICS.checkoutCountry}" service="${SERVICE_NAME}"', 'Sum', 3600)`,
    ]);
  });

  it('keeps the complaints-by-category row it builds on', () => {
    expect(lines('Customer complaints (per hour)')).toContainEqual(
      line(METRICS.complaintRecorded, { category: 'unauthorized' }),
    );
  });

  it('raises no synthesis warning (math expressions reference only their own metrics)', () => {
    const warnings = Annotations.fromStack(get().stacks.application).findWarning(
      '*',
      Match.stringLikeRegexp('[Mm]ath expression|SEARCH'),
    );
    expect(warnings).toEqual([]);
  });
};
