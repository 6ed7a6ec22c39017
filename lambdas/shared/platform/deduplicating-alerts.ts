import { createHash } from 'node:crypto';
import { METRICS } from '../contract/metrics';
import type { Alert, AlertPublisher, Clock, PaymentStore, Telemetry } from '../domain/ports';

/** A storm of identical alerts pages once per window: long enough to act, short enough to hear it is still on. */
export const ALERT_DEDUP_WINDOW_SECONDS = 15 * 60;

export interface AlertDeduplication {
  readonly stage: string;
  readonly store: Pick<PaymentStore, 'claimAlert'>;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly windowSeconds?: number;
}

/**
 * What makes two alerts "the same": stage, type, and the order they are about, or (for alerts about no order,
 * such as forged webhooks or an open circuit) their summary. Details are left out on purpose: they vary
 * (amounts, counts) without making the situation a different one.
 */
export const alertDedupKey = (stage: string, alert: Alert): string => {
  const subject =
    alert.orderId ?? `s:${createHash('sha256').update(alert.summary, 'utf8').digest('hex').slice(0, 32)}`;
  return `${stage}#${alert.type}#${subject}`;
};

/**
 * De-duplicates alerts across every warm instance: before publishing, the alert's key is claimed for a window
 * with one conditional write on the payments table. The first claim of a window publishes; the others are
 * counted (the `AlertSuppressed` metric, and a count on the claim item) and the next alert of the same key,
 * once the window is over, tells in `details.suppressedSinceLast` how many were held back.
 *
 * If the claim itself fails (DynamoDB unreachable), the alert is published anyway: a page twice is better than
 * no page.
 */
export const createDeduplicatingAlerts = (
  inner: AlertPublisher,
  options: AlertDeduplication,
): AlertPublisher => {
  const windowSeconds = options.windowSeconds ?? ALERT_DEDUP_WINDOW_SECONDS;
  return {
    async publish(alert) {
      const key = alertDedupKey(options.stage, alert);
      const nowSeconds = Math.floor(options.clock.now().getTime() / 1000);
      let claim: Awaited<ReturnType<PaymentStore['claimAlert']>>;
      try {
        claim = await options.store.claimAlert(key, nowSeconds, windowSeconds);
      } catch (error) {
        options.telemetry.warn('alert de-duplication unavailable; publishing without it', {
          alertType: alert.type,
          reason: error instanceof Error ? error.message : String(error),
        });
        return inner.publish(alert);
      }
      if (!claim.claimed) {
        options.telemetry.count(METRICS.alertSuppressed);
        options.telemetry.info('alert suppressed: an identical one went out within the window', {
          alertType: alert.type,
          windowSeconds,
          ...(alert.orderId ? { orderId: alert.orderId } : {}),
        });
        return;
      }
      await inner.publish(
        claim.suppressedBefore > 0
          ? { ...alert, details: { ...alert.details, suppressedSinceLast: claim.suppressedBefore } }
          : alert,
      );
    },
  };
};
