/** Public routes of the REST API, shared by the CDK API construct, the local server and the handlers. */
export const ROUTES = {
  createPayment: { method: 'POST', path: '/payments', fn: 'create-payment' },
  getPayment: { method: 'GET', path: '/payments/{orderId}', fn: 'payment-status' },
  paydunyaWebhook: { method: 'POST', path: '/webhooks/paydunya', fn: 'webhook' },
} as const;

export type RouteName = keyof typeof ROUTES;

/** Query parameters this service puts on the callback URL it gives PayDunya. */
export const CALLBACK_QUERY = { orderId: 'o', signature: 'sig' } as const;

/** Request limits enforced by the handlers (and mirrored by WAF and API Gateway). */
export const LIMITS = {
  maxBodyBytes: 64 * 1024,
  idempotencyKeyPattern: /^[A-Za-z0-9_-]{8,128}$/,
  idempotencyTtlSeconds: 24 * 60 * 60,
} as const;
