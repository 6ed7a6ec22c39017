/** `npm run reconcile`: one reconcile run against the running local mode, as the 15-minute schedule does on AWS. */
import { parseArgs } from 'node:util';
import { THRESHOLDS } from '../lambdas/shared/contract/thresholds';
import { reconcilePending } from '../lambdas/shared/domain/reconcile';
import { metrics } from '../lambdas/shared/platform/powertools';
import { connectToLocalMode } from '../local/connect';

const { values } = parseArgs({
  options: {
    'older-than-minutes': { type: 'string', default: String(THRESHOLDS.reconcile.pendingOlderThanMinutes) },
  },
});
const olderThanMinutes = Number(values['older-than-minutes']);
if (!Number.isInteger(olderThanMinutes) || olderThanMinutes < 0) {
  console.error('--older-than-minutes must be a whole number of minutes (0 or more)');
  process.exit(2);
}

try {
  const ctx = await connectToLocalMode();
  const summary = await reconcilePending(ctx, {
    olderThanMinutes,
    invoiceExpiryHours: THRESHOLDS.reconcile.invoiceExpiryHours,
    concurrency: THRESHOLDS.reconcile.concurrency,
  });
  metrics.publishStoredMetrics();
  console.log(JSON.stringify(summary, null, 2));
  process.exit(summary.errors > 0 ? 1 : 0);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
