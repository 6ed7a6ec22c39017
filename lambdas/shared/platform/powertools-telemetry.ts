import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Telemetry } from '../domain/ports';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

const UNITS = { None: MetricUnit.NoUnit, Milliseconds: MetricUnit.Milliseconds } as const;

/** Telemetry over Powertools: JSON logs and EMF metrics (CloudWatch turns the latter into metrics, no API calls). */
export const createPowertoolsTelemetry = (logger: Logger, metrics: Metrics): Telemetry => {
  const emit = (name: string, unit: Unit, value: number, dimensions?: Readonly<Record<string, string>>) => {
    if (!dimensions || Object.keys(dimensions).length === 0) {
      metrics.addMetric(name, unit, value);
      return;
    }
    // Dimensioned values go out on their own, so the dimension does not leak onto the other metrics of the call.
    const single = metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, value = 1, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
    measure: (name, value, unit, dimensions) => emit(name, UNITS[unit], value, dimensions),
    info: (message, attributes) => logger.info(message, { ...attributes }),
    warn: (message, attributes) => logger.warn(message, { ...attributes }),
    error: (message, attributes) => logger.error(message, { ...attributes }),
  };
};
