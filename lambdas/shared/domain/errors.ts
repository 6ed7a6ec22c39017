/**
 * Typed errors. Each one carries its HTTP meaning; `platform/http.ts` maps them to responses in one place.
 * Messages are written for the person who reads them (a Temba engineer or a customer), never a stack trace.
 */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly fields?: readonly FieldIssue[];
  readonly retryAfterSeconds?: number;
  /** Extra response headers the error's meaning requires (a `WWW-Authenticate` challenge). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  readonly status = 400;
  readonly code: string;
  override readonly fields: readonly FieldIssue[];
  constructor(message: string, fields: readonly FieldIssue[] = [], code = 'VALIDATION_FAILED') {
    super(message);
    this.fields = fields;
    this.code = code;
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

export class PayloadTooLargeError extends AppError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'NOT_FOUND';
}

export class IdempotencyConflictError extends AppError {
  override readonly name = 'IdempotencyConflictError';
  readonly status = 409;
  readonly code: string;
  override readonly retryAfterSeconds?: number;
  constructor(
    message: string,
    code: 'IDEMPOTENCY_KEY_REUSED' | 'IDEMPOTENCY_IN_PROGRESS',
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class UnauthorizedError extends AppError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
  readonly code = 'UNAUTHORIZED';
}

/**
 * A customer request without a valid bearer token (RFC 6750): 401 with a `WWW-Authenticate: Bearer` challenge.
 * `invalid_token` when a token was sent but cannot be trusted; no error code when none was sent. The message says
 * what to do, never what exactly was wrong with a token (that is logged, the token never is).
 */
export class AuthenticationError extends AppError {
  override readonly name = 'AuthenticationError';
  readonly status = 401;
  readonly code: string;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly reason: string,
    realm: string,
    kind: 'missing' | 'invalid',
  ) {
    super(
      kind === 'missing'
        ? 'Sign in first: send "Authorization: Bearer <token>" with the token of your Temba account.'
        : 'Your sign-in token is not valid (expired, or not issued for Temba). Sign in again and retry.',
    );
    this.code = kind === 'missing' ? 'AUTHENTICATION_REQUIRED' : 'INVALID_TOKEN';
    this.headers = {
      'WWW-Authenticate':
        kind === 'missing' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`,
    };
  }
}

/**
 * Fraud screening blocked the checkout: 403. The message says what the customer can do and nothing about why (the
 * rules that fired are in the audit record and the alert, never in the answer).
 */
export class CheckoutDeclinedError extends AppError {
  override readonly name = 'CheckoutDeclinedError';
  readonly status = 403;
  readonly code = 'PAYMENT_DECLINED';
  constructor() {
    super(
      'This payment cannot be accepted. Nothing was charged. If you think this is a mistake, contact Temba support.',
    );
  }
}

/** PayDunya answered but refused (non-"00", bad shape): 502. Unreachable or timed out: 503. */
export class PaymentProviderError extends AppError {
  override readonly name = 'PaymentProviderError';
  readonly code: string;
  readonly status: 502 | 503;
  override readonly retryAfterSeconds?: number;
  constructor(message: string, kind: 'refused' | 'unavailable') {
    super(message);
    this.status = kind === 'refused' ? 502 : 503;
    this.code = kind === 'refused' ? 'PAYMENT_PROVIDER_REFUSED' : 'PAYMENT_PROVIDER_UNAVAILABLE';
    this.retryAfterSeconds = kind === 'unavailable' ? 30 : undefined;
  }
}

/** The service itself cannot take payments now (paused by flag, or misconfigured): 503. */
export class ServiceUnavailableError extends AppError {
  override readonly name = 'ServiceUnavailableError';
  readonly status = 503;
  readonly code: string;
  override readonly retryAfterSeconds?: number;
  constructor(message: string, code: string, retryAfterSeconds = 60) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface GatewayErrorOptions {
  /** PayDunya said it does not know the invoice asked about (see `GatewayError.notFound`). */
  readonly notFound?: boolean;
  /** PayDunya refused a disbursement for lack of funds on the merchant account. */
  readonly insufficientBalance?: boolean;
}

/**
 * Raised by a payment gateway adapter. `refused`: PayDunya answered with something other than success.
 * `unavailable`: it could not be reached, timed out, or answered 5xx; the same call may work later.
 * Use cases decide what this means for the caller; it carries no HTTP meaning of its own.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /**
   * A refusal that says the invoice is unknown ("invoice not found", or HTTP 404). It is set apart because it is
   * the only refusal that says something about the invoice itself: wrong keys share the same code (1001).
   */
  readonly notFound: boolean;
  readonly insufficientBalance: boolean;
  constructor(
    readonly kind: 'refused' | 'unavailable',
    message: string,
    readonly responseCode?: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message);
    this.notFound = options.notFound ?? false;
    this.insufficientBalance = options.insufficientBalance ?? false;
  }
}

/** A limit was reached: the daily volume, or this customer's attempts. */
export class TooManyRequestsError extends AppError {
  override readonly name = 'TooManyRequestsError';
  readonly status = 429;
  readonly code: string;
  override readonly retryAfterSeconds?: number;
  constructor(
    message: string,
    code: 'DAILY_LIMIT_REACHED' | 'TOO_MANY_ATTEMPTS',
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request is valid but the resource is not in a state that allows it. */
export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  readonly status = 409;
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The database kept refusing a write for contention or throttling after the whole retry budget: nothing was
 * decided, so the caller is told to come back (503 with Retry-After), never handed a 500.
 */
export class StoreBusyError extends AppError {
  override readonly name = 'StoreBusyError';
  readonly status = 503;
  readonly code = 'TEMPORARILY_BUSY';
  override readonly retryAfterSeconds = 2;
  constructor(
    readonly operation: string,
    readonly cause_: 'conflict' | 'throttled' | 'unknown',
  ) {
    super(
      'We are handling a lot of payments right now and could not save this one. Nothing was charged; please try again in a moment.',
    );
  }
}
