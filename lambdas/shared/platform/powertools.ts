import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../contract/metrics';
import { RedactingLogFormatter } from './log-redaction';

/**
 * One logger and one metrics buffer per container, as Powertools intends. The logger's formatter adds the
 * request's correlation keys and redacts contact data, keys and hashes from every line (log-redaction.ts).
 */
export const logger = new Logger({ serviceName: SERVICE_NAME, logFormatter: new RedactingLogFormatter() });
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME });
