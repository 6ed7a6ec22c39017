import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../lambdas/shared/contract/metrics';
import type { DrillResult } from '../../lambdas/shared/ops/restore-drill';

/**
 * The drill's verdict as the same metrics the scheduled Lambda emits (namespace, names, `service` dimension), sent
 * with PutMetricData: a drill run by hand counts for the alarms like a scheduled one.
 */
export const publishDrillMetrics = async (
  cloudwatch: CloudWatchClient,
  result: DrillResult,
): Promise<void> => {
  const dimensions = [{ Name: 'service', Value: SERVICE_NAME }];
  const timestamp = new Date(result.finishedAt);
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: METRIC_NAMESPACE,
      MetricData: [
        {
          MetricName: METRICS.restoreDrillSucceeded,
          Dimensions: dimensions,
          Value: result.ok ? 1 : 0,
          Unit: 'Count',
          Timestamp: timestamp,
        },
        {
          MetricName: METRICS.restoreDrillDuration,
          Dimensions: dimensions,
          Value: result.durationMs,
          Unit: 'Milliseconds',
          Timestamp: timestamp,
        },
      ],
    }),
  );
};

/** The drill's verdict as printed by `npm run restore-drill`. */
export const formatDrillResult = (stage: string, result: DrillResult): string =>
  [
    `Restore drill for ${stage}: ${result.ok ? 'PASSED' : 'FAILED'}`,
    `  restored ${result.restoredTo} into ${result.scratchTable} (${Math.round(result.durationMs / 1000)} s)`,
    ...result.checks.map((check) => `  [${check.ok ? 'PASS' : 'FAIL'}] ${check.name}: ${check.detail}`),
  ].join('\n');
