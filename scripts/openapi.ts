/**
 * `npm run openapi`: writes docs/openapi.json, the OpenAPI 3.1 document of every route in
 * lambdas/shared/contract/routes.ts (the customers' routes, PayDunya's webhooks, the IAM-authorized internal routes).
 * `npm run openapi -- --check` writes nothing and exits 1 if the file differs from what it would write
 * (test/unit/openapi.test.ts checks the same). Local mode serves the file at GET /openapi.json.
 *
 * One source of truth: every schema in the document is converted by `z.toJSONSchema` (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1) from a zod schema: the request bodies from the schemas the handlers validate with, the
 * path, query and header parameters from zod schemas built here on the code's own patterns and limits, the error
 * envelope from ERROR_ENVELOPE below, which the tests check against `errorResponse` for every typed error.
 * Success bodies have no zod schema in the code yet: they are described in words, not copied as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import {
  complaintBodySchema,
  fulfilmentBodySchema,
  refundBodySchema,
  reviewBodySchema,
} from '../lambdas/admin/admin.handler';
import {
  CALLBACK_QUERY,
  LIMITS,
  ROUTES,
  type RouteAuth,
  type RouteName,
} from '../lambdas/shared/contract/routes';
import { ORDER_ID_PATTERN } from '../lambdas/shared/domain/ids';
import { paymentRequestSchema, referenceSchema } from '../lambdas/shared/domain/payment-request.schema';
import { REFUND_ID_PATTERN } from '../lambdas/shared/domain/refunds';
import { formatJson, ROOT } from './event-schemas';
import { commandLine, defineCommand } from './ops/cli';

export const OPENAPI_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** The body of every error answer (platform/http.ts `errorResponse`, and the webhook's 503). */
export const ERROR_ENVELOPE = z.strictObject({
  error: z.strictObject({
    code: z
      .string()
      .describe('A stable machine-readable code, e.g. VALIDATION_FAILED, NOT_FOUND, TEMPORARILY_BUSY.'),
    message: z.string().describe('What went wrong and what to do, for the person who reads it.'),
    fields: z
      .array(z.strictObject({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Validation errors only: every offending field at once.'),
    requestId: z.string().describe('The request id, also in the X-Request-Id header: quote it to support.'),
  }),
});

/** Every schema of the document, by its name under components.schemas, with what it means. */
const SCHEMAS = {
  PaymentRequest: {
    schema: paymentRequestSchema,
    description: 'A payment: amount (whole XOF) equal to the sum of quantity × unit_price over the items.',
  },
  ReviewDecision: { schema: reviewBodySchema },
  FulfilmentAcknowledgement: { schema: fulfilmentBodySchema },
  RefundRequest: {
    schema: refundBodySchema,
    description: 'Without amount, the whole refundable rest is refunded.',
  },
  Complaint: {
    schema: complaintBodySchema,
    description:
      "A customer's complaint as support records it. The note may hold the customer's words: it is kept on the " +
      'order, shown to Temba services only, never logged. `unauthorized` labels the payment as fraud.',
  },
  ErrorEnvelope: { schema: ERROR_ENVELOPE },
  OrderId: { schema: z.string().regex(ORDER_ID_PATTERN), description: 'An order id (a ULID).' },
  RefundId: { schema: z.string().regex(REFUND_ID_PATTERN), description: 'A refund id.' },
  Reference: {
    schema: referenceSchema,
    description: "Temba's reservation id, given as `reference` on POST /payments.",
  },
  ReportDate: { schema: z.iso.date(), description: 'A day, YYYY-MM-DD (UTC).' },
  IdempotencyKey: { schema: z.string().regex(LIMITS.idempotencyKeyPattern) },
  PageLimit: { schema: z.int().min(1).max(LIMITS.listPageMax) },
} as const satisfies Record<string, { schema: z.ZodType; description?: string }>;

type SchemaName = keyof typeof SCHEMAS;
const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });

/** components.schemas: the zod schemas above as JSON Schema 2020-12, referring to each other by name. */
const componentSchemas = (): Record<string, unknown> => {
  const registry = z.registry<{ id: string }>();
  for (const [id, { schema }] of Object.entries(SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(SCHEMAS).map(([id, entry]) => {
      const { $schema: _, $id: __, ...schema } = schemas[id] ?? {};
      return [id, 'description' in entry ? { description: entry.description, ...schema } : schema];
    }),
  );
};

const PATH_PARAMETERS: Readonly<Record<string, { schema: SchemaName; description: string }>> = {
  orderId: { schema: 'OrderId', description: 'The order, as POST /payments answered it.' },
  date: { schema: 'ReportDate', description: 'The day reported on (UTC).' },
  reference: { schema: 'Reference', description: "Temba's reservation id." },
};

const parameters = {
  ...Object.fromEntries(
    Object.entries(PATH_PARAMETERS).map(([name, { schema, description }]) => [
      `path.${name}`,
      { name, in: 'path', required: true, description, schema: ref(schema) },
    ]),
  ),
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: true,
    description:
      'A new random value (a UUID) for each new request, the same one when retrying it: a retry gets the first ' +
      `answer (Idempotent-Replayed: true), never a second charge or payout. Kept ${LIMITS.idempotencyTtlSeconds / 3600} h.`,
    schema: ref('IdempotencyKey'),
  },
  'query.limit': {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'Payments per page (20 when absent).',
    schema: ref('PageLimit'),
  },
  'query.cursor': {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'The `next` value of the previous page; absent for the first page.',
    schema: { type: 'string' },
  },
  'callback.orderId': {
    name: CALLBACK_QUERY.orderId,
    in: 'query',
    required: true,
    description: 'The order this callback URL was made for.',
    schema: ref('OrderId'),
  },
  'callback.refundId': {
    name: CALLBACK_QUERY.refundId,
    in: 'query',
    required: true,
    description: 'The refund this callback URL was made for.',
    schema: ref('RefundId'),
  },
  'callback.signature': {
    name: CALLBACK_QUERY.signature,
    in: 'query',
    required: true,
    description: "This service's HMAC signature of the callback URL: a URL it did not make is refused (401).",
    schema: { type: 'string' },
  },
} as const;

type ParameterName = keyof typeof parameters;
const parameterRef = (name: ParameterName) => ({ $ref: `#/components/parameters/${name}` });

const headers = {
  RequestId: { description: 'The request id, in every answer.', schema: { type: 'string' } },
  RetryAfter: {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 0 },
  },
  IdempotentReplayed: {
    description: '"true" when this is the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', const: 'true' },
  },
  WwwAuthenticate: { description: 'The Bearer challenge (RFC 6750).', schema: { type: 'string' } },
} as const;

type HeaderName = keyof typeof headers;
const HEADER_NAMES: Readonly<Record<HeaderName, string>> = {
  RequestId: 'X-Request-Id',
  RetryAfter: 'Retry-After',
  IdempotentReplayed: 'Idempotent-Replayed',
  WwwAuthenticate: 'WWW-Authenticate',
};
const responseHeaders = (names: readonly HeaderName[]) =>
  Object.fromEntries(names.map((name) => [HEADER_NAMES[name], { $ref: `#/components/headers/${name}` }]));

/** An error answer: the error envelope, the request id and the headers its meaning adds. */
const errorAnswer = (description: string, extraHeaders: readonly HeaderName[] = []) => ({
  description,
  headers: responseHeaders(['RequestId', ...extraHeaders]),
  content: { 'application/json': { schema: ref('ErrorEnvelope') } },
});

const responses = {
  BadRequest: errorAnswer(
    'The request is invalid (VALIDATION_FAILED with every offending field, INVALID_JSON, IDEMPOTENCY_KEY_MISSING, IDEMPOTENCY_KEY_INVALID).',
  ),
  Unauthorized: errorAnswer(
    'Not authenticated: no valid bearer token (AUTHENTICATION_REQUIRED, INVALID_TOKEN, with a WWW-Authenticate challenge), or a callback that is not authentic (UNAUTHORIZED).',
    ['WwwAuthenticate'],
  ),
  Forbidden: {
    description:
      "Refused before any function runs: API Gateway's IAM authorizer (SigV4 missing, or the principal not allowed) " +
      "or the web application firewall. The body is API Gateway's or WAF's own, not the error envelope.",
  },
  NotFound: errorAnswer(
    'No such order, report or route (NOT_FOUND). Another account\'s order is "not found" too.',
  ),
  Conflict: errorAnswer(
    'The Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED), its first request is still running ' +
      '(IDEMPOTENCY_IN_PROGRESS, with Retry-After), or the order is not in a state that allows this.',
    ['RetryAfter'],
  ),
  PayloadTooLarge: errorAnswer(`The body is over ${LIMITS.maxBodyBytes} bytes (PAYLOAD_TOO_LARGE).`),
  UnsupportedMediaType: errorAnswer('The body is not sent as application/json (UNSUPPORTED_MEDIA_TYPE).'),
  TooManyRequests: errorAnswer(
    "A limit was reached: the day's volume (DAILY_LIMIT_REACHED) or this customer's attempts (TOO_MANY_ATTEMPTS).",
    ['RetryAfter'],
  ),
  BadGateway: errorAnswer('PayDunya refused the request (PAYMENT_PROVIDER_REFUSED).'),
  ServiceUnavailable: errorAnswer(
    'Nothing was decided: come back after Retry-After (TEMPORARILY_BUSY, PAYMENT_PROVIDER_UNAVAILABLE, payments ' +
      'paused, TRY_AGAIN_LATER for a webhook).',
    ['RetryAfter'],
  ),
  InternalError: errorAnswer(
    'Something went wrong on our side (INTERNAL_ERROR): retry later, quote the request id.',
  ),
} as const;

type ResponseName = keyof typeof responses;
const STATUS_OF: Readonly<Record<ResponseName, string>> = {
  BadRequest: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  Conflict: '409',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  TooManyRequests: '429',
  BadGateway: '502',
  ServiceUnavailable: '503',
  InternalError: '500',
};

const SECURITY: Readonly<Record<RouteAuth, readonly Record<string, never[]>[]>> = {
  customer: [{ customerJwt: [] }],
  iam: [{ sigv4: [] }],
  paydunya: [],
};

const TAG_OF: Readonly<Record<RouteAuth, string>> = {
  customer: 'payments',
  paydunya: 'webhooks',
  iam: 'internal',
};

interface OperationDoc {
  readonly summary: string;
  readonly description?: string;
  readonly body?: SchemaName | 'paydunya-form';
  readonly parameters?: readonly ParameterName[];
  /** The success answer: its status and what its JSON body holds. */
  readonly success: { readonly status: string; readonly description: string; readonly replayable?: boolean };
  readonly errors: readonly ResponseName[];
}

/** What each route does: a route added to ROUTES without its entry here does not compile. */
const OPERATIONS: Readonly<Record<RouteName, OperationDoc>> = {
  createPayment: {
    summary: 'Create a payment',
    description:
      'Creates the order and its PayDunya invoice for the signed-in customer, and answers the checkout URL to send ' +
      'the customer to. Retried with the same Idempotency-Key and body, it answers the first answer again.',
    body: 'PaymentRequest',
    parameters: ['IdempotencyKey'],
    success: {
      status: '201',
      description:
        "The order: orderId, status (PENDING), checkoutUrl (PayDunya's page) and the invoice token.",
      replayable: true,
    },
    errors: [
      'BadRequest',
      'Unauthorized',
      'Conflict',
      'PayloadTooLarge',
      'UnsupportedMediaType',
      'TooManyRequests',
      'BadGateway',
      'ServiceUnavailable',
    ],
  },
  listPayments: {
    summary: "The signed-in customer's payments",
    description:
      'Newest first, a page at a time: `next` is the cursor of the following page (null on the last).',
    parameters: ['query.limit', 'query.cursor'],
    success: {
      status: '200',
      description:
        '`payments` (orderId, status, amount, currency, reference, refundedAmount, createdAt, updatedAt) and `next`.',
    },
    errors: ['BadRequest', 'Unauthorized', 'ServiceUnavailable'],
  },
  getPayment: {
    summary: 'One payment of the signed-in customer',
    description: 'The order as it is now, with its audit trail and refunds; contact data masked.',
    success: {
      status: '200',
      description:
        'The order: status, amount, items, masked customer, checkoutUrl while PENDING, refunds, complaints (category ' +
        'and time), events (audit trail).',
    },
    errors: ['Unauthorized', 'NotFound', 'ServiceUnavailable'],
  },
  paydunyaWebhook: {
    summary: "PayDunya's payment notification (IPN)",
    description:
      'Called by PayDunya at the callback URL given with the invoice. Authenticated by the master-key hash in the body ' +
      'and our signature on the URL, and believed only after asking PayDunya (confirm).',
    body: 'paydunya-form',
    parameters: ['callback.orderId', 'callback.signature'],
    success: {
      status: '200',
      description:
        'Handled, do not resend: `{ received: true, outcome }`, including bodies that are ignored (unreadable, or ' +
        'for nothing this service knows).',
    },
    errors: ['Unauthorized', 'ServiceUnavailable'],
  },
  disbursementWebhook: {
    summary: "PayDunya's disbursement notification",
    description:
      'A trigger only: the refund it names is settled with check-status, never on what the body says. ' +
      'Authenticated by our signature on the URL.',
    body: 'paydunya-form',
    parameters: ['callback.orderId', 'callback.refundId', 'callback.signature'],
    success: { status: '200', description: 'Received: `{ received: true, ... }`.' },
    errors: ['Unauthorized', 'ServiceUnavailable'],
  },
  adminReport: {
    summary: 'The daily reconciliation report of a day',
    description: 'Made shortly after midnight UTC for the day before.',
    success: { status: '200', description: "The day's report: totals, late payments, discrepancies." },
    errors: ['BadRequest', 'Forbidden', 'NotFound', 'ServiceUnavailable'],
  },
  adminReview: {
    summary: 'Approve or reject a payment held for review',
    body: 'ReviewDecision',
    success: { status: '200', description: 'The decision as recorded, with the order it applies to.' },
    errors: ['BadRequest', 'Forbidden', 'NotFound', 'Conflict', 'UnsupportedMediaType', 'ServiceUnavailable'],
  },
  recordFulfilment: {
    summary: 'Acknowledge a paid order: ticket delivered, or not',
    description: 'Answers payment.completed. A failed fulfilment refunds the customer.',
    body: 'FulfilmentAcknowledgement',
    success: { status: '200', description: 'The acknowledgement as recorded.' },
    errors: ['BadRequest', 'Forbidden', 'NotFound', 'Conflict', 'UnsupportedMediaType', 'ServiceUnavailable'],
  },
  requestRefund: {
    summary: 'Refund a paid order, in full or in part',
    description:
      'Accepted, then paid back through PayDunya (refund.succeeded, refund.failed or refund.manual_required follows).',
    body: 'RefundRequest',
    parameters: ['IdempotencyKey'],
    success: {
      status: '202',
      description:
        'The refund as accepted (orderId, refundId, status, amount) and the refundedAmount so far.',
      replayable: true,
    },
    errors: ['BadRequest', 'Forbidden', 'NotFound', 'Conflict', 'UnsupportedMediaType', 'ServiceUnavailable'],
  },
  recordComplaint: {
    summary: "Record a customer's complaint about a payment",
    description:
      "Audited on the order and counted: more than 10 in an hour raises the go-live plan's rollback alarm. Retried " +
      'with the same Idempotency-Key and body, it answers the complaint it recorded (counted once).',
    body: 'Complaint',
    parameters: ['IdempotencyKey'],
    success: {
      status: '201',
      description:
        'The complaint as recorded (orderId, complaintId, category, note, at, by) and the fraudLabel of the order, if any.',
      replayable: true,
    },
    errors: ['BadRequest', 'Forbidden', 'NotFound', 'Conflict', 'UnsupportedMediaType', 'ServiceUnavailable'],
  },
  findByReference: {
    summary: "The payments of one of Temba's reservations",
    success: {
      status: '200',
      description: '`reference` and its `payments`, newest first, as GET /payments/{orderId} shows each.',
    },
    errors: ['BadRequest', 'Forbidden', 'ServiceUnavailable'],
  },
};

const PAYDUNYA_FORM = {
  required: false,
  description:
    'As PayDunya sends it: application/x-www-form-urlencoded with PHP-style `data[...]` keys (JSON is accepted ' +
    'too). Only data[hash], data[invoice][token], data[status] and data[custom_data][order_id] are read.',
  content: { 'application/x-www-form-urlencoded': {}, 'application/json': {} },
};

const operationOf = (name: RouteName) => {
  const route = ROUTES[name];
  const doc = OPERATIONS[name];
  const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, param]) => {
    if (!param || !PATH_PARAMETERS[param]) throw new Error(`${route.path}: no description of {${param}}`);
    return parameterRef(`path.${param}` as ParameterName);
  });
  const successHeaders = responseHeaders(
    doc.success.replayable ? ['RequestId', 'IdempotentReplayed'] : ['RequestId'],
  );
  return {
    operationId: name,
    tags: [TAG_OF[route.auth]],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    'x-temba-function': route.fn,
    security: SECURITY[route.auth],
    ...(pathParameters.length + (doc.parameters?.length ?? 0) > 0
      ? { parameters: [...pathParameters, ...(doc.parameters ?? []).map(parameterRef)] }
      : {}),
    ...(doc.body === 'paydunya-form'
      ? { requestBody: PAYDUNYA_FORM }
      : doc.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: ref(doc.body) } } } }
        : {}),
    responses: {
      [doc.success.status]: {
        description: doc.success.description,
        headers: successHeaders,
        content: { 'application/json': {} },
      },
      ...Object.fromEntries(
        [...doc.errors, 'InternalError' as const].map((error) => [
          STATUS_OF[error],
          { $ref: `#/components/responses/${error}` },
        ]),
      ),
    },
  };
};

const packageVersion = (): string =>
  (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;

/** The OpenAPI 3.1 document of every route in ROUTES. */
export const openApiDocument = (): Record<string, unknown> => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const { path, method } = ROUTES[name];
    paths[path] = { ...paths[path], [method.toLowerCase()]: operationOf(name) };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Temba Payments API',
      version: packageVersion(),
      description:
        "Temba's payment backend: PayDunya checkout for signed-in customers, PayDunya's webhooks, and the internal " +
        "routes of Temba's services and operators. Generated by `npm run openapi` from lambdas/shared/contract/routes.ts " +
        'and the zod schemas the handlers validate with. Money is a whole number of XOF.',
    },
    servers: [
      {
        url: 'http://127.0.0.1:{port}',
        description: 'Local mode (`npm start`): internal routes answer without SigV4, on loopback only.',
        variables: { port: { default: '3000' } },
      },
      {
        url: 'https://{host}',
        description: "A deployed stage: its custom domain, or its execute-api URL with the stage's path.",
        variables: { host: { default: 'api.temba.app' } },
      },
    ],
    tags: [
      { name: 'payments', description: 'Signed-in customers (bearer JWT of the identity provider).' },
      {
        name: 'webhooks',
        description: "PayDunya's callbacks: no credential, authenticated by hash and signature.",
      },
      { name: 'internal', description: "Temba's services and operators, IAM-authorized (SigV4)." },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      parameters,
      headers,
      responses,
      securitySchemes: {
        customerJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "A customer's token from the stage's identity provider, verified by the function.",
        },
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4, checked by API Gateway (AWS_IAM authorization).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
};

/** docs/openapi.json as this script writes it (formatted by Biome, as the repo's JSON is). */
export const openApiText = (): string => formatJson(openApiDocument(), OPENAPI_FILE);

const OPENAPI = defineCommand({
  name: 'npm run openapi',
  summary:
    'Writes docs/openapi.json, the OpenAPI 3.1 document of every route in lambdas/shared/contract/routes.ts, from ' +
    'the zod schemas the handlers validate with.',
  options: {
    check: {
      type: 'boolean',
      description: 'write nothing; exit 1 if the file differs from what would be written',
    },
  },
});

const main = (check: boolean): number => {
  const name = relative(ROOT, OPENAPI_FILE);
  const text = openApiText();
  let committed: string | null = null;
  try {
    committed = readFileSync(OPENAPI_FILE, 'utf8');
  } catch {
    committed = null;
  }
  if (committed === text) {
    console.log(`✔ ${name}`);
    return 0;
  }
  if (check) {
    console.error(
      `✘ ${name} ${committed === null ? 'is missing' : 'differs from the routes and zod schemas'}: run npm run openapi`,
    );
    return 1;
  }
  writeFileSync(OPENAPI_FILE, text);
  console.log(`✎ ${name} written`);
  return 0;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(commandLine(OPENAPI).check);
}
