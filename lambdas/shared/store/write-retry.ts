import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { StoreBusyError } from '../domain/errors';

/**
 * What a failed DynamoDB write means.
 * - `condition`: an answer (the item was not as expected). Never retried: the caller decides what it means.
 * - `conflict`: another transaction held the item (TransactionConflict in a cancellation, or
 *   TransactionConflictException on a single write). Nothing was written; real DynamoDB says this under
 *   contention and the SDK never retries it.
 * - `throttled`: over a partition's or the table's throughput. Nothing was written; the SDK has already retried
 *   it (dynamo-client.ts), so only a short extra budget is spent here.
 * - `unknown`: the answer was lost (timeout, reset, 5xx after the SDK's own retries). The write may have landed:
 *   only a write that can tell (an order write finds its audit event id) may be retried.
 * - `fatal`: a bug or misconfiguration (validation, missing table, access denied): never retried.
 */
export type WriteFailure = 'condition' | 'conflict' | 'throttled' | 'unknown' | 'fatal';

const CONFLICT_NAMES = new Set(['TransactionConflictException', 'TransactionInProgressException']);
const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);
const LOST_ANSWER_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError', 'InternalServerError']);
const LOST_ANSWER_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/** The cancellation reason codes of a cancelled transaction, one per item. */
export const cancellationCodes = (error: unknown): readonly (string | undefined)[] =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((reason) => reason.Code)
    : [];

export const classifyWriteError = (error: unknown): WriteFailure => {
  if (!(error instanceof Error)) return 'fatal';
  if (error.name === 'ConditionalCheckFailedException') return 'condition';
  if (error instanceof TransactionCanceledException) {
    const codes = cancellationCodes(error);
    // A failed condition decides the outcome even when another item conflicted in the same attempt.
    if (codes.includes('ConditionalCheckFailed')) return 'condition';
    if (codes.includes('TransactionConflict')) return 'conflict';
    if (codes.includes('ThrottlingError') || codes.includes('ProvisionedThroughputExceeded'))
      return 'throttled';
    return 'fatal';
  }
  if (CONFLICT_NAMES.has(error.name)) return 'conflict';
  if (THROTTLE_NAMES.has(error.name)) return 'throttled';
  const code = (error as { code?: unknown }).code;
  const fault = (error as { $fault?: unknown }).$fault;
  if (LOST_ANSWER_NAMES.has(error.name) || (typeof code === 'string' && LOST_ANSWER_CODES.has(code)))
    return 'unknown';
  if (fault === 'server') return 'unknown';
  return 'fatal';
};

export const isConditionFailure = (error: unknown): boolean => classifyWriteError(error) === 'condition';

/**
 * How many more times each kind of failure is tried, and the backoff between tries (full jitter: a random wait
 * up to min(capMs, baseMs × 2^n)). The one retry policy of every store write; what happens when it runs out is
 * the same everywhere: StoreBusyError (503 with Retry-After to a customer, 5xx to PayDunya so it re-delivers).
 */
export interface RetryBudget {
  readonly conflicts: number;
  readonly throttles: number;
  /** Lost answers: only spent on writes that can tell whether they landed. */
  readonly lostAnswers: number;
  readonly baseMs: number;
  readonly capMs: number;
}

/**
 * Every write. Conflicts clear in milliseconds (the other transaction commits): 8 more tries over up to ~1.5 s.
 * Throttling was already retried three times by the SDK with its own backoff: 2 more tries, then give up so the
 * request still answers inside its time limit.
 */
export const WRITE_RETRY: RetryBudget = {
  conflicts: 8,
  throttles: 2,
  lostAnswers: 2,
  baseMs: 15,
  capMs: 400,
};

/**
 * The write that records a PayDunya invoice on its order: once PayDunya has created an invoice, giving up means
 * a customer who never sees their checkout page. Spend up to ~8 s (the Lambda has 20).
 */
export const MUST_RECORD: RetryBudget = {
  conflicts: 20,
  throttles: 6,
  lostAnswers: 4,
  baseMs: 25,
  capMs: 1_000,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a write, retrying what the budget allows. A failed condition and a fatal error are thrown as they are;
 * a budget that runs out becomes StoreBusyError. `canRetryLostAnswer` says whether the write can be repeated
 * after an unknown outcome (it is idempotent, or it checks whether its first try landed).
 */
export const retryWrite = async <T>(
  operation: string,
  run: () => Promise<T>,
  options: {
    readonly budget?: RetryBudget;
    readonly canRetryLostAnswer?: boolean;
    /** Told of each failure before the retry (a transaction keeps its token after a lost answer). */
    readonly onFailure?: (kind: WriteFailure) => void;
  } = {},
): Promise<T> => {
  const budget = options.budget ?? WRITE_RETRY;
  const used = { conflict: 0, throttled: 0, unknown: 0 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const kind = classifyWriteError(error);
      if (kind === 'condition' || kind === 'fatal') throw error;
      used[kind]++;
      options.onFailure?.(kind);
      const allowed =
        kind === 'conflict'
          ? budget.conflicts
          : kind === 'throttled'
            ? budget.throttles
            : options.canRetryLostAnswer
              ? budget.lostAnswers
              : 0;
      if (used[kind] > allowed) throw new StoreBusyError(operation, kind);
      await sleep(Math.random() * Math.min(budget.capMs, budget.baseMs * 2 ** attempt));
    }
  }
};
