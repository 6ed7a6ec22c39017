/**
 * Environment variable names read by the Lambda context at cold start and set by the CDK function construct.
 * One list, so the stack and the code cannot drift apart.
 */
export const ENV = {
  stage: 'STAGE',
  tableName: 'TABLE_NAME',
  paydunyaMode: 'PAYDUNYA_MODE',
  paydunyaSecretArn: 'PAYDUNYA_SECRET_ARN',
  signingSecretArn: 'SIGNING_SECRET_ARN',
  piiKeyArn: 'PII_KEY_ARN',
  publicBaseUrl: 'PUBLIC_BASE_URL',
  returnUrl: 'RETURN_URL',
  cancelUrl: 'CANCEL_URL',
  storeJson: 'PAYDUNYA_STORE_JSON',
  criticalTopicArn: 'CRITICAL_TOPIC_ARN',
  warningTopicArn: 'WARNING_TOPIC_ARN',
  appConfigApplication: 'APPCONFIG_APPLICATION',
  appConfigEnvironment: 'APPCONFIG_ENVIRONMENT',
  appConfigProfile: 'APPCONFIG_PROFILE',
  /** The fraud screening rules profile, in the same AppConfig application and environment as the flags. */
  appConfigFraudRulesProfile: 'APPCONFIG_FRAUD_RULES_PROFILE',
  paydunyaTimeoutMs: 'PAYDUNYA_TIMEOUT_MS',
  customerAttemptMax: 'CUSTOMER_ATTEMPT_MAX',
  customerAttemptWindowSeconds: 'CUSTOMER_ATTEMPT_WINDOW_SECONDS',
  reconcileOlderThanMinutes: 'RECONCILE_OLDER_THAN_MINUTES',
  /** How long a checkout holds its share of the daily limit before reconcile gives it back. */
  checkoutWindowMinutes: 'CHECKOUT_WINDOW_MINUTES',
  /** Comma-separated browser origins allowed to call the public routes (Temba's checkout web app). */
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
  /** The stage's payment events bus (EventBridge), where the stream publisher puts every event. */
  eventBusName: 'EVENT_BUS_NAME',
  /** Minutes within which ticketing should acknowledge a paid order (THRESHOLDS.fulfilment.ackMinutes). */
  fulfilmentAckMinutes: 'FULFILMENT_ACK_MINUTES',
  /** How customer tokens are verified (contract/auth.ts), as JSON: the customer-facing functions need it. */
  customerAuth: 'CUSTOMER_AUTH',
  /** The payments table's KMS key: the restore drill encrypts its scratch copy with it. */
  tableKeyArn: 'TABLE_KEY_ARN',
  /** Port of the AWS Parameters and Secrets Lambda Extension (its own variable; the CDK layer options set it). */
  secretsExtensionPort: 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT',
  /** Port of the AWS AppConfig Agent Lambda extension (its own variable, set beside its layer). */
  appConfigExtensionPort: 'AWS_APPCONFIG_EXTENSION_HTTP_PORT',
  /** How often the AppConfig extension asks AppConfig for a newer flags document, in seconds (its own variable). */
  appConfigExtensionPollSeconds: 'AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
