/** `npm run reconcile`: one reconcile run against the running local mode, as the 15-minute schedule does on AWS. */
import { THRESHOLDS } from '../lambdas/shared/contract/thresholds';
import { reconcilePending } from '../lambdas/shared/domain/reconcile';
import { metrics } from '../lambdas/shared/platform/powertools';
import { connectToLocalMode } from '../local/connect';
import { commandLine, defineCommand, exitWithUsage } from './ops/cli';

const RECONCILE = defineCommand({
  name: 'npm run reconcile',
  summary:
    'One reconcile run against the running local mode (npm start), as the 15-minute schedule does on AWS: open ' +
    'orders are confirmed with PayDunya and settled. Prints the summary as JSON; exit 1 if any order failed.',
  options: {
    'older-than-minutes': {
      type: 'string',
      value: 'minutes',
      default: String(THRESHOLDS.reconcile.pendingOlderThanMinutes),
      description: 'only orders pending for at least this many whole minutes (0 for all)',
    },
  },
});

const values = commandLine(RECONCILE);
const olderThanMinutes = Number(values['older-than-minutes']);
if (!Number.isInteger(olderThanMinutes) || olderThanMinutes < 0) {
  exitWithUsage(RECONCILE, '--older-than-minutes must be a whole number of minutes (0 or more)');
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
