import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Telemetry } from '../domain/ports';
import { noteCorrelation } from './correlation';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

const UNITS = { None: MetricUnit.NoUnit, Milliseconds: MetricUnit.Milliseconds } as const;

/** Telemetry over Powertools: JSON logs and EMF metrics (CloudWatch turns the latter into metrics, no API calls). */
export const createPowertoolsTelemetry = (logger: Logger, metrics: Metrics): Telemetry => {
  const emit = (name: string, unit: Unit, value: number, dimensions?: Readonly<Record<string, string>>) => {
    // The total always goes out on the service dimension alone: that is the series the alarms watch.
    metrics.addMetric(name, unit, value);
    if (!dimensions || Object.keys(dimensions).length === 0) return;
    // The breakdown (by payment method, by reason) is an extra series, on its own so the dimension does not
    // leak onto the other metrics of the invocation.
    const single = metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, value = 1, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
    measure: (name, value, unit, dimensions) => emit(name, UNITS[unit], value, dimensions),
    // An order id or invoice token named in a line also tags the request's later lines (correlation.ts).
    info: (message, attributes) => {
      noteCorrelation(attributes);
      logger.info(message, { ...attributes });
    },
    warn: (message, attributes) => {
      noteCorrelation(attributes);
      logger.warn(message, { ...attributes });
    },
    error: (message, attributes) => {
      noteCorrelation(attributes);
      logger.error(message, { ...attributes });
    },
  };
};
