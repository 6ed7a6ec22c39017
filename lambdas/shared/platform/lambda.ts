import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResult } from './http';
import { requestIdOf } from './http';
import { logger, metrics } from './powertools';

/**
 * Turns a plain `(event, context) => result` function into the Lambda entry point: builds the context on the
 * first (cold) invocation, tags logs with the request id, and flushes metrics whatever happens.
 */
export const lambdaHandler = <C>(build: () => C, fn: (event: ApiEvent, ctx: C) => Promise<ApiResult>) => {
  let context: C | undefined;
  return async (event: ApiEvent, lambdaContext: Context): Promise<ApiResult> => {
    context ??= build();
    logger.addContext(lambdaContext);
    logger.appendKeys({ requestId: requestIdOf(event) });
    try {
      return await fn(event, context);
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
};
