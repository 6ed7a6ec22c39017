import type { MetricName } from '../../lambdas/shared/contract/metrics';
import type { Telemetry } from '../../lambdas/shared/domain/ports';
import { logger, metrics } from '../../lambdas/shared/platform/powertools';
import { createPowertoolsTelemetry } from '../../lambdas/shared/platform/powertools-telemetry';

/** One CloudWatch embedded-metric-format document, as Powertools Metrics prints it. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/** One metric value as CloudWatch would extract it from an EMF document. */
export interface EmfValue {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  /** The dimension set of the series, e.g. `{ service: 'temba-payments', method: 'orange-money-burkina' }`. */
  readonly dimensions: Readonly<Record<string, string>>;
}

const splitLines = (chunks: readonly string[]): string[] =>
  chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim().length > 0);

const isEmf = (line: Record<string, unknown>): line is EmfDocument =>
  typeof line._aws === 'object' && line._aws !== null;

/** The values of an EMF document, one per (metric, dimension set), as CloudWatch extracts them. */
export const emfValues = (document: EmfDocument): EmfValue[] =>
  document._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((set) =>
      directive.Metrics.flatMap((metric) => {
        const raw = document[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).map(Number);
        const dimensions = Object.fromEntries(set.map((key) => [key, String(document[key])]));
        return values.map((value) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit,
          value,
          dimensions,
        }));
      }),
    ),
  );

/**
 * What the real Powertools Logger and Metrics print while a test runs: stdout and stderr are captured (and kept
 * off the test runner's output) and split into JSON lines, log lines and EMF documents.
 */
export class PowertoolsOutput {
  private readonly chunks: string[] = [];
  /** Everything printed since `start`, cleared or not. */
  private readonly archive: string[] = [];
  private readonly restore: (() => void)[] = [];

  start(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        this.chunks.push(text);
        this.archive.push(text);
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
      this.restore.push(() => {
        stream.write = original;
      });
    }
  }

  stop(): void {
    for (const undo of this.restore.splice(0)) undo();
  }

  /** Publishes the buffered metrics, as the Lambda wrapper does at the end of every invocation. */
  flush(): void {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }

  /** Starts a new section: `lines`, `logs` and `emf` then see only what is printed from here on. */
  clear(): void {
    this.flush();
    this.chunks.length = 0;
  }

  /** Every line printed since the last `clear`, raw. */
  lines(): string[] {
    return splitLines(this.chunks);
  }

  /** Every line printed since `start`, raw: for "no line ever contained ..." assertions. */
  allLines(): string[] {
    return splitLines(this.archive);
  }

  private json(): Record<string, unknown>[] {
    return this.lines().flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** Log lines (Powertools Logger JSON). */
  logs(): Record<string, unknown>[] {
    return this.json().filter((line) => !isEmf(line) && typeof line.level === 'string');
  }

  emf(): EmfDocument[] {
    return this.json().filter(isEmf);
  }

  /** Every metric value printed so far, optionally only those of one metric name. */
  metricValues(name?: MetricName): EmfValue[] {
    const all = this.emf().flatMap(emfValues);
    return name === undefined ? all : all.filter((value) => value.name === name);
  }
}

/** Sends every call to each of the given telemetries (the harness records and prints through Powertools). */
export const teeTelemetry = (...targets: readonly Telemetry[]): Telemetry => ({
  count: (...args) => {
    for (const target of targets) target.count(...args);
  },
  measure: (...args) => {
    for (const target of targets) target.measure(...args);
  },
  info: (...args) => {
    for (const target of targets) target.info(...args);
  },
  warn: (...args) => {
    for (const target of targets) target.warn(...args);
  },
  error: (...args) => {
    for (const target of targets) target.error(...args);
  },
});

/** The production telemetry: the shared Powertools logger and metrics singletons. */
export const productionTelemetry = (): Telemetry => createPowertoolsTelemetry(logger, metrics);
