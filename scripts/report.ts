/** `npm run report -- --date YYYY-MM-DD`: the daily reconciliation report against the running local mode. */
import { THRESHOLDS } from '../lambdas/shared/contract/thresholds';
import { runDailyReport } from '../lambdas/shared/domain/reconcile';
import { metrics } from '../lambdas/shared/platform/powertools';
import { connectToLocalMode } from '../local/connect';
import { commandLine, defineCommand, exitWithUsage } from './ops/cli';

const REPORT = defineCommand({
  name: 'npm run report',
  summary:
    'The daily reconciliation against the running local mode (npm start): re-checks recent unpaid orders with ' +
    "PayDunya, then makes the day's report from the orders booked on it, printed as JSON.",
  options: {
    date: {
      type: 'string',
      value: 'YYYY-MM-DD',
      defaultText: 'today, UTC',
      description: 'the day to report on',
    },
  },
});

const values = commandLine(REPORT);
const date = values.date ?? new Date().toISOString().slice(0, 10);
if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
  exitWithUsage(REPORT, '--date must be a day written YYYY-MM-DD, for example --date 2026-11-26');
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
