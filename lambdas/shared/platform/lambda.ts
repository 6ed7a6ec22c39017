import type { Context } from 'aws-lambda';
import { ENV } from '../contract/env';
import { withCorrelation } from './correlation';
import type { ApiEvent, ApiResult } from './http';
import { requestIdOf, withCors } from './http';
import { logger, metrics } from './powertools';

/**
 * Turns a plain `(event, context) => result` function into the Lambda entry point: builds the context on the
 * first (cold) invocation, tags logs with the request id, and flushes metrics whatever happens.
 */
export const lambdaHandler = <C>(build: () => C, fn: (event: ApiEvent, ctx: C) => Promise<ApiResult>) => {
  let context: C | undefined;
  let origins: string[] = [];
  return async (event: ApiEvent, lambdaContext: Context): Promise<ApiResult> => {
    if (!context) {
      context = build();
      origins = (process.env[ENV.corsAllowedOrigins] ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
    }
    logger.addContext(lambdaContext);
    const requestId = requestIdOf(event);
    logger.appendKeys({ requestId });
    try {
      const ready = context;
      // The request's correlation scope: the order id and invoice token join the request id as they are learned.
      return withCors(event, await withCorrelation({ requestId }, () => fn(event, ready)), origins);
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
};

/** The same for scheduled (EventBridge) and stream invocations, which carry no request id of their own. */
export const scheduledHandler = <C, E, R>(build: () => C, fn: (event: E, ctx: C) => Promise<R>) => {
  let context: C | undefined;
  return async (event: E, lambdaContext: Context): Promise<R> => {
    context ??= build();
    logger.addContext(lambdaContext);
    try {
      return await fn(event, context);
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
};
