/** `npm run report -- --date YYYY-MM-DD`: the daily reconciliation report against the running local mode. */
import { parseArgs } from 'node:util';
import { THRESHOLDS } from '../lambdas/shared/contract/thresholds';
import { runDailyReport } from '../lambdas/shared/domain/reconcile';
import { metrics } from '../lambdas/shared/platform/powertools';
import { connectToLocalMode } from '../local/connect';

const { values } = parseArgs({ options: { date: { type: 'string' } } });
const date = values.date ?? new Date().toISOString().slice(0, 10);
if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
  console.error('--date must be a day written YYYY-MM-DD, for example --date 2026-11-26');
  process.exit(2);
}

try {
  const ctx = await connectToLocalMode();
  const report = await runDailyReport(ctx, date, {
    recheckHours: THRESHOLDS.reconcile.recheckSettledHours,
    concurrency: THRESHOLDS.reconcile.concurrency,
  });
  metrics.publishStoredMetrics();
  console.log(JSON.stringify(report, null, 2));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
