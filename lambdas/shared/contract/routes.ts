/** Public routes of the REST API, shared by the CDK API construct, the local server and the handlers. */
export const ROUTES = {
  createPayment: { method: 'POST', path: '/payments', fn: 'create-payment' },
  getPayment: { method: 'GET', path: '/payments/{orderId}', fn: 'payment-status' },
  paydunyaWebhook: { method: 'POST', path: '/webhooks/paydunya', fn: 'webhook' },
  /** PayDunya's disbursement callback: a trigger only, confirmed with check-status like the IPN. */
  disbursementWebhook: { method: 'POST', path: '/webhooks/paydunya/disbursements', fn: 'webhook' },
  // Operator routes: IAM-authorized (SigV4) on AWS; never exposed beyond loopback in local mode.
  adminReport: { method: 'GET', path: '/admin/reports/{date}', fn: 'admin', auth: 'iam' },
  adminReview: { method: 'POST', path: '/admin/orders/{orderId}/review', fn: 'admin', auth: 'iam' },
  // Service routes for Temba's ticketing and support tools: IAM-authorized too. No refund is ever public.
  recordFulfilment: { method: 'POST', path: '/payments/{orderId}/fulfilment', fn: 'admin', auth: 'iam' },
  requestRefund: { method: 'POST', path: '/payments/{orderId}/refunds', fn: 'admin', auth: 'iam' },
  findByReference: { method: 'GET', path: '/reservations/{reference}/payments', fn: 'admin', auth: 'iam' },
} as const;

export type RouteName = keyof typeof ROUTES;

/** Query parameters this service puts on the callback URL it gives PayDunya. */
export const CALLBACK_QUERY = { orderId: 'o', refundId: 'r', signature: 'sig' } as const;

/** Request limits enforced by the handlers (and mirrored by WAF and API Gateway). */
export const LIMITS = {
  maxBodyBytes: 64 * 1024,
  idempotencyKeyPattern: /^[A-Za-z0-9_-]{8,128}$/,
  idempotencyTtlSeconds: 24 * 60 * 60,
  /** Temba's reservation id, echoed in every event: `reference` on POST /payments. */
  referencePattern: /^[A-Za-z0-9_-]{1,64}$/,
  metadata: { maxPairs: 10, maxKeyLength: 40, maxValueLength: 200 },
} as const;
