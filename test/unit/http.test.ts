import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/shared/domain/errors';
import { type ApiEvent, errorResponse, json, withCors } from '../../lambdas/shared/platform/http';
import { RecordingTelemetry } from '../support/recording-telemetry';

const event = (headers: Record<string, string>) =>
  ({ headers, requestContext: { requestId: 'r-1' } }) as unknown as ApiEvent;

describe('CORS on API responses', () => {
  const result = json(200, { ok: true }, 'r-1');

  it('echoes an allowed origin, never *, and varies on Origin', () => {
    const answered = withCors(event({ Origin: 'https://temba.app' }), result, ['https://temba.app']);
    expect(answered.headers?.['Access-Control-Allow-Origin']).toBe('https://temba.app');
    expect(answered.headers?.Vary).toBe('Origin');
  });

  it('adds nothing for an origin that is not allowed, or no origin', () => {
    expect(withCors(event({ origin: 'https://evil.example' }), result, ['https://temba.app'])).toBe(result);
    expect(withCors(event({}), result, ['https://temba.app'])).toBe(result);
  });
});

describe('error responses', () => {
  it('a typed error keeps its status, code, message and fields', () => {
    const response = errorResponse(
      new ValidationError('bad', [{ path: 'amount', message: 'no' }]),
      'r-1',
      new RecordingTelemetry(),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'bad',
        fields: [{ path: 'amount', message: 'no' }],
        requestId: 'r-1',
      },
    });
  });

  it('an unknown error is a generic 500 with the request id and no stack trace', () => {
    const telemetry = new RecordingTelemetry();
    const response = errorResponse(new Error('secret internals at line 42'), 'r-9', telemetry);
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internals');
    expect(response.body).not.toContain('at ');
    expect(JSON.parse(response.body).error.requestId).toBe('r-9');
    expect(telemetry.logs.at(-1)?.level).toBe('error');
  });

  it.each([
    [
      'a connection timeout',
      Object.assign(new Error('socket did not connect in 1000 ms'), { name: 'TimeoutError' }),
    ],
    ['throttling on a read', Object.assign(new Error('slow down'), { name: 'ThrottlingException' })],
    ['a 5xx after the SDK retries', Object.assign(new Error('oops'), { name: 'InternalServerError' })],
  ])('%s from DynamoDB outside the store retry is a 503 with Retry-After, never a 500', (_case, error) => {
    const response = errorResponse(error, 'r-10', new RecordingTelemetry());
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('2');
    expect(JSON.parse(response.body).error.code).toBe('TEMPORARILY_BUSY');
  });
});
