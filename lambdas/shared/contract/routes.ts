/**
 * Who may call a route, and how that is checked:
 * - `customer`: a signed-in customer, `Authorization: Bearer <JWT>` from the stage's identity provider, verified by the
 *   handler before anything else (contract/auth.ts); an order is only ever shown to the subject that made it;
 * - `iam`: Temba's own services and operators, SigV4 checked by API Gateway (AWS_IAM);
 * - `paydunya`: PayDunya's callbacks, which can carry no credential: authenticated by the master-key hash and our own
 *   HMAC signature on the callback URL, and believed only after asking PayDunya.
 */
export type RouteAuth = 'customer' | 'iam' | 'paydunya';

/** Every route of the REST API, shared by the CDK API construct, the local server and the handlers. */
export const ROUTES = {
  createPayment: { method: 'POST', path: '/payments', fn: 'create-payment', auth: 'customer' },
  listPayments: { method: 'GET', path: '/payments', fn: 'payment-status', auth: 'customer' },
  getPayment: { method: 'GET', path: '/payments/{orderId}', fn: 'payment-status', auth: 'customer' },
  paydunyaWebhook: { method: 'POST', path: '/webhooks/paydunya', fn: 'webhook', auth: 'paydunya' },
  /** PayDunya's disbursement callback: a trigger only, confirmed with check-status like the IPN. */
  disbursementWebhook: {
    method: 'POST',
    path: '/webhooks/paydunya/disbursements',
    fn: 'webhook',
    auth: 'paydunya',
  },
  // Operator routes: IAM-authorized (SigV4) on AWS; never exposed beyond loopback in local mode.
  adminReport: { method: 'GET', path: '/admin/reports/{date}', fn: 'admin', auth: 'iam' },
  adminReview: { method: 'POST', path: '/admin/orders/{orderId}/review', fn: 'admin', auth: 'iam' },
  // Service routes for Temba's ticketing and support tools: IAM-authorized too. No refund is ever public.
  recordFulfilment: { method: 'POST', path: '/payments/{orderId}/fulfilment', fn: 'admin', auth: 'iam' },
  requestRefund: { method: 'POST', path: '/payments/{orderId}/refunds', fn: 'admin', auth: 'iam' },
  /** A customer's complaint, as Temba's support tools record it: audited and counted on the order. */
  recordComplaint: { method: 'POST', path: '/payments/{orderId}/complaints', fn: 'admin', auth: 'iam' },
  findByReference: { method: 'GET', path: '/reservations/{reference}/payments', fn: 'admin', auth: 'iam' },
} as const satisfies Readonly<Record<string, { method: string; path: string; fn: string; auth: RouteAuth }>>;

export type RouteName = keyof typeof ROUTES;

/**
 * What a customer complains about (POST /payments/{orderId}/complaints `category`, and the `category` dimension of
 * ComplaintRecorded). `unauthorized`: the customer says they did not make the payment; it labels it as fraud.
 */
export const COMPLAINT_CATEGORIES = [
  'not_received',
  'charged_twice',
  'wrong_amount',
  'unauthorized',
  'other',
] as const;

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
  /** GET /payments pages: `limit` from 1 to this (default 20). */
  listPageMax: 50,
  /**
   * POST /payments/{orderId}/complaints: the note's length once trimmed (a support summary, not the conversation),
   * and the complaints one order keeps (its item stays far under DynamoDB's 400 KB: 20 × ~1 KB).
   */
  complaint: { noteMinLength: 3, noteMaxLength: 1_000, maxPerOrder: 20 },
} as const;
