import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { refundBodySchema } from '../../lambdas/admin/admin.handler';
import { ROUTES, type RouteName } from '../../lambdas/shared/contract/routes';
import type { AppContext } from '../../lambdas/shared/domain/context';
import {
  AuthenticationError,
  ConflictError,
  IdempotencyConflictError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentProviderError,
  ServiceUnavailableError,
  StoreBusyError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../lambdas/shared/domain/errors';
import { errorResponse } from '../../lambdas/shared/platform/http';
import { type ApiServer, startApiServer } from '../../local/api-server';
import { ERROR_ENVELOPE, OPENAPI_FILE, openApiText } from '../../scripts/openapi';
import { RecordingTelemetry } from '../support/recording-telemetry';

/**
 * docs/openapi.json is generated from lambdas/shared/contract/routes.ts and the zod schemas by `npm run openapi`:
 * it must not drift from them, must describe every route, and must hold together as an OpenAPI 3.1 document.
 */

type Json = Record<string, unknown>;
interface Operation {
  readonly operationId: string;
  readonly security: readonly Json[];
  readonly parameters?: readonly { $ref: string }[];
  readonly requestBody?: { content: Json };
  readonly responses: Record<string, Json>;
}

const committedText = readFileSync(OPENAPI_FILE, 'utf8');
const doc = JSON.parse(committedText) as {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: Json & { parameters: Record<string, Json>; schemas: Record<string, Json> };
};
const routeNames = Object.keys(ROUTES) as RouteName[];
const operationOf = (name: RouteName): Operation => {
  const { path, method } = ROUTES[name];
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`docs/openapi.json has no ${method} ${path}`);
  return operation;
};

/** The value a local `#/...` JSON pointer names in the document, or undefined. */
const resolve = (pointer: string): unknown =>
  pointer
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, part) => (node && typeof node === 'object' ? (node as Json)[part] : undefined),
      doc,
    );

const refsIn = (node: unknown): string[] => {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : refsIn(value),
  );
};

const parameterOf = (reference: { $ref: string }) => resolve(reference.$ref) as { name: string; in: string };

describe('the OpenAPI document (docs/openapi.json)', () => {
  it('is what `npm run openapi` writes now from the routes and the zod schemas', () => {
    expect(committedText, 'docs/openapi.json drifted: run npm run openapi').toBe(openApiText());
  });

  it('is OpenAPI 3.1.0 with JSON Schema 2020-12 and carries a version', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toMatchObject({ jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema' });
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('describes every route of ROUTES, and nothing else', () => {
    const described = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(
        ([method, operation]) => `${method.toUpperCase()} ${path} ${operation.operationId}`,
      ),
    );
    expect(described.sort()).toEqual(
      routeNames.map((name) => `${ROUTES[name].method} ${ROUTES[name].path} ${name}`).sort(),
    );
  });

  it.each(routeNames)(
    '%s: has responses, a success among them, and an error envelope for its errors',
    (name) => {
      const { responses } = operationOf(name);
      const statuses = Object.keys(responses);
      expect(statuses.some((status) => /^2\d\d$/.test(status))).toBe(true);
      expect(statuses).toContain('500');
      for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s) && s !== '403')) {
        const response = resolve((responses[status] as { $ref: string }).$ref) as Json;
        expect(response, `${name} ${status}`).toMatchObject({
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
        });
      }
    },
  );

  it.each(routeNames)('%s: declares each of its path parameters', (name) => {
    const wanted = [...ROUTES[name].path.matchAll(/\{(\w+)\}/g)].map(([, param]) => param);
    const declared = (operationOf(name).parameters ?? []).map(parameterOf).filter((p) => p.in === 'path');
    expect(declared.map((p) => p.name).sort()).toEqual(wanted.sort());
  });

  it('asks for the Idempotency-Key header exactly where the handlers require it', () => {
    const withKey = routeNames.filter((name) =>
      (operationOf(name).parameters ?? [])
        .map(parameterOf)
        .some((p) => p.in === 'header' && p.name === 'Idempotency-Key'),
    );
    expect(withKey.sort()).toEqual(['createPayment', 'recordComplaint', 'requestRefund']);
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ required: true });
  });

  it('secures customer routes with a bearer JWT, internal ones with SigV4, and webhooks with neither', () => {
    expect(doc.components).toMatchObject({
      securitySchemes: {
        customerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    });
    const expected = { customer: [{ customerJwt: [] }], iam: [{ sigv4: [] }], paydunya: [] };
    for (const name of routeNames) {
      expect(operationOf(name).security, name).toEqual(expected[ROUTES[name].auth]);
    }
    expect(Object.keys(operationOf('paydunyaWebhook').requestBody?.content ?? {})).toContain(
      'application/x-www-form-urlencoded',
    );
  });

  it('every $ref resolves within the document', () => {
    const refs = [...new Set(refsIn(doc))];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref.startsWith('#/'), ref).toBe(true);
      expect(resolve(ref), ref).toBeDefined();
    }
  });

  it("a request body is the handler's zod schema as JSON Schema 2020-12", () => {
    const { $schema: _, ...fromZod } = z.toJSONSchema(refundBodySchema, {
      target: 'draft-2020-12',
      io: 'input',
    });
    expect(doc.components.schemas.RefundRequest).toMatchObject(fromZod);
    expect(operationOf('requestRefund').requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/RefundRequest' } } },
    });
  });

  it('the error envelope it describes is what errorResponse answers for every typed error', () => {
    const errors = [
      new ValidationError('bad', [{ path: 'amount', message: 'must be at least 100 XOF' }]),
      new ValidationError('bad json', [], 'INVALID_JSON'),
      new AuthenticationError('expired', 'temba', 'invalid'),
      new UnauthorizedError('not authentic'),
      new NotFoundError('no such payment'),
      new IdempotencyConflictError('in progress', 'IDEMPOTENCY_IN_PROGRESS', 2),
      new ConflictError('not paid', 'ORDER_NOT_PAID'),
      new PayloadTooLargeError('too large'),
      new UnsupportedMediaTypeError('json please'),
      new TooManyRequestsError('limit', 'DAILY_LIMIT_REACHED', 60),
      new PaymentProviderError('refused', 'refused'),
      new PaymentProviderError('down', 'unavailable'),
      new ServiceUnavailableError('paused', 'PAYMENTS_PAUSED'),
      new StoreBusyError('write', 'throttled'),
      new Error('an unknown failure'),
    ];
    const operations = routeNames.map(operationOf);
    for (const error of errors) {
      const response = errorResponse(error, 'req-1', new RecordingTelemetry());
      const parsed = ERROR_ENVELOPE.safeParse(JSON.parse(response.body));
      expect(parsed.success, `${error.name}: ${parsed.error?.message}`).toBe(true);
      const status = String(response.statusCode);
      expect(
        operations.some((operation) => status in operation.responses),
        `${status} is described by some route`,
      ).toBe(true);
    }
  });
});

describe('local mode serves the document', () => {
  let api: ApiServer;
  beforeAll(async () => {
    // GET /openapi.json reads no context: nothing behind the API is started.
    api = await startApiServer({} as AppContext, 0);
  });
  afterAll(async () => {
    await api.stop();
  });

  it('GET /openapi.json answers the committed document as JSON', async () => {
    const response = await fetch(`${api.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.text()).toBe(committedText);
  });
});
