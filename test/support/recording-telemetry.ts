import type { MetricName } from '../../lambdas/shared/contract/metrics';
import type { Telemetry } from '../../lambdas/shared/domain/ports';

/** Keeps what the code counted and logged, so tests can assert "counted" without parsing stdout. */
export class RecordingTelemetry implements Telemetry {
  readonly counts = new Map<string, number>();
  readonly logs: { level: string; message: string; attributes?: Readonly<Record<string, unknown>> }[] = [];
  /** Measured values in order (gauges such as CircuitState, amounts, durations). */
  readonly measures: { name: MetricName; value: number; unit: string }[] = [];

  count(name: MetricName, value = 1, dimensions?: Readonly<Record<string, string>>): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
    for (const [key, dimension] of Object.entries(dimensions ?? {})) {
      const dimensioned = `${name}|${key}=${dimension}`;
      this.counts.set(dimensioned, (this.counts.get(dimensioned) ?? 0) + value);
    }
  }
  measure(name: MetricName, value: number, unit: 'None' | 'Milliseconds'): void {
    this.measures.push({ name, value, unit });
  }
  info(message: string, attributes?: Readonly<Record<string, unknown>>): void {
    this.logs.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes?: Readonly<Record<string, unknown>>): void {
    this.logs.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes?: Readonly<Record<string, unknown>>): void {
    this.logs.push({ level: 'error', message, attributes });
  }
  counted(name: MetricName, dimension?: string): number {
    return this.counts.get(dimension ? `${name}|${dimension}` : name) ?? 0;
  }
}
